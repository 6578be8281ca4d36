;; expect: STACK_LIMIT
;; depth: 1024
;; fuel: 100000000
;; repeat LOCALS: f64 1000
;; details: maxDepth=64
;; 200-deep recursion through a frame of 1,000 f64 locals (~8 KB): 1.6 MB of native stack, more than V8 gives a
;; main thread (984 KiB), less than a worker's 4 MiB. Depth alone would let the engine decide (STACK_LIMIT
;; "engine stack exhausted" on a main thread, success in a worker); the stack budget clamps the depth to
;; 512 KiB ÷ the frame estimate at load, so it ends STACK_LIMIT at the same counted depth and fuel everywhere.
(module
  (memory 1 1)
  (func $deep (param $n i32) (result f64) (local (; LOCALS ;))
    (local.set 1 (f64.convert_i32_s (local.get $n)))
    (local.set 1000 (f64.mul (local.get 1) (f64.const 0.5)))
    (if (result f64) (i32.lt_s (local.get $n) (i32.const 200))
      (then (f64.add (call $deep (i32.add (local.get $n) (i32.const 1))) (f64.add (local.get 1) (local.get 1000))))
      (else (local.get 1000))))
  (func (export "run") (result i32) (drop (call $deep (i32.const 0))) (i32.const 0)))
