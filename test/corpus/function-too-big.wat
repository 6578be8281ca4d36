;; expect: MODULE_INVALID
;; repeat NOPS: nop 200000
;; detail: exceeds the cap of 131072
;; details: cap=maxFunctionBytes
;; A 200 KB straight-line function: over the function-size cap (compile cost is bounded by construction).
(module
  (memory 1 1)
  (func (export "run") (result i32) (; NOPS ;) (i32.const 0)))
