/**
 * The storage interface the portable core talks to. The pipeline never imports better-sqlite3: Node uses
 * `SqliteStore` (store/sqlite.ts); a browser build supplies its own implementation (store/memory.ts).
 * All methods are synchronous; `transaction(fn)` runs fn atomically (all or nothing).
 */

export type CapsuleStatus =
  /** Verified and stored; no logic, or logic not applicable. */
  | 'stored'
  /** Logic ran and succeeded; a result row exists. */
  | 'executed'
  /** Logic ran and trapped deterministically (result row holds the code); the capsule itself is valid. */
  | 'failed'
  /** Stored as ciphertext: this device holds no recipient key. */
  | 'not-recipient';

export interface CapsuleRecord {
  id: Uint8Array;
  seq: number;
  kind: string;
  authorAlg: string;
  author: Uint8Array;
  channel: string;
  createdAt: number;
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
}

export interface ModuleRecord {
  id: Uint8Array;
  name: string;
  version: string;
  author: Uint8Array;
  package: Uint8Array;
}

export interface OrphanRecord { id: Uint8Array; bytes: Uint8Array; missing: Uint8Array[]; seq: number }

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

export interface Store {
  /** Runs fn atomically; nested calls behave like savepoints (a caught inner failure undoes only the inner part). */
  transaction<T>(fn: () => T): T;
  /**
   * A transaction for many units (a batch of capsules): nested `transaction` calls inside it may run without
   * savepoints. Still nothing half-written commits: if a nested unit throws after it wrote, the whole batch rolls
   * back (even if the caller caught that error). A store may implement this as `transaction`.
   */
  batch<T>(fn: () => T): T;
  close(): void;

  hasCapsule(id: Uint8Array): boolean;
  getCapsule(id: Uint8Array): CapsuleRecord | null;
  findCapsules(q: CapsuleQuery): CapsuleRecord[];
  /** Capsules whose parents include `id`, ordered by id. */
  children(id: Uint8Array): CapsuleRecord[];
  /** Every capsule reachable from `roots` through parents (or all of a channel), parents before children. */
  topological(channel?: string): CapsuleRecord[];
  heads(channel?: string): { channel: string; id: Uint8Array }[];
  insertCapsule(c: Omit<CapsuleRecord, 'seq'>): number;
  countCapsules(): number;

  putResult(r: ResultRecord): void;
  getResult(capsuleId: Uint8Array): ResultRecord | null;
  resultsOfModule(moduleId: Uint8Array, limit?: number): ResultRecord[];

  addModule(m: ModuleRecord): boolean;
  getModule(id: Uint8Array): ModuleRecord | null;
  listModules(): ModuleRecord[];
  getCompiled(key: string): Uint8Array | undefined;
  putCompiled(key: string, bytes: Uint8Array): void;

  trustScore(subject: Uint8Array): bigint;
  balance(account: Uint8Array): bigint;
  kvGet(moduleId: string, key: Uint8Array): Uint8Array | null;
  setTrust(subject: Uint8Array, score: bigint): void;
  setBalance(account: Uint8Array, amount: bigint): void;
  kvSet(moduleId: string, key: Uint8Array, value: Uint8Array | null): void;
  allTrust(): { subject: Uint8Array; score: bigint }[];
  allBalances(): { account: Uint8Array; amount: bigint }[];

  addOrphan(o: Omit<OrphanRecord, 'seq'>): void;
  hasOrphan(id: Uint8Array): boolean;
  /** Orphans waiting for `parent`, in arrival order. */
  orphansWaitingFor(parent: Uint8Array): OrphanRecord[];
  removeOrphan(id: Uint8Array): void;
  listOrphans(): OrphanRecord[];

  appendAudit(entry: Uint8Array, leaf: Uint8Array): number;
  auditSize(): number;
  auditRange(from: number, to: number): AuditRow[];
  merkleGet(level: number, index: number): Uint8Array | undefined;
  merklePut(level: number, index: number, hash: Uint8Array): void;
  /** Bytes of a verified capsule whose execution trapped (kept for replay only; not part of the DAG). */
  putFailedExecution(capsuleId: Uint8Array, bytes: Uint8Array): void;
  getFailedExecution(capsuleId: Uint8Array): Uint8Array | null;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  addCheckpoint(c: CheckpointRow): void;
  checkpoints(): CheckpointRow[];
  latestCheckpoint(): CheckpointRow | null;
}
