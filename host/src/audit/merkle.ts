/**
 * RFC 9162 (RFC 6962) Merkle tree over audit entries: leaf = H(0x00 ‖ entry), node = H(0x01 ‖ left ‖ right),
 * MTH({}) = H(""). Hashing is injected (`Hash`); nothing here implements a primitive. Portable: no Node import.
 *
 * Every complete subtree (a perfect, aligned subtree) is persisted in a `MerkleNodeStore`: the moment its last leaf
 * is appended (`append`), or once for a run of appended leaves (`putLeaf` each, then `complete`: the audit log does
 * this once per store transaction). Any MTH(D[0:n]) then decomposes into at most ⌈log2 n⌉ stored perfect subtrees (the binary digits
 * of n), so a root, an inclusion proof or a consistency proof costs O(log n) store reads and O(log n) hashes —
 * never a reread of the log.
 */
import { concatBytes, equalBytes } from '../bytes.ts';
import { KapsuleError } from '../errors.ts';

/** SHA-256, injected (a `CryptoBackend.sha256`). */
export type Hash = (data: Uint8Array) => Uint8Array;

/**
 * Persistent home of the complete subtrees of one log.
 *
 * Addressing: node (level, index) is MTH(D[index·2^level : (index+1)·2^level]) — level 0 holds the leaf hashes
 * (index = leaf index), level 1 the hash of leaves 2i and 2i+1, and so on. Only complete subtrees are ever stored:
 * a log of n leaves holds exactly the nodes with (index+1)·2^level ≤ n (≈ 2n nodes, 32 bytes each).
 *
 * Contract for implementations (the SQLite one is a table
 *   CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
 *                              PRIMARY KEY (level, idx)) WITHOUT ROWID;
 * with `size()` = SELECT count(*) FROM merkle_nodes WHERE level = 0, or a cached counter):
 *  - `get(level, index)` returns the stored 32-byte hash, or undefined when that node was never put.
 *  - `put(level, index, hash)` stores a 32-byte hash. Appending leaf n puts (0, n) first, then each parent it
 *    completes, bottom-up. A put of the same value again must succeed (INSERT OR REPLACE is fine).
 *  - `size()` = number of leaves stored = the index the next leaf gets. It must count a leaf as soon as (0, n)
 *    was put, and it must not depend on anything but this store.
 *  - Atomicity is the caller's: run `MerkleLog.append` inside the same transaction that stores the entry, so a
 *    crash never leaves a leaf without its parents or an entry without its leaf.
 */
export interface MerkleNodeStore {
  get(level: number, index: number): Uint8Array | undefined;
  put(level: number, index: number, hash: Uint8Array): void;
  size(): number;
}

/** The part of a node store that tree arithmetic needs (a store whose size is kept elsewhere). */
export type MerkleNodeAccess = Pick<MerkleNodeStore, 'get' | 'put'>;

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(h: Hash, entry: Uint8Array): Uint8Array { return h(concatBytes(LEAF, entry)); }
export function nodeHash(h: Hash, l: Uint8Array, r: Uint8Array): Uint8Array { return h(concatBytes(NODE, l, r)); }
export function emptyRoot(h: Hash): Uint8Array { return h(new Uint8Array(0)); }

function checkSize(what: string, n: number, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${what} must be a safe integer ≥ ${min}, got ${n}`);
}

/** Largest power of two strictly less than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** log2 of n when n is a power of two, else -1. */
function exactLog2(n: number): number {
  if (n < 1) return -1;
  let l = 0;
  while (n > 1) { if (n % 2 === 1) return -1; n /= 2; l++; }
  return l;
}

/**
 * Tree arithmetic over a node store, with leaf indices chosen by the caller (the audit store numbers entries
 * itself). `MerkleLog` is the self-numbering front end.
 */
export class MerkleTree {
  constructor(private readonly h: Hash, private readonly nodes: MerkleNodeAccess) {}

  /** Records leaf `index` (its leaf hash) and every subtree it completes. Leaves must be appended in order. */
  append(index: number, leaf: Uint8Array): void {
    checkSize('leaf index', index);
    if (leaf.length !== 32) throw new RangeError(`leaf hash must be 32 bytes, got ${leaf.length}`);
    this.nodes.put(0, index, leaf);
    let level = 0;
    let i = index;
    let hash = leaf;
    while (i % 2 === 1) {
      const left = this.node(level, i - 1);
      hash = nodeHash(this.h, left, hash);
      level++;
      i = (i - 1) / 2;
      this.nodes.put(level, i, hash);
    }
  }

  /** Records leaf `index` (its leaf hash) only: the subtrees it completes are written later by `complete`. */
  putLeaf(index: number, leaf: Uint8Array): void {
    checkSize('leaf index', index);
    if (leaf.length !== 32) throw new RangeError(`leaf hash must be 32 bytes, got ${leaf.length}`);
    this.nodes.put(0, index, leaf);
  }

  /**
   * Writes every interior node that leaves [from, to) complete, given that their leaf hashes are stored and that every
   * subtree complete before `from` is stored too (so a log whose appends each end with `complete` keeps that true).
   * Computed level by level: the new nodes of one level hash from the level below, held in memory; only the left
   * edge — one node per level at most, older than `from` — is read from the store. Writes exactly the nodes `append`
   * would have written for those leaves, with the same values.
   */
  complete(from: number, to: number): void {
    checkSize('leaf index', from);
    checkSize('tree size', to);
    if (to <= from) return;
    let cur: Uint8Array[] = [];
    for (let i = from; i < to; i++) cur.push(this.node(0, i));
    let lo = from, hi = to;
    for (let level = 0; ; level++) {
      const plo = Math.floor(lo / 2), phi = Math.floor(hi / 2);
      if (phi <= plo) break; // no new node here, so none above either
      const next: Uint8Array[] = [];
      for (let i = plo; i < phi; i++) {
        const left = 2 * i >= lo ? cur[2 * i - lo] : this.node(level, 2 * i);
        const hash = nodeHash(this.h, left, cur[2 * i + 1 - lo]);
        this.nodes.put(level + 1, i, hash);
        next.push(hash);
      }
      cur = next; lo = plo; hi = phi;
    }
  }

  private node(level: number, index: number): Uint8Array {
    const x = this.nodes.get(level, index);
    if (!x) throw new KapsuleError('AUDIT_INVALID', 'audit', `merkle node (${level}, ${index}) is missing from the store`, { level, index });
    return x;
  }

  /** MTH(D[start:end]); O(log n) reads: perfect aligned ranges are single reads, the rest splits at RFC 9162 k. */
  range(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n <= 0) return emptyRoot(this.h);
    const l = exactLog2(n);
    if (l >= 0 && start % n === 0) return this.node(l, start / n);
    const k = splitPoint(n);
    return nodeHash(this.h, this.range(start, start + k), this.range(start + k, end));
  }

  root(size: number): Uint8Array { checkSize('tree size', size); return this.range(0, size); }

  /** RFC 9162 §2.1.3.1 PATH(m, D[0:n]), leaf-to-root order. */
  inclusionProof(index: number, size: number): Uint8Array[] {
    checkSize('tree size', size, 1);
    if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
    const out: Uint8Array[] = [];
    let m = index, start = 0, end = size;
    while (end - start > 1) {
      const k = splitPoint(end - start);
      if (m < k) { out.push(this.range(start + k, end)); end = start + k; }
      else { out.push(this.range(start, start + k)); start += k; m -= k; }
    }
    return out.reverse();
  }

  /** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]), for 0 < m ≤ n (empty when m = n). */
  consistencyProof(m: number, n: number): Uint8Array[] {
    checkSize('tree size', n, 1);
    if (!(Number.isSafeInteger(m) && m > 0 && m <= n)) throw new RangeError(`no consistency proof from size ${m} to ${n}`);
    const out: Uint8Array[] = [];
    let start = 0, end = n, b = true;
    // SUBPROOF(m, D[start:end], b), unrolled; siblings collected top-down, emitted bottom-up.
    for (;;) {
      const len = end - start;
      if (m === len) { if (!b) out.push(this.range(start, end)); break; }
      const k = splitPoint(len);
      if (m <= k) { out.push(this.range(start + k, end)); end = start + k; }
      else { out.push(this.range(start, start + k)); start += k; m -= k; b = false; }
    }
    // The leaf-most element (pushed last) comes first in PROOF order.
    return out.reverse();
  }
}

/**
 * An append-only Merkle log over a `MerkleNodeStore`: append(entry) → index, and O(log n) roots and proofs for
 * any earlier size.
 */
export class MerkleLog {
  private readonly tree: MerkleTree;

  constructor(private readonly h: Hash, private readonly nodes: MerkleNodeStore) {
    this.tree = new MerkleTree(h, nodes);
  }

  /** Appends an entry (hashed as an RFC 9162 leaf) and returns its index. */
  append(entry: Uint8Array): number { return this.appendLeafHash(leafHash(this.h, entry)); }

  /** Appends an already computed leaf hash H(0x00 ‖ entry). */
  appendLeafHash(leaf: Uint8Array): number {
    const index = this.nodes.size();
    this.tree.append(index, leaf);
    return index;
  }

  size(): number { return this.nodes.size(); }

  /** The stored leaf hash of entry `index`. */
  leaf(index: number): Uint8Array { this.within('leaf index', index + 1); return this.tree.range(index, index + 1); }

  root(size = this.size()): Uint8Array { this.within('tree size', size); return this.tree.root(size); }

  inclusionProof(index: number, size = this.size()): Uint8Array[] {
    this.within('tree size', size);
    return this.tree.inclusionProof(index, size);
  }

  consistencyProof(size1: number, size2 = this.size()): Uint8Array[] {
    this.within('tree size', size2);
    return this.tree.consistencyProof(size1, size2);
  }

  private within(what: string, n: number): void {
    checkSize(what, n);
    const size = this.size();
    if (n > size) throw new RangeError(`${what} ${n} is beyond the log (size ${size})`);
  }
}

const isHash = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length === 32;
const isProof = (xs: unknown): xs is Uint8Array[] => Array.isArray(xs) && xs.length <= 64 && xs.every(isHash);

/**
 * RFC 9162 §2.1.3.2: is `leaf` (a leaf hash) at `index` in the tree of `size` whose root is `root`?
 * Returns false for any proof that does not verify, including malformed hashes, out-of-range indices and proofs
 * of the wrong length.
 */
export function verifyInclusion(h: Hash, index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  if (!isHash(leaf) || !isHash(root) || !isProof(proof)) return false;
  const r = rootFromInclusion(h, index, size, leaf, proof);
  return r !== null && equalBytes(r, root);
}

/** The root implied by an inclusion proof, or null when the proof has the wrong shape for (index, size). */
function rootFromInclusion(h: Hash, index: number, size: number, leaf: Uint8Array, proof: Uint8Array[]): Uint8Array | null {
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
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
  return sn === 0 ? r : null;
}

/**
 * RFC 9162 §2.1.4.2: does the tree (size2, root2) extend the tree (size1, root1)? A proof from the empty tree is
 * refused (it proves nothing; RFC 9162 requires 0 < first ≤ second), as is size1 > size2.
 */
export function verifyConsistency(
  h: Hash, size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[],
): boolean {
  if (!(Number.isSafeInteger(size1) && Number.isSafeInteger(size2) && size1 >= 1 && size2 >= size1)) return false;
  if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array) || !Array.isArray(proof)) return false;
  // Equal sizes: the trees must be identical (transparency-dev compares the roots as given, whatever their length).
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);
  if (!isHash(root1) || !isHash(root2) || !isProof(proof)) return false;
  if (proof.length === 0) return false;
  const path = exactLog2(size1) >= 0 ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
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

/** In-memory node store (tests, benches, the browser): one dense array per level. */
export class MemoryNodeStore implements MerkleNodeStore {
  private readonly levels: Uint8Array[][] = [];
  get(level: number, index: number): Uint8Array | undefined { return this.levels[level]?.[index]; }
  put(level: number, index: number, hash: Uint8Array): void {
    if (hash.length !== 32) throw new RangeError(`merkle node must be 32 bytes, got ${hash.length}`);
    (this.levels[level] ??= [])[index] = hash.slice();
  }
  size(): number { return this.levels[0]?.length ?? 0; }
}
