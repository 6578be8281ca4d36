;; expect: OUT_OF_FUEL
;; fuel: 1000000
(module
  (memory 1 1)
  (func (export "run") (result i32)
    (loop $l (br $l))
    (i32.const 0)))
