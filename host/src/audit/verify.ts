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
/** Where the key that checkpoints were checked against came from. Only `pinned` (the caller gave it) is trustworthy. */
export type SignerSource = 'pinned' | 'witness' | 'database';
export interface AuditReport {
  ok: boolean;
  size: number;
  root: string | null;
  checkpoints: number;
  /** The first problem found (entries are checked in order, then nodes, then checkpoints). */
  first: AuditProblem | null;
  /** The checkpoint signer ("alg:hex") and where it came from; null when none is known. */
  signer: { key: string; source: SignerSource } | null;
  /** The log's origin (from its own checkpoints, else the caller's), or null when unknown. */
  origin: string | null;
  /** Whether a witness checkpoint (the last one the device signed, kept outside the store) was checked. */
  witness: boolean;
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
 * Full verification. Checkpoints — the store's own, `external` ones exported earlier, and `witness` (the last one the
 * device signed, kept outside the store: see audit/log.ts) — must be signed by the signer and be for this log's
 * origin, and the log must extend each of them.
 *
 * The signer: `signer` pins it; else the witness's, else the key recorded in the store — which anyone who can write
 * the database could also replace, together with the checkpoints: only a pinned signer (or a witness kept where the
 * database's writer cannot reach) makes an external checkpoint evidence. `report.signer.source` says which it was.
 */
export function verifyAuditLog(
  b: CryptoBackend, store: Store,
  opts: { signer?: Signer; external?: string[]; witness?: { text: string; signer: string } | null; origin?: string } = {},
): AuditReport {
  const h = (d: Uint8Array) => b.sha256(d);
  const { tree, nodes, size, first: entryProblem } = rebuild(b, store);
  let first = entryProblem ?? storedNodeProblem(store, nodes, size);
  const cps = store.checkpoints();
  const signerLabel = store.getMeta('checkpoint_signer');
  let signer: Signer | null = null;
  let source: SignerSource | null = null;
  try {
    if (opts.signer) { signer = opts.signer; source = 'pinned'; }
    else if (opts.witness) { signer = parseSigner(opts.witness.signer); source = 'witness'; }
    else if (signerLabel) { signer = parseSigner(signerLabel); source = 'database'; }
  } catch (e) {
    first ??= { index: 0, problem: `checkpoint signer: ${(e as Error).message}` };
  }
  // the log's origin: its own checkpoints name it (all the same one), else the caller's
  let origin: string | null = opts.origin ?? null;
  for (const cp of cps) {
    let o: string;
    try { o = parseCheckpoint(cp.text).origin; } catch { continue; } // reported below with its signature
    if (origin === null) origin = o;
    else if (o !== origin) { first ??= { index: 0, problem: `checkpoint at size ${cp.size} is for origin "${o}", the log's is "${origin}"` }; break; }
  }
  const checkCp = (text: string, what: string, lowerBound: number, why = ''): AuditProblem | null => {
    if (!signer) return { index: 0, problem: `${what}: no checkpoint signer known (pass --signer or a key)` };
    let c: SignedCheckpoint;
    try { c = verifyCheckpoint(b, signer.alg, signer.pub, checkpointKeyName(parseCheckpoint(text).origin), text); } catch (e) {
      return { index: 0, problem: `${what}: ${(e as Error).message}` };
    }
    if (origin !== null && c.origin !== origin) {
      return { index: 0, problem: `${what} is for origin "${c.origin}", not this log's "${origin}": it is another log's checkpoint` };
    }
    if (c.size > size) {
      return { index: size, problem: `${what} covers ${c.size} entries but only ${size} verify: the log was truncated or entries from ${size} on are missing${why}` };
    }
    if (!equalBytes(tree.root(c.size), c.root)) {
      return { index: lowerBound, problem: `${what} (size ${c.size}) does not match the recomputed tree: an entry in [${lowerBound}, ${c.size}) was rewritten${why}` };
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
  if (!first && opts.witness) {
    first = checkCp(opts.witness.text, 'the last checkpoint this device signed (the witness)', 0,
      ' (the database was rolled back or replaced since this device signed it)');
  }
  for (const [i, text] of (opts.external ?? []).entries()) {
    if (first) break;
    first = checkCp(text, `external checkpoint #${i + 1}`, 0);
  }
  return {
    ok: first === null, size, root: size > 0 ? toHex(tree.root(size)) : null, checkpoints: cps.length, first,
    signer: signer && source ? { key: `${signer.alg}:${toHex(signer.pub)}`, source } : null,
    origin, witness: Boolean(opts.witness),
  };
}
