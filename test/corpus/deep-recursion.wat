;; expect: STACK_LIMIT
;; depth: 200
;; fuel: 100000000
(module
  (memory 1 1)
  (func $down (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "run") (result i32) (drop (call $down (i32.const 0))) (i32.const 0)))
