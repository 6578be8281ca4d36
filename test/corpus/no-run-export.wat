;; expect: MODULE_INVALID
;; detail: "run"
(module
  (memory 1 1)
  (func (export "main") (result i32) (i32.const 0)))
