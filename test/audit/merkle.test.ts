import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { fromBase64, fromHex, toBase64, concatBytes } from '../../host/src/bytes.ts';
import {
  leafHash, MemoryNodeStore, MerkleTree, nodeHash, verifyConsistency, verifyInclusion,
} from '../../host/src/audit/merkle.ts';

const h = (d: Uint8Array) => b.sha256(d);
const root = new URL('../vectors/merkle/testdata/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]);
}
const b64s = (xs: string[] | null) => (xs ?? []).map(fromBase64);

test('transparency-dev inclusion vectors', () => {
  const cases = files(join(root, 'inclusion'));
  assert.ok(cases.length > 50);
  for (const f of cases) {
    const c = JSON.parse(readFileSync(f, 'utf8'));
    const ok = verifyInclusion(h, c.leafIdx, c.treeSize, fromBase64(c.leafHash ?? ''), b64s(c.proof), fromBase64(c.root ?? ''));
    assert.equal(ok, !c.wantErr, `${f}: ${c.desc}`);
  }
});

test('transparency-dev consistency vectors', () => {
  const cases = files(join(root, 'consistency'));
  assert.ok(cases.length > 50);
  for (const f of cases) {
    const c = JSON.parse(readFileSync(f, 'utf8'));
    const ok = verifyConsistency(h, c.size1, c.size2, fromBase64(c.root1 ?? ''), fromBase64(c.root2 ?? ''), b64s(c.proof));
    assert.equal(ok, !c.wantErr, `${f}: ${c.desc}`);
  }
  assert.equal(files(join(root, 'inclusion')).length + cases.length, 196);
});

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);

function naive(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return h(new Uint8Array(0));
  if (leaves.length === 1) return leafHash(h, leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(h, naive(leaves.slice(0, k)), naive(leaves.slice(k)));
}

test('roots match the RFC 6962 reference tree and a naive MTH; every generated proof verifies', () => {
  const t = new MerkleTree(h, new MemoryNodeStore());
  LEAVES.forEach((l, i) => t.append(i, leafHash(h, l)));
  assert.equal(toBase64(t.root(8)), 'XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=');
  const leaves = Array.from({ length: 70 }, (_, i) => concatBytes(Uint8Array.of(i), LEAVES[i % 8]));
  const t2 = new MerkleTree(h, new MemoryNodeStore());
  leaves.forEach((l, i) => t2.append(i, leafHash(h, l)));
  for (let n = 1; n <= leaves.length; n++) {
    const r = t2.root(n);
    assert.deepEqual(r, naive(leaves.slice(0, n)), `root ${n}`);
    for (let i = 0; i < n; i++) {
      assert.ok(verifyInclusion(h, i, n, leafHash(h, leaves[i]), t2.inclusionProof(i, n), r), `inclusion ${i}/${n}`);
      assert.ok(!verifyInclusion(h, i, n, leafHash(h, leaves[(i + 1) % n === i ? i : (i + 1) % n]), t2.inclusionProof(i, n), r) || n === 1, `wrong leaf ${i}/${n}`);
    }
    for (let m = 1; m <= n; m++) {
      assert.ok(verifyConsistency(h, m, n, t2.root(m), r, t2.consistencyProof(m, n)), `consistency ${m}->${n}`);
      if (m < n) assert.ok(!verifyConsistency(h, m, n, t2.root(m), t2.root(n - 1 >= m ? n - 1 : n), t2.consistencyProof(m, n)) || n - 1 < m, `bad root2 ${m}->${n}`);
    }
  }
});
