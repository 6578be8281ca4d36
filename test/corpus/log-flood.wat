;; expect: HOSTCALL_FAULT
;; hostcalls: log
;; fuel: 4611686018427387904
;; detail: transcript would exceed
;; details: limit=transcript, hostcall=log
;; 1 KiB log lines forever with a manifest asking 2^62 fuel: the lines themselves are capped, but every call
;; appended ~1 KiB to the transcript (6.4 GB in 37 s, then an untyped RangeError). The transcript is hashed as it
;; grows (bounded memory) and capped at 64 MiB; this reaches the cap (~63k calls) before the fuel ceiling.
(module
  (import "kapsule_v1" "log" (func $log (param i32 i32)))
  (memory 1 1)
  (func (export "run") (result i32)
    (loop $l (call $log (i32.const 0) (i32.const 1024)) (br $l))
    (i32.const 0)))
