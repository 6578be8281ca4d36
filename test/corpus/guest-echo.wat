;; expect: ok
;; hostcalls: get_payload,get_parent_count,submit_capsule_result,log,kv_get,kv_set
;; A proper guest written by hand (no SDK): shows the ABI is language-neutral. It probes the payload size with a
;; zero-capacity buffer, reads it, logs, bumps a counter in its kv space and submits "echo:" ‖ payload ‖ parents.
(module
  (import "kapsule_v1" "get_payload" (func $get_payload (param i32 i32) (result i32)))
  (import "kapsule_v1" "get_parent_count" (func $get_parent_count (result i32)))
  (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
  (import "kapsule_v1" "log" (func $log (param i32 i32)))
  (import "kapsule_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "kapsule_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 2)
  (data (i32.const 0) "echo:")
  (data (i32.const 65000) "count")
  (data (i32.const 65100) "hello from wat")
  (func (export "run") (result i32)
    (local $n i32)
    ;; size probe: capacity 0 copies nothing and returns the needed length
    (local.set $n (call $get_payload (i32.const 1024) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 2))))
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 3))))
    (drop (call $get_payload (i32.const 5) (local.get $n)))
    ;; one byte: the parent count, appended after the payload
    (i32.store8 (i32.add (i32.const 5) (local.get $n)) (call $get_parent_count))
    (call $log (i32.const 65100) (i32.const 14))
    ;; counter in kv: 4 bytes little-endian at 65200
    (if (i32.ne (call $kv_get (i32.const 65000) (i32.const 5) (i32.const 65200) (i32.const 4)) (i32.const 4))
      (then (i32.store (i32.const 65200) (i32.const 0))))
    (i32.store (i32.const 65200) (i32.add (i32.load (i32.const 65200)) (i32.const 1)))
    (drop (call $kv_set (i32.const 65000) (i32.const 5) (i32.const 65200) (i32.const 4)))
    (drop (call $submit (i32.const 0) (i32.add (local.get $n) (i32.const 6))))
    (i32.const 0)))
