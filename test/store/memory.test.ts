/**
 * One behavioural suite for every `Store`: SqliteStore(':memory:') is the reference, MemoryStore must match it.
 * Each check runs against both; the last test replays one random operation sequence on both and compares every
 * observable answer.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { AuditLog } from '../../host/src/audit/log.ts';
import { verifyAuditLog } from '../../host/src/audit/verify.ts';
import { MemoryStore } from '../../host/src/store/memory.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '../../host/src/store/schema.ts';
import Database from 'better-sqlite3';
import type { CapsuleRecord, ResultRecord, Store } from '../../host/src/store/types.ts';

const IMPLS: [string, () => Store][] = [
  ['SqliteStore', () => new SqliteStore(':memory:')],
  ['MemoryStore', () => new MemoryStore()],
];

const id = (n: number, len = 32): Uint8Array => { const b = new Uint8Array(len); b[0] = n >> 8; b[1] = n & 0xff; b[len - 1] = n % 251; return b; };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function cap(n: number, o: Partial<Omit<CapsuleRecord, 'seq'>> = {}): Omit<CapsuleRecord, 'seq'> {
  return {
    id: id(n), kind: 'post', authorAlg: 'ed25519', author: id(1000 + (n % 3)), channel: 'general', createdAt: 1_000 + n,
    depth: 0, logic: null, encrypted: false, status: 'stored', parents: [], bytes: Uint8Array.of(n, n, n), ...o,
  };
}

function result(n: number, o: Partial<ResultRecord> = {}): ResultRecord {
  return {
    capsuleId: id(n), moduleId: id(900), outcome: 'ok', output: Uint8Array.of(1, 2, n), fuel: 123_456_789_012_345_678n,
    now: 1_767_225_600_000n, inputHash: id(7), transcriptHash: id(8), outputHash: null, logs: ['a', 'b"\n'], changes: 0,
    message: null, ...o,
  };
}

for (const [name, make] of IMPLS) {
  describe(`Store contract: ${name}`, () => {
    test('capsules: insert, get, seq, parents sorted, count, duplicate id throws', () => {
      const s = make();
      assert.equal(s.insertCapsule(cap(1)), 1);
      assert.equal(s.insertCapsule(cap(2, { parents: [id(9), id(1)], logic: id(900), encrypted: true, status: 'executed' })), 2);
      const c = s.getCapsule(id(2))!;
      assert.deepEqual(c.parents.map(hex), [id(1), id(9)].map(hex));
      assert.equal(c.seq, 2);
      assert.equal(c.encrypted, true);
      assert.equal(hex(c.logic!), hex(id(900)));
      assert.equal(c.status, 'executed');
      assert.equal(s.getCapsule(id(3)), null);
      assert.equal(s.hasCapsule(id(1)), true);
      assert.equal(s.hasCapsule(id(3)), false);
      assert.equal(s.countCapsules(), 2);
      assert.throws(() => s.insertCapsule(cap(1)));
      s.close();
    });

    test('returned and passed bytes are copies', () => {
      const s = make();
      const c = cap(1);
      s.insertCapsule(c);
      c.bytes[0] = 99;
      const got = s.getCapsule(id(1))!;
      assert.equal(got.bytes[0], 1);
      got.bytes[0] = 77;
      assert.equal(s.getCapsule(id(1))!.bytes[0], 1);
      s.close();
    });

    test('findCapsules: filters, created_at then id order, asc/desc, limit', () => {
      const s = make();
      s.insertCapsule(cap(1, { createdAt: 5 }));
      s.insertCapsule(cap(2, { createdAt: 5, channel: 'other' }));
      s.insertCapsule(cap(3, { createdAt: 7, kind: 'comment' }));
      s.insertCapsule(cap(4, { createdAt: 1, status: 'not-recipient' }));
      const ids = (q: Parameters<Store['findCapsules']>[0]) => s.findCapsules(q).map((c) => c.id[1]);
      assert.deepEqual(ids({}), [3, 2, 1, 4]);
      assert.deepEqual(ids({ order: 'asc' }), [4, 1, 2, 3]);
      assert.deepEqual(ids({ channel: 'general' }), [3, 1, 4]);
      assert.deepEqual(ids({ kind: 'comment' }), [3]);
      assert.deepEqual(ids({ status: 'not-recipient' }), [4]);
      assert.deepEqual(ids({ author: id(1001) }), [1, 4]);
      assert.deepEqual(ids({ limit: 2 }), [3, 2]);
      assert.deepEqual(ids({ limit: 0 }), []);
      s.close();
    });

    test('DAG: children, topological order, heads per channel', () => {
      const s = make();
      s.insertCapsule(cap(1));
      s.insertCapsule(cap(2, { channel: 'b' }));
      s.insertCapsule(cap(4, { parents: [id(1)] }));
      s.insertCapsule(cap(3, { parents: [id(1)] }));
      assert.deepEqual(s.children(id(1)).map((c) => c.id[1]), [3, 4]);
      assert.deepEqual(s.children(id(4)), []);
      assert.deepEqual(s.topological().map((c) => c.id[1]), [1, 2, 4, 3]);
      assert.deepEqual(s.topological('general').map((c) => c.id[1]), [1, 4, 3]);
      assert.deepEqual(s.heads().map((h) => [h.channel, h.id[1]]), [['b', 2], ['general', 3], ['general', 4]]);
      assert.deepEqual(s.heads('b').map((h) => h.id[1]), [2]);
      assert.deepEqual(s.heads('none'), []);
      // a child in another channel removes the parent from the CHILD's channel only (as the SQL does)
      s.insertCapsule(cap(5, { channel: 'b', parents: [id(2), id(3)] }));
      assert.deepEqual(s.heads().map((h) => [h.channel, h.id[1]]), [['b', 5], ['general', 3], ['general', 4]]);
      s.close();
    });

    test('results: replace, round trip (fuel exact, logs), resultsOfModule newest first', () => {
      const s = make();
      for (const n of [1, 2, 3]) s.insertCapsule(cap(n));
      s.putResult(result(1));
      s.putResult(result(2, { output: null, transcriptHash: null, outputHash: id(5), outcome: 'OUT_OF_FUEL' }));
      s.putResult(result(3, { moduleId: id(901) }));
      s.putResult(result(9)); // no such capsule: stored, but not listed by module (inner join)
      const r = s.getResult(id(1))!;
      assert.equal(r.fuel, 123_456_789_012_345_678n);
      assert.equal(r.now, 1_767_225_600_000n);
      assert.deepEqual(r.logs, ['a', 'b"\n']);
      assert.deepEqual([...r.output!], [1, 2, 1]);
      assert.equal(r.outputHash, null);
      const r2 = s.getResult(id(2))!;
      assert.equal(r2.output, null);
      assert.equal(r2.transcriptHash, null);
      assert.equal(r2.outcome, 'OUT_OF_FUEL');
      assert.ok(s.getResult(id(9)));
      assert.deepEqual(s.resultsOfModule(id(900)).map((x) => x.capsuleId[1]), [2, 1]);
      assert.deepEqual(s.resultsOfModule(id(900), 1).map((x) => x.capsuleId[1]), [2]);
      s.putResult(result(1, { outcome: 'TRAP' }));
      assert.equal(s.getResult(id(1))!.outcome, 'TRAP');
      assert.equal(s.getResult(id(4)), null);
      s.close();
    });

    test('modules: add once, list by name/version/id; compiled cache', () => {
      const s = make();
      const m = (n: number, name: string, version: string) => ({ id: id(n), name, version, author: id(1), package: Uint8Array.of(n) });
      assert.equal(s.addModule(m(3, 'rank', '1.0.0')), true);
      assert.equal(s.addModule(m(3, 'rank', '9.9.9')), false);
      assert.equal(s.addModule(m(1, 'trust', '1.0.0')), true);
      assert.equal(s.addModule(m(2, 'rank', '0.9.0')), true);
      assert.deepEqual(s.listModules().map((x) => `${x.name}@${x.version}`), ['rank@0.9.0', 'rank@1.0.0', 'trust@1.0.0']);
      assert.equal(s.getModule(id(3))!.version, '1.0.0');
      assert.equal(s.getModule(id(4)), null);
      assert.equal(s.getCompiled('k'), undefined);
      s.putCompiled('k', Uint8Array.of(1));
      s.putCompiled('k', Uint8Array.of(2));
      assert.deepEqual([...s.getCompiled('k')!], [2]);
      s.close();
    });

    test('canonical order: children and childrenBefore by (created_at, depth, id); pending, last run, runs after a key', () => {
      const s = make();
      const K = (createdAt: number, depth: number, n: number) => ({ createdAt, depth, id: id(n) });
      s.insertCapsule(cap(1, { createdAt: 10, status: 'executed' }));
      s.insertCapsule(cap(2, { createdAt: 30, depth: 1, parents: [id(1)], status: 'pending', logic: id(900) }));
      s.insertCapsule(cap(3, { createdAt: 20, depth: 1, parents: [id(1)], status: 'failed' }));
      s.insertCapsule(cap(4, { createdAt: 20, depth: 1, parents: [id(1)], status: 'executed' }));
      s.insertCapsule(cap(5, { createdAt: 20, depth: 2, parents: [id(4)], status: 'pending' }));
      s.insertCapsule(cap(6, { createdAt: 25, depth: 1, parents: [id(1)], status: 'awaiting-module', logic: id(900) }));
      s.insertCapsule(cap(7, { createdAt: 40, depth: 1, parents: [id(1)], status: 'awaiting-module', logic: id(901) }));
      const ns = (rs: { id: Uint8Array }[]) => rs.map((c) => c.id[1]);
      assert.deepEqual(ns(s.children(id(1))), [3, 4, 6, 2, 7], 'created_at first, then id');
      assert.deepEqual(ns(s.childrenBefore(id(1), K(25, 1, 6))), [3, 4]);
      assert.deepEqual(ns(s.childrenBefore(id(1), K(25, 2, 0))), [3, 4, 6], 'same created_at: depth decides before id');
      assert.deepEqual(ns(s.childrenBefore(id(1), K(0, 0, 0))), []);
      // the light read of a run's child list: the same children, in the same order, with their bytes
      assert.deepEqual(s.childBytes(id(1), null), s.children(id(1)).map((c) => ({ id: c.id, bytes: c.bytes })));
      assert.deepEqual(s.childBytes(id(1), K(25, 2, 0)), s.childrenBefore(id(1), K(25, 2, 0)).map((c) => ({ id: c.id, bytes: c.bytes })));
      assert.deepEqual(s.childBytes(id(7), null), []);
      assert.deepEqual(ns(s.pendingRuns(10)), [5, 2]);
      assert.deepEqual(ns(s.pendingRuns(1)), [5]);
      assert.deepEqual(s.lastRun() && s.lastRun()!.id[1], 4);
      assert.deepEqual(ns(s.runsAfter(K(10, 0, 1), 10)), [4, 3], 'last first');
      assert.deepEqual(ns(s.runsAfter(K(20, 1, 3), 10)), [4]);
      assert.deepEqual(ns(s.runsAfter(K(20, 1, 4), 10)), []);
      assert.deepEqual(ns(s.awaitingModule(id(900))), [6]);
      s.setStatus(id(4), 'pending');
      assert.equal(s.getCapsule(id(4))!.status, 'pending');
      assert.equal(s.lastRun()!.id[1], 3);
      assert.deepEqual(ns(s.pendingRuns(10)), [4, 5, 2]);
      s.setStatus(id(1), 'pending'); s.setStatus(id(3), 'pending');
      assert.equal(s.lastRun(), null);
      s.close();
    });

    test('state: exact reads (null = no row), null writes delete, allKv ordered by module then key', () => {
      const s = make();
      assert.equal(s.trustGet(id(1)), null);
      s.setTrust(id(1), 0n);
      assert.equal(s.trustGet(id(1)), 0n, 'a row holding 0 is not an absent row');
      assert.equal(s.allTrust().length, 1);
      s.setTrust(id(1), null);
      assert.equal(s.trustGet(id(1)), null);
      assert.deepEqual(s.allTrust(), []);
      s.setBalance(id(2), 5n);
      assert.equal(s.balanceGet(id(2)), 5n);
      s.setBalance(id(2), null);
      assert.equal(s.balanceGet(id(2)), null);
      s.kvSet('mb', Uint8Array.of(1), Uint8Array.of(1));
      s.kvSet('ma', Uint8Array.of(2, 0), Uint8Array.of(2));
      s.kvSet('ma', Uint8Array.of(2), Uint8Array.of(3));
      s.kvSet('ma', Uint8Array.of(1, 255), Uint8Array.of(4));
      assert.deepEqual(s.allKv().map((e) => [e.moduleId, hex(e.key), e.value[0]]), [['ma', '01ff', 4], ['ma', '02', 3], ['ma', '0200', 2], ['mb', '01', 1]]);
      s.close();
    });

    test('held capsules: released when the clock reaches holdUntil, in arrival order; orphans are never due', () => {
      const s = make();
      s.addOrphan({ id: id(30), bytes: Uint8Array.of(30), missing: [], holdUntil: 500 });
      s.addOrphan({ id: id(31), bytes: Uint8Array.of(31), missing: [], holdUntil: 100 });
      s.addOrphan({ id: id(32), bytes: Uint8Array.of(32), missing: [id(1)], holdUntil: null });
      assert.deepEqual(s.heldDue(99), []);
      assert.deepEqual(s.heldDue(100).map((o) => [o.id[1], o.holdUntil]), [[31, 100]]);
      assert.deepEqual(s.heldDue(10_000).map((o) => o.id[1]), [30, 31]);
      assert.equal(s.listOrphans().find((o) => o.id[1] === 32)!.holdUntil, null);
      s.close();
    });

    test('state: trust, balances, kv (null deletes), ordered listings', () => {
      const s = make();
      assert.equal(s.trustScore(id(1)), 0n);
      assert.equal(s.balance(id(1)), 0n);
      s.setTrust(id(2), -5n);
      s.setTrust(id(1), 10n ** 30n);
      s.setBalance(id(3), 7n);
      assert.equal(s.trustScore(id(1)), 10n ** 30n);
      assert.deepEqual(s.allTrust().map((t) => [t.subject[1], t.score]), [[1, 10n ** 30n], [2, -5n]]);
      assert.deepEqual(s.allBalances().map((t) => [t.account[1], t.amount]), [[3, 7n]]);
      s.kvSet('m', Uint8Array.of(1), Uint8Array.of(9));
      assert.deepEqual([...s.kvGet('m', Uint8Array.of(1))!], [9]);
      assert.equal(s.kvGet('n', Uint8Array.of(1)), null);
      s.kvSet('m', Uint8Array.of(1), null);
      assert.equal(s.kvGet('m', Uint8Array.of(1)), null);
      s.kvSet('m', Uint8Array.of(2), null); // deleting nothing is fine
      s.close();
    });

    test('orphans: arrival order, missing parents sorted, duplicate add merges waits, remove', () => {
      const s = make();
      s.addOrphan({ id: id(10), bytes: Uint8Array.of(10), missing: [id(2), id(1)], holdUntil: null });
      s.addOrphan({ id: id(11), bytes: Uint8Array.of(11), missing: [id(1)], holdUntil: null });
      s.addOrphan({ id: id(10), bytes: Uint8Array.of(99), missing: [id(3)], holdUntil: null });
      assert.equal(s.hasOrphan(id(10)), true);
      assert.deepEqual(s.listOrphans().map((o) => [o.id[1], o.seq, o.bytes[0], o.missing.map((m) => m[1])]), [
        [10, 1, 10, [1, 2, 3]], [11, 2, 11, [1]],
      ]);
      assert.deepEqual(s.orphansWaitingFor(id(1)).map((o) => o.id[1]), [10, 11]);
      assert.deepEqual(s.orphansWaitingFor(id(3)).map((o) => o.id[1]), [10]);
      s.removeOrphan(id(10));
      assert.equal(s.hasOrphan(id(10)), false);
      assert.deepEqual(s.orphansWaitingFor(id(1)).map((o) => o.id[1]), [11]);
      assert.deepEqual(s.orphansWaitingFor(id(3)), []);
      s.addOrphan({ id: id(12), bytes: Uint8Array.of(12), missing: [], holdUntil: null });
      assert.deepEqual(s.listOrphans().map((o) => [o.id[1], o.seq]), [[11, 2], [12, 3]]);
      s.close();
    });

    test('audit, merkle nodes, undo records, plaintexts, meta, checkpoints', () => {
      const s = make();
      assert.equal(s.auditSize(), 0);
      assert.equal(s.appendAudit(Uint8Array.of(1), Uint8Array.of(11)), 0);
      assert.equal(s.appendAudit(Uint8Array.of(2), Uint8Array.of(12)), 1);
      assert.equal(s.appendAudit(Uint8Array.of(3), Uint8Array.of(13)), 2);
      assert.equal(s.auditSize(), 3);
      assert.deepEqual(s.auditRange(1, 10).map((r) => [r.index, r.entry[0], r.leaf[0]]), [[1, 2, 12], [2, 3, 13]]);
      assert.deepEqual(s.auditRange(2, 2), []);
      assert.equal(s.merkleGet(0, 0), undefined);
      s.merklePut(1, 4, Uint8Array.of(5));
      s.merklePut(1, 4, Uint8Array.of(6));
      assert.deepEqual([...s.merkleGet(1, 4)!], [6]);
      assert.equal(s.merkleGet(4, 1), undefined);
      assert.equal(s.takeUndo(id(1)), null);
      s.putUndo(id(1), Uint8Array.of(3));
      s.putUndo(id(1), Uint8Array.of(4));
      assert.deepEqual([...s.takeUndo(id(1))!], [4]);
      assert.equal(s.takeUndo(id(1)), null, 'taking an undo record deletes it');
      assert.equal(s.getPlaintext(id(1)), null);
      s.putPlaintext(id(1), Uint8Array.of(8));
      assert.deepEqual([...s.getPlaintext(id(1))!], [8]);
      assert.equal(s.getMeta('signer'), null);
      s.setMeta('signer', 'x');
      s.setMeta('signer', 'y');
      assert.equal(s.getMeta('signer'), 'y');
      assert.equal(s.latestCheckpoint(), null);
      s.addCheckpoint({ size: 5, text: 'five' });
      s.addCheckpoint({ size: 2, text: 'two' });
      s.addCheckpoint({ size: 5, text: 'five again' });
      assert.deepEqual(s.checkpoints(), [{ size: 2, text: 'two' }, { size: 5, text: 'five again' }]);
      assert.deepEqual(s.latestCheckpoint(), { size: 5, text: 'five again' });
      s.close();
    });

    test('admitted keys: round trip (an empty record too), replace, per algorithm, copies', () => {
      const s = make();
      assert.equal(s.getAdmittedKey('ed25519', id(1)), null);
      s.putAdmittedKey('ed25519', id(1), new Uint8Array(0));
      const empty = s.getAdmittedKey('ed25519', id(1));
      assert.ok(empty instanceof Uint8Array && empty.length === 0, 'an empty record is a record, not null');
      assert.equal(s.getAdmittedKey('p256', id(1)), null, 'keyed by (alg, key)');
      const rec = Uint8Array.of(4, 1, 2, 3);
      s.putAdmittedKey('p256', id(1, 33), rec);
      rec[1] = 99;
      const got = s.getAdmittedKey('p256', id(1, 33))!;
      assert.deepEqual([...got], [4, 1, 2, 3], 'stored a copy');
      got[2] = 77;
      assert.deepEqual([...s.getAdmittedKey('p256', id(1, 33))!], [4, 1, 2, 3], 'returned a copy');
      s.putAdmittedKey('p256', id(1, 33), Uint8Array.of(4, 9));
      assert.deepEqual([...s.getAdmittedKey('p256', id(1, 33))!], [4, 9], 'replaced');
      s.close();
    });

    test('beforeCommit: once per outermost commit, inside it; dropped on rollback; at once outside a transaction', () => {
      const s = make();
      const seen: string[] = [];
      const hook = () => { seen.push(`hook in=${s.getMeta('inner')}`); s.setMeta('hooked', String(seen.length)); };
      s.beforeCommit(hook);
      assert.deepEqual(seen, ['hook in=null'], 'outside a transaction: now');
      s.transaction(() => {
        s.beforeCommit(hook);
        s.transaction(() => { s.setMeta('inner', 'x'); s.beforeCommit(hook); });
        s.beforeCommit(hook);
        assert.equal(seen.length, 1, 'not before the outermost commit');
      });
      assert.deepEqual(seen, ['hook in=null', 'hook in=x'], 'once, after everything the transaction did');
      assert.equal(s.getMeta('hooked'), '2', 'its writes committed with the transaction');
      // a transaction that throws drops its hooks; the next one does not run them
      assert.throws(() => s.transaction(() => { s.beforeCommit(hook); throw new Error('abort'); }), /abort/);
      s.transaction(() => s.setMeta('k', 'v'));
      assert.equal(seen.length, 2);
      // a hook that throws rolls the whole transaction back
      assert.throws(() => s.transaction(() => { s.setMeta('k', 'w'); s.beforeCommit(() => { throw new Error('hook failed'); }); }), /hook failed/);
      assert.equal(s.getMeta('k'), 'v');
      // batch: hooks run at the end of the batch, not per unit
      let runs = 0;
      const count = () => { runs++; };
      s.batch(() => { for (let i = 0; i < 3; i++) s.transaction(() => { s.setMeta(`b${i}`, '1'); s.beforeCommit(count); }); assert.equal(runs, 0); });
      assert.equal(runs, 1);
      s.close();
    });

    test('audit rows and Merkle nodes: hundreds in one transaction, a failed savepoint among them, reads inside it and after', () => {
      const s = make();
      const leaf = (i: number) => id(i);
      const rows: [number, number][] = [];
      s.transaction(() => {
        for (let i = 0; i < 150; i++) {
          assert.equal(s.appendAudit(Uint8Array.of(i & 255, i >> 8), leaf(i)), i);
          s.merklePut(0, i, leaf(i));
          if (i % 2) s.merklePut(1, (i - 1) / 2, leaf(1000 + i));
        }
        assert.equal(s.auditSize(), 150, 'reads inside the transaction see every row');
        assert.deepEqual(s.auditRange(60, 66).map((r) => r.entry[0]), [60, 61, 62, 63, 64, 65]);
        // a savepoint that writes more than a statement's worth of rows and then fails: none of them stays
        assert.throws(() => s.transaction(() => {
          for (let i = 150; i < 300; i++) { s.appendAudit(Uint8Array.of(1), leaf(i)); s.merklePut(0, i, leaf(i)); }
          s.merklePut(1, 3, leaf(9999)); // a replace of a node written before the savepoint
          throw new Error('inner');
        }), /inner/);
        assert.equal(s.auditSize(), 150);
        assert.deepEqual([...s.merkleGet(1, 3)!], [...leaf(1007)], 'the replaced node is back');
        assert.equal(s.merkleGet(0, 150), undefined);
        for (let i = 150; i < 200; i++) { assert.equal(s.appendAudit(Uint8Array.of(2), leaf(i)), i); s.merklePut(0, i, leaf(i)); }
      });
      assert.equal(s.auditSize(), 200);
      const all = s.auditRange(0, 1000);
      assert.deepEqual(all.map((r) => r.index), Array.from({ length: 200 }, (_, i) => i));
      for (const r of all) rows.push([r.index, r.entry[0]]);
      assert.deepEqual(rows.slice(148, 152), [[148, 148], [149, 149], [150, 2], [151, 2]]);
      for (let i = 0; i < 200; i++) assert.deepEqual([...s.merkleGet(0, i)!], [...leaf(i)], `leaf ${i}`);
      // a transaction that fails after buffering leaves nothing
      assert.throws(() => s.transaction(() => { for (let i = 200; i < 330; i++) { s.appendAudit(Uint8Array.of(3), leaf(i)); s.merklePut(0, i, leaf(i)); } throw new Error('outer'); }), /outer/);
      assert.equal(s.auditSize(), 200);
      assert.equal(s.merkleGet(0, 250), undefined);
      assert.equal(s.appendAudit(Uint8Array.of(4), leaf(200)), 200, 'the index counter went back too');
      s.close();
    });

    test('a thrown transaction leaves no trace (every table, counters included)', () => {
      const s = make();
      s.insertCapsule(cap(1));
      s.setTrust(id(1), 1n);
      s.appendAudit(Uint8Array.of(1), Uint8Array.of(1));
      s.addOrphan({ id: id(20), bytes: Uint8Array.of(20), missing: [id(7)], holdUntil: null });
      const before = observe(s);
      const boom = new Error('boom');
      assert.throws(() => s.transaction(() => {
        s.insertCapsule(cap(2, { parents: [id(1)] }));
        s.putResult(result(2));
        s.addModule({ id: id(5), name: 'm', version: '1', author: id(1), package: Uint8Array.of(1) });
        s.putCompiled('k', Uint8Array.of(1));
        s.setTrust(id(1), 2n);
        s.setBalance(id(1), 3n);
        s.kvSet('m', Uint8Array.of(1), Uint8Array.of(1));
        s.addOrphan({ id: id(21), bytes: Uint8Array.of(21), missing: [id(7)], holdUntil: null });
        s.removeOrphan(id(20));
        s.appendAudit(Uint8Array.of(2), Uint8Array.of(2));
        s.merklePut(0, 0, Uint8Array.of(1));
        s.putUndo(id(2), Uint8Array.of(1));
        s.putPlaintext(id(2), Uint8Array.of(1));
        s.setStatus(id(1), 'pending');
        s.setTrust(id(1), null);
        s.setMeta('k', 'v');
        s.addCheckpoint({ size: 2, text: 't' });
        s.putAdmittedKey('ed25519', id(1), new Uint8Array(0));
        throw boom;
      }), (e) => e === boom);
      assert.deepEqual(observe(s), before);
      // the sequence counters were rolled back too: the next rows get the numbers the failed ones had
      assert.equal(s.insertCapsule(cap(3)), 2);
      s.addOrphan({ id: id(22), bytes: Uint8Array.of(22), missing: [], holdUntil: null });
      assert.equal(s.listOrphans().at(-1)!.seq, 2);
      s.close();
    });

    test('transactions: commit returns the value; a caught inner failure rolls back only the inner part', () => {
      const s = make();
      const v = s.transaction(() => {
        s.insertCapsule(cap(1));
        try {
          s.transaction(() => { s.insertCapsule(cap(2)); s.setMeta('inner', '1'); throw new Error('inner'); });
        } catch { /* the outer transaction goes on */ }
        s.setMeta('outer', '1');
        return 42;
      });
      assert.equal(v, 42);
      assert.equal(s.hasCapsule(id(1)), true);
      assert.equal(s.hasCapsule(id(2)), false);
      assert.equal(s.getMeta('inner'), null);
      assert.equal(s.getMeta('outer'), '1');
      assert.throws(() => s.transaction(() => {
        s.transaction(() => { s.setMeta('committed-inner', '1'); });
        throw new Error('outer');
      }));
      assert.equal(s.getMeta('committed-inner'), null, 'an inner commit is undone by the outer rollback');
      s.close();
    });

    test('batch: units commit together; a unit that failed after writing never commits, even if caught', () => {
      const s = make();
      assert.equal(s.batch(() => { s.transaction(() => s.insertCapsule(cap(1))); s.transaction(() => s.insertCapsule(cap(2))); return 7; }), 7);
      assert.equal(s.hasCapsule(id(1)) && s.hasCapsule(id(2)), true);
      // a unit that throws before writing leaves the batch usable
      s.batch(() => {
        try { s.transaction(() => { throw new Error('refused before writing'); }); } catch { /* goes on */ }
        s.transaction(() => s.insertCapsule(cap(3)));
      });
      assert.equal(s.hasCapsule(id(3)), true);
      // a unit that wrote and then failed: no store may commit a half-written unit
      try {
        s.batch(() => {
          s.transaction(() => s.insertCapsule(cap(4)));
          try { s.transaction(() => { s.insertCapsule(cap(5)); throw new Error('half-written'); }); } catch { /* caught */ }
          s.transaction(() => s.setMeta('after', '1'));
        });
      } catch { /* SqliteStore refuses the whole batch; MemoryStore undoes the unit */ }
      assert.equal(s.hasCapsule(id(5)), false, 'the half-written unit is gone');
      assert.equal(s.hasCapsule(id(4)), s.getMeta('after') === '1', 'the rest of the batch committed or rolled back together');
      s.close();
    });
  });
}

/** Every observable answer of a store, as plain data (for deepEqual across implementations and over time). */
function observe(s: Store): unknown {
  const caps = s.topological();
  const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v) =>
    v instanceof Uint8Array ? `b:${hex(v)}` : typeof v === 'bigint' ? `n:${v}` : v));
  return plain({
    caps, count: s.countCapsules(), heads: s.heads(),
    desc: s.findCapsules({}), asc: s.findCapsules({ order: 'asc', limit: 3 }),
    children: caps.map((c) => s.children(c.id)), results: caps.map((c) => s.getResult(c.id)),
    byModule: s.resultsOfModule(id(900)), modules: s.listModules(), compiled: s.getCompiled('k') ?? null,
    trust: s.allTrust(), balances: s.allBalances(), kv: s.kvGet('m', Uint8Array.of(1)),
    orphans: s.listOrphans(), waiting: s.orphansWaitingFor(id(7)),
    audit: s.auditRange(0, s.auditSize()), merkle: s.merkleGet(0, 0) ?? null, plaintext: s.getPlaintext(id(2)),
    pending: s.pendingRuns(100), lastRun: s.lastRun(), kvAll: s.allKv(), held: s.heldDue(10),
    before: caps.map((c) => s.childrenBefore(c.id, { createdAt: 2, depth: 0, id: id(6) })),
    meta: s.getMeta('k'), checkpoints: s.checkpoints(), latest: s.latestCheckpoint(),
    admitted: [1, 2, 3].map((n) => s.getAdmittedKey('ed25519', id(n))), admittedP256: [1, 2, 3].map((n) => s.getAdmittedKey('p256', id(n, 33))),
  });
}

test('differential: random operation sequences give the same observable store on both implementations', () => {
  const op = fc.oneof(
    fc.record({ t: fc.constant('cap' as const), n: fc.integer({ min: 1, max: 12 }), parents: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }),
      ch: fc.constantFrom('a', 'b', 'é', '\u{1F600}', '\uFFFD'), at: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ t: fc.constant('result' as const), n: fc.integer({ min: 1, max: 12 }), fuel: fc.bigInt({ min: 0n, max: 2n ** 64n }) }),
    fc.record({ t: fc.constant('orphan' as const), n: fc.integer({ min: 20, max: 25 }), missing: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 2 }) }),
    fc.record({ t: fc.constant('unorphan' as const), n: fc.integer({ min: 20, max: 25 }) }),
    fc.record({ t: fc.constant('trust' as const), n: fc.integer({ min: 1, max: 5 }), v: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }) }),
    fc.record({ t: fc.constant('kv' as const), k: fc.integer({ min: 1, max: 3 }), del: fc.boolean() }),
    fc.record({ t: fc.constant('audit' as const), n: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ t: fc.constant('checkpoint' as const), size: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ t: fc.constant('failingTx' as const), n: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ t: fc.constant('status' as const), n: fc.integer({ min: 1, max: 12 }), st: fc.constantFrom('pending', 'executed', 'failed', 'stored') }),
    fc.record({ t: fc.constant('held' as const), n: fc.integer({ min: 20, max: 25 }), until: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ t: fc.constant('plaintext' as const), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ t: fc.constant('untrust' as const), n: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ t: fc.constant('admit' as const), n: fc.integer({ min: 1, max: 3 }), p256: fc.boolean(), len: fc.integer({ min: 0, max: 65 }) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
    const stores = IMPLS.map(([, make]) => make());
    const outcomes = stores.map((s) => ops.map((o) => {
      try {
        switch (o.t) {
          case 'cap': return s.insertCapsule(cap(o.n, { parents: o.parents.map((p) => id(p)), channel: o.ch, createdAt: o.at, depth: o.parents.length }));
          case 'result': s.putResult(result(o.n, { fuel: o.fuel })); return 'ok';
          case 'orphan': s.addOrphan({ id: id(o.n), bytes: Uint8Array.of(o.n), missing: o.missing.map((p) => id(p)), holdUntil: null }); return 'ok';
          case 'held': s.addOrphan({ id: id(o.n), bytes: Uint8Array.of(o.n), missing: [], holdUntil: o.until }); return 'ok';
          case 'status': s.setStatus(id(o.n), o.st as 'pending'); return 'ok';
          case 'plaintext': s.putPlaintext(id(2), Uint8Array.of(o.n)); return 'ok';
          case 'untrust': s.setTrust(id(o.n), null); return 'ok';
          case 'admit': s.putAdmittedKey(o.p256 ? 'p256' : 'ed25519', o.p256 ? id(o.n, 33) : id(o.n), new Uint8Array(o.len).fill(o.n)); return 'ok';
          case 'unorphan': s.removeOrphan(id(o.n)); return 'ok';
          case 'trust': s.setTrust(id(o.n), o.v); return 'ok';
          case 'kv': s.kvSet('m', Uint8Array.of(o.k), o.del ? null : Uint8Array.of(o.k, 1)); return 'ok';
          case 'audit': return s.appendAudit(Uint8Array.of(o.n), Uint8Array.of(o.n));
          case 'checkpoint': s.addCheckpoint({ size: o.size, text: `t${o.size}` }); return 'ok';
          case 'failingTx': return s.transaction(() => { s.setMeta('k', 'x'); s.insertCapsule(cap(o.n)); throw new Error('x'); });
        }
      } catch { return 'threw'; }
    }));
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(observe(stores[1]), observe(stores[0]));
    for (const s of stores) s.close();
  }), { numRuns: 150 });
});

/** Two SqliteStore connections on one fresh file, as two processes writing the same database would have. */
function withTwoConnections(f: (a: SqliteStore, b: SqliteStore) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-two-writers-'));
  const a = new SqliteStore(join(dir, 's.db'));
  const b = new SqliteStore(join(dir, 's.db'));
  try { f(a, b); } finally {
    a.close(); b.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('SqliteStore: two connections on one file — counters follow the other writer (orphans, sequence, audit index)', () => {
  withTwoConnections((a, b) => {
    // b learned "no orphans" when it opened; a then stores one: b must find it, in and out of a transaction.
    assert.equal(b.hasOrphan(id(5)), false);
    a.transaction(() => a.addOrphan({ id: id(5), bytes: Uint8Array.of(5), missing: [id(4)], holdUntil: null }));
    assert.equal(b.hasOrphan(id(5)), true);
    assert.deepEqual(b.orphansWaitingFor(id(4)).map((o) => hex(o.id)), [hex(id(5))]);
    b.transaction(() => b.removeOrphan(id(5)));
    assert.equal(a.hasOrphan(id(5)), false);
    assert.deepEqual(a.orphansWaitingFor(id(4)), []);
    // sequence numbers and audit indexes continue across writers instead of colliding
    a.transaction(() => { a.insertCapsule(cap(1)); a.appendAudit(Uint8Array.of(1), id(1)); });
    const seqB = b.transaction(() => { const q = b.insertCapsule(cap(2)); b.appendAudit(Uint8Array.of(2), id(2)); return q; });
    const seqA = a.transaction(() => { const q = a.insertCapsule(cap(3)); a.appendAudit(Uint8Array.of(3), id(3)); return q; });
    assert.deepEqual([seqB, seqA], [2, 3]);
    assert.deepEqual(a.auditRange(0, 10).map((r) => r.entry[0]), [1, 2, 3]);
  });
});

test('SqliteStore + AuditLog: two writers and a rolled-back append keep one consistent Merkle tree', () => {
  withTwoConnections((a, b) => {
    const la = new AuditLog(nativeBackend, a, null, 'test-origin');
    const lb = new AuditLog(nativeBackend, b, null, 'test-origin');
    const rec = (s: SqliteStore, l: AuditLog, n: number) =>
      s.transaction(() => l.record({ type: 'capsule_duplicate', capsuleId: id(n) }));
    assert.equal(rec(a, la, 1), 0);
    // A appends entry 1 and its parent node (1, 0), then rolls back; B writes the real entry 1
    assert.throws(() => a.transaction(() => { la.record({ type: 'capsule_duplicate', capsuleId: id(2) }); throw new Error('test: abort'); }), /abort/);
    assert.equal(rec(b, lb, 3), 1);
    assert.equal(rec(b, lb, 4), 2);
    // A's next append (index 3) completes (1, 1) and (2, 0): it must read B's (1, 0), not the rolled-back one
    assert.equal(rec(a, la, 5), 3);
    for (let n = 6; n < 14; n++) rec(n % 2 ? a : b, n % 2 ? la : lb, n);
    const report = verifyAuditLog(nativeBackend, a);
    assert.ok(report.ok, JSON.stringify(report.first));
    assert.equal(report.size, 12);
    assert.deepEqual(la.root(), lb.root());
  });
});

test('SqliteStore: a schema-4 database is migrated to 5 (admitted_keys) and keeps its rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-migrate-'));
  try {
    const path = join(dir, 'v4.db');
    const db = new Database(path);
    db.transaction(() => {
      for (let i = 0; i < 4; i++) db.exec(MIGRATIONS[i]);
      db.pragma('user_version = 4');
    })();
    db.prepare(`INSERT INTO capsules (id, seq, kind, author_alg, author, channel, created_at, depth, logic, encrypted, status, bytes)
                VALUES (?, 1, 'post', 'ed25519', ?, 'c', 5, 0, NULL, 0, 'stored', ?)`).run(Buffer.from(id(1)), Buffer.from(id(2)), Buffer.from([1]));
    db.close();
    assert.equal(SCHEMA_VERSION, 5);
    const s = new SqliteStore(path);
    assert.equal(s.db.pragma('user_version', { simple: true }), 5);
    assert.equal(s.countCapsules(), 1);
    s.putAdmittedKey('ed25519', id(3), new Uint8Array(0));
    s.close();
    const again = new SqliteStore(path, { readonly: true });
    assert.deepEqual([...again.getAdmittedKey('ed25519', id(3))!], []);
    again.putAdmittedKey('ed25519', id(4), new Uint8Array(0)); // a read-only store ignores a record
    assert.equal(again.getAdmittedKey('ed25519', id(4)), null);
    again.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
