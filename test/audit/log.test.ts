/**
 * The audit log writes each entry's leaf at once and the interior Merkle nodes once per store transaction, just before
 * it commits: the same nodes, with the same values, as appending leaf by leaf; nothing of a rolled-back transaction;
 * correct roots inside a transaction; on both stores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { toHex } from '../../host/src/bytes.ts';
import { AuditLog } from '../../host/src/audit/log.ts';
import { leafHash, MemoryNodeStore, MerkleLog, MerkleTree } from '../../host/src/audit/merkle.ts';
import { verifyAuditLog } from '../../host/src/audit/verify.ts';
import { encodeEntry } from '../../host/src/audit/entry.ts';
import { MemoryStore } from '../../host/src/store/memory.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import type { Store } from '../../host/src/store/types.ts';

const h = (d: Uint8Array) => b.sha256(d);

/** Every node a node store holds, as "level/index" → hex. */
function dump(n: MemoryNodeStore): Map<string, string> {
  const out = new Map<string, string>();
  for (let level = 0; level < 64; level++) {
    let any = false;
    for (let i = 0; ; i++) {
      const x = n.get(level, i);
      if (!x) break;
      any = true;
      out.set(`${level}/${i}`, toHex(x));
    }
    if (!any) break;
  }
  return out;
}

test('MerkleTree.complete after putLeaf writes exactly the nodes per-leaf append writes, for any split into runs', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }), (runs) => {
    const a = new MemoryNodeStore(), c = new MemoryNodeStore();
    const ta = new MerkleTree(h, a), tc = new MerkleTree(h, c);
    let n = 0;
    for (const len of runs) {
      const from = n;
      for (let k = 0; k < len; k++, n++) {
        const leaf = leafHash(h, Uint8Array.of(n & 255, n >> 8));
        ta.append(n, leaf);
        tc.putLeaf(n, leaf);
      }
      tc.complete(from, n);
      assert.deepEqual(dump(c), dump(a), `after ${n} leaves in runs ${runs.join(',')}`);
      assert.deepEqual(tc.root(n), ta.root(n));
    }
  }), { numRuns: 200 });
});

const IMPLS: [string, () => Store][] = [
  ['SqliteStore', () => new SqliteStore(':memory:')],
  ['MemoryStore', () => new MemoryStore()],
];
const ev = (n: number) => ({ type: 'capsule_duplicate' as const, capsuleId: Uint8Array.from({ length: 32 }, (_, i) => (n * 7 + i) & 255) });

for (const [name, make] of IMPLS) {
  test(`AuditLog on ${name}: leaves per entry, interior nodes once at the commit; roots and verify hold`, () => {
    const s = make();
    const log = new AuditLog(b, s, null, 'per-commit');
    const reference = new MerkleLog(h, new MemoryNodeStore());
    const interiorPuts: string[] = [];
    const put = s.merklePut.bind(s);
    s.merklePut = (level, index, hash) => { if (level > 0) interiorPuts.push(`${level}/${index}`); put(level, index, hash); };

    s.transaction(() => {
      for (let n = 0; n < 8; n++) {
        assert.equal(log.record(ev(n)), n);
        reference.append(encodeEntry(ev(n)));
      }
      assert.ok(s.merkleGet(0, 7), 'the leaf is written with its entry');
      assert.equal(s.merkleGet(1, 0), undefined, 'no interior node before the commit');
      assert.deepEqual(interiorPuts, []);
    });
    assert.deepEqual(interiorPuts, ['1/0', '1/1', '1/2', '1/3', '2/0', '2/1', '3/0'], 'each interior node once, level by level');
    assert.deepEqual(log.root(), reference.root());

    // a transaction that rolls back leaves neither leaves nor nodes; the next one completes from the stored edge
    assert.throws(() => s.transaction(() => { for (let n = 100; n < 105; n++) log.record(ev(n)); throw new Error('abort'); }), /abort/);
    assert.equal(s.auditSize(), 8);
    assert.equal(s.merkleGet(0, 8), undefined);
    interiorPuts.length = 0;
    s.transaction(() => {
      for (let n = 8; n < 13; n++) { log.record(ev(n)); reference.append(encodeEntry(ev(n))); }
      // a root asked for inside the transaction is complete (its nodes are written first)
      assert.deepEqual(log.root(), reference.root());
      assert.deepEqual(log.root(10), reference.root(10));
    });
    assert.deepEqual(log.root(), reference.root());
    for (let size = 1; size <= 13; size++) assert.deepEqual(log.root(size), reference.root(size), `root(${size})`);

    // outside a transaction an entry's nodes are written at once
    log.record(ev(13));
    reference.append(encodeEntry(ev(13)));
    assert.ok(s.merkleGet(1, 6), 'node (1, 6) completed by entry 13');
    assert.deepEqual(log.root(), reference.root());
    assert.deepEqual(log.tree.inclusionProof(5, 14), reference.inclusionProof(5, 14));
    assert.deepEqual(log.tree.consistencyProof(8, 14), reference.consistencyProof(8, 14));

    // a batch of nested units: one completion for the whole batch
    interiorPuts.length = 0;
    s.batch(() => { for (let n = 14; n < 30; n++) s.transaction(() => { log.record(ev(n)); reference.append(encodeEntry(ev(n))); }); });
    assert.equal(new Set(interiorPuts).size, interiorPuts.length, 'no node written twice');
    assert.deepEqual(log.root(), reference.root());
    const report = verifyAuditLog(b, s);
    assert.ok(report.ok, JSON.stringify(report.first));
    assert.equal(report.size, 30);
    s.close();
  });
}
