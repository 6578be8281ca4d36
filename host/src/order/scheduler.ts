/**
 * Runs in canonical order (docs/CONVERGENCE.md). Every capsule in the DAG has a key (created_at, depth, id); every
 * runnable one is a *run*, either done (status executed/failed: its writes are applied and its undo record kept) or
 * pending. The invariant, kept inside every transaction: **all done runs sort before all pending runs**, and the
 * live state tables hold exactly the writes of the done runs. So a run executed at the front of the pending queue
 * sees exactly the state produced by the runs before it — whatever order capsules arrived in.
 *
 *   - A capsule inserted into the DAG at key K (a late arrival, a released orphan) first rolls back every done run
 *     after K, newest first, restoring their before-images (`rollbackAfter`): they become pending again.
 *   - `drain` executes pending runs in order. A re-executed run whose outcome, output or fuel differs from its stored
 *     result appends `result_changed` to the audit log and counts the change; an identical one appends nothing.
 *   - Re-execution reads the capsule and its plaintext from the store: nothing is verified or decrypted again.
 *
 * A crash anywhere leaves the invariant true on disk (each step commits inside one store transaction), so a later
 * `drain` continues where it stopped and reaches the same state.
 */
import { KapsuleError, type ErrorCode } from '../errors.ts';
import { concatBytes, equalBytes, toHex } from '../bytes.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import { parseCapsule, type ParsedCapsule } from '../parse/capsule.ts';
import { Writer } from '../parse/codec.ts';
import type { ExecOutcome, GuestCapsuleMeta, StateView } from '../execute/index.ts';
import type { LoadedModule } from '../execute/index.ts';
import { compareKeys, type CapsuleRecord, type OrderKey, type ResultRecord, type Store } from '../store/types.ts';
import type { AuditLog } from '../audit/log.ts';
import type { ExecOutcome as ExecOutcomeCode } from '../audit/entry.ts';
import type { ModuleRegistry } from '../modules.ts';
import { applyUndo, applyWrites } from './undo.ts';
import { deadlineInterrupts, runWithDeadline } from '../execute/deadline.ts';

/** Outcomes that are a deterministic property of the capsule, its module and the state: stored as 'failed'. */
export const DETERMINISTIC_FAILURES: ReadonlySet<ErrorCode> = new Set([
  'OUT_OF_FUEL', 'STACK_LIMIT', 'MEMORY_LIMIT', 'TRAP', 'HOSTCALL_FAULT', 'MODULE_INVALID',
]);

export function guestMeta(p: ParsedCapsule, id: Uint8Array): GuestCapsuleMeta {
  const c = p.core;
  return {
    id, kind: c.kind, authorAlg: c.sigAlg, author: c.author, channel: c.channel, createdAt: c.createdAt,
    parents: c.parents, flags: c.flags, logic: c.logic, payloadLength: c.payloadLength,
  };
}

export function metaOfRecord(rec: CapsuleRecord): GuestCapsuleMeta {
  return guestMeta(parseCapsule(rec.bytes), rec.id);
}

/** Hash of everything a run depends on besides store state: capsule id, plaintext, run context. */
export function inputHash(b: CryptoBackend, id: Uint8Array, plaintext: Uint8Array, now: bigint, owner: Uint8Array): Uint8Array {
  return b.sha256(concatBytes(id, b.sha256(plaintext), new Writer().u64(now).finish(), owner));
}

export const keyOf = (r: OrderKey): OrderKey => ({ createdAt: r.createdAt, depth: r.depth, id: r.id });

export interface DrainReport {
  /** Runs executed for the first time. */
  executed: number;
  /** Runs executed again after a rollback. */
  reexecuted: number;
  /** Runs made pending again by late capsules (undo records applied). */
  rolledBack: number;
  /** Capsules (hex) whose stored result changed. */
  changed: string[];
  /** The typed error of each run that failed in this drain (hex id → error, with its details), latest run wins. */
  failures: Map<string, KapsuleError>;
  /** A run that could not complete for a reason that is not a property of the capsule (TIMEOUT): it stays pending. */
  stopped: KapsuleError | null;
}

export const emptyReport = (): DrainReport => ({ executed: 0, reexecuted: 0, rolledBack: 0, changed: [], failures: new Map(), stopped: null });

/** Thrown inside a drain transaction to stop it without losing the runs before (caught by `drain`). */
class Stop extends Error {
  constructor(readonly error: KapsuleError) { super(error.message); }
}

/** Pending runs read from the store at once while draining (bounds the capsules held in memory). */
const PENDING_READ = 256;

export class Scheduler {
  /** Totals since the runtime started or `takeReport` was last called. */
  private report: DrainReport = emptyReport();

  constructor(
    private readonly b: CryptoBackend,
    private readonly store: Store,
    private readonly modules: ModuleRegistry,
    private readonly audit: AuditLog,
    private readonly owner: Uint8Array,
  ) {}

  takeReport(): DrainReport {
    const r = this.report;
    this.report = emptyReport();
    return r;
  }

  /**
   * Makes every done run after `key` pending again, newest first, restoring its writes' before-images. Call inside
   * the transaction that inserts the capsule at `key` (`cause`). Returns how many runs were rolled back.
   */
  rollbackAfter(key: OrderKey, cause: Uint8Array): number {
    const last = this.store.lastRun();
    if (last === null || compareKeys(last, key) <= 0) return 0;
    let n = 0;
    for (;;) {
      const runs = this.store.runsAfter(key, 512);
      if (runs.length === 0) break;
      for (const r of runs) {
        const undo = this.store.takeUndo(r.id);
        if (undo) applyUndo(this.store, undo);
        this.store.setStatus(r.id, 'pending');
        n++;
      }
    }
    this.audit.record({ type: 'runs_rolled_back', capsuleId: cause, count: BigInt(n) });
    this.report.rolledBack += n;
    return n;
  }

  /** Makes the capsules waiting for `moduleId` runnable (rolling back what runs after the first of them). */
  moduleArrived(moduleId: Uint8Array): number {
    const waiting = this.store.awaitingModule(moduleId);
    if (waiting.length === 0) return 0;
    this.rollbackAfter(keyOf(waiting[0]), waiting[0].id);
    for (const c of waiting) this.store.setStatus(c.id, 'pending');
    return waiting.length;
  }

  /**
   * Executes up to `max` pending runs in canonical order inside the caller's transaction, and stops early once
   * `untilMs` (a performance.now() time) has passed. Returns how many ran and whether more are pending. A
   * non-deterministic failure (TIMEOUT) leaves that run pending and stops: the runs after it cannot go ahead of it.
   * Where a chunk ends changes only when the store commits, never the state.
   */
  drainSome(max: number, untilMs = Infinity): { ran: number; more: boolean; stopped: KapsuleError | null } {
    let ran = 0;
    for (;;) {
      // pending runs are read PENDING_READ at a time: each record holds its capsule (up to 16 MiB)
      const want = Math.min(PENDING_READ, max - ran);
      const runs = this.store.pendingRuns(want + 1);
      for (const r of runs.slice(0, want)) {
        if (ran > 0 && performance.now() > untilMs) return { ran, more: true, stopped: null };
        try { this.execute(r); } catch (e) {
          if (e instanceof Stop) {
            this.report.stopped = e.error;
            return { ran, more: true, stopped: e.error };
          }
          throw e;
        }
        ran++;
      }
      if (runs.length <= want) return { ran, more: false, stopped: null };
      if (ran >= max) return { ran, more: true, stopped: null };
    }
  }

  /**
   * Executes every pending run, at most `chunk` and about `chunkMs` per store transaction (each commit leaves the
   * invariant true; fewer commits are cheaper, short ones keep a crash's loss and a reader's wait small). Where the
   * platform can interrupt synchronous work (Node: execute/deadline.ts), each chunk runs under a wall-clock deadline
   * of `deadlineMs`: a host bug or an engine pathology cannot hold the thread forever. When a chunk overruns, its
   * transaction is rolled back and its runs are retried one at a time, each under the same deadline; the run that
   * overruns alone stays pending with TIMEOUT (not deterministic: retried at the next drain) and the drain stops there.
   */
  drain(chunk = 256, deadlineMs: number | null = null, chunkMs = Infinity): KapsuleError | null {
    const guarded = deadlineMs !== null && deadlineInterrupts;
    let size = chunk;
    for (;;) {
      let r: { ran: number; more: boolean; stopped: KapsuleError | null };
      if (!guarded) r = this.store.batch(() => this.drainSome(size, performance.now() + chunkMs));
      else {
        // modules are loaded (instrumented if need be) outside the deadline: binaryen must not be interrupted
        this.preload(size);
        try {
          r = runWithDeadline(() => this.store.batch(() => this.drainSome(size, performance.now() + chunkMs)), deadlineMs!, { onInterrupt: () => this.store.recover() });
        } catch (e) {
          if (!(e instanceof KapsuleError) || e.code !== 'TIMEOUT') throw e;
          if (size === 1) { this.report.stopped = e; return e; }
          size = 1; // find the run that overruns on its own
          continue;
        }
      }
      if (r.stopped) return r.stopped;
      if (!r.more) return null;
      if (size === 1 && r.ran === 1) size = chunk;
    }
  }

  /** Loads the modules of the next `n` pending runs; a failure here is recorded by the run itself, in its place. */
  private preload(n: number): void {
    for (const r of this.store.pendingModules(n)) {
      try { this.modules.load(r.logic!, r.kind); } catch (e) { if (!(e instanceof KapsuleError)) throw e; }
    }
  }

  private execute(rec: CapsuleRecord): void {
    const parsed = parseCapsule(rec.bytes);
    const id = rec.id;
    const moduleId = rec.logic!;
    const now = BigInt(rec.createdAt);
    const plaintext = parsed.core.encryption.mode === 'public' ? parsed.payload : this.store.getPlaintext(id);
    if (plaintext === null) {
      throw new KapsuleError('STORE_ERROR', 'store', `capsule ${toHex(id)} is pending but its plaintext is not in the store`);
    }
    const inHash = inputHash(this.b, id, plaintext, now, this.owner);
    let out: ExecOutcome | null = null;
    let failure: KapsuleError | null = null;
    try {
      const loaded: LoadedModule = this.modules.load(moduleId, rec.kind);
      out = this.modules.sandbox.run(loaded, {
        capsule: guestMeta(parsed, id),
        payload: plaintext,
        parents: rec.parents.map((p) => this.metaOf(p)),
        context: { now, owner: this.owner },
        state: this.stateAt(rec),
        kvNamespace: toHex(moduleId),
      });
    } catch (e) {
      if (!(e instanceof KapsuleError)) throw e;
      if (!DETERMINISTIC_FAILURES.has(e.code)) throw new Stop(e);
      failure = e;
    }
    const outcome: ExecOutcomeCode = failure ? failure.code : 'ok';
    const fuel = failure ? (typeof failure.details?.fuelUsed === 'bigint' ? failure.details.fuelUsed : 0n) : out!.fuelUsed;
    const output = out ? out.output : null;
    const outputHash = output ? this.b.sha256(output) : null;
    const transcriptHash = out ? out.transcriptHash : null;

    if (out) {
      const undo = applyWrites(this.store, toHex(moduleId), out.writes);
      if (undo) this.store.putUndo(id, undo);
      this.report.failures.delete(toHex(id));
    } else this.report.failures.set(toHex(id), failure!);
    const prev = this.store.getResult(id);
    const changed = prev !== null && (prev.outcome !== outcome || prev.fuel !== fuel || !sameHash(prev.outputHash, outputHash));
    const result: ResultRecord = {
      capsuleId: id, moduleId, outcome, output, fuel, now, inputHash: inHash, transcriptHash, outputHash,
      logs: out ? out.logs : [], changes: prev === null ? 0 : prev.changes + (changed ? 1 : 0),
      message: failure ? failure.message : null,
    };
    this.store.putResult(result);
    this.store.setStatus(id, failure ? 'failed' : 'executed');
    const fields = { capsuleId: id, moduleId, inputHash: inHash, transcriptHash, outputHash, fuel, outcome, now } as const;
    if (prev === null) {
      this.audit.record({ type: 'capsule_executed', ...fields });
      this.report.executed++;
      return;
    }
    this.report.reexecuted++;
    if (changed) {
      this.audit.record({
        type: 'result_changed', ...fields,
        previousOutcome: prev.outcome as ExecOutcomeCode, previousOutputHash: prev.outputHash, previousFuel: prev.fuel,
      });
      this.report.changed.push(toHex(id));
    }
  }

  metaOf(id: Uint8Array): GuestCapsuleMeta | null {
    const rec = this.store.getCapsule(id);
    return rec ? metaOfRecord(rec) : null;
  }

  /**
   * The reads of the run at `rec`: the live state tables (by the invariant, exactly the writes of the runs before
   * it) and the DAG's children restricted to capsules before it in canonical order. A children list is read once
   * per run (ids and bytes: Store.childBytes) and a child decoded only when the module reads it, then kept (a
   * module walking N children costs N decodes, not N²). The hostcalls charge the list and each decode (costs.ts).
   */
  stateAt(rec: OrderKey | null): StateView {
    const s = this.store;
    const key = rec ? keyOf(rec) : null;
    const kids = new Map<string, { id: Uint8Array; bytes: Uint8Array; meta?: GuestCapsuleMeta }[]>();
    const childrenOf = (id: Uint8Array) => {
      const k = toHex(id);
      let list = kids.get(k);
      if (!list) { list = s.childBytes(id, key); kids.set(k, list); }
      return list;
    };
    return {
      trustScore: (subject) => s.trustScore(subject),
      balance: (account) => s.balance(account),
      kvGet: (moduleId, k) => s.kvGet(moduleId, k),
      childCount: (id) => childrenOf(id).length,
      childMetadata: (id, index) => {
        const list = childrenOf(id);
        if (index < 0 || index >= list.length) return null;
        const c = list[index];
        return (c.meta ??= guestMeta(parseCapsule(c.bytes), c.id));
      },
    };
  }
}

function sameHash(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === null || b === null ? a === b : equalBytes(a, b);
}
