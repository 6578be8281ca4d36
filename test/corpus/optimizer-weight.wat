;; expect: MODULE_INVALID
;; repeat LOCALS: i64 1000
;; repeat BRIFS: (br_if 0 (i32.eqz (local.get 0))) 2200
;; detail: optimising-compiler weight
;; details: cap=maxOptimizingWeight
;; 2,200 branches to one block in a function of 1,000 locals: small (12 KB) but each branch edge makes V8's
;; optimising compiler merge every local (~120 bytes and 0.25 µs per edge × local, 2.2M units here): refused.
(module
  (memory 1 1)
  (func $f (param i32) (local (; LOCALS ;))
    (block (; BRIFS ;)))
  (func (export "run") (result i32) (call $f (i32.const 1)) (i32.const 0)))
