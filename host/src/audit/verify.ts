/**
 * `kapsule audit verify`: recompute the whole tree from the stored entries and check it against everything
 * stored (leaf column, persisted nodes) and every signed checkpoint; report the first bad entry precisely.
 */
import { equalBytes, fromHex, toHex } from '../bytes.ts';
import { KapsuleError } from '../errors.ts';
import type { CryptoBackend, SigAlg } from '../crypto/types.ts';
import type { Store } from '../store/types.ts';
import { decodeEntry } from './entry.ts';
import { leafHash, MemoryNodeStore, MerkleTree, verifyConsistency } from './merkle.ts';
import { checkpointKeyName, parseCheckpoint, verifyCheckpoint, type SignedCheckpoint } from './checkpoint.ts';

export interface AuditProblem { index: number; problem: string }
export interface AuditReport {
  ok: boolean;
  size: number;
  root: string | null;
  checkpoints: number;
  /** The first problem found (entries are checked in order, then nodes, then checkpoints). */
  first: AuditProblem | null;
}

export interface Signer { alg: SigAlg; pub: Uint8Array }

export function parseSigner(label: string): Signer {
  const m = /^(ed25519|p256):([0-9a-f]+)$/.exec(label);
  if (!m) throw new KapsuleError('AUDIT_INVALID', 'audit', `malformed signer "${label}"`);
  return { alg: m[1] as SigAlg, pub: fromHex(m[2]) };
}

/** Rebuilds the tree in memory from the entries alone. Returns it with the first entry-level problem. */
export function rebuild(b: CryptoBackend, store: Store): { tree: MerkleTree; nodes: MemoryNodeStore; size: number; first: AuditProblem | null } {
  const h = (d: Uint8Array) => b.sha256(d);
  const nodes = new MemoryNodeStore();
  const tree = new MerkleTree(h, nodes);
  const end = store.auditSize();
  let first: AuditProblem | null = null;
  let expected = 0;
  const CHUNK = 4096;
  for (let from = 0; from < end && first === null; from += CHUNK) {
    for (const row of store.auditRange(from, Math.min(end, from + CHUNK))) {
      if (row.index !== expected) { first = { index: expected, problem: `entry ${expected} is missing (next stored entry is ${row.index})` }; break; }
      try { decodeEntry(row.entry); } catch (e) {
        first = { index: row.index, problem: `entry does not decode: ${(e as Error).message}` }; break;
      }
      const leaf = leafHash(h, row.entry);
      if (!equalBytes(leaf, row.leaf)) { first = { index: row.index, problem: 'entry was modified: its bytes do not hash to the stored leaf' }; break; }
      const node = store.merkleGet(0, row.index);
      if (!node || !equalBytes(node, leaf)) { first = { index: row.index, problem: 'entry and leaf do not match the Merkle tree node stored for this index (edited, swapped or moved)' }; break; }
      tree.append(row.index, leaf);
      expected++;
    }
  }
  return { tree, nodes, size: expected, first };
}

/**
 * The stored interior nodes — what roots, proofs and signed checkpoints are computed from — against the tree rebuilt
 * from the entries. Reports the mismatched (or missing) node covering the lowest entry.
 */
function storedNodeProblem(store: Store, rebuilt: MemoryNodeStore, size: number): AuditProblem | null {
  let found: AuditProblem | null = null;
  for (let level = 1; 2 ** level <= size; level++) {
    const span = 2 ** level;
    for (let i = 0; (i + 1) * span <= size && (found === null || i * span < found.index); i++) {
      const stored = store.merkleGet(level, i);
      if (!stored || !equalBytes(stored, rebuilt.get(level, i)!)) {
        found = {
          index: i * span,
          problem: `the stored Merkle node (${level}, ${i}) over entries [${i * span}, ${(i + 1) * span}) ${stored ? 'differs from' : 'is missing from'} the tree recomputed from the entries: roots and proofs served from it are wrong`,
        };
        break;
      }
    }
  }
  return found;
}

/**
 * Full verification. `signer` pins the checkpoint key (else the key recorded in the store is used — which an
 * attacker with write access could also replace: pin it, or check against an exported checkpoint).
 */
export function verifyAuditLog(b: CryptoBackend, store: Store, opts: { signer?: Signer; external?: string[] } = {}): AuditReport {
  const h = (d: Uint8Array) => b.sha256(d);
  const { tree, nodes, size, first: entryProblem } = rebuild(b, store);
  let first = entryProblem ?? storedNodeProblem(store, nodes, size);
  const cps = store.checkpoints();
  const signerLabel = store.getMeta('checkpoint_signer');
  const signer = opts.signer ?? (signerLabel ? parseSigner(signerLabel) : null);
  const checkCp = (text: string, what: string, lowerBound: number): AuditProblem | null => {
    if (!signer) return { index: 0, problem: `${what}: no checkpoint signer known (pass --signer or a key)` };
    let c: SignedCheckpoint;
    try { c = verifyCheckpoint(b, signer.alg, signer.pub, checkpointKeyName(parseCheckpoint(text).origin), text); } catch (e) {
      return { index: 0, problem: `${what}: ${(e as Error).message}` };
    }
    if (c.size > size) {
      return { index: size, problem: `${what} covers ${c.size} entries but only ${size} verify: the log was truncated or entries from ${size} on are missing` };
    }
    if (!equalBytes(tree.root(c.size), c.root)) {
      return { index: lowerBound, problem: `${what} (size ${c.size}) does not match the recomputed tree: an entry in [${lowerBound}, ${c.size}) was rewritten` };
    }
    return null;
  };
  let prev: { size: number; root: Uint8Array } | null = null;
  for (const cp of cps) {
    if (first) break;
    const p = checkCp(cp.text, `checkpoint at size ${cp.size}`, prev?.size ?? 0);
    if (p) { first = p; break; }
    const root = tree.root(cp.size);
    if (prev && !verifyConsistency(h, prev.size, cp.size, prev.root, root, tree.consistencyProof(prev.size, cp.size))) {
      first = { index: prev.size, problem: `checkpoint ${cp.size} is not consistent with checkpoint ${prev.size}` };
      break;
    }
    prev = { size: cp.size, root };
  }
  for (const [i, text] of (opts.external ?? []).entries()) {
    if (first) break;
    first = checkCp(text, `external checkpoint #${i + 1}`, 0);
  }
  return { ok: first === null, size, root: size > 0 ? toHex(tree.root(size)) : null, checkpoints: cps.length, first };
}
