;; expect: MODULE_INVALID
;; features: multi_value
;; detail: multi-value
;; A block that takes a parameter (multi-value). docs/ABI.md refuses multi-value; two-parameter blocks used to be
;; refused only by accident (binaryen's "TupleMake") and one-parameter blocks were accepted.
(module
  (type $t (func (param i32) (result i32)))
  (memory 1 1)
  (func (export "run") (result i32)
    (i32.const 1)
    (block (type $t) (i32.sub (i32.const 1)))))
