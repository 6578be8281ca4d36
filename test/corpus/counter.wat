;; expect: ok
;; hostcalls: kv_get,kv_set,submit_capsule_result
;; Order-sensitive by design: each run bumps a counter in its kv space and submits the new value (u32 LE). The
;; result of a capsule is its position among this module's runs, so it changes when an earlier capsule arrives
;; late — what the convergence tests use to see rollback, re-execution and result_changed.
(module
  (import "kapsule_v1" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "kapsule_v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 0) "n")
  (func (export "run") (result i32)
    (if (i32.ne (call $kv_get (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 4)) (i32.const 4))
      (then (i32.store (i32.const 16) (i32.const 0))))
    (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))
    (drop (call $kv_set (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 4)))
    (drop (call $submit (i32.const 16) (i32.const 4)))
    (i32.const 0)))
