;; expect: MODULE_INVALID
;; features: threads
;; detail: threads
(module
  (memory 1 1 shared)
  (func (export "run") (result i32) (i32.const 0)))
