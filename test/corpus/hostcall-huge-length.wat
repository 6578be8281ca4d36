;; expect: HOSTCALL_FAULT
;; hostcalls: submit_capsule_result
;; detail: exceeds
(module
  (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
  (memory 1 1)
  (func (export "run") (result i32)
    (call $submit (i32.const 0) (i32.const -1))))
