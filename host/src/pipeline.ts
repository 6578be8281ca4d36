/**
 * The order of things, written down once:
 *
 *   receive → parse → verify → duplicate? → dated ahead? (held) → parents present? (orphan) → time rule
 *     → decrypt → insert into the DAG (+ audit entry, one transaction)
 *   … then order/scheduler.ts: execute runs in canonical order → results + writes + audit
 *
 * Each stage's output has its own type (ParsedCapsule → VerifiedCapsule → DecryptedCapsule), so unverified bytes
 * cannot reach decrypt and undecrypted bytes cannot reach a module. Acceptance (this file) decides whether a capsule
 * enters the DAG and with which status; it never executes anything. A capsule entering the DAG before runs that are
 * already done rolls them back first (the scheduler's invariant: done runs precede pending runs), so when the
 * runtime drains the pending runs every module sees the state of exactly the capsules before it in canonical order.
 * A failure at any point leaves the store as it was, except for the audit entry that records a rejection.
 */
import { KapsuleError, type ErrorCode, type Stage } from './errors.ts';
import { compareBytes, equalBytes, toHex } from './bytes.ts';
import type { CryptoBackend } from './crypto/types.ts';
import { parseCapsule } from './parse/capsule.ts';
import { LIMITS } from './parse/limits.ts';
import { acceptPrechecked, verifyParsedCapsule, type VerifiedCapsule } from './verify/index.ts';
import { acceptDecrypted, decryptCapsule, type DecryptedCapsule } from './decrypt/index.ts';
import type { CapsuleRecord, CapsuleStatus, OrphanRecord, Store } from './store/types.ts';
import type { AuditLog } from './audit/log.ts';
import type { Scheduler } from './order/scheduler.ts';

export interface DeviceKeys {
  /** The device owner's signing public key (run context `owner`). */
  owner: Uint8Array;
  /** X25519 key pair used to open capsules addressed to this device; null: this device decrypts nothing. */
  enc: { encSecret: Uint8Array; encPublic: Uint8Array } | null;
}

/** What happened to a capsule: its status in the DAG, or why it is not (yet) there. */
export type IngestStatus = CapsuleStatus | 'duplicate' | 'orphan' | 'held' | 'rejected';

export interface IngestResult {
  status: IngestStatus;
  /** Capsule id (hex) when the capsule parsed far enough to have one. */
  id: string | null;
  kind?: string;
  channel?: string;
  module?: string | null;
  /** Result of its run (status executed, or failed: output null), as stored after the batch was drained. */
  output?: Uint8Array;
  fuel?: bigint;
  logs?: string[];
  /** How many times re-executions changed this capsule's result. */
  changes?: number;
  /** Parents this capsule is waiting for (status 'orphan'). */
  missing?: string[];
  /** Device clock (ms) from which a held capsule is released (status 'held'). */
  holdUntil?: number;
  /** Why: the rejection, the failed run's trap, the stanza that did not open, or what stopped a pending run. */
  error?: KapsuleError;
  /** Waiting capsules this one released into the DAG (orphans whose last parent it was). */
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

export interface AcceptOptions {
  /** The device clock (ms since the epoch): a capsule dated beyond clock + skew is held. */
  clock: bigint;
  precheck?: Precheck | null;
}

/** Default tolerance for authors' clocks running ahead of this device's: 10 minutes. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 600_000;

const SAFETY_CODE: Partial<Record<Stage, ErrorCode>> = { receive: 'FORMAT_INVALID', parse: 'FORMAT_INVALID', verify: 'SIGNATURE_INVALID', decrypt: 'DECRYPT_FAILED' };

/** Every failure of one capsule is that capsule's typed rejection, never an untyped throw that ends a batch. */
function typed(e: unknown, stage: Stage): KapsuleError {
  if (e instanceof KapsuleError) return e;
  return new KapsuleError(SAFETY_CODE[stage] ?? 'FORMAT_INVALID', stage, `internal error while checking the capsule: ${String((e as Error)?.message ?? e).slice(0, 200)}`, { internal: true });
}

type Base = Pick<IngestResult, 'id' | 'kind' | 'channel' | 'module'>;
const baseOf = (v: VerifiedCapsule): Base => ({ id: v.idHex, kind: v.core.kind, channel: v.core.channel, module: v.core.logic ? toHex(v.core.logic) : null });

export class Pipeline {
  constructor(
    private readonly b: CryptoBackend,
    private readonly store: Store,
    private readonly audit: AuditLog,
    private readonly keys: DeviceKeys,
    private readonly scheduler: Scheduler,
    private readonly maxClockSkewMs: number = DEFAULT_MAX_CLOCK_SKEW_MS,
  ) {}

  /**
   * Carries one capsule through acceptance; call inside a store transaction. Never throws for a bad capsule
   * (returns status 'rejected'); nothing is executed here — the caller drains the scheduler afterwards.
   */
  accept(bytes: Uint8Array, opts: AcceptOptions): IngestResult {
    if (bytes.length > LIMITS.maxCapsuleBytes) {
      return this.reject(new KapsuleError('FORMAT_INVALID', 'receive', `capsule is ${bytes.length} bytes, limit ${LIMITS.maxCapsuleBytes}`), bytes, null);
    }
    let v: VerifiedCapsule;
    let pre = opts.precheck ?? null;
    let stage: Stage = 'parse';
    try {
      const parsed = parseCapsule(bytes);
      stage = 'verify';
      const prechecked = pre ? acceptPrechecked(this.b, parsed, pre.id) : null;
      if (!prechecked) pre = null;
      v = prechecked ?? verifyParsedCapsule(this.b, parsed);
    } catch (e) { return this.reject(typed(e, stage), bytes, null); }

    if (this.store.hasCapsule(v.id) || this.store.hasOrphan(v.id)) {
      // A duplicate changes nothing, so it is not logged: resending a capsule cannot grow the audit log.
      return { status: 'duplicate', ...baseOf(v) };
    }
    const holdUntil = v.core.createdAt - BigInt(this.maxClockSkewMs);
    if (holdUntil > opts.clock) {
      this.store.addOrphan({ id: v.id, bytes, missing: [], holdUntil: Number(holdUntil) });
      this.audit.record({ type: 'capsule_held', capsuleId: v.id, until: holdUntil });
      return { status: 'held', ...baseOf(v), holdUntil: Number(holdUntil) };
    }
    return this.admit(v, pre && this.sameKey(pre.recipient ?? null) ? pre.decrypted : undefined);
  }

  /** Releases held capsules the device clock has reached. Call inside a store transaction. */
  releaseDue(clock: bigint): IngestResult[] {
    return this.store.heldDue(Number(clock)).map((o) => this.release(o));
  }

  /** Orphans whose parents are all present (another writer, or an interrupted release): admitted now. */
  resolveReadyOrphans(): IngestResult[] {
    return this.store.listOrphans()
      .filter((o) => o.holdUntil === null && o.missing.every((p) => this.store.hasCapsule(p)))
      .map((o) => this.release(o));
  }

  private release(o: OrphanRecord): IngestResult {
    this.store.removeOrphan(o.id);
    this.audit.record({ type: 'orphan_resolved', capsuleId: o.id });
    // Verified when it arrived; the store is this device's own (like the compiled cache): bound by id, not re-verified.
    const v = acceptPrechecked(this.b, parseCapsule(o.bytes), o.id);
    if (!v) throw new KapsuleError('STORE_ERROR', 'store', `waiting capsule ${toHex(o.id)} no longer matches its id`);
    return this.admit(v, undefined);
  }

  private reject(err: KapsuleError, bytes: Uint8Array, id: Uint8Array | null, extra: Partial<IngestResult> = {}): IngestResult {
    this.audit.record({ type: 'capsule_rejected', capsuleId: id, bytesHash: this.b.sha256(bytes), code: err.code, stage: err.stage });
    return { status: 'rejected', id: id ? toHex(id) : null, error: err, ...extra };
  }

  /** Whether a precheck decrypted with this device's key (or, like this device, with none). */
  private sameKey(recipient: Uint8Array | null): boolean {
    const mine = this.keys.enc?.encPublic ?? null;
    return mine === null || recipient === null ? mine === recipient : equalBytes(mine, recipient);
  }

  /** A verified capsule that is not dated ahead: into the DAG if its parents are all there, else an orphan. */
  private admit(v: VerifiedCapsule, decrypted: Uint8Array | 'not-recipient' | undefined): IngestResult {
    const base = baseOf(v);
    const parents: CapsuleRecord[] = [];
    const missing: Uint8Array[] = [];
    for (const p of v.core.parents) {
      const rec = this.store.getCapsule(p);
      if (rec) parents.push(rec); else missing.push(p);
    }
    if (missing.length > 0) {
      this.store.addOrphan({ id: v.id, bytes: v.bytes, missing, holdUntil: null });
      this.audit.record({ type: 'capsule_orphaned', capsuleId: v.id, missing });
      return { status: 'orphan', ...base, missing: missing.map(toHex) };
    }
    // The time rule (docs/CONVERGENCE.md): created_at never runs backwards along an edge, so the canonical order
    // (created_at, depth, id) puts parents first. Decided from signed data alone: the same verdict on every device.
    const latest = parents.reduce((m, p) => Math.max(m, p.createdAt), 0);
    if (v.core.createdAt < BigInt(latest)) {
      return this.reject(new KapsuleError('TIME_INVALID', 'verify', `created_at ${v.core.createdAt} is before its parent's (${latest}): time may not run backwards along the DAG`), v.bytes, v.id, base);
    }

    let d: DecryptedCapsule | null = null;
    let undecryptable: KapsuleError | null = null;
    try {
      if (decrypted === 'not-recipient') d = null;
      else if (decrypted instanceof Uint8Array) d = acceptDecrypted(v, decrypted);
      else d = decryptCapsule(this.b, v, this.keys.enc);
    } catch (e) {
      const err = typed(e, 'decrypt');
      if (err.code !== 'NOT_RECIPIENT') undecryptable = err;
    }
    const logic = v.core.logic;
    const status: CapsuleStatus = undecryptable ? 'undecryptable' : d === null ? 'not-recipient'
      : logic === null ? 'stored' : this.store.getModule(logic) ? 'pending' : 'awaiting-module';
    const depth = parents.reduce((m, p) => Math.max(m, p.depth + 1), 0);
    const createdAt = Number(v.core.createdAt);

    this.scheduler.rollbackAfter({ createdAt, depth, id: v.id }, v.id);
    this.store.insertCapsule({
      id: v.id, kind: v.core.kind, authorAlg: v.core.sigAlg, author: v.core.author, channel: v.core.channel,
      createdAt, depth, logic, encrypted: v.core.encryption.mode !== 'public', status, parents: v.core.parents, bytes: v.bytes,
    });
    if (logic !== null && d !== null && v.core.encryption.mode !== 'public') this.store.putPlaintext(v.id, d.plaintext);
    if (status !== 'pending') this.audit.record({ type: 'capsule_stored', capsuleId: v.id, status });

    const resolved = this.releaseChildren(v.id);
    return {
      status, ...base, ...(undecryptable ? { error: undecryptable } : {}), ...(resolved.length ? { resolved } : {}),
    };
  }

  /** Orphans whose last missing parent is `parent`, admitted now (and, through them, their own waiting children). */
  private releaseChildren(parent: Uint8Array): IngestResult[] {
    const ready = this.store.orphansWaitingFor(parent).filter((o) => o.missing.every((m) => this.store.hasCapsule(m)));
    // reported in canonical order (the state does not depend on it: every run is placed by its key)
    const at = new Map(ready.map((o) => [o, parseCapsule(o.bytes).core.createdAt]));
    ready.sort((x, y) => (at.get(x)! < at.get(y)! ? -1 : at.get(x)! > at.get(y)! ? 1 : compareBytes(x.id, y.id)));
    return ready.map((o) => this.release(o));
  }
}
