;; expect: TRAP
;; detail: memory access out of bounds
(module
  (memory 1 1)
  (func (export "run") (result i32) (i32.load (i32.const 70000))))
