/** RFC 9162 Merkle tree: transparency-dev vectors (196), generated proofs vs a naive MTH, O(log n) store reads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { fromBase64, fromHex, toBase64, concatBytes } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import {
  emptyRoot, leafHash, MemoryNodeStore, MerkleLog, MerkleTree, nodeHash, verifyConsistency, verifyInclusion,
  type MerkleNodeStore,
} from '../../host/src/audit/merkle.ts';

const h = (d: Uint8Array) => nativeBackend.sha256(d);
const root = new URL('../vectors/merkle/testdata/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]).sort();
}
const b64s = (xs: string[] | null) => (xs ?? []).map(fromBase64);
const inclusionCases = files(join(root, 'inclusion'));
const consistencyCases = files(join(root, 'consistency'));

test('the vector set is the 196 transparency-dev cases', () => {
  assert.equal(inclusionCases.length + consistencyCases.length, 196);
});

for (const backend of [nativeBackend, nobleBackend]) {
  const hb = (d: Uint8Array) => backend.sha256(d);
  test(`transparency-dev inclusion vectors (${backend.name})`, () => {
    for (const f of inclusionCases) {
      const c = JSON.parse(readFileSync(f, 'utf8'));
      const ok = verifyInclusion(hb, c.leafIdx, c.treeSize, fromBase64(c.leafHash ?? ''), b64s(c.proof), fromBase64(c.root ?? ''));
      assert.equal(ok, !c.wantErr, `${f}: ${c.desc}`);
    }
  });
  test(`transparency-dev consistency vectors (${backend.name})`, () => {
    for (const f of consistencyCases) {
      const c = JSON.parse(readFileSync(f, 'utf8'));
      const ok = verifyConsistency(hb, c.size1, c.size2, fromBase64(c.root1 ?? ''), fromBase64(c.root2 ?? ''), b64s(c.proof));
      assert.equal(ok, !c.wantErr, `${f}: ${c.desc}`);
    }
  });
}

// transparency-dev/merkle testonly/constants.go
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);

function naive(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return h(new Uint8Array(0));
  if (leaves.length === 1) return leafHash(h, leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(h, naive(leaves.slice(0, k)), naive(leaves.slice(k)));
}

test('the 8-leaf reference tree has the published root; the empty tree is H("")', () => {
  const log = new MerkleLog(h, new MemoryNodeStore());
  assert.deepEqual(log.root(), emptyRoot(h));
  LEAVES.forEach((l, i) => assert.equal(log.append(l), i));
  assert.equal(log.size(), 8);
  assert.equal(toBase64(log.root()), 'XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=');
  assert.deepEqual(log.leaf(3), leafHash(h, LEAVES[3]));
});

test('every generated proof up to size 64 verifies; roots equal a naive MTH; wrong inputs are refused', () => {
  const N = 64;
  const leaves = Array.from({ length: N }, (_, i) => concatBytes(Uint8Array.of(i), LEAVES[i % 8]));
  const log = new MerkleLog(h, new MemoryNodeStore());
  leaves.forEach((l) => log.append(l));
  const roots = [emptyRoot(h)];
  for (let n = 1; n <= N; n++) {
    const r = log.root(n);
    roots.push(r);
    assert.deepEqual(r, naive(leaves.slice(0, n)), `root ${n}`);
  }
  for (let n = 1; n <= N; n++) {
    for (let i = 0; i < n; i++) {
      const proof = log.inclusionProof(i, n);
      assert.ok(verifyInclusion(h, i, n, leafHash(h, leaves[i]), proof, roots[n]), `inclusion ${i}/${n}`);
      if (n > 1) {
        assert.ok(!verifyInclusion(h, i, n, leafHash(h, leaves[(i + 1) % n]), proof, roots[n]), `wrong leaf ${i}/${n}`);
        assert.ok(!verifyInclusion(h, (i + 1) % n, n, leafHash(h, leaves[i]), proof, roots[n]) || (i + 1) % n === i, `wrong index ${i}/${n}`);
      }
      assert.ok(!verifyInclusion(h, i, n, leafHash(h, leaves[i]), proof, roots[n - 1]), `wrong root ${i}/${n}`);
    }
    for (let m = 1; m <= n; m++) {
      const proof = log.consistencyProof(m, n);
      assert.ok(verifyConsistency(h, m, n, roots[m], roots[n], proof), `consistency ${m}->${n}`);
      if (m < n) {
        assert.ok(!verifyConsistency(h, m, n, roots[m], roots[n - 1], proof), `bad root2 ${m}->${n}`);
        assert.ok(!verifyConsistency(h, m, n, roots[m - 1], roots[n], proof), `bad root1 ${m}->${n}`);
        assert.ok(!verifyConsistency(h, m, n, roots[m], roots[n], proof.slice(1)), `short proof ${m}->${n}`);
      }
    }
  }
});

test('MerkleTree (caller-numbered) and MerkleLog agree; out-of-range requests are RangeErrors', () => {
  const t = new MerkleTree(h, new MemoryNodeStore());
  const log = new MerkleLog(h, new MemoryNodeStore());
  LEAVES.forEach((l, i) => { t.append(i, leafHash(h, l)); log.append(l); });
  assert.deepEqual(t.root(5), log.root(5));
  assert.deepEqual(t.inclusionProof(2, 7), log.inclusionProof(2, 7));
  assert.deepEqual(t.consistencyProof(3, 7), log.consistencyProof(3, 7));
  assert.throws(() => log.root(9), RangeError);
  assert.throws(() => log.inclusionProof(8, 8), RangeError);
  assert.throws(() => log.inclusionProof(0, 9), RangeError);
  assert.throws(() => log.consistencyProof(0, 8), RangeError);
  assert.throws(() => log.consistencyProof(5, 4), RangeError);
  assert.throws(() => log.inclusionProof(1.5, 8), RangeError);
});

test('verifiers return false (never throw) on malformed hashes and proofs', () => {
  const log = new MerkleLog(h, new MemoryNodeStore());
  LEAVES.forEach((l) => log.append(l));
  const leaf = leafHash(h, LEAVES[5]);
  const proof = log.inclusionProof(5, 8);
  const r = log.root();
  assert.ok(verifyInclusion(h, 5, 8, leaf, proof, r));
  assert.equal(verifyInclusion(h, 5, 8, leaf.subarray(1), proof, r), false);
  assert.equal(verifyInclusion(h, 5, 8, leaf, [...proof.slice(0, 2), proof[2].subarray(0, 31)], r), false);
  assert.equal(verifyInclusion(h, 5, 8, leaf, proof, r.subarray(0, 16)), false);
  assert.equal(verifyInclusion(h, -1, 8, leaf, proof, r), false);
  assert.equal(verifyInclusion(h, 5, 2 ** 60, leaf, proof, r), false);
  assert.equal(verifyInclusion(h, 5, 8, leaf, [...proof, proof[0]], r), false);
  assert.equal(verifyConsistency(h, 3, 8, log.root(3), r, [new Uint8Array(31)]), false);
  assert.equal(verifyConsistency(h, 9, 8, r, r, []), false);
});

/** Counts reads so the O(log n) claim is tested, not assumed. */
class CountingStore implements MerkleNodeStore {
  reads = 0;
  constructor(private readonly inner = new MemoryNodeStore()) {}
  get(level: number, index: number) { this.reads++; return this.inner.get(level, index); }
  put(level: number, index: number, hash: Uint8Array) { this.inner.put(level, index, hash); }
  size() { return this.inner.size(); }
}

test('roots and proofs read O(log n) nodes, never the whole log', () => {
  const store = new CountingStore();
  const log = new MerkleLog(h, store);
  const n = 5000;
  const leaf = new Uint8Array(4);
  for (let i = 0; i < n; i++) { leaf[0] = i & 255; leaf[1] = i >> 8; log.append(leaf); }
  const bound = 2 * Math.ceil(Math.log2(n)) + 2;
  for (const size of [1, 2, 3, 1023, 1024, 1025, 4097, 4999, 5000]) {
    store.reads = 0; log.root(size);
    assert.ok(store.reads <= bound, `root(${size}) read ${store.reads} nodes`);
    for (const i of [0, size >> 1, size - 1]) {
      store.reads = 0; log.inclusionProof(i, size);
      assert.ok(store.reads <= bound, `inclusion(${i}, ${size}) read ${store.reads} nodes`);
    }
    for (const m of [1, size >> 1 || 1, size]) {
      store.reads = 0; log.consistencyProof(m, size);
      assert.ok(store.reads <= bound, `consistency(${m}, ${size}) read ${store.reads} nodes`);
    }
  }
});

test('a node missing from the store is AUDIT_INVALID naming the node', () => {
  const inner = new MemoryNodeStore();
  const log = new MerkleLog(h, inner);
  LEAVES.forEach((l) => log.append(l));
  const holey: MerkleNodeStore = { get: (l, i) => (l === 1 && i === 2 ? undefined : inner.get(l, i)), put: () => {}, size: () => 8 };
  const broken = new MerkleLog(h, holey);
  assert.throws(() => broken.root(7), (e: unknown) => e instanceof KapsuleError && e.code === 'AUDIT_INVALID' && e.stage === 'audit' && e.details?.level === 1 && e.details?.index === 2);
  assert.deepEqual(broken.root(8), log.root(8)); // the level-3 node alone answers the full root
});
