;; expect: MODULE_INVALID
;; detail: env.Date.now
(module
  (import "env" "Date.now" (func (result f64)))
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
