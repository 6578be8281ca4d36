;; expect: ok
;; pages: 65536
;; fuel: 3
;; fuel-used: 3
;; Imports a 65,536-page (4 GiB) memory and touches its last byte for 3 fuel. Pooled, the next run in the process
;; zero-filled all 4 GiB first (18–47 s, +4.3 GB RSS); memories above POOL_MAX_PAGES are never pooled, so each run
;; gets fresh, lazily zeroed pages and pays only for what it touches.
(module
  (import "env" "memory" (memory 65536))
  (func (export "run") (result i32)
    (i32.store8 (i32.const 0xffffffff) (i32.const 1))
    (i32.const 0)))
