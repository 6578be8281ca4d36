;; expect: MODULE_INVALID
;; features: simd
;; detail: SIMD
(module
  (memory 1 1)
  (func (export "run") (result i32) (local v128) (i32.const 0)))
