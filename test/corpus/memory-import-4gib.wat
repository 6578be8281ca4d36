;; expect: MODULE_INVALID
;; pages: 65536
;; fuel: 1000000
;; detail: imported memory needs 65536 initial pages, cap is 4096
;; Imports a 65,536-page (4 GiB) memory and touches its last byte for a few fuel. Pooled, the next run in the process
;; zero-filled all 4 GiB first (18–47 s, +4.3 GB RSS); unpooled, creating it still costs 25–85 ms per run for no
;; fuel. Without a host policy the memory cap is DEFAULT_MEMORY_PAGES_CEILING (4096 pages): refused at load. (A
;; policy that allows it gets a fresh, never-wiped memory every run: test/execute/bounds.test.ts.)
(module
  (import "env" "memory" (memory 65536))
  (func (export "run") (result i32)
    (i32.store8 (i32.const 0xffffffff) (i32.const 1))
    (i32.const 0)))
