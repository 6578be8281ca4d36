/**
 * RFC 9162 (RFC 6962) Merkle tree over audit entries: leaf = H(0x00 ‖ entry), node = H(0x01 ‖ left ‖ right).
 * Every complete (perfect, aligned) subtree is persisted as it is completed, so any root, inclusion proof or
 * consistency proof needs O(log n) node reads — never a reread of the log.
 */
import { concatBytes, equalBytes } from '../bytes.ts';

export type Hash = (data: Uint8Array) => Uint8Array;

/** Where complete subtrees live: (level, index) → hash; level 0 = leaves. */
export interface MerkleNodeStore {
  get(level: number, index: number): Uint8Array | undefined;
  put(level: number, index: number, hash: Uint8Array): void;
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(h: Hash, entry: Uint8Array): Uint8Array { return h(concatBytes(LEAF, entry)); }
export function nodeHash(h: Hash, l: Uint8Array, r: Uint8Array): Uint8Array { return h(concatBytes(NODE, l, r)); }

/** Largest power of two strictly less than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class MerkleTree {
  constructor(private readonly h: Hash, private readonly nodes: MerkleNodeStore) {}

  /** Records leaf `index` (its leaf hash) and every subtree it completes. Leaves must be appended in order. */
  append(index: number, leaf: Uint8Array): void {
    this.nodes.put(0, index, leaf);
    let level = 0;
    let i = index;
    let hash = leaf;
    while (i % 2 === 1) {
      const left = this.nodes.get(level, i - 1);
      if (!left) throw new Error(`merkle node (${level}, ${i - 1}) missing`);
      hash = nodeHash(this.h, left, hash);
      level++;
      i = (i - 1) / 2;
      this.nodes.put(level, i, hash);
    }
  }

  /** MTH(D[start:end]). */
  range(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n <= 0) return this.h(new Uint8Array(0));
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const level = Math.log2(n);
      const hit = this.nodes.get(level, start / n);
      if (hit) return hit;
      if (n === 1) throw new Error(`merkle leaf ${start} missing`);
    }
    const k = splitPoint(n);
    return nodeHash(this.h, this.range(start, start + k), this.range(start + k, end));
  }

  root(size: number): Uint8Array { return this.range(0, size); }

  /** RFC 9162 §2.1.3.1 PATH(m, D[0:n]). */
  inclusionProof(index: number, size: number): Uint8Array[] {
    if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
    const path = (m: number, start: number, end: number): Uint8Array[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = splitPoint(n);
      return m < k
        ? [...path(m, start, start + k), this.range(start + k, end)]
        : [...path(m - k, start + k, end), this.range(start, start + k)];
    };
    return path(index, 0, size);
  }

  /** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]). */
  consistencyProof(m: number, n: number): Uint8Array[] {
    if (!(m > 0 && m <= n)) throw new RangeError(`no consistency proof from size ${m} to ${n}`);
    const sub = (m: number, start: number, end: number, b: boolean): Uint8Array[] => {
      const n = end - start;
      if (m === n) return b ? [] : [this.range(start, end)];
      const k = splitPoint(n);
      return m <= k
        ? [...sub(m, start, start + k, b), this.range(start + k, end)]
        : [...sub(m - k, start + k, end, false), this.range(start, start + k)];
    };
    return sub(m, 0, n, true);
  }
}

const hashesOk = (xs: Uint8Array[]) => xs.every((x) => x instanceof Uint8Array && x.length === 32);

/** RFC 9162 §2.1.3.2: verify that `leaf` (a leaf hash) is at `index` in the tree of `size` with `root`. */
export function verifyInclusion(h: Hash, index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array): boolean {
  if (!(index >= 0 && index < size) || !hashesOk([leaf, root, ...proof])) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(h, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = nodeHash(h, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/** RFC 9162 §2.1.4.2: verify that the tree of size2/root2 extends the tree of size1/root1. */
export function verifyConsistency(
  h: Hash, size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[],
): boolean {
  if (size1 < 1 || size2 < size1) return false; // a proof from the empty tree proves nothing: refused
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);
  if (!hashesOk([root1, root2, ...proof])) return false;
  if (proof.length === 0) return false;
  let path = proof;
  if ((size1 & (size1 - 1)) === 0) path = [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(h, c, fr);
      sr = nodeHash(h, c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      sr = nodeHash(h, sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}

/** An in-memory node store (tests, browser). */
export class MemoryNodeStore implements MerkleNodeStore {
  private m = new Map<string, Uint8Array>();
  get(level: number, index: number) { return this.m.get(`${level}/${index}`); }
  put(level: number, index: number, hash: Uint8Array) { this.m.set(`${level}/${index}`, hash); }
}
