;; expect: MODULE_INVALID
;; detail: reserved
(module
  (memory 1 1)
  (global (export "__kapsule_fuel") (mut i64) (i64.const 99999999))
  (func (export "run") (result i32) (i32.const 0)))
