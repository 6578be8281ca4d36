;; expect: HOSTCALL_FAULT
;; hostcalls: get_payload,kv_set
;; detail: outside guest memory
;; Writes a kv entry first: the failed run must not return it.
(module
  (import "kapsule_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (import "kapsule_v1" "get_payload" (func $get_payload (param i32 i32) (result i32)))
  (memory 1 1)
  (func (export "run") (result i32)
    (drop (call $kv_set (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 4)))
    (call $get_payload (i32.const 65530) (i32.const 64))))
