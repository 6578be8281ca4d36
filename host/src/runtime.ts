/**
 * The embeddable runtime (portable core): one object that owns the store, the module registry, the sandbox and
 * the audit log, and carries capsules through the pipeline. Node users call `openRuntime` from
 * `host/src/node.ts`, which opens a SQLite file; other platforms pass any `Store`.
 */
import { fromHex, toHex } from './bytes.ts';
import { KapsuleError } from './errors.ts';
import type { CryptoBackend } from './crypto/types.ts';
import type { SecretIdentity } from './keys.ts';
// The binaryen-free sandbox core: this file is part of the portable (browser) graph. Node wires binaryen in.
import { SandboxCore, type Instrumenter } from './execute/sandbox.ts';
import type { CompiledCache } from './execute/types.ts';
import type { CapsuleQuery, CapsuleRecord, ResultRecord, Store } from './store/types.ts';
import { AuditLog } from './audit/log.ts';
import { ModuleRegistry, type RuntimePolicy } from './modules.ts';
import { Pipeline, type IngestResult, type Precheck } from './pipeline.ts';
import { parseCapsule } from './parse/capsule.ts';

export interface RuntimeOptions {
  store: Store;
  backend: CryptoBackend;
  /** The device identity: decrypts capsules addressed to it, is the `owner` of runs, signs audit checkpoints. */
  identity: SecretIdentity | null;
  policy?: RuntimePolicy;
  /** Checkpoint origin line (C2SP tlog-checkpoint). */
  origin?: string;
  /**
   * Instruments a module that is not in the store's compiled cache (key: module hash, INSTRUMENTER_VERSION,
   * COST_TABLE_HASH). Node passes binaryen's (`openRuntime` does); the default, null, loads only modules whose
   * instrumented bytes are already in the cache (`store.putCompiled`) and keeps binaryen out of the bundle.
   */
  instrumenter?: Instrumenter | null;
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
  onEach?: (r: IngestResult, i: number) => void;
}

export class Runtime {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly modules: ModuleRegistry;
  readonly sandbox: SandboxCore;
  private readonly pipeline: Pipeline;
  private closed = false;

  constructor(readonly opts: RuntimeOptions) {
    const { store, backend, identity } = opts;
    this.store = store;
    const cache: CompiledCache = {
      get: (k) => store.getCompiled(k),
      set: (k, v) => store.putCompiled(k, v),
    };
    this.sandbox = new SandboxCore({ sha256: (x) => backend.sha256(x), cache }, opts.instrumenter ?? null);
    this.audit = new AuditLog(backend, store, identity, opts.origin ?? 'kapsule-rt/audit');
    this.modules = new ModuleRegistry(backend, store, this.sandbox, this.audit, opts.policy ?? {});
    this.pipeline = new Pipeline(backend, store, this.modules, this.audit, {
      owner: identity?.sigPublic ?? new Uint8Array(32),
      enc: identity ? { encSecret: identity.encSecret, encPublic: identity.encPublic } : null,
    });
  }

  private open(): void {
    if (this.closed) throw new KapsuleError('USAGE', 'store', 'runtime is closed');
  }

  /** Carry one capsule through the pipeline. Never throws for a bad capsule: see `result.status`/`result.error`. */
  ingest(bytes: Uint8Array, opts: { now?: bigint } = {}): IngestResult {
    this.open();
    return this.pipeline.ingest(bytes, opts);
  }

  /** Ingest many, then write one signed checkpoint for the batch. */
  ingestBatch(items: Iterable<Uint8Array>, onEach?: (r: IngestResult, i: number) => void, opts: { chunk?: number } = {}): IngestResult[] {
    this.open();
    const out: IngestResult[] = [];
    const chunk = opts.chunk ?? 256;
    let i = 0;
    let pending: Uint8Array[] = [];
    // Capsules are committed `chunk` at a time in one store batch: one disk commit serves the chunk, and no capsule
    // is ever half-written (a unit that fails after writing rolls the whole chunk back). A crash loses at most the
    // open chunk, which a rerun ingests again (idempotent).
    const flush = () => {
      const results = this.store.batch(() => pending.map((bytes) => this.pipeline.ingest(bytes)));
      for (const r of results) { out.push(r); onEach?.(r, i++); }
      pending = [];
    };
    for (const bytes of items) {
      pending.push(bytes);
      if (pending.length >= chunk) flush();
    }
    if (pending.length) flush();
    this.checkpoint();
    return out;
  }

  /**
   * `ingestBatch` with the stateless stages pipelined ahead: while chunk k is stored (synchronously, in order),
   * chunks k+1… are being verified and decrypted by `opts.precheck`. Same results, same store, same audit log as
   * `ingestBatch` on the same items — capsules are processed strictly in input order; prechecks only skip work
   * that already succeeded. Accepts async iterables (e.g. a directory being read).
   */
  async ingestMany(items: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, opts: IngestManyOptions = {}): Promise<IngestResult[]> {
    this.open();
    const chunk = opts.chunk ?? 64;
    const batch = Math.max(1, Math.min(opts.batch ?? 16, chunk));
    const ahead = Math.max(0, opts.ahead ?? 3);
    const precheck = opts.precheck;
    const out: IngestResult[] = [];
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
      const results = this.store.batch(() => c.map((bytes, j) => this.pipeline.ingest(bytes, { precheck: checks[j] })));
      for (const r of results) { out.push(r); opts.onEach?.(r, out.length - 1); }
    };
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
    this.checkpoint();
    return out;
  }

  addModule(kmod: Uint8Array): { id: string; name: string; version: string; added: boolean } {
    this.open();
    return this.modules.add(kmod);
  }

  /** Process orphans whose parents are all present (e.g. after a crash between two commits). */
  resumeOrphans(): IngestResult[] {
    this.open();
    const present = this.store.listOrphans().flatMap((o) => o.missing).filter((p) => this.store.hasCapsule(p));
    return this.pipeline.resolveOrphans(present);
  }

  get(id: string | Uint8Array): (CapsuleRecord & { result: ResultRecord | null }) | null {
    const raw = typeof id === 'string' ? fromHex(id) : id;
    const c = this.store.getCapsule(raw);
    return c ? { ...c, result: this.store.getResult(raw) } : null;
  }

  query(q: CapsuleQuery = {}): CapsuleRecord[] { return this.store.findCapsules(q); }
  children(id: string): CapsuleRecord[] { return this.store.children(fromHex(id)); }
  heads(channel?: string): { channel: string; id: string }[] {
    return this.store.heads(channel).map((h) => ({ channel: h.channel, id: toHex(h.id) }));
  }
  orphans(): { id: string; missing: string[]; kind: string }[] {
    return this.store.listOrphans().map((o) => ({ id: toHex(o.id), missing: o.missing.map(toHex), kind: parseCapsule(o.bytes).core.kind }));
  }
  trustScores(): { subject: string; score: bigint }[] {
    return this.store.allTrust().map((t) => ({ subject: toHex(t.subject), score: t.score }));
  }
  balances(): { account: string; amount: bigint }[] {
    return this.store.allBalances().map((t) => ({ account: toHex(t.account), amount: t.amount }));
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
