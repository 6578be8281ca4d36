;; expect: OUT_OF_FUEL
;; hostcalls: get_payload
;; fuel: 60100
;; detail: hostcall get_payload
;; The hostcall's charge (base + bytes) is taken before it copies anything. The budget is the run's start charge
;; (COST_TABLE.runBase, 60,000) and 100 more.
(module
  (import "kapsule_v1" "get_payload" (func $get_payload (param i32 i32) (result i32)))
  (memory 1 1)
  (func (export "run") (result i32)
    (drop (call $get_payload (i32.const 0) (i32.const 1024)))
    (i32.const 0)))
