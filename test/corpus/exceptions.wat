;; expect: MODULE_INVALID
;; features: exceptions
;; detail: exception
(module
  (tag $e)
  (memory 1 1)
  (func (export "run") (result i32) (throw $e)))
