;; expect: OUT_OF_FUEL
;; fuel: 1000000
(module
  (memory 1 1)
  (func $start (loop $l (br $l)))
  (start $start)
  (func (export "run") (result i32) (i32.const 0)))
