;; expect: TRAP
;; detail: status 7
(module
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 7)))
