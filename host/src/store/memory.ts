/**
 * In-memory implementation of `Store` (portable: no Node import), for browsers, tests and short-lived runtimes.
 * Same observable semantics as `SqliteStore`: the same orderings (BLOBs compare bytewise, TEXT by code point),
 * INSERT-OR-IGNORE / INSERT-OR-REPLACE behaviour per table, heads maintained on insert, and all-or-nothing
 * `transaction(fn)`: every write inside is journalled with its undo step, and a throw rolls the journal back to
 * where that (possibly nested) transaction began, like a SQLite savepoint. Bytes are copied in and out, so a
 * caller mutating an array it passed or received never changes what is stored.
 */
import { compareBytes, fromHex, toHex } from '../bytes.ts';
import { KapsuleError } from '../errors.ts';
import {
  compareKeys,
  type AuditRow, type CapsuleQuery, type CapsuleRecord, type CapsuleStatus, type CheckpointRow, type KvEntry,
  type ModuleRecord, type OrderKey, type OrphanRecord, type ResultRecord, type Store,
} from './types.ts';

const copy = (b: Uint8Array): Uint8Array => b.slice();
const copyOrNull = (b: Uint8Array | null): Uint8Array | null => (b ? b.slice() : null);

/** SQLite's BINARY collation on UTF-8 text is code-point order; JS `<` on strings is UTF-16 code-unit order. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

interface StoredCapsule extends Omit<CapsuleRecord, 'parents'> { parents: Map<string, Uint8Array> }
interface StoredResult extends Omit<ResultRecord, 'logs'> { logs: string }
interface StoredOrphan { id: Uint8Array; seq: number; bytes: Uint8Array; holdUntil: number | null }
const isRun = (s: CapsuleStatus) => s === 'executed' || s === 'failed';

/** A Map whose writes are journalled while a transaction is open. */
class Table<K, V> {
  readonly m = new Map<K, V>();
  constructor(private readonly store: MemoryStore) {}
  get(k: K): V | undefined { return this.m.get(k); }
  has(k: K): boolean { return this.m.has(k); }
  get size(): number { return this.m.size; }
  values(): IterableIterator<V> { return this.m.values(); }
  set(k: K, v: V): void {
    const had = this.m.has(k);
    const old = this.m.get(k);
    this.m.set(k, v);
    this.store.journal(() => { if (had) this.m.set(k, old as V); else this.m.delete(k); });
  }
  delete(k: K): boolean {
    if (!this.m.has(k)) return false;
    const old = this.m.get(k) as V;
    this.m.delete(k);
    this.store.journal(() => { this.m.set(k, old); });
    return true;
  }
}

/** A journalled many-to-many relation key → (member hex → member bytes), e.g. parent → children. */
class Relation {
  readonly m = new Map<string, Map<string, Uint8Array>>();
  constructor(private readonly store: MemoryStore) {}
  members(k: string): Map<string, Uint8Array> | undefined { return this.m.get(k); }
  has(k: string, member: string): boolean { return this.m.get(k)?.has(member) ?? false; }
  add(k: string, member: string, value: Uint8Array): void {
    let s = this.m.get(k);
    if (s?.has(member)) return;
    if (!s) this.m.set(k, (s = new Map()));
    s.set(member, value.slice());
    this.store.journal(() => this.drop(k, member));
  }
  remove(k: string, member: string): void {
    const s = this.m.get(k);
    const old = s?.get(member);
    if (!s || old === undefined) return;
    this.drop(k, member);
    this.store.journal(() => {
      let t = this.m.get(k);
      if (!t) this.m.set(k, (t = new Map()));
      t.set(member, old);
    });
  }
  private drop(k: string, member: string): void {
    const s = this.m.get(k);
    if (!s) return;
    s.delete(member);
    if (s.size === 0) this.m.delete(k);
  }
}

export class MemoryStore implements Store {
  private undo: (() => void)[] = [];
  private depth = 0;
  private closed = false;
  private nextSeq = 1;
  /** The sequence counters when the outermost open transaction began (recover() restores them). */
  private counters = { seq: 1, oseq: 1 };
  private nextOrphanSeq = 1;

  private readonly capsules = new Table<string, StoredCapsule>(this);
  /** parent hex → child hex → child id (the edges table, indexed by parent). */
  private readonly childrenOf = new Relation(this);
  /** channel → head hex → id. */
  private readonly headsOf = new Relation(this);
  private readonly results = new Table<string, StoredResult>(this);
  private readonly modules = new Table<string, ModuleRecord>(this);
  private readonly compiled = new Table<string, Uint8Array>(this);
  private readonly trust = new Table<string, { subject: Uint8Array; score: bigint }>(this);
  private readonly balances = new Table<string, { account: Uint8Array; amount: bigint }>(this);
  private readonly kv = new Table<string, Uint8Array>(this);
  private readonly orphans = new Table<string, StoredOrphan>(this);
  /** parent hex → child hex → child id (orphan_waits). */
  private readonly waitsByParent = new Relation(this);
  /** child hex → parent hex → parent id (orphan_waits, the other way). */
  private readonly waitsByChild = new Relation(this);
  private readonly audit = new Table<number, { entry: Uint8Array; leaf: Uint8Array }>(this);
  private readonly merkle = new Table<string, Uint8Array>(this);
  private readonly undoRecords = new Table<string, Uint8Array>(this);
  private readonly plaintexts = new Table<string, Uint8Array>(this);
  private readonly meta = new Table<string, string>(this);
  private readonly checkpointRows = new Table<number, string>(this);
  /** `${alg}\u0000${key hex}` → record. */
  private readonly admittedKeys = new Table<string, Uint8Array>(this);
  /** `beforeCommit` functions of the open outermost transaction, in registration order, each once. */
  private hooks: (() => void)[] = [];

  /** Records how to undo one write; called by the tables. Outside a transaction a write is final. */
  journal(step: () => void): void {
    if (this.depth > 0) this.undo.push(step);
  }

  transaction<T>(fn: () => T): T {
    this.open();
    const mark = this.undo.length;
    const seq = this.nextSeq;
    const oseq = this.nextOrphanSeq;
    if (this.depth === 0) this.counters = { seq, oseq };
    this.depth++;
    try {
      const out = fn();
      if (out instanceof Promise) throw new TypeError('MemoryStore.transaction: fn must be synchronous (it returned a Promise)');
      if (this.depth === 1) while (this.hooks.length > 0) this.hooks.shift()!();
      return out;
    } catch (e) {
      while (this.undo.length > mark) this.undo.pop()!();
      this.nextSeq = seq;
      this.nextOrphanSeq = oseq;
      if (this.depth === 1) this.hooks = [];
      throw e;
    } finally {
      this.depth--;
      if (this.depth === 0) this.undo = [];
    }
  }

  recover(): void {
    // an interrupted transaction never reached its catch: undo everything it journalled
    if (this.depth === 0) return;
    while (this.undo.length) this.undo.pop()!();
    this.nextSeq = this.counters.seq;
    this.nextOrphanSeq = this.counters.oseq;
    this.depth = 0;
    this.hooks = [];
  }

  beforeCommit(fn: () => void): void {
    this.open();
    if (this.depth === 0) { fn(); return; }
    if (!this.hooks.includes(fn)) this.hooks.push(fn);
  }

  /** Journalled savepoints cost next to nothing here: a batch is a transaction. */
  batch<T>(fn: () => T): T { return this.transaction(fn); }

  close(): void { this.closed = true; }

  private open(): void {
    if (this.closed) throw new KapsuleError('STORE_ERROR', 'store', 'the store is closed');
  }

  // ---- capsules and the DAG ----

  private capsule(c: StoredCapsule): CapsuleRecord {
    const parents = [...c.parents.values()].sort(compareBytes).map(copy);
    return {
      id: copy(c.id), seq: c.seq, kind: c.kind, authorAlg: c.authorAlg, author: copy(c.author), channel: c.channel,
      createdAt: c.createdAt, depth: c.depth, logic: copyOrNull(c.logic), encrypted: c.encrypted, status: c.status, parents,
      bytes: copy(c.bytes),
    };
  }

  /** Stored capsules matching `keep`, in canonical order. */
  private ordered(keep: (c: StoredCapsule) => boolean, from: Iterable<StoredCapsule> = this.capsules.values()): StoredCapsule[] {
    const out: StoredCapsule[] = [];
    for (const c of from) if (keep(c)) out.push(c);
    return out.sort(compareKeys);
  }

  hasCapsule(id: Uint8Array): boolean { this.open(); return this.capsules.has(toHex(id)); }

  getCapsule(id: Uint8Array): CapsuleRecord | null {
    this.open();
    const c = this.capsules.get(toHex(id));
    return c ? this.capsule(c) : null;
  }

  findCapsules(q: CapsuleQuery): CapsuleRecord[] {
    this.open();
    const dir = q.order === 'asc' ? 1 : -1;
    const rows = [...this.capsules.values()].filter((c) =>
      (q.channel === undefined || c.channel === q.channel)
      && (q.kind === undefined || c.kind === q.kind)
      && (q.author === undefined || compareBytes(c.author, q.author) === 0)
      && (q.status === undefined || c.status === q.status));
    rows.sort((a, b) => dir * (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : compareBytes(a.id, b.id)));
    const limit = q.limit ?? -1;
    return (limit >= 0 ? rows.slice(0, limit) : rows).map((c) => this.capsule(c));
  }

  children(id: Uint8Array): CapsuleRecord[] {
    this.open();
    return this.childRows(id).map((c) => this.capsule(c));
  }

  childrenBefore(id: Uint8Array, key: OrderKey): CapsuleRecord[] {
    this.open();
    return this.childRows(id).filter((c) => compareKeys(c, key) < 0).map((c) => this.capsule(c));
  }

  childBytes(id: Uint8Array, key: OrderKey | null): { id: Uint8Array; bytes: Uint8Array }[] {
    this.open();
    return this.childRows(id).filter((c) => key === null || compareKeys(c, key) < 0).map((c) => {
      const r = this.capsule(c);
      return { id: r.id, bytes: r.bytes };
    });
  }

  private childRows(id: Uint8Array): StoredCapsule[] {
    const kids = this.childrenOf.members(toHex(id));
    if (!kids) return [];
    const rows = [...kids.keys()].map((k) => this.capsules.get(k)).filter((c): c is StoredCapsule => c !== undefined);
    return this.ordered(() => true, rows);
  }

  setStatus(id: Uint8Array, status: CapsuleStatus): void {
    this.open();
    const k = toHex(id);
    const c = this.capsules.get(k);
    if (c) this.capsules.set(k, { ...c, status });
  }

  awaitingModule(moduleId: Uint8Array): CapsuleRecord[] {
    this.open();
    return this.ordered((c) => c.status === 'awaiting-module' && c.logic !== null && compareBytes(c.logic, moduleId) === 0)
      .map((c) => this.capsule(c));
  }

  // ---- runs in canonical order ----

  pendingRuns(limit: number): CapsuleRecord[] {
    this.open();
    return this.ordered((c) => c.status === 'pending').slice(0, limit).map((c) => this.capsule(c));
  }

  pendingModules(limit: number): { logic: Uint8Array | null; kind: string }[] {
    this.open();
    return this.ordered((c) => c.status === 'pending').slice(0, limit).map((c) => ({ logic: copyOrNull(c.logic), kind: c.kind }));
  }

  lastRun(): OrderKey | null {
    this.open();
    let best: StoredCapsule | null = null;
    for (const c of this.capsules.values()) if (isRun(c.status) && (best === null || compareKeys(c, best) > 0)) best = c;
    return best ? { createdAt: best.createdAt, depth: best.depth, id: copy(best.id) } : null;
  }

  runsAfter(key: OrderKey, limit: number): CapsuleRecord[] {
    this.open();
    return this.ordered((c) => isRun(c.status) && compareKeys(c, key) > 0).reverse().slice(0, limit).map((c) => this.capsule(c));
  }

  putUndo(capsuleId: Uint8Array, data: Uint8Array): void { this.open(); this.undoRecords.set(toHex(capsuleId), copy(data)); }

  takeUndo(capsuleId: Uint8Array): Uint8Array | null {
    this.open();
    const k = toHex(capsuleId);
    const d = this.undoRecords.get(k);
    if (d === undefined) return null;
    this.undoRecords.delete(k);
    return copy(d);
  }

  putPlaintext(capsuleId: Uint8Array, bytes: Uint8Array): void { this.open(); this.plaintexts.set(toHex(capsuleId), copy(bytes)); }

  getPlaintext(capsuleId: Uint8Array): Uint8Array | null {
    this.open();
    const b = this.plaintexts.get(toHex(capsuleId));
    return b ? copy(b) : null;
  }

  topological(channel?: string): CapsuleRecord[] {
    this.open();
    // Parents are always stored before children (orphans wait), so ingest order is a topological order.
    return [...this.capsules.values()].filter((c) => channel === undefined || c.channel === channel)
      .sort((a, b) => a.seq - b.seq).map((c) => this.capsule(c));
  }

  heads(channel?: string): { channel: string; id: Uint8Array }[] {
    this.open();
    const out: { channel: string; id: Uint8Array }[] = [];
    const channels = channel !== undefined ? [channel] : [...this.headsOf.m.keys()].sort(compareText);
    for (const ch of channels) {
      const hs = this.headsOf.members(ch);
      if (hs) for (const id of [...hs.values()].sort(compareBytes)) out.push({ channel: ch, id: copy(id) });
    }
    return out;
  }

  insertCapsule(c: Omit<CapsuleRecord, 'seq'>): number {
    this.open();
    const seq = this.nextSeq++;
    const idHex = toHex(c.id);
    if (this.capsules.has(idHex)) {
      throw new KapsuleError('STORE_ERROR', 'store', `capsule ${idHex} is already stored (UNIQUE constraint on capsules.id)`);
    }
    const parents = new Map<string, Uint8Array>();
    for (const p of c.parents) parents.set(toHex(p), copy(p));
    this.capsules.set(idHex, {
      id: copy(c.id), seq, kind: c.kind, authorAlg: c.authorAlg, author: copy(c.author), channel: c.channel,
      createdAt: c.createdAt, depth: c.depth, logic: copyOrNull(c.logic), encrypted: c.encrypted, status: c.status, parents,
      bytes: copy(c.bytes),
    });
    for (const pHex of parents.keys()) {
      this.childrenOf.add(pHex, idHex, c.id);
      this.headsOf.remove(c.channel, pHex);
    }
    if (!this.childrenOf.members(idHex)) this.headsOf.add(c.channel, idHex, c.id);
    return seq;
  }

  countCapsules(): number { this.open(); return this.capsules.size; }

  // ---- results ----

  putResult(r: ResultRecord): void {
    this.open();
    this.results.set(toHex(r.capsuleId), {
      capsuleId: copy(r.capsuleId), moduleId: copy(r.moduleId), outcome: r.outcome, output: copyOrNull(r.output),
      // SQLite keeps fuel as TEXT (exact) and now as INTEGER (a JS number on the way in): mirror both.
      fuel: BigInt(r.fuel.toString()), now: BigInt(Number(r.now)),
      inputHash: copy(r.inputHash), transcriptHash: copyOrNull(r.transcriptHash), outputHash: copyOrNull(r.outputHash),
      logs: JSON.stringify(r.logs), changes: r.changes, message: r.message,
    });
  }

  private result(r: StoredResult): ResultRecord {
    return {
      capsuleId: copy(r.capsuleId), moduleId: copy(r.moduleId), outcome: r.outcome, output: copyOrNull(r.output),
      fuel: r.fuel, now: r.now, inputHash: copy(r.inputHash), transcriptHash: copyOrNull(r.transcriptHash),
      outputHash: copyOrNull(r.outputHash), logs: JSON.parse(r.logs) as string[], changes: r.changes, message: r.message,
    };
  }

  getResult(capsuleId: Uint8Array): ResultRecord | null {
    this.open();
    const r = this.results.get(toHex(capsuleId));
    return r ? this.result(r) : null;
  }

  resultsOfModule(moduleId: Uint8Array, limit = -1): ResultRecord[] {
    this.open();
    // An inner join on capsules: results of capsules that are not stored are not listed. Newest capsule first.
    const rows: { seq: number; r: StoredResult }[] = [];
    for (const r of this.results.values()) {
      if (compareBytes(r.moduleId, moduleId) !== 0) continue;
      const c = this.capsules.get(toHex(r.capsuleId));
      if (c) rows.push({ seq: c.seq, r });
    }
    rows.sort((a, b) => b.seq - a.seq);
    return (limit >= 0 ? rows.slice(0, limit) : rows).map((x) => this.result(x.r));
  }

  // ---- modules and the compiled cache ----

  addModule(m: ModuleRecord): boolean {
    this.open();
    const k = toHex(m.id);
    if (this.modules.has(k)) return false;
    this.modules.set(k, { id: copy(m.id), name: m.name, version: m.version, author: copy(m.author), package: copy(m.package) });
    return true;
  }

  private module(m: ModuleRecord): ModuleRecord {
    return { id: copy(m.id), name: m.name, version: m.version, author: copy(m.author), package: copy(m.package) };
  }

  getModule(id: Uint8Array): ModuleRecord | null {
    this.open();
    const m = this.modules.get(toHex(id));
    return m ? this.module(m) : null;
  }

  listModules(): ModuleRecord[] {
    this.open();
    return [...this.modules.values()]
      .sort((a, b) => compareText(a.name, b.name) || compareText(a.version, b.version) || compareBytes(a.id, b.id))
      .map((m) => this.module(m));
  }

  getCompiled(key: string): Uint8Array | undefined {
    this.open();
    const b = this.compiled.get(key);
    return b ? copy(b) : undefined;
  }

  putCompiled(key: string, bytes: Uint8Array): void { this.open(); this.compiled.set(key, copy(bytes)); }

  // ---- state views ----

  trustScore(subject: Uint8Array): bigint { this.open(); return this.trust.get(toHex(subject))?.score ?? 0n; }
  balance(account: Uint8Array): bigint { this.open(); return this.balances.get(toHex(account))?.amount ?? 0n; }

  kvGet(moduleId: string, key: Uint8Array): Uint8Array | null {
    this.open();
    const v = this.kv.get(`${moduleId}\u0000${toHex(key)}`);
    return v ? copy(v) : null;
  }

  trustGet(subject: Uint8Array): bigint | null { this.open(); return this.trust.get(toHex(subject))?.score ?? null; }
  balanceGet(account: Uint8Array): bigint | null { this.open(); return this.balances.get(toHex(account))?.amount ?? null; }

  setTrust(subject: Uint8Array, score: bigint | null): void {
    this.open();
    if (score === null) this.trust.delete(toHex(subject));
    else this.trust.set(toHex(subject), { subject: copy(subject), score });
  }

  setBalance(account: Uint8Array, amount: bigint | null): void {
    this.open();
    if (amount === null) this.balances.delete(toHex(account));
    else this.balances.set(toHex(account), { account: copy(account), amount });
  }

  kvSet(moduleId: string, key: Uint8Array, value: Uint8Array | null): void {
    this.open();
    const k = `${moduleId}\u0000${toHex(key)}`;
    if (value === null) this.kv.delete(k);
    else this.kv.set(k, copy(value));
  }

  allTrust(): { subject: Uint8Array; score: bigint }[] {
    this.open();
    return [...this.trust.values()].sort((a, b) => compareBytes(a.subject, b.subject))
      .map((t) => ({ subject: copy(t.subject), score: t.score }));
  }

  allBalances(): { account: Uint8Array; amount: bigint }[] {
    this.open();
    return [...this.balances.values()].sort((a, b) => compareBytes(a.account, b.account))
      .map((t) => ({ account: copy(t.account), amount: t.amount }));
  }

  allKv(): KvEntry[] {
    this.open();
    const out: KvEntry[] = [];
    for (const [k, value] of this.kv.m) {
      const cut = k.indexOf('\u0000');
      out.push({ moduleId: k.slice(0, cut), key: fromHex(k.slice(cut + 1)), value: copy(value) });
    }
    // SQLite orders module_id as TEXT (code points) and key as BLOB (bytewise)
    return out.sort((a, b) => compareText(a.moduleId, b.moduleId) || compareBytes(a.key, b.key));
  }

  // ---- orphans ----

  addOrphan(o: Omit<OrphanRecord, 'seq'>): void {
    this.open();
    const idHex = toHex(o.id);
    if (!this.orphans.has(idHex)) {
      this.orphans.set(idHex, { id: copy(o.id), seq: this.nextOrphanSeq, bytes: copy(o.bytes), holdUntil: o.holdUntil });
      this.nextOrphanSeq++;
    }
    for (const p of o.missing) {
      const pHex = toHex(p);
      this.waitsByParent.add(pHex, idHex, o.id);
      this.waitsByChild.add(idHex, pHex, p);
    }
  }

  hasOrphan(id: Uint8Array): boolean { this.open(); return this.orphans.has(toHex(id)); }

  private orphan(o: StoredOrphan): OrphanRecord {
    const missing = [...(this.waitsByChild.members(toHex(o.id))?.values() ?? [])].sort(compareBytes).map(copy);
    return { id: copy(o.id), seq: o.seq, bytes: copy(o.bytes), missing, holdUntil: o.holdUntil };
  }

  orphansWaitingFor(parent: Uint8Array): OrphanRecord[] {
    this.open();
    const kids = this.waitsByParent.members(toHex(parent));
    if (!kids) return [];
    return [...kids.keys()].map((k) => this.orphans.get(k)).filter((o): o is StoredOrphan => o !== undefined)
      .sort((a, b) => a.seq - b.seq).map((o) => this.orphan(o));
  }

  heldDue(clock: number): OrphanRecord[] {
    this.open();
    return [...this.orphans.values()].filter((o) => o.holdUntil !== null && o.holdUntil <= clock)
      .sort((a, b) => a.seq - b.seq).map((o) => this.orphan(o));
  }

  removeOrphan(id: Uint8Array): void {
    this.open();
    const idHex = toHex(id);
    for (const pHex of [...(this.waitsByChild.members(idHex)?.keys() ?? [])]) {
      this.waitsByParent.remove(pHex, idHex);
      this.waitsByChild.remove(idHex, pHex);
    }
    this.orphans.delete(idHex);
  }

  listOrphans(): OrphanRecord[] {
    this.open();
    return [...this.orphans.values()].sort((a, b) => a.seq - b.seq).map((o) => this.orphan(o));
  }

  // ---- audit log, Merkle nodes, checkpoints, meta ----

  appendAudit(entry: Uint8Array, leaf: Uint8Array): number {
    this.open();
    const idx = this.auditSize();
    this.audit.set(idx, { entry: copy(entry), leaf: copy(leaf) });
    return idx;
  }

  auditSize(): number {
    this.open();
    // MAX(idx) + 1, like the SQL; entries are appended densely so this is the count.
    return this.audit.size;
  }

  auditRange(from: number, to: number): AuditRow[] {
    this.open();
    const out: AuditRow[] = [];
    const end = Math.min(to, this.audit.size);
    for (let i = Math.max(0, Math.ceil(from)); i < end; i++) {
      const r = this.audit.get(i);
      if (r) out.push({ index: i, entry: copy(r.entry), leaf: copy(r.leaf) });
    }
    return out;
  }

  merkleGet(level: number, index: number): Uint8Array | undefined {
    this.open();
    const h = this.merkle.get(`${level}/${index}`);
    return h ? copy(h) : undefined;
  }

  merklePut(level: number, index: number, hash: Uint8Array): void { this.open(); this.merkle.set(`${level}/${index}`, copy(hash)); }


  // ---- admitted signing keys ----

  getAdmittedKey(alg: string, key: Uint8Array): Uint8Array | null {
    this.open();
    const r = this.admittedKeys.get(`${alg}\u0000${toHex(key)}`);
    return r ? copy(r) : null;
  }

  putAdmittedKey(alg: string, key: Uint8Array, record: Uint8Array): void {
    this.open();
    this.admittedKeys.set(`${alg}\u0000${toHex(key)}`, copy(record));
  }

  getMeta(key: string): string | null { this.open(); return this.meta.get(key) ?? null; }
  setMeta(key: string, value: string): void { this.open(); this.meta.set(key, value); }

  addCheckpoint(c: CheckpointRow): void { this.open(); this.checkpointRows.set(c.size, c.text); }

  checkpoints(): CheckpointRow[] {
    this.open();
    return [...this.checkpointRows.m.entries()].sort((a, b) => a[0] - b[0]).map(([size, text]) => ({ size, text }));
  }

  latestCheckpoint(): CheckpointRow | null {
    this.open();
    let best: CheckpointRow | null = null;
    for (const [size, text] of this.checkpointRows.m) if (best === null || size > best.size) best = { size, text };
    return best;
  }
}
