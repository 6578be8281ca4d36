/**
 * The embeddable runtime (portable core): one object that owns the store, the module registry, the sandbox and
 * the audit log, accepts capsules (pipeline.ts) and executes them in canonical order (order/scheduler.ts). Node users
 * call `openRuntime` from `host/src/node.ts`, which opens a SQLite file; other platforms pass any `Store`.
 *
 * State is a function of the capsule set, the module set and the device owner (docs/CONVERGENCE.md): every call
 * that adds capsules or modules first accepts them all (rolling back, at most once, the runs they precede), then
 * drains the pending runs in order, so results do not depend on arrival order, batching or restarts.
 */
import { fromHex, toHex } from './bytes.ts';
import { KapsuleError } from './errors.ts';
import type { CryptoBackend } from './crypto/types.ts';
import type { SecretIdentity } from './keys.ts';
// The binaryen-free sandbox core: this file is part of the portable (browser) graph. Node wires binaryen in.
import { SandboxCore, type Instrumenter, type SandboxOptions } from './execute/sandbox.ts';
import type { CompiledCache } from './execute/types.ts';
import type { CapsuleQuery, CapsuleRecord, KvEntry, ResultRecord, Store } from './store/types.ts';
import { AuditLog } from './audit/log.ts';
import { ModuleRegistry, type RuntimePolicy } from './modules.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, Pipeline, type IngestResult, type Precheck } from './pipeline.ts';
import { Scheduler, type DrainReport } from './order/scheduler.ts';
import { parseCapsule } from './parse/capsule.ts';
import { StoreAdmittedKeys } from './verify/admitted.ts';

export interface RuntimeOptions {
  store: Store;
  backend: CryptoBackend;
  /** The device identity: decrypts capsules addressed to it, is the `owner` of runs, signs audit checkpoints. */
  identity: SecretIdentity | null;
  /**
   * The device owner's signing key when no identity is given (a replay or a relay acting for a device): runs see it
   * as `owner`. Default: the identity's key, else the owner recorded in the store, else 32 zero bytes.
   */
  owner?: Uint8Array;
  policy?: RuntimePolicy;
  /** Checkpoint origin line (C2SP tlog-checkpoint). */
  origin?: string;
  /**
   * Instruments a module that is not in the store's compiled cache (key: module hash, INSTRUMENTER_VERSION,
   * COST_TABLE_HASH). Node passes binaryen's (`openRuntime` does); the default, null, loads only modules whose
   * instrumented bytes are already in the cache (`store.putCompiled`) and keeps binaryen out of the bundle.
   */
  instrumenter?: Instrumenter | null;
  /** The device clock, ms since the epoch (default `Date.now()`): capsules dated beyond it + the skew are held. */
  clock?: () => bigint;
  /** How far ahead of the device clock a capsule may be dated and still be accepted (default 10 minutes). */
  maxClockSkewMs?: number;
  /**
   * The wall-clock backstop for executing runs (Node; docs/ABI.md §Bounds): a chunk of runs, and then any single run,
   * that takes longer than this ends TIMEOUT — not stored, retried at the next drain (default 120 s; null: none).
   * Fuel decides every outcome; this only keeps a host bug or an engine pathology from holding the thread.
   */
  runDeadlineMs?: number | null;
  /** Incremental SHA-256 for long hostcall transcripts (Node: node:crypto's); same hash as the default. */
  sha256Stream?: SandboxOptions['sha256Stream'];
}

/**
 * Computes the stateless stages (verify, decrypt) of a batch elsewhere — e.g. `PrecheckPool.check` on worker
 * threads. Element i answers items[i]; null means "not prechecked" (the pipeline does the work itself).
 */
export type Prechecker = (items: Uint8Array[]) => Promise<(Precheck | null)[]> | {
  result: Promise<(Precheck | null)[]>;
  /** Takes the batch back if it has not started (result → nulls); ingestMany then does it itself rather than wait. */
  withdraw(): boolean;
};

export interface IngestManyOptions {
  /** Where verification and decryption run ahead of the pipeline; without one, this is `ingestBatch`. */
  precheck?: Prechecker;
  /**
   * Capsules per store transaction (default 64: the main thread yields to hand workers new batches between
   * chunks, so a long synchronous chunk would leave them idle).
   */
  chunk?: number;
  /** Capsules per precheck call (default 16): small enough to spread over workers, large enough to amortise messages. */
  batch?: number;
  /** Chunks prechecked ahead of the one being stored (default 3). */
  ahead?: number;
  /** Device clock for this call (default the runtime's clock). */
  now?: bigint;
  /** Called after each chunk is accepted into the store, with how many capsules have been accepted so far. */
  onAccepted?: (accepted: number) => void;
  /** Each capsule's final result, once the batch is drained (in input order). */
  onEach?: (r: IngestResult, i: number) => void;
}

/**
 * Runs per store transaction while draining: at most DRAIN_CHUNK, and a transaction ends once DRAIN_CHUNK_MS have
 * passed. 1,024 instead of 256 made re-execution ~15% cheaper per run (bench/convergence.ts: fewer commits and
 * pending-run queries); the time bound keeps each commit's work — and what a crash loses — small with slow modules.
 */
const DRAIN_CHUNK = 1024;
const DRAIN_CHUNK_MS = 250;
/** The default wall-clock backstop per chunk of runs (and per run when a chunk overruns). */
export const DEFAULT_RUN_DEADLINE_MS = 120_000;

export class Runtime {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly modules: ModuleRegistry;
  readonly sandbox: SandboxCore;
  /** What the last call that added capsules or modules rolled back and (re-)executed. */
  lastDrain: DrainReport | null = null;
  private readonly pipeline: Pipeline;
  private readonly scheduler: Scheduler;
  private readonly owner: Uint8Array;
  private readonly clock: () => bigint;
  private closed = false;

  constructor(readonly opts: RuntimeOptions) {
    const { store, identity } = opts;
    // Keys this device admitted are remembered in its store: a key is admitted once per device (verify/admitted.ts).
    const backend = opts.backend.withAdmittedKeys(new StoreAdmittedKeys(store));
    this.store = store;
    const cache: CompiledCache = {
      get: (k) => store.getCompiled(k),
      set: (k, v) => store.putCompiled(k, v),
    };
    const { maxFuel, maxMemoryPages, maxDepth } = opts.policy ?? {};
    this.sandbox = new SandboxCore({
      sha256: (x) => backend.sha256(x), sha256Stream: opts.sha256Stream, cache, policy: { maxFuel, maxMemoryPages, maxDepth },
    }, opts.instrumenter ?? null);
    this.audit = new AuditLog(backend, store, identity, opts.origin ?? 'kapsule-rt/audit');
    this.modules = new ModuleRegistry(backend, store, this.sandbox, this.audit, opts.policy ?? {});
    const recorded = store.getMeta('device_owner');
    this.owner = opts.owner ?? identity?.sigPublic ?? (recorded ? fromHex(recorded) : new Uint8Array(32));
    this.clock = opts.clock ?? (() => BigInt(Date.now()));
    this.scheduler = new Scheduler(backend, store, this.modules, this.audit, this.owner);
    this.pipeline = new Pipeline(backend, store, this.audit, {
      owner: this.owner,
      enc: identity ? { encSecret: identity.encSecret, encPublic: identity.encPublic } : null,
    }, this.scheduler, opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
  }

  private open(): void {
    if (this.closed) throw new KapsuleError('USAGE', 'store', 'runtime is closed');
  }

  /**
   * Carry one capsule through the pipeline, then execute what became runnable in canonical order. Never throws for
   * a bad capsule: see `result.status`/`result.error`. `now` is the device clock for this call (held capsules).
   */
  ingest(bytes: Uint8Array, opts: { now?: bigint } = {}): IngestResult {
    this.open();
    const clock = opts.now ?? this.clock();
    const r = this.store.batch(() => {
      this.pipeline.releaseDue(clock);
      return this.pipeline.accept(bytes, { clock });
    });
    this.settle();
    return this.final(r);
  }

  /**
   * Ingest many: every capsule is accepted first (`chunk` per store transaction), then the pending runs are drained
   * once, so a burst of late capsules costs one rollback. Then one signed checkpoint for the batch. `onEach` sees
   * each capsule's final result.
   */
  ingestBatch(
    items: Iterable<Uint8Array>, onEach?: (r: IngestResult, i: number) => void,
    opts: { chunk?: number; now?: bigint; precheck?: (bytes: Uint8Array, i: number) => Precheck | null } = {},
  ): IngestResult[] {
    this.open();
    const clock = opts.now ?? this.clock();
    const chunk = opts.chunk ?? 256;
    const accepted: IngestResult[] = [];
    let pending: Uint8Array[] = [];
    this.store.batch(() => this.pipeline.releaseDue(clock));
    // A crash loses at most the open chunk, which a rerun ingests again (idempotent); accepted capsules that have not
    // run yet are pending in the store and run at the next drain (openRuntime drains on open).
    const flush = () => {
      const at = accepted.length;
      accepted.push(...this.store.batch(() => pending.map((bytes, j) => this.pipeline.accept(bytes, { clock, precheck: opts.precheck?.(bytes, at + j) }))));
      pending = [];
    };
    for (const bytes of items) {
      pending.push(bytes);
      if (pending.length >= chunk) flush();
    }
    if (pending.length) flush();
    return this.finishBatch(accepted, onEach);
  }

  /**
   * `ingestBatch` with the stateless stages pipelined ahead: while chunk k is accepted (synchronously, in order),
   * chunks k+1… are being verified and decrypted by `opts.precheck`. Same results, same store as `ingestBatch` on
   * the same items; prechecks only skip work that already succeeded. Accepts async iterables.
   */
  async ingestMany(items: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, opts: IngestManyOptions = {}): Promise<IngestResult[]> {
    this.open();
    const clock = opts.now ?? this.clock();
    const chunk = opts.chunk ?? 64;
    const batch = Math.max(1, Math.min(opts.batch ?? 16, chunk));
    const ahead = Math.max(0, opts.ahead ?? 3);
    const precheck = opts.precheck;
    const accepted: IngestResult[] = [];
    type Part = { result: Promise<(Precheck | null)[]>; withdraw(): boolean };
    const window: { items: Uint8Array[]; parts: Part[] }[] = [];
    const submit = (c: Uint8Array[]) => {
      const parts: Part[] = [];
      if (precheck) {
        for (let i = 0; i < c.length; i += batch) {
          const p = precheck(c.slice(i, i + batch));
          parts.push('withdraw' in p && typeof p.withdraw === 'function' ? p : { result: Promise.resolve(p as Promise<(Precheck | null)[]>), withdraw: () => false });
        }
      }
      window.push({ items: c, parts });
    };
    const store = async () => {
      const { items: c, parts } = window.shift()!;
      // batches no worker has started are taken back and verified here: waiting would leave this core idle
      for (const p of parts) p.withdraw();
      const checks = parts.length ? (await Promise.all(parts.map((p) => p.result))).flat() : c.map(() => null);
      this.open();
      accepted.push(...this.store.batch(() => c.map((bytes, j) => this.pipeline.accept(bytes, { clock, precheck: checks[j] }))));
      opts.onAccepted?.(accepted.length);
    };
    this.store.batch(() => this.pipeline.releaseDue(clock));
    let pending: Uint8Array[] = [];
    for await (const bytes of items) {
      pending.push(bytes);
      if (pending.length >= chunk) {
        submit(pending);
        pending = [];
        if (window.length > ahead) await store();
      }
    }
    if (pending.length) submit(pending);
    while (window.length) await store();
    return this.finishBatch(accepted, opts.onEach);
  }

  private finishBatch(accepted: IngestResult[], onEach?: (r: IngestResult, i: number) => void): IngestResult[] {
    this.settle();
    const out = accepted.map((r) => this.final(r));
    out.forEach((r, i) => onEach?.(r, i));
    this.checkpoint();
    return out;
  }

  /** Drains every pending run; records what it cost in `lastDrain`. */
  private settle(): void {
    this.scheduler.drain(DRAIN_CHUNK, this.opts.runDeadlineMs === undefined ? DEFAULT_RUN_DEADLINE_MS : this.opts.runDeadlineMs, DRAIN_CHUNK_MS);
    this.lastDrain = this.scheduler.takeReport();
  }

  /** An accepted capsule's result as the store holds it now (its run, if any, has been drained). */
  private final(r: IngestResult): IngestResult {
    const resolved = r.resolved?.map((x) => this.final(x));
    const withResolved = resolved ? { ...r, resolved } : r;
    if (r.id === null || r.status === 'rejected' || r.status === 'duplicate' || r.status === 'orphan' || r.status === 'held') return withResolved;
    // Statuses no run can change (no logic to run, or nothing to run it on): the acceptance result is final. Reading
    // the row back cost ~26 µs a capsule (bench/ingest.ts, prechecked public posts).
    if (r.status === 'stored' || r.status === 'not-recipient' || r.status === 'undecryptable') return withResolved;
    const id = fromHex(r.id);
    const rec = this.store.getCapsule(id);
    if (!rec) return withResolved;
    const out: IngestResult = { ...withResolved, status: rec.status };
    const res = rec.status === 'executed' || rec.status === 'failed' ? this.store.getResult(id) : null;
    if (res) {
      out.fuel = res.fuel;
      out.logs = res.logs;
      out.changes = res.changes;
      if (res.output) out.output = res.output;
      // the run's own error when it failed in this call (with its details); else rebuilt from the stored result
      if (rec.status === 'failed') out.error = this.lastDrain?.failures.get(r.id) ?? new KapsuleError(res.outcome as KapsuleError['code'], 'execute', res.message ?? res.outcome);
    } else if (rec.status === 'pending' && this.lastDrain?.stopped) out.error = this.lastDrain.stopped;
    return out;
  }

  /**
   * Verify, validate and store a module package; capsules that were waiting for it run in their canonical place
   * (the runs after the first of them are rolled back and re-executed).
   */
  addModule(kmod: Uint8Array): { id: string; name: string; version: string; added: boolean; runnable: number } {
    this.open();
    const m = this.modules.add(kmod);
    const runnable = this.store.batch(() => this.scheduler.moduleArrived(fromHex(m.id)));
    this.settle();
    return { ...m, runnable };
  }

  /**
   * Finishes what an interrupted process left (runs still pending, capsules waiting for a module that is now held,
   * orphans whose parents are present) and releases held capsules the clock has reached. `openRuntime` calls it.
   */
  resume(opts: { now?: bigint } = {}): IngestResult[] {
    this.open();
    const clock = opts.now ?? this.clock();
    const released = this.store.batch(() => {
      // the owner every run here saw: replay without the key needs it (`kapsule audit replay`)
      if (this.opts.identity && this.store.getMeta('device_owner') === null) this.store.setMeta('device_owner', toHex(this.owner));
      for (const m of this.store.listModules()) this.scheduler.moduleArrived(m.id);
      return [...this.pipeline.releaseDue(clock), ...this.pipeline.resolveReadyOrphans()];
    });
    this.settle();
    return released.map((r) => this.final(r));
  }

  /**
   * Runs a module's read-only `query` entry point (docs/ABI.md §Queries) over the current state, with `input` as its
   * payload and an explicit `now`: answers that depend on time ("trending now") are views, never stored results.
   */
  queryModule(moduleId: string, input: Uint8Array, opts: { now?: bigint } = {}): { output: Uint8Array; fuel: bigint; logs: string[] } {
    this.open();
    if (!/^[0-9a-f]{64}$/.test(moduleId)) throw new KapsuleError('USAGE', 'execute', `module id must be 64 hex characters, got "${moduleId.slice(0, 80)}"`);
    const loaded = this.modules.load(fromHex(moduleId), null);
    if (!loaded.hasQuery) throw new KapsuleError('USAGE', 'execute', `module ${moduleId} has no "query" entry point`);
    const out = this.sandbox.run(loaded, {
      entry: 'query', capsule: null, payload: input, parents: [],
      context: { now: opts.now ?? this.clock(), owner: this.owner }, state: this.scheduler.stateAt(null), kvNamespace: moduleId,
    });
    return { output: out.output, fuel: out.fuelUsed, logs: out.logs };
  }

  get(id: string | Uint8Array): (CapsuleRecord & { result: ResultRecord | null }) | null {
    const raw = typeof id === 'string' ? fromHex(id) : id;
    const c = this.store.getCapsule(raw);
    return c ? { ...c, result: this.store.getResult(raw) } : null;
  }

  query(q: CapsuleQuery = {}): (CapsuleRecord & { result: ResultRecord | null })[] {
    return this.store.findCapsules(q).map((c) => ({ ...c, result: this.store.getResult(c.id) }));
  }
  children(id: string): CapsuleRecord[] { return this.store.children(fromHex(id)); }
  heads(channel?: string): { channel: string; id: string }[] {
    return this.store.heads(channel).map((h) => ({ channel: h.channel, id: toHex(h.id) }));
  }
  /** Capsules waiting outside the DAG: for parents (`missing`), or for the device clock (`holdUntil`). */
  orphans(): { id: string; missing: string[]; kind: string; holdUntil: number | null }[] {
    return this.store.listOrphans().map((o) => ({
      id: toHex(o.id), missing: o.missing.map(toHex), kind: parseCapsule(o.bytes).core.kind, holdUntil: o.holdUntil,
    }));
  }
  trustScores(): { subject: string; score: bigint }[] {
    return this.store.allTrust().map((t) => ({ subject: toHex(t.subject), score: t.score }));
  }
  balances(): { account: string; amount: bigint }[] {
    return this.store.allBalances().map((t) => ({ account: toHex(t.account), amount: t.amount }));
  }
  /** Module key-value state, ordered by (module, key). */
  kv(moduleId?: string): KvEntry[] {
    const all = this.store.allKv();
    return moduleId === undefined ? all : all.filter((e) => e.moduleId === moduleId);
  }

  /** Sign a checkpoint of the audit log if it grew (needs a device identity). */
  checkpoint(): string | null {
    this.open();
    return this.audit.checkpoint();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.close();
  }
}
