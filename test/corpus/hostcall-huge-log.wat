;; expect: HOSTCALL_FAULT
;; hostcalls: log
;; detail: outside guest memory
(module
  (import "kapsule_v1" "log" (func $log (param i32 i32)))
  (memory 1 1)
  (func (export "run") (result i32)
    (call $log (i32.const 16) (i32.const 0x7fffffff))
    (i32.const 0)))
