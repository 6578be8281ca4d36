/**
 * The sandbox: validate → instrument → compile (cached) at load; every run from a fresh instance's state (a kept instance, reset: sandbox.ts). Portable: no
 * Node-only import here (the worker-thread backstop lives in worker.ts).
 *
 *   const sb = new Sandbox({ sha256 });
 *   const mod = sb.load(wasmBytes, { hostcalls, fuel, memoryPages, maxDepth });   // MODULE_INVALID
 *   const out = sb.run(mod, input);   // OUT_OF_FUEL | STACK_LIMIT | MEMORY_LIMIT | TRAP | HOSTCALL_FAULT
 *
 * Same module + same input + same state view ⇒ same output bytes, same fuel, same writes, same transcript hash,
 * or the same typed error at the same point. See docs/ABI.md.
 *
 * Browsers: `new WebAssembly.Module` on the main thread is limited to 4 KB of bytes; use `loadAsync` there (or
 * run the sandbox in a Web Worker, where the synchronous API has no such limit).
 */
import { instrument } from './instrument.ts';
import { SandboxCore, type SandboxOptions } from './sandbox.ts';

export type {
  CompiledCache, ExecInput, ExecOutcome, GuestCapsuleMeta, HostPolicy, ModuleManifestLimits, RunContext, StateView, StateWrites,
} from './types.ts';
export { INSTRUMENTER_VERSION, COST_TABLE_HASH, COST_TABLE } from './costs.ts';
export { HOSTCALLS, HOSTCALL_NAMESPACE, ABI_VERSION, STATUS, HOSTCALL_LIMITS, ENV_IMPORTS } from './hostcalls/table.ts';
export { MODULE_CAPS } from './validate.ts';
export {
  DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING, STACK_BUDGET_BYTES, FRAME_OVERHEAD_BYTES, POOL_MAX_PAGES, TRANSCRIPT_MAX_BYTES, depthForFrame, frameBytes,
} from './bounds.ts';
export { runWithDeadline, deadlineInterrupts, type DeadlineOptions } from './deadline.ts';
export type { IncrementalHash, IncrementalSha256 } from './hostcalls/impl.ts';
export { encodeMeta, encodeContext } from './meta.ts';

export {
  MAX_DEPTH_CEILING, MemoryCompiledCache, compiledCacheKey, type LoadedModule, type SandboxStats, type Instrumenter,
  type SandboxOptions,
} from './sandbox.ts';

/** The sandbox with the binaryen instrumenter (instrument.ts, binaryen 132.0.0). */
export class Sandbox extends SandboxCore {
  constructor(opts: SandboxOptions) {
    super(opts, instrument);
  }
}
