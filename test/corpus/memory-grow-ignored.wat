;; expect: OUT_OF_FUEL
;; pages: 2
;; fuel: 1000000
;; Ignores memory.grow's -1: a failed grow is still charged per page requested, so the loop runs out of fuel.
(module
  (memory 1 2)
  (func (export "run") (result i32)
    (loop $l (drop (memory.grow (i32.const 1))) (br $l))
    (i32.const 0)))
