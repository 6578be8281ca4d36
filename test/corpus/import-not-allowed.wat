;; expect: MODULE_INVALID
;; hostcalls: get_payload
;; detail: kapsule_v1.set_balance
(module
  (import "kapsule_v1" "set_balance" (func (param i32 i32 i64) (result i32)))
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
