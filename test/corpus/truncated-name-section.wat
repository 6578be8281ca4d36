;; expect: ok
;; append: 00 0b 04 6e 61 6d 65 01 20 02 00 01 61
;; fuel-used: 60002
;; A custom `name` section whose function-names subsection claims 32 bytes and has 4. The engine ignores name
;; sections; binaryen parsed it and threw its own (untyped) error. Custom sections are stripped before
;; instrumentation (and mean nothing to the host), so the module runs.
(module
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
