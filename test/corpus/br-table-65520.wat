;; expect: MODULE_INVALID
;; repeat TARGETS: 0 65519
;; detail: br_table with 65520 targets exceeds the cap of 4096
;; details: cap=maxBrTableTargets
;; One br_table of 65,520 targets (V8's own limit). 100 of them cost 131 s and 13.9 GB of V8's optimising
;; compiler for 355k fuel; a br_table may have at most 4,096 targets.
(module
  (memory 1 1)
  (func (export "run") (result i32)
    (block (br_table (; TARGETS ;) 0 (i32.const 0)))
    (i32.const 0)))
