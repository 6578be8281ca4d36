;; expect: ok
;; repeat NOPS: nop 130000
;; fuel-used: 60002
;; One block of 130,000 children (a 130 KB function, under the 128 KiB body cap). The instrumenter used to copy a
;; block's children with push(...spread) and overflowed the JS stack near 125k; its walk is iterative now.
(module
  (memory 1 1)
  (func (export "run") (result i32) (; NOPS ;) (i32.const 0)))
