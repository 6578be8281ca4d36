;; expect: STACK_LIMIT
;; depth: 300
;; fuel: 100000000
(module
  (memory 1 1)
  (func $ping (param i32) (result i32) (return (call $pong (i32.add (local.get 0) (i32.const 1)))))
  (func $pong (param i32) (result i32) (return (call $ping (i32.add (local.get 0) (i32.const 1)))))
  (func (export "run") (result i32) (drop (call $ping (i32.const 0))) (i32.const 0)))
