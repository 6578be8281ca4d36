/**
 * The storage interface the portable core talks to. The pipeline never imports better-sqlite3: Node uses
 * `SqliteStore` (store/sqlite.ts); a browser build supplies its own implementation (store/memory.ts).
 * All methods are synchronous; `transaction(fn)` runs fn atomically (all or nothing).
 *
 * `Store` is the union of small faces, one per concern, so a feature touches one of them: the DAG (`DagStore`), the
 * runs in canonical order (`RunStore`), module state (`StateStore`), capsules waiting to enter the DAG
 * (`WaitingStore`), modules (`ModuleStore`), the audit log (`AuditStore`) and the signing keys this device admitted
 * (`KeyStore`).
 */

export type CapsuleStatus =
  /** In the DAG; no logic to run. */
  | 'stored'
  /** Runnable and not (yet, or no longer) executed at its place in the canonical order. */
  | 'pending'
  /** Its run succeeded; a result row exists. */
  | 'executed'
  /** Its run trapped deterministically (the result row holds the code); the capsule itself is valid. */
  | 'failed'
  /** Its logic names a module this device does not hold; it runs in its canonical place when the module arrives. */
  | 'awaiting-module'
  /** Encrypted, and no stanza names this device: stored as ciphertext, never executed. */
  | 'not-recipient'
  /** A stanza names this device but does not open, or the payload fails its key commitment: stored, not executed. */
  | 'undecryptable';

export const CAPSULE_STATUSES: readonly CapsuleStatus[] = [
  'stored', 'pending', 'executed', 'failed', 'awaiting-module', 'not-recipient', 'undecryptable',
];

/**
 * A capsule's place in the canonical order: (created_at, depth, id). depth = 0 for a capsule without parents, else
 * 1 + the largest depth of its parents; since created_at never decreases along an edge (docs/CONVERGENCE.md), the
 * order puts every parent before its children.
 */
export interface OrderKey { createdAt: number; depth: number; id: Uint8Array }

export interface CapsuleRecord extends OrderKey {
  seq: number;
  kind: string;
  authorAlg: string;
  author: Uint8Array;
  channel: string;
  logic: Uint8Array | null;
  encrypted: boolean;
  status: CapsuleStatus;
  parents: Uint8Array[];
  bytes: Uint8Array;
}

export interface ResultRecord {
  capsuleId: Uint8Array;
  moduleId: Uint8Array;
  /** 'ok' or the trap's error code. */
  outcome: string;
  output: Uint8Array | null;
  fuel: bigint;
  now: bigint;
  inputHash: Uint8Array;
  transcriptHash: Uint8Array | null;
  outputHash: Uint8Array | null;
  logs: string[];
  /** How many times a re-execution changed this result (outcome, output or fuel) after its first run. */
  changes: number;
  /** The error message of a failed run (display only: the outcome code is what is compared). */
  message: string | null;
}

export interface ModuleRecord {
  /** The module id: SHA-256 of the signed manifest. */
  id: Uint8Array;
  name: string;
  version: string;
  author: Uint8Array;
  package: Uint8Array;
}

/**
 * A verified capsule that is not in the DAG yet: it waits for parents (`missing`), or until the device clock
 * reaches its created_at (`holdUntil`, ms; null for an orphan).
 */
export interface OrphanRecord { id: Uint8Array; bytes: Uint8Array; missing: Uint8Array[]; seq: number; holdUntil: number | null }

export interface AuditRow { index: number; entry: Uint8Array; leaf: Uint8Array }

export interface CheckpointRow { size: number; text: string }

export interface CapsuleQuery {
  channel?: string;
  kind?: string;
  author?: Uint8Array;
  status?: CapsuleStatus;
  limit?: number;
  /** Newest first by created_at (then id) unless 'asc'. */
  order?: 'desc' | 'asc';
}

export interface KvEntry { moduleId: string; key: Uint8Array; value: Uint8Array }

export interface DagStore {
  hasCapsule(id: Uint8Array): boolean;
  getCapsule(id: Uint8Array): CapsuleRecord | null;
  findCapsules(q: CapsuleQuery): CapsuleRecord[];
  /** Capsules whose parents include `id`, in canonical order. */
  children(id: Uint8Array): CapsuleRecord[];
  /** Children of `id` that sort before `key` in the canonical order (what a run at `key` may see), in that order. */
  childrenBefore(id: Uint8Array, key: OrderKey): CapsuleRecord[];
  /**
   * Ids and bytes of the children of `id` (those before `key` when given), in canonical order: the light read that
   * a run's child list needs (a run lists children once and decodes only those it reads).
   */
  childBytes(id: Uint8Array, key: OrderKey | null): { id: Uint8Array; bytes: Uint8Array }[];
  /** Every capsule (or all of a channel), parents before children (in arrival order). */
  topological(channel?: string): CapsuleRecord[];
  heads(channel?: string): { channel: string; id: Uint8Array }[];
  insertCapsule(c: Omit<CapsuleRecord, 'seq'>): number;
  setStatus(id: Uint8Array, status: CapsuleStatus): void;
  countCapsules(): number;
  /** Capsules with status 'awaiting-module' whose logic is `moduleId`. */
  awaitingModule(moduleId: Uint8Array): CapsuleRecord[];
}

export interface RunStore {
  /** The first `limit` capsules with status 'pending', in canonical order. */
  pendingRuns(limit: number): CapsuleRecord[];
  /** The logic and kind of the same runs, without their capsules (to load their modules ahead). */
  pendingModules(limit: number): { logic: Uint8Array | null; kind: string }[];
  /** The canonical key of the last run (status 'executed' or 'failed'), or null when nothing ran. */
  lastRun(): OrderKey | null;
  /** Runs (status 'executed' or 'failed') that sort after `key`, last first, at most `limit`. */
  runsAfter(key: OrderKey, limit: number): CapsuleRecord[];
  putResult(r: ResultRecord): void;
  getResult(capsuleId: Uint8Array): ResultRecord | null;
  resultsOfModule(moduleId: Uint8Array, limit?: number): ResultRecord[];
  /** The before-images of one run's writes (order/undo.ts), to roll it back. */
  putUndo(capsuleId: Uint8Array, data: Uint8Array): void;
  /** Returns and deletes a run's undo record (null: the run wrote nothing). */
  takeUndo(capsuleId: Uint8Array): Uint8Array | null;
  /** Plaintext of an encrypted capsule this device opened, kept so a re-execution never decrypts again. */
  putPlaintext(capsuleId: Uint8Array, bytes: Uint8Array): void;
  getPlaintext(capsuleId: Uint8Array): Uint8Array | null;
}

export interface StateStore {
  /** Reads: 0 (or null for kv) when unknown. */
  trustScore(subject: Uint8Array): bigint;
  balance(account: Uint8Array): bigint;
  kvGet(moduleId: string, key: Uint8Array): Uint8Array | null;
  /** Exact reads for before-images: null when no row exists (a row holding 0 is not the same state). */
  trustGet(subject: Uint8Array): bigint | null;
  balanceGet(account: Uint8Array): bigint | null;
  /** Writes: null deletes the row. */
  setTrust(subject: Uint8Array, score: bigint | null): void;
  setBalance(account: Uint8Array, amount: bigint | null): void;
  kvSet(moduleId: string, key: Uint8Array, value: Uint8Array | null): void;
  allTrust(): { subject: Uint8Array; score: bigint }[];
  allBalances(): { account: Uint8Array; amount: bigint }[];
  /** Every kv entry, ordered by (module id, key). */
  allKv(): KvEntry[];
}

export interface WaitingStore {
  addOrphan(o: Omit<OrphanRecord, 'seq'>): void;
  hasOrphan(id: Uint8Array): boolean;
  /** Orphans waiting for `parent`, in arrival order. */
  orphansWaitingFor(parent: Uint8Array): OrphanRecord[];
  /** Held capsules whose holdUntil ≤ `clock`, in arrival order. */
  heldDue(clock: number): OrphanRecord[];
  removeOrphan(id: Uint8Array): void;
  listOrphans(): OrphanRecord[];
}

export interface ModuleStore {
  addModule(m: ModuleRecord): boolean;
  getModule(id: Uint8Array): ModuleRecord | null;
  listModules(): ModuleRecord[];
  getCompiled(key: string): Uint8Array | undefined;
  putCompiled(key: string, bytes: Uint8Array): void;
}

export interface AuditStore {
  appendAudit(entry: Uint8Array, leaf: Uint8Array): number;
  auditSize(): number;
  auditRange(from: number, to: number): AuditRow[];
  merkleGet(level: number, index: number): Uint8Array | undefined;
  merklePut(level: number, index: number, hash: Uint8Array): void;
  addCheckpoint(c: CheckpointRow): void;
  checkpoints(): CheckpointRow[];
  latestCheckpoint(): CheckpointRow | null;
}

/**
 * Signing keys this device admitted (docs/SECURITY.md "Admitted keys"), so a key is put through the admission
 * arithmetic once per device: the store behind the runtime's `AdmittedKeys` (verify/admitted.ts). `alg` is
 * 'ed25519' or 'p256'; the record is what `AdmittedKeys` documents (empty for Ed25519, the decoded point for P-256).
 */
export interface KeyStore {
  /** The record of an admitted key, or null. */
  getAdmittedKey(alg: string, key: Uint8Array): Uint8Array | null;
  /** Inserts or replaces a key's record. A read-only store ignores it (the record is a cache of a computation). */
  putAdmittedKey(alg: string, key: Uint8Array, record: Uint8Array): void;
}

export interface Store extends DagStore, RunStore, StateStore, WaitingStore, ModuleStore, AuditStore, KeyStore {
  /** Runs fn atomically; nested calls behave like savepoints (a caught inner failure undoes only the inner part). */
  transaction<T>(fn: () => T): T;
  /**
   * Runs `fn` once at the end of the outermost transaction, inside it, just before it commits: what `fn` writes
   * commits with the transaction, and a throw from `fn` rolls the whole transaction back. Registering the same
   * function again before that commit runs it once. A transaction that rolls back drops what was registered in it.
   * Outside a transaction `fn` runs now. (The audit log completes its Merkle tree once per commit this way.)
   */
  beforeCommit(fn: () => void): void;
  /**
   * A transaction for many units (a batch of capsules): nested `transaction` calls inside it may run without
   * savepoints. Still nothing half-written commits: if a nested unit throws after it wrote, the whole batch rolls
   * back (even if the caller caught that error). A store may implement this as `transaction`.
   */
  batch<T>(fn: () => T): T;
  /**
   * After work inside `transaction`/`batch` was interrupted by a wall-clock deadline (execute/deadline.ts: an
   * interruption skips every `catch` and `finally`): roll back whatever is open and forget any state the interrupted
   * transaction left, so the store is as it was before it began.
   */
  recover(): void;
  close(): void;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
}

/** Canonical order: created_at, then depth, then id bytewise. */
export function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  if (a.depth !== b.depth) return a.depth < b.depth ? -1 : 1;
  const x = a.id, y = b.id;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
