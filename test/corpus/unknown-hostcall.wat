;; expect: MODULE_INVALID
;; detail: kapsule_v1.read_file
(module
  (import "kapsule_v1" "read_file" (func (param i32 i32) (result i32)))
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
