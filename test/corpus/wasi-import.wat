;; expect: MODULE_INVALID
;; detail: wasi_snapshot_preview1.fd_write
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory 1 1)
  (func (export "run") (result i32) (i32.const 0)))
