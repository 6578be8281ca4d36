/**
 * The order of things, written down once:
 *
 *   receive → parse → verify → (duplicate? orphan?) → decrypt → execute → store + audit (one transaction)
 *
 * Each stage's output has its own type (ParsedCapsule → VerifiedCapsule → DecryptedCapsule → ExecOutcome), so
 * unverified bytes cannot reach decrypt and undecrypted bytes cannot reach a module. A failure at any point leaves
 * the store exactly as it was, except for the audit entry that records the rejection.
 */
import { KapsuleError, type ErrorCode } from './errors.ts';
import { concatBytes, equalBytes, fromHex, toHex } from './bytes.ts';
import type { CryptoBackend } from './crypto/types.ts';
import { parseCapsule, type ParsedCapsule } from './parse/capsule.ts';
import { LIMITS } from './parse/limits.ts';
import { acceptPrechecked, verifyParsedCapsule, type VerifiedCapsule } from './verify/index.ts';
import { acceptDecrypted, decryptCapsule, type DecryptedCapsule } from './decrypt/index.ts';
import type { GuestCapsuleMeta, ExecOutcome, StateView, StateWrites } from './execute/index.ts';
import type { CapsuleRecord, CapsuleStatus, Store } from './store/types.ts';
import type { AuditLog } from './audit/log.ts';
import type { ModuleRegistry } from './modules.ts';
import { Writer } from './parse/codec.ts';

export interface DeviceKeys {
  /** The device owner's signing public key (run context `owner`). */
  owner: Uint8Array;
  /** X25519 key pair used to open capsules addressed to this device; null: this device decrypts nothing. */
  enc: { encSecret: Uint8Array; encPublic: Uint8Array } | null;
}

export type IngestStatus = CapsuleStatus | 'duplicate' | 'orphan' | 'rejected';

export interface IngestResult {
  status: IngestStatus;
  /** Capsule id (hex) when the capsule parsed far enough to have one. */
  id: string | null;
  kind?: string;
  channel?: string;
  module?: string | null;
  /** Execution result when a module ran successfully. */
  output?: Uint8Array;
  fuel?: bigint;
  logs?: string[];
  /** Parents this capsule is waiting for (status 'orphan'). */
  missing?: string[];
  error?: KapsuleError;
  /** Orphans that became processable because this capsule arrived, in processing order. */
  resolved?: IngestResult[];
}

/**
 * The outcome of the expensive, stateless stages (signature verification, payload decryption) computed ahead of
 * time for one capsule, e.g. by a worker thread (`host/src/verify/pool.ts`). Only *successful* outcomes are
 * carried: a capsule whose precheck failed simply takes the ordinary path, so it is rejected by the very same code
 * with the very same error. The pipeline binds a precheck to the bytes it is ingesting by recomputing the capsule id.
 */
export interface Precheck {
  /** Capsule id (SHA-256 of the signed body) whose signature and payload hash verified. */
  id: Uint8Array;
  /** Decryption with the device key: the plaintext, or 'not-recipient'; absent when not attempted or it failed. */
  decrypted?: Uint8Array | 'not-recipient';
  /** The X25519 public key `decrypted` was computed with (null: no key); ignored unless it is this device's. */
  recipient?: Uint8Array | null;
}

/** Codes that are a deterministic property of the capsule + state: every device reaches the same verdict. */
export const DETERMINISTIC_TRAPS: ReadonlySet<ErrorCode> = new Set(['OUT_OF_FUEL', 'STACK_LIMIT', 'MEMORY_LIMIT', 'TRAP', 'HOSTCALL_FAULT']);

export function guestMeta(p: ParsedCapsule, id: Uint8Array): GuestCapsuleMeta {
  const c = p.core;
  return {
    id, kind: c.kind, authorAlg: c.sigAlg, author: c.author, channel: c.channel, createdAt: c.createdAt,
    parents: c.parents, flags: c.flags, logic: c.logic, payloadLength: c.payloadLength,
  };
}

/** Hash of everything a run depends on besides store state: capsule id, plaintext, run context. */
export function inputHash(b: CryptoBackend, id: Uint8Array, plaintext: Uint8Array, now: bigint, owner: Uint8Array): Uint8Array {
  return b.sha256(concatBytes(id, b.sha256(plaintext), new Writer().u64(now).finish(), owner));
}

export class Pipeline {
  /** Extra work that must commit atomically with whatever the current capsule's processing commits. */
  private inTx: (() => void) | null = null;

  constructor(
    private readonly b: CryptoBackend,
    private readonly store: Store,
    private readonly modules: ModuleRegistry,
    private readonly audit: AuditLog,
    private readonly keys: DeviceKeys,
  ) {}

  /** Carries one capsule through every stage; never throws for a bad capsule (returns status 'rejected'). */
  ingest(bytes: Uint8Array, opts: { now?: bigint; precheck?: Precheck | null } = {}): IngestResult {
    const first = this.ingestOne(bytes, opts);
    if (first.status === 'rejected' || first.status === 'duplicate' || first.status === 'orphan' || first.id === null) return first;
    const resolved = this.resolveOrphans([fromHex(first.id)]);
    return resolved.length ? { ...first, resolved } : first;
  }

  private tx(fn: () => void): void {
    this.store.transaction(() => {
      this.inTx?.();
      fn();
    });
  }

  private reject(err: unknown, bytes: Uint8Array, id: Uint8Array | null, extra: Partial<IngestResult> = {}): IngestResult {
    if (!(err instanceof KapsuleError)) throw err;
    this.tx(() => {
      this.audit.record({
        type: 'capsule_rejected', capsuleId: id, bytesHash: this.b.sha256(bytes), code: err.code, stage: err.stage,
      });
    });
    return { status: 'rejected', id: id ? toHex(id) : null, error: err, ...extra };
  }

  private ingestOne(bytes: Uint8Array, opts: { now?: bigint; precheck?: Precheck | null }): IngestResult {
    // receive: size limit before parsing
    if (bytes.length > LIMITS.maxCapsuleBytes) {
      return this.reject(new KapsuleError('FORMAT_INVALID', 'receive', `capsule is ${bytes.length} bytes, limit ${LIMITS.maxCapsuleBytes}`), bytes, null);
    }
    // parse + verify
    let v: VerifiedCapsule;
    let pre = opts.precheck ?? null;
    try {
      const parsed = parseCapsule(bytes);
      const prechecked = pre ? acceptPrechecked(this.b, parsed, pre.id) : null;
      if (!prechecked) pre = null;
      v = prechecked ?? verifyParsedCapsule(this.b, parsed);
    } catch (e) { return this.reject(e, bytes, null); }
    const base = { id: v.idHex, kind: v.core.kind, channel: v.core.channel, module: v.core.logic ? toHex(v.core.logic) : null };

    // duplicate / orphan
    if (this.store.hasCapsule(v.id) || this.store.hasOrphan(v.id)) {
      this.tx(() => this.audit.record({ type: 'capsule_duplicate', capsuleId: v.id }));
      return { status: 'duplicate', ...base };
    }
    const missing = v.core.parents.filter((p) => !this.store.hasCapsule(p));
    if (missing.length > 0) {
      this.tx(() => {
        this.store.addOrphan({ id: v.id, bytes, missing });
        this.audit.record({ type: 'capsule_orphaned', capsuleId: v.id, missing });
      });
      return { status: 'orphan', ...base, missing: missing.map(toHex) };
    }
    return this.process(v, opts.now ?? v.core.createdAt, base, pre && this.sameKey(pre.recipient ?? null) ? pre.decrypted : undefined);
  }

  /** Whether a precheck decrypted with this device's key (or, like this device, with none). */
  private sameKey(recipient: Uint8Array | null): boolean {
    const mine = this.keys.enc?.encPublic ?? null;
    return mine === null || recipient === null ? mine === recipient : equalBytes(mine, recipient);
  }

  /** decrypt → execute → store + audit, for a verified capsule whose parents are all present. */
  private process(
    v: VerifiedCapsule, now: bigint, base: Pick<IngestResult, 'id' | 'kind' | 'channel' | 'module'>,
    decrypted?: Uint8Array | 'not-recipient',
  ): IngestResult {
    let d: DecryptedCapsule | null = null;
    try {
      if (decrypted === 'not-recipient') d = null;
      else if (decrypted instanceof Uint8Array) d = acceptDecrypted(v, decrypted);
      else d = decryptCapsule(this.b, v, this.keys.enc);
    } catch (e) {
      if (!(e instanceof KapsuleError) || e.code !== 'NOT_RECIPIENT') return this.reject(e, v.bytes, v.id, base);
    }
    if (d === null) {
      this.tx(() => {
        this.insert(v, 'not-recipient');
        this.audit.record({ type: 'capsule_stored', capsuleId: v.id, status: 'not-recipient' });
      });
      return { status: 'not-recipient', ...base };
    }
    if (!v.core.logic) {
      this.tx(() => {
        this.insert(v, 'stored');
        this.audit.record({ type: 'capsule_stored', capsuleId: v.id, status: 'stored' });
      });
      return { status: 'stored', ...base };
    }
    return this.execute(d, now, base);
  }

  private execute(d: DecryptedCapsule, now: bigint, base: Pick<IngestResult, 'id' | 'kind' | 'channel' | 'module'>): IngestResult {
    const moduleId = d.core.logic!;
    let loaded;
    try { loaded = this.modules.load(moduleId, d.core.kind); } catch (e) { return this.reject(e, d.bytes, d.id, base); }
    const inHash = inputHash(this.b, d.id, d.plaintext, now, this.keys.owner);
    const state = this.stateView();
    let out: ExecOutcome;
    try {
      out = this.modules.sandbox.run(loaded, {
        capsule: guestMeta(d, d.id),
        payload: d.plaintext,
        parents: d.core.parents.map((p) => this.metaOf(p)),
        context: { now, owner: this.keys.owner },
        state,
      });
    } catch (e) {
      if (!(e instanceof KapsuleError)) throw e;
      if (DETERMINISTIC_TRAPS.has(e.code)) {
        const fuel = typeof e.details?.fuelUsed === 'bigint' ? e.details.fuelUsed : 0n;
        this.tx(() => {
          this.store.putFailedExecution(d.id, d.bytes);
          this.audit.record({
            type: 'capsule_executed', capsuleId: d.id, moduleId, inputHash: inHash, transcriptHash: null,
            outputHash: null, fuel, outcome: e.code, now,
          });
          this.audit.record({ type: 'capsule_rejected', capsuleId: d.id, bytesHash: this.b.sha256(d.bytes), code: e.code, stage: e.stage });
        });
        return { status: 'rejected', ...base, error: e, fuel };
      }
      return this.reject(e, d.bytes, d.id, base);
    }
    const outputHash = this.b.sha256(out.output);
    this.tx(() => {
      this.insert(d, 'executed');
      this.applyWrites(toHex(moduleId), out.writes);
      this.store.putResult({
        capsuleId: d.id, moduleId, outcome: 'ok', output: out.output, fuel: out.fuelUsed, now,
        inputHash: inHash, transcriptHash: out.transcriptHash, outputHash, logs: out.logs,
      });
      this.audit.record({
        type: 'capsule_executed', capsuleId: d.id, moduleId, inputHash: inHash, transcriptHash: out.transcriptHash,
        outputHash, fuel: out.fuelUsed, outcome: 'ok', now,
      });
    });
    return { status: 'executed', ...base, output: out.output, fuel: out.fuelUsed, logs: out.logs };
  }

  private insert(v: VerifiedCapsule, status: CapsuleStatus): void {
    this.store.insertCapsule({
      id: v.id, kind: v.core.kind, authorAlg: v.core.sigAlg, author: v.core.author, channel: v.core.channel,
      createdAt: Number(v.core.createdAt), logic: v.core.logic, encrypted: v.core.encryption.mode !== 'public',
      status, parents: v.core.parents, bytes: v.bytes,
    });
  }

  private applyWrites(moduleIdHex: string, w: StateWrites): void {
    for (const [k, score] of [...w.trust].sort(([a], [c]) => (a < c ? -1 : 1))) this.store.setTrust(fromHex(k), score);
    for (const [k, amount] of [...w.balances].sort(([a], [c]) => (a < c ? -1 : 1))) this.store.setBalance(fromHex(k), amount);
    for (const [k, value] of [...w.kv].sort(([a], [c]) => (a < c ? -1 : 1))) this.store.kvSet(moduleIdHex, fromHex(k), value);
  }

  metaOf(id: Uint8Array): GuestCapsuleMeta | null {
    const rec = this.store.getCapsule(id);
    return rec ? metaOfRecord(rec) : null;
  }

  /**
   * Reads for one run. Runs are synchronous inside this process, so the store cannot change under a run: children
   * lists and their decoded metadata are cached for the run (a module walking N children costs N reads, not N²).
   */
  stateView(): StateView {
    const s = this.store;
    const kids = new Map<string, GuestCapsuleMeta[]>();
    const childrenOf = (id: Uint8Array): GuestCapsuleMeta[] => {
      const k = toHex(id);
      let list = kids.get(k);
      if (!list) { list = s.children(id).map(metaOfRecord); kids.set(k, list); }
      return list;
    };
    return {
      trustScore: (subject) => s.trustScore(subject),
      balance: (account) => s.balance(account),
      kvGet: (moduleId, key) => s.kvGet(moduleId, key),
      childCount: (id) => childrenOf(id).length,
      childMetadata: (id, index) => {
        const list = childrenOf(id);
        return index >= 0 && index < list.length ? list[index] : null;
      },
    };
  }

  /**
   * Process orphans whose last missing parent is now present. Deterministic order: ready orphans are taken
   * by (created_at, id), independent of arrival order.
   */
  resolveOrphans(arrived: Uint8Array[]): IngestResult[] {
    const out: IngestResult[] = [];
    const ready = new Map<string, { bytes: Uint8Array; createdAt: bigint; id: Uint8Array }>();
    const consider = (parent: Uint8Array) => {
      for (const o of this.store.orphansWaitingFor(parent)) {
        if (o.missing.every((m) => this.store.hasCapsule(m))) {
          const p = parseCapsule(o.bytes);
          ready.set(toHex(o.id), { bytes: o.bytes, createdAt: p.core.createdAt, id: o.id });
        }
      }
    };
    arrived.forEach(consider);
    while (ready.size > 0) {
      const next = [...ready.values()].sort((a, c) => (a.createdAt < c.createdAt ? -1 : a.createdAt > c.createdAt ? 1 : toHex(a.id) < toHex(c.id) ? -1 : 1))[0];
      ready.delete(toHex(next.id));
      const v = verifyParsedCapsule(this.b, parseCapsule(next.bytes));
      const base = { id: v.idHex, kind: v.core.kind, channel: v.core.channel, module: v.core.logic ? toHex(v.core.logic) : null };
      this.inTx = () => {
        this.store.removeOrphan(v.id);
        this.audit.record({ type: 'orphan_resolved', capsuleId: v.id });
      };
      let r: IngestResult;
      try { r = this.process(v, v.core.createdAt, base); } finally { this.inTx = null; }
      out.push(r);
      if (r.status !== 'rejected') consider(v.id);
    }
    return out;
  }
}

export function metaOfRecord(rec: CapsuleRecord): GuestCapsuleMeta {
  const p = parseCapsule(rec.bytes);
  return guestMeta(p, rec.id);
}
