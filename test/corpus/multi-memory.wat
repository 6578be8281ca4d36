;; expect: MODULE_INVALID
;; features: multi_memory
;; detail: multiple memories
(module
  (memory 1 1)
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
