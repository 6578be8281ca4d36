;; expect: MODULE_INVALID
;; pages: 4
;; detail: exceeds the cap
(module
  (memory 1 100)
  (func (export "run") (result i32) (i32.const 0)))
