;; expect: MODULE_INVALID
;; features: simd
;; detail: SIMD
(module
  (memory 1 1)
  (func (export "run") (result i32)
    (i32x4.extract_lane 0 (i32x4.splat (i32.const 7)))))
