;; expect: MODULE_INVALID
;; nest: run 1800
;; detail: blocks nest deeper than the cap of 512
;; details: cap=maxNesting
;; 1,800 nested blocks (built from this skeleton by the test helper: wabt's parser cannot nest that deep). The
;; instrumenter used to walk them recursively and overflowed the host's JS stack (an untyped RangeError that
;; --stack-size changed); the code reader refuses the nesting before binaryen sees it, on every host.
(module
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
