/**
 * The sandbox core: validate → (instrument) → compile, cached by (module hash, INSTRUMENTER_VERSION,
 * COST_TABLE_HASH); every run starts from a fresh instance's state, with typed errors. Portable; does not import
 * binaryen (index.ts wires the instrumenter in), so worker threads that receive a compiled module never load it.
 *
 * Instance reset: instantiating costs more than most runs (V8 builds the instance, its exports and tables, and the
 * garbage adds up), so one instance per (compiled module, memory shape) is kept and put back, before each run, into
 * exactly the state a fresh instance starts in: memory bytes (the data segments' image over zeros) and size, every
 * mutable global (the instrumenter exports them all, code.ts RESET_SECTION). Tables cannot change (validate.ts
 * refuses table instructions) and active segments are dropped at instantiation either way. A module that could drift
 * from a fresh instance in a way a reset cannot undo runs in a fresh instance every time: passive data segments
 * (`data.drop`), a memory over POOL_MAX_PAGES, output of an instrumenter without RESET_SECTION. An instance whose
 * memory grew, or whose run a deadline interrupted, is dropped. test/execute/reset.test.ts runs the reference
 * modules, the hostile corpus and generated modules both ways and compares everything, post-run state included.
 */
import { KapsuleError } from '../errors.ts';
import { toHex } from '../bytes.ts';
import { validateModule, type ValidatedModule } from './validate.ts';
import { EXPORT_CHARGE, EXPORT_DEPTH, EXPORT_FUEL, EXPORT_GLOBAL_PREFIX, EXPORT_GROW_FAILED, EXPORT_MEMORY, EXPORT_START } from './names.ts';
import { COST_TABLE_HASH, INSTRUMENTER_VERSION, runStartCharge } from './costs.ts';
import { HostEnv, Transcript, nobleSha256Stream, type IncrementalSha256, type RunState } from './hostcalls/impl.ts';
import { MemoryPool } from './pool.ts';
import { FRAME_SECTION, frameSlotsOf, resetGlobalCountOf } from './code.ts';
import { DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING, MAX_DEPTH_CEILING, POOL_MAX_PAGES, STACK_BUDGET_BYTES, depthForFrame, frameBytes } from './bounds.ts';
import { trackInterruptible, type Interruptible } from './deadline.ts';
import type { CompiledCache, ExecInput, ExecOutcome, HostPolicy, ModuleManifestLimits } from './types.ts';

export { MAX_DEPTH_CEILING } from './bounds.ts';

/** An in-memory CompiledCache (the store provides a SQLite one). */
export class MemoryCompiledCache implements CompiledCache {
  private readonly m = new Map<string, Uint8Array>();
  get(key: string): Uint8Array | undefined { return this.m.get(key); }
  set(key: string, value: Uint8Array): void { this.m.set(key, value); }
  get size(): number { return this.m.size; }
}

export function compiledCacheKey(moduleIdHex: string): string {
  return `${moduleIdHex}/${INSTRUMENTER_VERSION}/${COST_TABLE_HASH}`;
}

export interface LoadedModule {
  /**
   * Hex SHA-256 of the original wasm bytes: the compiled-cache key. (A runtime module's id is the hash of its signed
   * manifest, which also fixes the limits; the runtime passes it as the run's kv namespace.)
   */
  readonly id: string;
  /**
   * Effective limits: manifest ∩ host policy (fuel ∩ DEFAULT_FUEL_CEILING and pages ∩ DEFAULT_MEMORY_PAGES_CEILING
   * when the policy sets none), depth
   * also ∩ MAX_DEPTH_CEILING ∩ the stack budget ÷ the module's largest frame (bounds.ts).
   */
  readonly limits: ModuleManifestLimits;
  /** Whether the module exports the read-only `query` entry point. */
  readonly hasQuery: boolean;
}

class Loaded implements LoadedModule {
  get hasQuery(): boolean { return this.info.hasQuery; }
  constructor(
    readonly id: string,
    readonly limits: ModuleManifestLimits,
    readonly cacheKey: string,
    readonly module: WebAssembly.Module,
    readonly info: ValidatedModule,
    /** Host-created memory shape when the module imports env.memory. */
    readonly memory: { initial: number; maximum: number } | null,
    /** Export names of every mutable global, in index order; null for output of an instrumenter that had none. */
    readonly globalNames: readonly string[] | null,
    /** Whether a kept instance of this module can be reset to a fresh one's state (see the file comment). */
    readonly resettable: boolean,
  ) {
    this.instanceKey = memory ? `${cacheKey}/${memory.initial}/${memory.maximum}` : cacheKey;
  }

  /** Key of the kept instance: one per compiled module and memory shape (the imported memory's maximum). */
  readonly instanceKey: string;
}

/** An instance kept between runs, with what its reset touches. */
interface KeptInstance {
  readonly instance: WebAssembly.Instance;
  readonly memory: WebAssembly.Memory | null;
  /** The pool shape when `memory` came from the pool (imported env.memory), else null. */
  readonly pooled: { initial: number; maximum: number } | null;
  readonly globals: readonly WebAssembly.Global[];
}

/** The state a fresh instance of one compiled module starts in, captured right after its first instantiation. */
interface FreshImage {
  /** Memory bytes up to the last non-zero one (the data segments over zeros); the rest is zero. */
  readonly bytes: Uint8Array;
  readonly byteLength: number;
  readonly globals: readonly (number | bigint)[];
}

/** Post-run state handed to SandboxCore.onRunEnd (tests: a reset instance must match a fresh one). */
export interface RunEndState {
  /** A copy of the memory after the run, or null without one. */
  memory: Uint8Array | null;
  /** Every mutable global's value after the run (index order), or null when the module does not export them. */
  globals: (number | bigint)[] | null;
  /** Whether the run used a kept instance (reset) rather than a new one. */
  reused: boolean;
}

export interface SandboxStats {
  /** Modules instrumented with binaryen (cache misses). */
  instrumented: number;
  /** WebAssembly.Module compilations. */
  compiled: number;
  /** Loads answered from the in-process compiled-module map or the CompiledCache. */
  cacheHits: number;
  runs: number;
  /** Runs that instantiated the module. */
  instancesCreated: number;
  /** Runs that reset a kept instance instead. */
  instancesReused: number;
}

/** Instruments validated original bytes (instrument.ts). Injected so that a worker can run without binaryen. */
export type Instrumenter = (original: Uint8Array, info: ValidatedModule) => Uint8Array;

export interface SandboxOptions {
  /** One-shot SHA-256 (module ids, short transcripts). */
  sha256: (b: Uint8Array) => Uint8Array;
  /**
   * Incremental SHA-256 for transcripts longer than one chunk (64 KiB). Optional: @noble/hashes' by default; pass
   * `() => createHash('sha256')` on Node for speed. Either gives the same hash.
   */
  sha256Stream?: IncrementalSha256;
  policy?: HostPolicy;
  cache?: CompiledCache;
  /**
   * Keep instances between runs and reset them (default true; see the file comment). False instantiates for every
   * run, the reference the reset is tested against. Outcomes, fuel, outputs and transcripts are the same either way.
   */
  reuseInstances?: boolean;
  /** How many instances to keep, least recently used dropped first (default 16). */
  keptInstances?: number;
}

/**
 * The sandbox without a built-in instrumenter: `Sandbox` (index.ts) is this plus binaryen. A core without an
 * instrumenter can only load modules whose instrumented form is in its cache (the worker's case).
 */
export class SandboxCore implements Interruptible {
  private readonly sha256: (b: Uint8Array) => Uint8Array;
  private readonly sha256Stream: IncrementalSha256;
  private readonly policy: HostPolicy;
  private readonly cache: CompiledCache;
  private readonly modules = new Map<string, WebAssembly.Module>();
  private readonly env = new HostEnv();
  private readonly pool = new MemoryPool();
  /** Largest frame (slots) of each compiled module, by cache key (read from its `kapsule.frame` section). */
  private readonly frames = new Map<string, number>();
  /** The pooled memory of the run in progress, to give back if a deadline interrupts it (deadline.ts). */
  private inFlight: { memory: WebAssembly.Memory; initial: number; maximum: number } | null = null;
  /** Export names of the mutable globals per compiled module (by cache key); null when it cannot be reset. */
  private readonly resetNames = new Map<string, readonly string[] | null>();
  /** Kept instances by Loaded.instanceKey, least recently used first (a Map keeps insertion order). */
  private readonly kept = new Map<string, KeptInstance>();
  /** The fresh-instance image of every module with a kept instance (dropped with it). */
  private readonly images = new Map<string, FreshImage>();
  private readonly reuse: boolean;
  /** One transcript, cleared at the start of each run (runs are not re-entrant). */
  private readonly transcript: Transcript;
  private readonly keepMax: number;
  /**
   * Called after every run, normal or not, with the instance's post-run state (tests: a reset instance must end every
   * run exactly as a fresh one does). Slow: copies the memory. Null by default.
   */
  onRunEnd: ((s: RunEndState) => void) | null = null;
  readonly stats: SandboxStats = { instrumented: 0, compiled: 0, cacheHits: 0, runs: 0, instancesCreated: 0, instancesReused: 0 };

  constructor(opts: SandboxOptions, private readonly instrumenter: Instrumenter | null) {
    if (typeof opts?.sha256 !== 'function') throw new TypeError('Sandbox needs opts.sha256');
    if (opts.sha256Stream !== undefined && typeof opts.sha256Stream !== 'function') throw new TypeError('opts.sha256Stream must be a function returning an incremental hash');
    this.sha256 = opts.sha256;
    this.sha256Stream = opts.sha256Stream ?? nobleSha256Stream;
    this.policy = opts.policy ?? {};
    this.cache = opts.cache ?? new MemoryCompiledCache();
    this.transcript = new Transcript(this.sha256, this.sha256Stream);
    this.reuse = opts.reuseInstances ?? true;
    const k = opts.keptInstances ?? 16;
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`opts.keptInstances must be a non-negative integer, got ${k}`);
    this.keepMax = k;
  }

  /**
   * Effective limits: the manifest narrowed by the host policy. Fuel and memory pages are capped by
   * DEFAULT_FUEL_CEILING and DEFAULT_MEMORY_PAGES_CEILING when the policy sets no maxFuel / maxMemoryPages.
   * (Depth is narrowed further at load, by the module's largest frame.)
   */
  effectiveLimits(limits: ModuleManifestLimits): ModuleManifestLimits {
    checkLimits(limits);
    const p = this.policy;
    const hostcalls = [...new Set(limits.hostcalls)].filter((h) => !p.allowedHostcalls || p.allowedHostcalls.has(h)).sort();
    const ceiling = p.maxFuel ?? DEFAULT_FUEL_CEILING;
    const fuel = ceiling < limits.fuel ? ceiling : limits.fuel;
    const memoryPages = Math.min(limits.memoryPages, p.maxMemoryPages ?? DEFAULT_MEMORY_PAGES_CEILING);
    const maxDepth = Math.min(limits.maxDepth, p.maxDepth ?? limits.maxDepth, MAX_DEPTH_CEILING);
    return { hostcalls, fuel, memoryPages, maxDepth };
  }

  /** Validate + instrument + compile (cached). Throws MODULE_INVALID naming the offending import or feature. */
  load(wasm: Uint8Array, limits: ModuleManifestLimits): LoadedModule {
    const { id, eff, info, key } = this.prepare(wasm, limits);
    let module = this.modules.get(key);
    if (module) this.stats.cacheHits++;
    else {
      const cached = this.cache.get(key);
      if (cached instanceof WebAssembly.Module) { module = cached; this.stats.cacheHits++; }
      else {
        let bytes: Uint8Array;
        if (cached) { bytes = cached; this.stats.cacheHits++; }
        else {
          bytes = this.instrument(wasm, info);
          this.stats.instrumented++;
          this.cache.set(key, bytes);
        }
        module = compile(bytes);
        this.stats.compiled++;
      }
      this.modules.set(key, module);
    }
    return this.finish(id, eff, key, module, info);
  }

  /** Like load, but compiles asynchronously (browsers' main thread; large modules). */
  async loadAsync(wasm: Uint8Array, limits: ModuleManifestLimits): Promise<LoadedModule> {
    const { id, eff, info, key } = this.prepare(wasm, limits);
    let module = this.modules.get(key);
    if (module) this.stats.cacheHits++;
    else {
      const cached = this.cache.get(key);
      if (cached instanceof WebAssembly.Module) { module = cached; this.stats.cacheHits++; }
      else {
        let bytes: Uint8Array;
        if (cached) { bytes = cached; this.stats.cacheHits++; }
        else { bytes = this.instrument(wasm, info); this.stats.instrumented++; this.cache.set(key, bytes); }
        try { module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>); } catch (e) { throw compileError(e); }
        this.stats.compiled++;
      }
      this.modules.set(key, module);
    }
    return this.finish(id, eff, key, module, info);
  }

  private instrument(wasm: Uint8Array, info: ValidatedModule): Uint8Array {
    if (!this.instrumenter) throw new KapsuleError('USAGE', 'execute', 'this sandbox has no instrumenter and the module is not in its cache');
    return this.instrumenter(wasm, info);
  }

  /** The compiled module behind a LoadedModule (to hand to a worker: WebAssembly.Module is cloneable). */
  compiledModule(mod: LoadedModule): WebAssembly.Module {
    return asLoaded(mod).module;
  }

  /**
   * Hash + validation, memoised per bytes OBJECT and effective limits (the caller must not mutate bytes it has
   * loaded). A different array with the same bytes is hashed and validated again.
   */
  private readonly prepared = new WeakMap<Uint8Array, Map<string, { id: string; info: ValidatedModule }>>();

  private prepare(wasm: Uint8Array, limits: ModuleManifestLimits) {
    if (!(wasm instanceof Uint8Array)) throw new TypeError('Sandbox.load expects the module bytes as a Uint8Array');
    const eff = this.effectiveLimits(limits);
    const lk = `${eff.hostcalls.join(',')}/${eff.memoryPages}`;
    let perBytes = this.prepared.get(wasm);
    let hit = perBytes?.get(lk);
    if (!hit) {
      const info = validateModule(wasm, { allowed: new Set(eff.hostcalls), memoryPages: eff.memoryPages });
      hit = { id: toHex(this.sha256(wasm)), info };
      if (!perBytes) this.prepared.set(wasm, (perBytes = new Map()));
      perBytes.set(lk, hit);
    }
    return { id: hit.id, eff, info: hit.info, key: compiledCacheKey(hit.id) };
  }

  private finish(id: string, eff: ModuleManifestLimits, key: string, module: WebAssembly.Module, info: ValidatedModule): LoadedModule {
    let slots = this.frames.get(key);
    if (slots === undefined) {
      const s = frameSlotsOf(module);
      if (s === null) throw new KapsuleError('MODULE_INVALID', 'execute', `compiled module ${key} has no ${FRAME_SECTION} section (instrumented by another version?)`, { internal: true });
      this.frames.set(key, (slots = s));
    }
    const stackDepth = depthForFrame(slots);
    if (stackDepth < 1) {
      throw new KapsuleError('MODULE_INVALID', 'execute', `a function needs an estimated ${frameBytes(slots)}-byte stack frame, more than the ${STACK_BUDGET_BYTES}-byte stack budget`, { frameSlots: slots, feature: 'stack-frame' });
    }
    if (stackDepth < eff.maxDepth) eff = { ...eff, maxDepth: stackDepth };
    const memory = info.importedMemory
      ? { initial: info.importedMemory.initial, maximum: Math.min(info.importedMemory.maximum ?? eff.memoryPages, eff.memoryPages) }
      : null;
    let names = this.resetNames.get(key);
    if (names === undefined) {
      const count = resetGlobalCountOf(module);
      const found = WebAssembly.Module.exports(module).filter((e) => e.kind === 'global' && e.name.startsWith(EXPORT_GLOBAL_PREFIX) && /^\d+$/.test(e.name.slice(EXPORT_GLOBAL_PREFIX.length)))
        .map((e) => e.name).sort((a, b) => Number(a.slice(EXPORT_GLOBAL_PREFIX.length)) - Number(b.slice(EXPORT_GLOBAL_PREFIX.length)));
      names = count !== null && found.length === count ? found : null;
      this.resetNames.set(key, names);
    }
    const pages = memory?.initial ?? info.ownMemory?.initial ?? 0;
    const resettable = names !== null && !info.passiveData && pages <= POOL_MAX_PAGES;
    return new Loaded(id, eff, key, module, info, memory, names, resettable);
  }

  /**
   * Runs `run()` (or `query()`) from a fresh instance's state: a kept instance reset, or a new one. Throws
   * OUT_OF_FUEL / STACK_LIMIT / MEMORY_LIMIT / TRAP / HOSTCALL_FAULT.
   */
  run(mod: LoadedModule, input: ExecInput): ExecOutcome {
    return this.exec(asLoaded(mod), input, this.reuse);
  }

  /** Like run, in a new instance whatever the options say: the reference a reset instance is tested against. */
  runFresh(mod: LoadedModule, input: ExecInput): ExecOutcome {
    return this.exec(asLoaded(mod), input, false);
  }

  private exec(m: Loaded, input: ExecInput, reuseInstances: boolean): ExecOutcome {
    checkInput(input);
    if (this.env.current) throw new KapsuleError('USAGE', 'execute', 'Sandbox.run is not re-entrant');
    this.stats.runs++;
    const budget = m.limits.fuel;
    // The run's fixed cost and its initial memory (costs.ts runStartCharge), before anything is allocated.
    const initialPages = m.memory?.initial ?? m.info.ownMemory?.initial ?? 0;
    const initialCharge = runStartCharge(m.memory ? { initial: m.memory.initial, imported: true } : m.info.ownMemory ? { initial: m.info.ownMemory.initial, imported: false } : null);
    if (initialCharge > budget) {
      throw new KapsuleError('OUT_OF_FUEL', 'execute', `out of fuel: starting a run (instance and ${initialPages} pages of initial memory) costs ${initialCharge} (budget ${budget})`, {
        fuelUsed: budget, fuelCounter: budget - initialCharge, initialPages,
      });
    }
    const rs: RunState = {
      input, moduleId: input.kvNamespace ?? m.id, memory: null, charge: null,
      writes: { trust: new Map(), balances: new Map(), kv: new Map() },
      output: new Uint8Array(0), logs: [], logTruncated: false,
      transcript: this.transcript.reset(), metaBytes: null, contextBytes: null,
    };
    const reuse = reuseInstances && m.resettable && this.keepMax > 0;
    let kept = reuse ? this.take(m.instanceKey) : null;
    const reused = kept !== null;
    let pooled: WebAssembly.Memory | null = null;
    let exports: WebAssembly.Exports | null = null;
    this.env.current = rs;
    const untrack = trackInterruptible(this);
    try {
      let instance: WebAssembly.Instance;
      if (kept) {
        this.reset(kept, this.images.get(m.instanceKey)!);
        instance = kept.instance;
        pooled = kept.pooled ? kept.memory : null;
        this.stats.instancesReused++;
      } else {
        pooled = m.memory ? this.pool.acquire(m.memory.initial, m.memory.maximum) : null;
        try {
          instance = new WebAssembly.Instance(m.module, this.env.importObject(pooled));
        } catch (e) {
          if (e instanceof WebAssembly.LinkError) throw new KapsuleError('MODULE_INVALID', 'execute', `module does not link: ${e.message}`);
          throw e;
        }
        this.stats.instancesCreated++;
        if (reuse) {
          const memory = pooled ?? ((instance.exports[EXPORT_MEMORY] as WebAssembly.Memory | undefined) ?? null);
          kept = { instance, memory, pooled: pooled ? m.memory : null, globals: m.globalNames!.map((n) => instance.exports[n] as WebAssembly.Global) };
          if (!this.images.has(m.instanceKey)) this.images.set(m.instanceKey, freshImage(kept));
        }
      }
      if (pooled) this.inFlight = { memory: pooled, initial: m.memory!.initial, maximum: m.memory!.maximum };
      exports = instance.exports;
      const fuel = exports[EXPORT_FUEL] as WebAssembly.Global;
      rs.charge = exports[EXPORT_CHARGE] as (amount: number) => number;
      fuel.value = budget - initialCharge;
      (exports[EXPORT_DEPTH] as WebAssembly.Global).value = m.limits.maxDepth;
      rs.memory = pooled ?? ((exports[EXPORT_MEMORY] as WebAssembly.Memory | undefined) ?? null);
      const start = exports[EXPORT_START] as (() => void) | undefined;
      if (start) start();
      const entry = input.entry ?? 'run';
      const main = exports[entry] as (() => number) | undefined;
      if (typeof main !== 'function') throw new KapsuleError('USAGE', 'execute', `module ${m.id} has no "${entry}" entry point`);
      const status = main();
      // Unchecked charges (instrument.ts) may leave the counter below zero without a trap: same verdict.
      if ((fuel.value as bigint) < 0n) throw new KapsuleError('OUT_OF_FUEL', 'execute', `out of fuel (budget ${budget})`);
      if (status !== 0) {
        throw new KapsuleError('TRAP', 'execute', `${entry}() returned status ${status}`, { status });
      }
      const fuelUsed = budget - (fuel.value as bigint);
      const memoryPages = rs.memory ? rs.memory.buffer.byteLength / 65536 : 0;
      return {
        ok: true, output: rs.output, fuelUsed, memoryPages, logs: rs.logs, writes: rs.writes, transcriptHash: rs.transcript.hash(),
      };
    } catch (e) {
      throw classify(e, exports, budget, m.limits);
    } finally {
      untrack();
      this.env.current = null;
      this.inFlight = null;
      if (this.onRunEnd) this.onRunEnd(runEndState(exports, rs.memory, m.globalNames, reused));
      const initialBytes = (m.memory?.initial ?? m.info.ownMemory?.initial ?? 0) * 65536;
      if (kept && (kept.memory === null || kept.memory.buffer.byteLength === initialBytes)) this.keep(m.instanceKey, kept);
      else if (pooled && m.memory) this.pool.release(pooled, m.memory.initial, m.memory.maximum);
    }
  }

  /** The kept instance for `key`, taken out of the map while it runs (a run that never returns drops it). */
  private take(key: string): KeptInstance | null {
    const k = this.kept.get(key);
    if (!k) return null;
    this.kept.delete(key);
    return k;
  }

  /** Puts an instance back as the most recently used; drops the least recently used one beyond keptInstances. */
  private keep(key: string, k: KeptInstance): void {
    this.kept.set(key, k);
    while (this.kept.size > this.keepMax) {
      const [oldKey, old] = this.kept.entries().next().value!;
      this.kept.delete(oldKey);
      this.images.delete(oldKey);
      if (old.pooled && old.memory) this.pool.release(old.memory, old.pooled.initial, old.pooled.maximum);
    }
  }

  /** Puts a kept instance into the state `image` says a fresh one starts in (memory bytes and every mutable global). */
  private reset(k: KeptInstance, image: FreshImage): void {
    if (k.memory) {
      const u8 = new Uint8Array(k.memory.buffer);
      if (u8.length !== image.byteLength) throw new Error('internal: a kept instance\'s memory changed size');
      u8.fill(0, image.bytes.length);
      u8.set(image.bytes);
    }
    for (let i = 0; i < k.globals.length; i++) k.globals[i].value = image.globals[i];
  }

  /** Drops every kept instance (their pooled memories go back to the pool). */
  dropInstances(): void {
    for (const k of this.kept.values()) if (k.pooled && k.memory) this.pool.release(k.memory, k.pooled.initial, k.pooled.maximum);
    this.kept.clear();
    this.images.clear();
  }

  /**
   * Called by runWithDeadline (deadline.ts) when it interrupted a run of this sandbox: an interrupted run unwinds
   * without running `finally` blocks, so the run state is cleared and the pooled memory returned here. The
   * memory is wiped before its next use like any other.
   */
  interrupted(): void {
    this.env.current = null;
    const f = this.inFlight;
    this.inFlight = null;
    if (f) this.pool.release(f.memory, f.initial, f.maximum);
  }

  /** Pool counters (memories created vs reused). */
  poolStats(): { created: number; reused: number } {
    return { created: this.pool.created, reused: this.pool.reused };
  }
}

/** The state of a just-created instance: its memory (trimmed after the last non-zero byte) and its mutable globals. */
function freshImage(k: KeptInstance): FreshImage {
  let bytes = new Uint8Array(0);
  let byteLength = 0;
  if (k.memory) {
    const u8 = new Uint8Array(k.memory.buffer);
    byteLength = u8.length;
    let end = u8.length;
    while (end > 0 && u8[end - 1] === 0) end--;
    bytes = u8.slice(0, end);
  }
  return { bytes, byteLength, globals: k.globals.map((g) => g.value as number | bigint) };
}

function runEndState(exports: WebAssembly.Exports | null, memory: WebAssembly.Memory | null, names: readonly string[] | null, reused: boolean): RunEndState {
  return {
    memory: memory ? new Uint8Array(memory.buffer).slice() : null,
    globals: exports && names ? names.map((n) => (exports[n] as WebAssembly.Global).value as number | bigint) : null,
    reused,
  };
}

function asLoaded(mod: LoadedModule): Loaded {
  if (!(mod instanceof Loaded)) throw new TypeError('not a LoadedModule from Sandbox.load');
  return mod;
}

function compile(bytes: Uint8Array): WebAssembly.Module {
  try { return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>); } catch (e) { throw compileError(e); }
}

function compileError(e: unknown): KapsuleError {
  return new KapsuleError('MODULE_INVALID', 'execute', `instrumented module does not compile: ${(e as Error).message}`, { internal: true });
}

function checkLimits(l: ModuleManifestLimits): void {
  if (!l || !Array.isArray(l.hostcalls)) throw new TypeError('limits.hostcalls must be an array of names');
  if (typeof l.fuel !== 'bigint' || l.fuel < 1n || l.fuel > (1n << 62n)) throw new RangeError(`limits.fuel must be a bigint in [1, 2^62], got ${String(l.fuel)}`);
  if (!Number.isInteger(l.memoryPages) || l.memoryPages < 0 || l.memoryPages > 65536) throw new RangeError(`limits.memoryPages must be an integer in [0, 65536], got ${l.memoryPages}`);
  if (!Number.isInteger(l.maxDepth) || l.maxDepth < 1) throw new RangeError(`limits.maxDepth must be a positive integer, got ${l.maxDepth}`);
}

function checkInput(i: ExecInput): void {
  if (!i || i.capsule === undefined || !i.context || !i.state || !Array.isArray(i.parents)) throw new TypeError('ExecInput needs capsule, payload, parents, context and state');
  if (i.entry !== undefined && i.entry !== 'run' && i.entry !== 'query') throw new TypeError(`ExecInput.entry must be "run" or "query", got ${String(i.entry)}`);
  if (i.capsule === null && i.entry !== 'query') throw new TypeError('ExecInput.capsule may be null only for a query');
  if (i.payload !== null && !(i.payload instanceof Uint8Array)) throw new TypeError('ExecInput.payload must be a Uint8Array or null');
}

function readGlobal(exports: WebAssembly.Exports | null, name: string): bigint | number | null {
  const g = exports?.[name] as WebAssembly.Global | undefined;
  return g ? (g.value as bigint | number) : null;
}

/** Turns whatever a run threw into the typed error, reading the instrumentation's counters. */
function classify(e: unknown, exports: WebAssembly.Exports | null, budget: bigint, limits: ModuleManifestLimits): unknown {
  const counter = readGlobal(exports, EXPORT_FUEL) as bigint | null;
  const used = counter === null ? 0n : budget - counter;
  const fuelUsed = used > budget ? budget : used;
  if (e instanceof KapsuleError) {
    if (e.code === 'USAGE' || e.code === 'MODULE_INVALID') return e;
    const details = { ...(e.details ?? {}), fuelUsed };
    if (e.code === 'OUT_OF_FUEL') Object.assign(details, { fuelCounter: counter });
    return new KapsuleError(e.code, e.stage, e.message, details);
  }
  if (e instanceof WebAssembly.RuntimeError) {
    if (counter !== null && counter < 0n) {
      return new KapsuleError('OUT_OF_FUEL', 'execute', `out of fuel (budget ${budget})`, { fuelUsed, fuelCounter: counter });
    }
    const depth = readGlobal(exports, EXPORT_DEPTH) as number | null;
    if (depth !== null && depth < 0) {
      return new KapsuleError('STACK_LIMIT', 'execute', `call depth exceeded ${limits.maxDepth}`, { fuelUsed, maxDepth: limits.maxDepth });
    }
    if (readGlobal(exports, EXPORT_GROW_FAILED) === 1) {
      return new KapsuleError('MEMORY_LIMIT', 'execute', `memory.grow failed (cap ${limits.memoryPages} pages) and the module then trapped: ${e.message}`, { fuelUsed, memoryPages: limits.memoryPages });
    }
    return new KapsuleError('TRAP', 'execute', `guest trapped: ${e.message}`, { fuelUsed, trap: e.message });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    // The engine's own stack ran out before the counted limit (only with very large frames): not a property
    // of the module alone, reported as STACK_LIMIT with native: true.
    return new KapsuleError('STACK_LIMIT', 'execute', `engine stack exhausted before depth ${limits.maxDepth}`, { fuelUsed, native: true });
  }
  return e;
}
