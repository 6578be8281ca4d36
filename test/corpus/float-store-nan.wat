;; expect: ok
;; hostcalls: submit_capsule_result
;; NaN-bits probe: 0/0 (x86 produces 0xffc00000), a sign-flipped NaN, and copysign from a NaN. Every way the
;; bits can leave the float domain (store, reinterpret, copysign sign) is canonicalised: the output is fixed.
(module
  (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
  (memory 1 1)
  (func $zero (result f32) (f32.const 0))
  (func $zero64 (result f64) (f64.const 0))
  (func (export "run") (result i32)
    ;; [0..4) f32.store of 0/0
    (f32.store (i32.const 0) (f32.div (call $zero) (call $zero)))
    ;; [4..8) i32.reinterpret of -(0/0)
    (i32.store (i32.const 4) (i32.reinterpret_f32 (f32.neg (f32.div (call $zero) (call $zero)))))
    ;; [8..16) f64.store of 0/0
    (f64.store (i32.const 8) (f64.div (call $zero64) (call $zero64)))
    ;; [16..24) i64.reinterpret of sqrt(-1)
    (i64.store (i32.const 16) (i64.reinterpret_f64 (f64.sqrt (f64.const -1))))
    ;; [24..28) copysign(1.0, -(0/0)) : the sign of a NaN must not leak
    (f32.store (i32.const 24) (f32.copysign (f32.const 1) (f32.neg (f32.div (call $zero) (call $zero)))))
    (call $submit (i32.const 0) (i32.const 28))))
