;; expect: OUT_OF_FUEL
;; fuel: 4611686018427387904
;; details: fuelUsed=1073741824
;; (loop br) with a manifest asking 2^62 fuel and a host that sets no policy: the default fuel ceiling (2^30)
;; applies, so it ends OUT_OF_FUEL after 2^30 fuel (about 0.5 s here) instead of never.
(module
  (memory 1 1)
  (func (export "run") (result i32)
    (loop $l (br $l))
    (i32.const 0)))
