;; expect: TRAP
;; detail: divide by zero
(module
  (memory 1 1)
  (func (export "run") (result i32)
    (i32.div_u (i32.const 1) (i32.sub (i32.const 1) (i32.const 1)))))
