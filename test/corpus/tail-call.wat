;; expect: MODULE_INVALID
;; features: tail_call
;; detail: tail call
(module
  (memory 1 1)
  (func $f (result i32) (i32.const 0))
  (func (export "run") (result i32) (return_call $f)))
