;; expect: MEMORY_LIMIT
;; pages: 8
;; fuel: 10000000
;; Grows one page at a time and traps (as AssemblyScript's allocator does) when memory.grow returns -1.
(module
  (import "env" "memory" (memory 1))
  (func (export "run") (result i32)
    (loop $l
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $l))
    (i32.const 0)))
