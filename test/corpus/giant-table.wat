;; expect: MODULE_INVALID
;; detail: table
(module
  (table 10000000 funcref)
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
