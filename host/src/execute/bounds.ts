/**
 * The host's bounds on one run, in one place (docs/ABI.md §Bounds, docs/SECURITY.md §Sandbox). Portable.
 *
 * Fuel decides every deterministic outcome; these constants make sure that what fuel does not pay for — the
 * engine's native stack, the wall clock, host memory, compile time — is bounded too, and that each bound is a pure
 * function of the module and its manifest (so a verdict never depends on the thread or engine it ran on).
 * Each value was chosen from a measurement on the reference machine (bench/bounds.ts, bench/RESULTS.md).
 */
import { STACK_SLOT_BYTES } from './code.ts';

/** Ceiling on call depth whatever the manifest says (the stack budget below usually clamps further). */
export const MAX_DEPTH_CEILING = 5000;

/**
 * Native stack a run's guest frames may use, in bytes. Every supported thread has more: V8's default limit is
 * 984 KiB on Node's main thread and on Chromium's main thread, and 4 MiB (less a 192 KiB guard) in the worker that
 * execute/worker.ts starts. The remaining ≥ 472 KiB are for the embedder's own JS frames below the sandbox and for
 * hostcalls running on top of the deepest guest frame.
 */
export const STACK_BUDGET_BYTES = 512 * 1024;

/**
 * Frame estimate: STACK_SLOT_BYTES (8) × (params + locals + max operand-stack height) + this, for the instrumented
 * function. Measured in V8 (Liftoff): 8.0–8.1 bytes per i64/f64 slot (4 per i32/f32 slot) and 22–95 bytes of fixed
 * frame beyond the slots (test/execute/bounds.test.ts checks the estimate against the engine).
 */
export const FRAME_OVERHEAD_BYTES = 96;

/**
 * Fuel budget a host applies when its policy sets none (HostPolicy.maxFuel): the effective budget is
 * min(manifest, this). Chosen from the slowest fuel-per-millisecond module measured here (bench/bounds.ts):
 * see docs/ABI.md §Bounds for the time it means on the reference machine. A host policy may set another ceiling
 * (larger or smaller) explicitly.
 */
export const DEFAULT_FUEL_CEILING = 1n << 30n;

/**
 * Memory pages a host allows when its policy sets none (HostPolicy.maxMemoryPages): the effective cap is
 * min(manifest, this), and a module whose imported or declared initial memory is larger is refused at load. A
 * run's initial memory is charged when it starts (costs.ts runStartCharge); creating it and touching all of it
 * costs its size in transient RSS: 256 MiB at 4096 pages.
 */
export const DEFAULT_MEMORY_PAGES_CEILING = 4096;

/**
 * Pooled memories are wiped (zero-filled) before reuse: ~2 µs per 64 KiB page here, against 35-100 µs to grow and
 * touch a fresh page, paid by each run's start charge (COST_TABLE.pooledInitialPage per page beyond the first;
 * part of COST_TABLE_HASH). Memories of more pages than this are never pooled: each run gets a fresh one, which
 * the OS zero-fills lazily where the guest touches it, charged memoryGrowPerPage per initial page. 64 pages
 * (a 4 MiB wipe, ~130 µs) lets a module size its initial memory to its working set (docs/ABI.md §Sizing).
 */
export const POOL_MAX_PAGES = 64;

/**
 * Transcript bytes one run may produce (records before hashing; they are hashed as they come, in chunks of
 * TRANSCRIPT_CHUNK_BYTES, so memory stays bounded whatever this is). Beyond it the hostcall faults with
 * HOSTCALL_FAULT (`details.limit = 'transcript'`).
 */
export const TRANSCRIPT_MAX_BYTES = 64 * 1024 * 1024;
export const TRANSCRIPT_CHUNK_BYTES = 64 * 1024;

/** Estimated native bytes of a frame of `slots` slots. */
export function frameBytes(slots: number): number {
  return STACK_SLOT_BYTES * slots + FRAME_OVERHEAD_BYTES;
}

/** Maximum call depth for a module whose largest frame needs `frameSlots` slots: the stack budget ÷ that frame. */
export function depthForFrame(frameSlots: number): number {
  return Math.floor(STACK_BUDGET_BYTES / frameBytes(frameSlots));
}
