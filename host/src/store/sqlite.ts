/** SQLite implementation of `Store` on better-sqlite3 12 (Node only). WAL mode; migrations on open. */
import Database from 'better-sqlite3';
import { KapsuleError } from '../errors.ts';
import { FIRST_FORMAT2_SCHEMA, MIGRATIONS, SCHEMA_VERSION } from './schema.ts';
import type {
  AuditRow, CapsuleQuery, CapsuleRecord, CapsuleStatus, CheckpointRow, KvEntry, ModuleRecord, OrderKey, OrphanRecord,
  ResultRecord, Store,
} from './types.ts';

type Row = Record<string, unknown>;
const u8 = (b: unknown): Uint8Array => new Uint8Array(b as Buffer);
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export interface SqliteOptions { readonly?: boolean }

/**
 * Rows of one append-heavy table (audit entries, Merkle nodes) written inside the open transaction and not yet handed
 * to SQLite: inserted 64 to a statement as they accumulate, and the rest before the commit. A multi-row INSERT costs
 * ~1 µs a row here against ~2.4 µs for a statement per row. The rows are the same; only the statements differ.
 */
class RowBuffer {
  private args: unknown[] = [];
  private rows = 0;
  private readonly stmts = new Map<number, Database.Statement>();
  static readonly ROWS = 64;

  constructor(private readonly db: Database.Database, private readonly head: string, private readonly cols: number) {}

  push(...values: unknown[]): void {
    for (const v of values) this.args.push(v);
    if (++this.rows === RowBuffer.ROWS) this.flush();
  }

  /** Inserts what is buffered (a throw leaves nothing buffered: the caller's transaction is failing anyway). */
  flush(): void {
    if (this.rows === 0) return;
    let st = this.stmts.get(this.rows);
    if (st === undefined) {
      const row = `(${Array(this.cols).fill('?').join(', ')})`;
      st = this.db.prepare(this.head + Array(this.rows).fill(row).join(', '));
      this.stmts.set(this.rows, st);
    }
    const args = this.args;
    this.args = [];
    this.rows = 0;
    st.run(...args);
  }

  clear(): void { this.args = []; this.rows = 0; }
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly st: Record<string, Database.Statement>;
  private nextSeq: number;
  private nextOrphanSeq: number;
  private nextAudit: number;
  /**
   * Rows in `orphans`. Most capsules arrive after their parents, so with no orphan stored the two orphan lookups
   * every ingest makes are answered without a query.
   */
  private orphanCount: number;
  /**
   * `PRAGMA data_version` when the counters above were last read: it changes when another connection (another
   * process on the same file) commits, and then the next transaction reloads them under its write lock. -1 after a
   * rollback (the counters ran ahead of what was committed).
   */
  private dataVersion = 0;
  /**
   * Merkle nodes written recently: completing the tree at a commit reads the leaves the transaction wrote and the left
   * edge written by the commit before, so this answers them without a query (4,096: more than one transaction's
   * entries). Cleared with the counters (rollback, another writer), so it never holds a node that is not in the file.
   */
  private merkleRecent = new Map<string, Uint8Array>();
  /** One wrapper for every transaction: `db.transaction(fn)` builds four closures per call, which showed in profiles. */
  private readonly runTx: (fn: () => unknown) => unknown;
  /** Rows written so far (every INSERT/UPDATE/DELETE statement run): tells whether a failed nested unit wrote. */
  private writes = 0;
  /** A nested unit failed after writing: the enclosing transaction must not commit. */
  private poisoned: Error | null = null;
  /** `beforeCommit` functions of the open outermost transaction, in registration order, each once. */
  private hooks: (() => void)[] = [];
  /**
   * Audit rows and Merkle nodes of the open transaction not yet inserted (RowBuffer): flushed before the commit, before
   * a savepoint opens (so a savepoint's rollback only ever concerns rows buffered inside it, which it drops) and
   * before any query that reads those tables.
   */
  private auditBuf!: RowBuffer;
  private merkleBuf!: RowBuffer;
  private readonly readonly: boolean;

  constructor(path: string, opts: SqliteOptions = {}) {
    this.readonly = opts.readonly ?? false;
    try {
      this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
      if (!opts.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        this.db.pragma('temp_store = MEMORY');
        this.db.pragma('cache_size = -32768'); // 32 MiB page cache
      }
      this.db.pragma('foreign_keys = ON');
      this.migrate(opts.readonly ?? false);
    } catch (e) {
      if (e instanceof KapsuleError) throw e;
      throw new KapsuleError('STORE_ERROR', 'store', `cannot open database ${path}: ${(e as Error).message}`);
    }
    const p = (sql: string) => {
      const st = this.db.prepare(sql);
      if (/^\s*(INSERT|UPDATE|DELETE)\b/i.test(sql)) {
        const run = st.run.bind(st);
        st.run = (...args: unknown[]) => { this.writes++; return run(...args); };
      }
      return st;
    };
    this.st = {
      hasCapsule: p('SELECT 1 FROM capsules WHERE id = ?'),
      getCapsule: p('SELECT * FROM capsules WHERE id = ?'),
      parentsOf: p('SELECT parent FROM edges WHERE child = ? ORDER BY parent'),
      children: p('SELECT c.* FROM edges e JOIN capsules c ON c.id = e.child WHERE e.parent = ? ORDER BY c.created_at, c.depth, c.id'),
      childrenBefore: p(`SELECT c.* FROM edges e JOIN capsules c ON c.id = e.child
                         WHERE e.parent = ? AND (c.created_at, c.depth, c.id) < (?, ?, ?) ORDER BY c.created_at, c.depth, c.id`),
      childBytes: p('SELECT c.id, c.bytes FROM edges e JOIN capsules c ON c.id = e.child WHERE e.parent = ? ORDER BY c.created_at, c.depth, c.id').raw(),
      childBytesBefore: p(`SELECT c.id, c.bytes FROM edges e JOIN capsules c ON c.id = e.child
                           WHERE e.parent = ? AND (c.created_at, c.depth, c.id) < (?, ?, ?) ORDER BY c.created_at, c.depth, c.id`).raw(),
      insertCapsule: p(`INSERT INTO capsules (id, seq, kind, author_alg, author, channel, created_at, depth, logic, encrypted, status, bytes)
                        VALUES (@id, @seq, @kind, @author_alg, @author, @channel, @created_at, @depth, @logic, @encrypted, @status, @bytes)`),
      setStatus: p('UPDATE capsules SET status = ? WHERE id = ?'),
      awaiting: p("SELECT * FROM capsules WHERE status = 'awaiting-module' AND logic = ? ORDER BY created_at, depth, id"),
      pending: p("SELECT * FROM capsules WHERE status = 'pending' ORDER BY created_at, depth, id LIMIT ?"),
      pendingModules: p("SELECT logic, kind FROM capsules WHERE status = 'pending' ORDER BY created_at, depth, id LIMIT ?"),
      lastRun: p("SELECT created_at, depth, id FROM capsules WHERE status IN ('executed', 'failed') ORDER BY created_at DESC, depth DESC, id DESC LIMIT 1"),
      runsAfter: p(`SELECT * FROM capsules WHERE status IN ('executed', 'failed') AND (created_at, depth, id) > (?, ?, ?)
                    ORDER BY created_at DESC, depth DESC, id DESC LIMIT ?`),
      putUndo: p('INSERT OR REPLACE INTO undo (capsule_id, data) VALUES (?, ?)'),
      getUndo: p('SELECT data FROM undo WHERE capsule_id = ?'),
      delUndo: p('DELETE FROM undo WHERE capsule_id = ?'),
      putPlaintext: p('INSERT OR REPLACE INTO plaintexts (capsule_id, bytes) VALUES (?, ?)'),
      getPlaintext: p('SELECT bytes FROM plaintexts WHERE capsule_id = ?'),
      insertEdge: p('INSERT OR IGNORE INTO edges (child, parent) VALUES (?, ?)'),
      delHead: p('DELETE FROM heads WHERE channel = ? AND id = ?'),
      hasChild: p('SELECT 1 FROM edges WHERE parent = ? LIMIT 1'),
      addHead: p('INSERT OR IGNORE INTO heads (channel, id) VALUES (?, ?)'),
      headsAll: p('SELECT channel, id FROM heads ORDER BY channel, id'),
      headsOf: p('SELECT channel, id FROM heads WHERE channel = ? ORDER BY id'),
      count: p('SELECT COUNT(*) AS n FROM capsules'),
      maxSeq: p('SELECT COALESCE(MAX(seq), 0) AS n FROM capsules'),
      putResult: p(`INSERT OR REPLACE INTO results (capsule_id, module_id, outcome, output, fuel, now, input_hash, transcript_hash, output_hash, logs, changes, message)
                    VALUES (@capsule_id, @module_id, @outcome, @output, @fuel, @now, @input_hash, @transcript_hash, @output_hash, @logs, @changes, @message)`),
      getResult: p('SELECT * FROM results WHERE capsule_id = ?'),
      resultsOfModule: p('SELECT r.* FROM results r JOIN capsules c ON c.id = r.capsule_id WHERE r.module_id = ? ORDER BY c.seq DESC LIMIT ?'),
      addModule: p('INSERT OR IGNORE INTO modules (id, name, version, author, package) VALUES (?, ?, ?, ?, ?)'),
      getModule: p('SELECT * FROM modules WHERE id = ?'),
      listModules: p('SELECT * FROM modules ORDER BY name, version, id'),
      getCompiled: p('SELECT bytes FROM compiled_cache WHERE key = ?'),
      putCompiled: p('INSERT OR REPLACE INTO compiled_cache (key, bytes) VALUES (?, ?)'),
      trust: p('SELECT score FROM trust WHERE subject = ?'),
      setTrust: p('INSERT OR REPLACE INTO trust (subject, score) VALUES (?, ?)'),
      delTrust: p('DELETE FROM trust WHERE subject = ?'),
      allTrust: p('SELECT subject, score FROM trust ORDER BY subject'),
      balance: p('SELECT amount FROM balances WHERE account = ?'),
      setBalance: p('INSERT OR REPLACE INTO balances (account, amount) VALUES (?, ?)'),
      delBalance: p('DELETE FROM balances WHERE account = ?'),
      allKv: p('SELECT module_id, key, value FROM kv ORDER BY module_id, key'),
      allBalances: p('SELECT account, amount FROM balances ORDER BY account'),
      kvGet: p('SELECT value FROM kv WHERE module_id = ? AND key = ?'),
      kvSet: p('INSERT OR REPLACE INTO kv (module_id, key, value) VALUES (?, ?, ?)'),
      kvDel: p('DELETE FROM kv WHERE module_id = ? AND key = ?'),
      addOrphan: p('INSERT OR IGNORE INTO orphans (id, seq, bytes, hold_until) VALUES (?, ?, ?, ?)'),
      heldDue: p('SELECT * FROM orphans WHERE hold_until IS NOT NULL AND hold_until <= ? ORDER BY seq'),
      addWait: p('INSERT OR IGNORE INTO orphan_waits (parent, child) VALUES (?, ?)'),
      hasOrphan: p('SELECT 1 FROM orphans WHERE id = ?'),
      waiting: p('SELECT o.* FROM orphan_waits w JOIN orphans o ON o.id = w.child WHERE w.parent = ? ORDER BY o.seq'),
      waitsOf: p('SELECT parent FROM orphan_waits WHERE child = ? ORDER BY parent'),
      delOrphan: p('DELETE FROM orphans WHERE id = ?'),
      delWaits: p('DELETE FROM orphan_waits WHERE child = ?'),
      listOrphans: p('SELECT * FROM orphans ORDER BY seq'),
      maxOrphanSeq: p('SELECT COALESCE(MAX(seq), 0) AS n FROM orphans'),
      orphanCount: p('SELECT COUNT(*) AS n FROM orphans'),
      dataVersion: p('PRAGMA data_version').pluck(),
      appendAudit: p('INSERT INTO audit (idx, entry, leaf) VALUES (?, ?, ?)'),
      auditSize: p('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM audit'),
      auditRange: p('SELECT idx, entry, leaf FROM audit WHERE idx >= ? AND idx < ? ORDER BY idx'),
      merkleGet: p('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?'),
      merklePut: p('INSERT OR REPLACE INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'),
      getMeta: p('SELECT value FROM meta WHERE key = ?'),
      setMeta: p('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      addCheckpoint: p('INSERT OR REPLACE INTO checkpoints (size, text) VALUES (?, ?)'),
      checkpoints: p('SELECT size, text FROM checkpoints ORDER BY size'),
      latestCheckpoint: p('SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1'),
      getAdmittedKey: p('SELECT record FROM admitted_keys WHERE alg = ? AND key = ?').pluck(),
      putAdmittedKey: p('INSERT OR REPLACE INTO admitted_keys (alg, key, record) VALUES (?, ?, ?)'),
    };
    // BEGIN IMMEDIATE: the write lock is taken first, so counters reloaded inside cannot go stale before the writes.
    const tx = this.db.transaction((fn: () => unknown) => {
      if (this.st.dataVersion.get() !== this.dataVersion) this.loadCounters();
      return fn();
    });
    this.runTx = opts.readonly ? tx : (fn) => tx.immediate(fn);
    this.auditBuf = new RowBuffer(this.db, 'INSERT INTO audit (idx, entry, leaf) VALUES ', 3);
    this.merkleBuf = new RowBuffer(this.db, 'INSERT OR REPLACE INTO merkle_nodes (level, idx, hash) VALUES ', 3);
    this.nextSeq = this.nextOrphanSeq = this.orphanCount = this.nextAudit = 0;
    this.loadCounters();
  }

  private loadCounters(): void {
    this.nextSeq = (this.st.maxSeq.get() as { n: number }).n + 1;
    this.nextOrphanSeq = (this.st.maxOrphanSeq.get() as { n: number }).n + 1;
    this.orphanCount = (this.st.orphanCount.get() as { n: number }).n;
    this.nextAudit = (this.st.auditSize.get() as { n: number }).n;
    this.dataVersion = this.st.dataVersion.get() as number;
    this.merkleRecent.clear();
  }

  /** Outside a transaction, whether another connection may have stored an orphan since the count was taken. */
  private orphansPossible(): boolean {
    if (this.orphanCount === 0 && !this.db.inTransaction && this.st.dataVersion.get() !== this.dataVersion) this.loadCounters();
    return this.orphanCount > 0;
  }

  private migrate(readonly: boolean): void {
    const v = this.db.pragma('user_version', { simple: true }) as number;
    if (v > SCHEMA_VERSION) {
      throw new KapsuleError('STORE_ERROR', 'store', `database schema version ${v} is newer than this kapsule-rt (${SCHEMA_VERSION})`);
    }
    if (v === SCHEMA_VERSION) return;
    if (v > 0 && v < FIRST_FORMAT2_SCHEMA && (this.db.prepare('SELECT COUNT(*) AS n FROM capsules').get() as { n: number }).n > 0) {
      throw new KapsuleError('STORE_ERROR', 'store', `database schema version ${v} holds format-1 capsules, which this kapsule-rt (format 2) cannot read; start a new store and ingest format-2 capsules`);
    }
    if (readonly) throw new KapsuleError('STORE_ERROR', 'store', `database schema version ${v} needs migration; open it read-write`);
    this.db.transaction(() => {
      for (let i = v; i < SCHEMA_VERSION; i++) this.db.exec(MIGRATIONS[i]);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  /** Inside `batch`: nested transactions run flat. */
  private flat = false;

  /**
   * Runs `fn` atomically; nested calls are SAVEPOINTs, except inside `batch`, where they run flat — savepoints cost
   * ~40% of the store's per-capsule time here. Atomicity per unit is then kept by refusal: if a nested unit throws
   * after it wrote anything, the batch is poisoned and rolls back as a whole even if the caller caught the error
   * (nothing half-written ever commits). A nested unit that throws before writing (e.g. a validation error)
   * leaves the batch usable.
   */
  batch<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.transaction(fn);
    this.flat = true;
    try { return this.transaction(fn); } finally { this.flat = false; }
  }

  transaction<T>(fn: () => T): T {
    if (this.flat && this.db.inTransaction) {
      const w0 = this.writes;
      try { return fn(); } catch (e) {
        if (this.writes !== w0) this.poisoned ??= e as Error;
        throw e;
      }
    }
    const seq = this.nextSeq, oseq = this.nextOrphanSeq, aseq = this.nextAudit, orphans = this.orphanCount;
    const outermost = !this.db.inTransaction;
    if (!outermost) this.flushRows();
    this.poisoned = null;
    try {
      return this.runTx(() => {
        const r = fn();
        if (this.poisoned) {
          throw new KapsuleError('STORE_ERROR', 'store', `a unit of this transaction failed after writing (${this.poisoned.message}); nothing of this transaction was written`);
        }
        if (outermost) { this.runHooks(); this.flushRows(); }
        return r;
      }) as T;
    } catch (e) {
      // Rolled back (to the savepoint, or entirely): the counters go back with it, and are reloaded from the store
      // before the next transaction uses them (in case they were reloaded inside the part that was undone).
      this.nextSeq = seq; this.nextOrphanSeq = oseq; this.nextAudit = aseq; this.orphanCount = orphans;
      this.dataVersion = -1;
      this.merkleRecent.clear();
      if (outermost) this.hooks = [];
      this.auditBuf.clear();
      this.merkleBuf.clear();
      // Disk full, read-only file, locked database…: a typed error (the transaction has been rolled back).
      if (e instanceof Database.SqliteError) {
        throw new KapsuleError('STORE_ERROR', 'store', `database write failed (${e.code}): ${e.message}; nothing of this transaction was written`, { sqlite: e.code });
      }
      throw e;
    }
  }

  recover(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.flat = false;
    this.poisoned = null;
    this.dataVersion = -1; // counters are reloaded from the file by the next transaction
    this.merkleRecent.clear();
    this.hooks = [];
    this.auditBuf.clear();
    this.merkleBuf.clear();
  }

  beforeCommit(fn: () => void): void {
    if (!this.db.inTransaction) { fn(); return; }
    if (!this.hooks.includes(fn)) this.hooks.push(fn);
  }

  private flushRows(): void { this.auditBuf.flush(); this.merkleBuf.flush(); }

  /** Runs the registered `beforeCommit` functions (and any they register) inside the outermost transaction. */
  private runHooks(): void {
    while (this.hooks.length > 0) this.hooks.shift()!();
  }

  close(): void { if (this.db.open) this.db.close(); }

  private capsule(r: Row): CapsuleRecord {
    const id = u8(r.id);
    return {
      id, seq: r.seq as number, kind: r.kind as string, authorAlg: r.author_alg as string, author: u8(r.author),
      channel: r.channel as string, createdAt: r.created_at as number, depth: r.depth as number, logic: r.logic ? u8(r.logic) : null,
      encrypted: r.encrypted === 1, status: r.status as CapsuleRecord['status'],
      parents: (this.st.parentsOf.all(buf(id)) as Row[]).map((x) => u8(x.parent)), bytes: u8(r.bytes),
    };
  }

  hasCapsule(id: Uint8Array): boolean { return this.st.hasCapsule.get(buf(id)) !== undefined; }
  getCapsule(id: Uint8Array): CapsuleRecord | null {
    const r = this.st.getCapsule.get(buf(id)) as Row | undefined;
    return r ? this.capsule(r) : null;
  }
  findCapsules(q: CapsuleQuery): CapsuleRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.channel !== undefined) { where.push('channel = ?'); args.push(q.channel); }
    if (q.kind !== undefined) { where.push('kind = ?'); args.push(q.kind); }
    if (q.author !== undefined) { where.push('author = ?'); args.push(buf(q.author)); }
    if (q.status !== undefined) { where.push('status = ?'); args.push(q.status); }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM capsules ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
                 ORDER BY created_at ${dir}, id ${dir} LIMIT ?`;
    args.push(q.limit ?? -1);
    return (this.db.prepare(sql).all(...args) as Row[]).map((r) => this.capsule(r));
  }
  children(id: Uint8Array): CapsuleRecord[] {
    return (this.st.children.all(buf(id)) as Row[]).map((r) => this.capsule(r));
  }
  childBytes(id: Uint8Array, key: OrderKey | null): { id: Uint8Array; bytes: Uint8Array }[] {
    const rows = (key ? this.st.childBytesBefore.all(buf(id), key.createdAt, key.depth, buf(key.id)) : this.st.childBytes.all(buf(id))) as [Buffer, Buffer][];
    return rows.map(([i, b]) => ({ id: u8(i), bytes: u8(b) }));
  }

  childrenBefore(id: Uint8Array, key: OrderKey): CapsuleRecord[] {
    return (this.st.childrenBefore.all(buf(id), key.createdAt, key.depth, buf(key.id)) as Row[]).map((r) => this.capsule(r));
  }
  topological(channel?: string): CapsuleRecord[] {
    // Parents are always stored before children (orphans wait), so ingest order is a topological order.
    const sql = `SELECT * FROM capsules ${channel !== undefined ? 'WHERE channel = ?' : ''} ORDER BY seq`;
    const rows = (channel !== undefined ? this.db.prepare(sql).all(channel) : this.db.prepare(sql).all()) as Row[];
    return rows.map((r) => this.capsule(r));
  }
  heads(channel?: string): { channel: string; id: Uint8Array }[] {
    const rows = (channel !== undefined ? this.st.headsOf.all(channel) : this.st.headsAll.all()) as Row[];
    return rows.map((r) => ({ channel: r.channel as string, id: u8(r.id) }));
  }
  insertCapsule(c: Omit<CapsuleRecord, 'seq'>): number {
    const seq = this.nextSeq++;
    this.st.insertCapsule.run({
      id: buf(c.id), seq, kind: c.kind, author_alg: c.authorAlg, author: buf(c.author), channel: c.channel,
      created_at: c.createdAt, depth: c.depth, logic: c.logic ? buf(c.logic) : null, encrypted: c.encrypted ? 1 : 0,
      status: c.status, bytes: buf(c.bytes),
    });
    for (const p of c.parents) {
      this.st.insertEdge.run(buf(c.id), buf(p));
      this.st.delHead.run(c.channel, buf(p));
    }
    if (this.st.hasChild.get(buf(c.id)) === undefined) this.st.addHead.run(c.channel, buf(c.id));
    return seq;
  }
  countCapsules(): number { return (this.st.count.get() as { n: number }).n; }
  setStatus(id: Uint8Array, status: CapsuleStatus): void { this.st.setStatus.run(status, buf(id)); }
  awaitingModule(moduleId: Uint8Array): CapsuleRecord[] {
    return (this.st.awaiting.all(buf(moduleId)) as Row[]).map((r) => this.capsule(r));
  }

  pendingRuns(limit: number): CapsuleRecord[] {
    return (this.st.pending.all(limit) as Row[]).map((r) => this.capsule(r));
  }
  pendingModules(limit: number): { logic: Uint8Array | null; kind: string }[] {
    return (this.st.pendingModules.all(limit) as Row[]).map((r) => ({ logic: r.logic ? u8(r.logic) : null, kind: r.kind as string }));
  }
  lastRun(): OrderKey | null {
    const r = this.st.lastRun.get() as Row | undefined;
    return r ? { createdAt: r.created_at as number, depth: r.depth as number, id: u8(r.id) } : null;
  }
  runsAfter(key: OrderKey, limit: number): CapsuleRecord[] {
    return (this.st.runsAfter.all(key.createdAt, key.depth, buf(key.id), limit) as Row[]).map((r) => this.capsule(r));
  }
  putUndo(capsuleId: Uint8Array, data: Uint8Array): void { this.st.putUndo.run(buf(capsuleId), buf(data)); }
  takeUndo(capsuleId: Uint8Array): Uint8Array | null {
    const r = this.st.getUndo.get(buf(capsuleId)) as Row | undefined;
    if (!r) return null;
    this.st.delUndo.run(buf(capsuleId));
    return u8(r.data);
  }
  putPlaintext(capsuleId: Uint8Array, bytes: Uint8Array): void { this.st.putPlaintext.run(buf(capsuleId), buf(bytes)); }
  getPlaintext(capsuleId: Uint8Array): Uint8Array | null {
    const r = this.st.getPlaintext.get(buf(capsuleId)) as Row | undefined;
    return r ? u8(r.bytes) : null;
  }

  putResult(r: ResultRecord): void {
    this.st.putResult.run({
      capsule_id: buf(r.capsuleId), module_id: buf(r.moduleId), outcome: r.outcome,
      output: r.output ? buf(r.output) : null, fuel: r.fuel.toString(), now: Number(r.now),
      input_hash: buf(r.inputHash), transcript_hash: r.transcriptHash ? buf(r.transcriptHash) : null,
      output_hash: r.outputHash ? buf(r.outputHash) : null, logs: JSON.stringify(r.logs), changes: r.changes,
      message: r.message,
    });
  }
  private result(r: Row): ResultRecord {
    return {
      capsuleId: u8(r.capsule_id), moduleId: u8(r.module_id), outcome: r.outcome as string,
      output: r.output ? u8(r.output) : null, fuel: BigInt(r.fuel as string), now: BigInt(r.now as number),
      inputHash: u8(r.input_hash), transcriptHash: r.transcript_hash ? u8(r.transcript_hash) : null,
      outputHash: r.output_hash ? u8(r.output_hash) : null, logs: JSON.parse(r.logs as string) as string[],
      changes: r.changes as number, message: (r.message as string | null) ?? null,
    };
  }
  getResult(capsuleId: Uint8Array): ResultRecord | null {
    const r = this.st.getResult.get(buf(capsuleId)) as Row | undefined;
    return r ? this.result(r) : null;
  }
  resultsOfModule(moduleId: Uint8Array, limit = -1): ResultRecord[] {
    return (this.st.resultsOfModule.all(buf(moduleId), limit) as Row[]).map((r) => this.result(r));
  }

  addModule(m: ModuleRecord): boolean {
    return this.st.addModule.run(buf(m.id), m.name, m.version, buf(m.author), buf(m.package)).changes === 1;
  }
  private module(r: Row): ModuleRecord {
    return { id: u8(r.id), name: r.name as string, version: r.version as string, author: u8(r.author), package: u8(r.package) };
  }
  getModule(id: Uint8Array): ModuleRecord | null {
    const r = this.st.getModule.get(buf(id)) as Row | undefined;
    return r ? this.module(r) : null;
  }
  listModules(): ModuleRecord[] { return (this.st.listModules.all() as Row[]).map((r) => this.module(r)); }
  getCompiled(key: string): Uint8Array | undefined {
    const r = this.st.getCompiled.get(key) as Row | undefined;
    return r ? u8(r.bytes) : undefined;
  }
  putCompiled(key: string, bytes: Uint8Array): void { this.st.putCompiled.run(key, buf(bytes)); }

  trustScore(subject: Uint8Array): bigint {
    const r = this.st.trust.get(buf(subject)) as Row | undefined;
    return r ? BigInt(r.score as string) : 0n;
  }
  balance(account: Uint8Array): bigint {
    const r = this.st.balance.get(buf(account)) as Row | undefined;
    return r ? BigInt(r.amount as string) : 0n;
  }
  kvGet(moduleId: string, key: Uint8Array): Uint8Array | null {
    const r = this.st.kvGet.get(moduleId, buf(key)) as Row | undefined;
    return r ? u8(r.value) : null;
  }
  trustGet(subject: Uint8Array): bigint | null {
    const r = this.st.trust.get(buf(subject)) as Row | undefined;
    return r ? BigInt(r.score as string) : null;
  }
  balanceGet(account: Uint8Array): bigint | null {
    const r = this.st.balance.get(buf(account)) as Row | undefined;
    return r ? BigInt(r.amount as string) : null;
  }
  setTrust(subject: Uint8Array, score: bigint | null): void {
    if (score === null) this.st.delTrust.run(buf(subject));
    else this.st.setTrust.run(buf(subject), score.toString());
  }
  setBalance(account: Uint8Array, amount: bigint | null): void {
    if (amount === null) this.st.delBalance.run(buf(account));
    else this.st.setBalance.run(buf(account), amount.toString());
  }
  kvSet(moduleId: string, key: Uint8Array, value: Uint8Array | null): void {
    if (value === null) this.st.kvDel.run(moduleId, buf(key));
    else this.st.kvSet.run(moduleId, buf(key), buf(value));
  }
  allTrust(): { subject: Uint8Array; score: bigint }[] {
    return (this.st.allTrust.all() as Row[]).map((r) => ({ subject: u8(r.subject), score: BigInt(r.score as string) }));
  }
  allBalances(): { account: Uint8Array; amount: bigint }[] {
    return (this.st.allBalances.all() as Row[]).map((r) => ({ account: u8(r.account), amount: BigInt(r.amount as string) }));
  }
  allKv(): KvEntry[] {
    return (this.st.allKv.all() as Row[]).map((r) => ({ moduleId: r.module_id as string, key: u8(r.key), value: u8(r.value) }));
  }

  addOrphan(o: Omit<OrphanRecord, 'seq'>): void {
    if (this.st.addOrphan.run(buf(o.id), this.nextOrphanSeq, buf(o.bytes), o.holdUntil).changes === 1) { this.nextOrphanSeq++; this.orphanCount++; }
    for (const p of o.missing) this.st.addWait.run(buf(p), buf(o.id));
  }
  hasOrphan(id: Uint8Array): boolean { return this.orphansPossible() && this.st.hasOrphan.get(buf(id)) !== undefined; }
  private orphan(r: Row): OrphanRecord {
    const id = u8(r.id);
    return {
      id, seq: r.seq as number, bytes: u8(r.bytes), missing: (this.st.waitsOf.all(buf(id)) as Row[]).map((x) => u8(x.parent)),
      holdUntil: (r.hold_until as number | null) ?? null,
    };
  }
  orphansWaitingFor(parent: Uint8Array): OrphanRecord[] {
    if (!this.orphansPossible()) return [];
    return (this.st.waiting.all(buf(parent)) as Row[]).map((r) => this.orphan(r));
  }
  heldDue(clock: number): OrphanRecord[] {
    if (!this.orphansPossible()) return [];
    return (this.st.heldDue.all(clock) as Row[]).map((r) => this.orphan(r));
  }
  removeOrphan(id: Uint8Array): void { this.st.delWaits.run(buf(id)); this.orphanCount -= this.st.delOrphan.run(buf(id)).changes; }
  listOrphans(): OrphanRecord[] { return (this.st.listOrphans.all() as Row[]).map((r) => this.orphan(r)); }

  appendAudit(entry: Uint8Array, leaf: Uint8Array): number {
    const idx = this.nextAudit;
    if (this.db.inTransaction) {
      this.writes++;
      this.auditBuf.push(idx, Buffer.from(entry), Buffer.from(leaf));
    } else this.st.appendAudit.run(idx, buf(entry), buf(leaf));
    this.nextAudit = idx + 1;
    return idx;
  }
  auditSize(): number { this.auditBuf.flush(); return (this.st.auditSize.get() as { n: number }).n; }
  auditRange(from: number, to: number): AuditRow[] {
    this.auditBuf.flush();
    return (this.st.auditRange.all(from, to) as Row[]).map((r) => ({ index: r.idx as number, entry: u8(r.entry), leaf: u8(r.leaf) }));
  }
  merkleGet(level: number, index: number): Uint8Array | undefined {
    const hit = this.merkleRecent.get(`${level}/${index}`);
    if (hit) return hit.slice();
    this.merkleBuf.flush();
    const r = this.st.merkleGet.get(level, index) as Row | undefined;
    return r ? u8(r.hash) : undefined;
  }
  merklePut(level: number, index: number, hash: Uint8Array): void {
    const copy = hash.slice();
    if (this.db.inTransaction) {
      this.writes++;
      this.merkleBuf.push(level, index, Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength));
    } else this.st.merklePut.run(level, index, buf(hash));
    if (this.merkleRecent.size >= 4096) { this.merkleBuf.flush(); this.merkleRecent.clear(); }
    this.merkleRecent.set(`${level}/${index}`, copy);
  }
  getAdmittedKey(alg: string, key: Uint8Array): Uint8Array | null {
    const r = this.st.getAdmittedKey.get(alg, buf(key)) as Buffer | undefined;
    return r === undefined ? null : u8(r);
  }
  putAdmittedKey(alg: string, key: Uint8Array, record: Uint8Array): void {
    if (!this.readonly) this.st.putAdmittedKey.run(alg, buf(key), buf(record));
  }
  getMeta(key: string): string | null {
    const r = this.st.getMeta.get(key) as Row | undefined;
    return r ? (r.value as string) : null;
  }
  setMeta(key: string, value: string): void { this.st.setMeta.run(key, value); }
  addCheckpoint(c: CheckpointRow): void { this.st.addCheckpoint.run(c.size, c.text); }
  checkpoints(): CheckpointRow[] { return this.st.checkpoints.all() as CheckpointRow[]; }
  latestCheckpoint(): CheckpointRow | null { return (this.st.latestCheckpoint.get() as CheckpointRow | undefined) ?? null; }
}
