;; expect: MODULE_INVALID
;; detail: no maximum
(module
  (memory 1)
  (func (export "run") (result i32) (i32.const 0)))
