/**
 * The audit stage: every interaction becomes an entry appended to a Merkle log in the store (inside the same
 * transaction as the change it records), and the device key signs checkpoints — never one that is not
 * consistent with the previous checkpoint, neither the one in the store nor the one in the witness: the last
 * checkpoint this device signed, kept outside the store (a file next to the database, audit/witness-node.ts), so
 * that replacing or rolling back the database alone cannot make the device sign a forked history.
 */
import { KapsuleError } from '../errors.ts';
import { equalBytes, fromHex, toHex } from '../bytes.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import type { SecretIdentity } from '../keys.ts';
import type { Store } from '../store/types.ts';
import { COST_TABLE_HASH, INSTRUMENTER_VERSION } from '../execute/costs.ts';
import { encodeEntry, type AuditEntry, type AuditEvent } from './entry.ts';
import { leafHash, MerkleTree } from './merkle.ts';
import { checkpointKeyName, nextCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.ts';

const COST_TABLE_HASH_BYTES = fromHex(COST_TABLE_HASH);

/** Fills the metering identity of an execution the caller did not state: this build's instrumenter and costs. */
function complete(e: AuditEvent): AuditEntry {
  if (e.type !== 'capsule_executed' && e.type !== 'result_changed') return e;
  return { ...e, instrumenterVersion: e.instrumenterVersion ?? INSTRUMENTER_VERSION, costTableHash: e.costTableHash ?? COST_TABLE_HASH_BYTES } as AuditEntry;
}

/** What the device signed last for one log, kept where a rollback of the store cannot reach it. */
export interface CheckpointWitness {
  /** Where it is kept, for messages. */
  readonly where: string;
  /** The last checkpoint signed for this log and its signer ("alg:hex"), or null if none was kept yet. */
  last(): { text: string; signer: string } | null;
  /** Keeps a checkpoint that was just signed and committed to the store. */
  save(text: string, signer: string): void;
}

export class AuditLog {
  readonly tree: MerkleTree;
  private readonly h: (d: Uint8Array) => Uint8Array;
  /** Set by the host that owns the store's location (openRuntime: `<db>.witness`); null keeps none. */
  witness: CheckpointWitness | null = null;
  /**
   * The first entry recorded since the tree was last completed (null: none). Its interior nodes, and those of the
   * entries after it, are written when the store transaction commits. After a rollback it may point at entries that
   * are gone, or be lower than needed: `complete` reads the leaves from the store, so either only costs hashing.
   */
  private pendingFrom: number | null = null;
  /** Registered with `store.beforeCommit` by `record`: once per transaction, however many entries it records. */
  private readonly completeOnCommit = (): void => {
    const from = this.pendingFrom;
    this.pendingFrom = null;
    if (from !== null) this.tree.complete(from, this.store.auditSize());
  };

  constructor(
    private readonly b: CryptoBackend,
    private readonly store: Store,
    private readonly identity: SecretIdentity | null,
    readonly origin: string,
  ) {
    this.h = (d) => b.sha256(d);
    // No cache here: a node cached above the store would outlive a rolled-back transaction or miss another
    // writer's appends (SqliteStore keeps its own, cleared on both).
    this.tree = new MerkleTree(this.h, { get: (l, i) => store.merkleGet(l, i), put: (l, i, x) => store.merklePut(l, i, x) });
  }

  /**
   * Appends one entry and its leaf. Call inside the store transaction that makes the change it records: the interior
   * Merkle nodes the transaction's entries complete are written once, just before it commits (`store.beforeCommit`),
   * not per entry. Outside a transaction they are written at once.
   */
  record(e: AuditEvent): number {
    const entry = encodeEntry(complete(e));
    const leaf = leafHash(this.h, entry);
    const index = this.store.appendAudit(entry, leaf);
    this.tree.putLeaf(index, leaf);
    if (this.pendingFrom === null || index < this.pendingFrom) this.pendingFrom = index;
    this.store.beforeCommit(this.completeOnCommit);
    return index;
  }

  size(): number { return this.store.auditSize(); }

  /** The root of the log at `size`; inside a transaction that recorded entries, their nodes are written first. */
  root(size = this.size()): Uint8Array {
    if (this.pendingFrom !== null && this.pendingFrom < size) this.tree.complete(this.pendingFrom, this.store.auditSize());
    return this.tree.root(size);
  }

  /** Key name in checkpoint signature lines. */
  keyName(): string { return checkpointKeyName(this.origin); }

  /**
   * Signs a checkpoint of the current size when the log grew since the last one. Refuses (AUDIT_INVALID) if the
   * current tree is not consistent with the previous checkpoint. Returns the checkpoint text, or null.
   */
  checkpoint(): string | null {
    if (!this.identity) return null;
    const size = this.size();
    if (size === 0) return null;
    const root = this.root(size);
    const id = this.identity;
    const signer = `${id.sigAlg}:${toHex(id.sigPublic)}`;
    const refuse = (why: string, index: number): never => {
      throw new KapsuleError('AUDIT_INVALID', 'audit', `refusing to sign a checkpoint: ${why}`, { index });
    };
    const kept = this.witness?.last() ?? null;
    if (kept) {
      const w = parseCheckpoint(kept.text);
      const where = this.witness!.where;
      if (kept.signer !== signer) refuse(`the last checkpoint of this log (${where}) was signed by ${kept.signer}, not by this key`, 0);
      if (w.origin !== this.origin) refuse(`the last checkpoint of this log (${where}) is for origin "${w.origin}", not "${this.origin}"`, 0);
      if (w.size > size) {
        refuse(`this device signed ${w.size} entries of this log (${where}) but the store holds ${size}: the database was rolled back or replaced`, size);
      }
      if (!equalBytes(this.root(w.size), w.root)) {
        refuse(`the first ${w.size} entries no longer match the checkpoint this device signed (${where}): the database was rolled back or replaced`, 0);
      }
    }
    const prev = this.store.latestCheckpoint();
    if (prev) {
      const p = parseCheckpoint(prev.text);
      if (p.origin !== this.origin) refuse(`this log's checkpoints are for origin "${p.origin}", not "${this.origin}"`, 0);
      if (p.size === size) {
        if (!equalBytes(p.root, root)) throw new KapsuleError('AUDIT_INVALID', 'audit', `the log of size ${size} no longer matches its checkpoint`, { index: size - 1 });
        return null;
      }
      if (p.size > size) {
        throw new KapsuleError('AUDIT_INVALID', 'audit', `refusing to sign: the log (size ${size}) is shorter than checkpoint ${p.size}`, { index: size });
      }
      nextCheckpoint(this.h, p, size, root, this.tree.consistencyProof(p.size, size));
    }
    const known = this.store.getMeta('checkpoint_signer');
    if (known !== null && known !== signer) {
      throw new KapsuleError('AUDIT_INVALID', 'audit', `this log's checkpoints are signed by ${known}; refusing to sign with another key`);
    }
    const text = signCheckpoint(this.b, id.sigAlg, id.sigSecret, id.sigPublic, this.keyName(), { origin: this.origin, size, root });
    this.store.transaction(() => {
      if (known === null) this.store.setMeta('checkpoint_signer', signer);
      this.store.addCheckpoint({ size, text });
    });
    // after the commit: a witness ahead of its store would refuse the store's next checkpoint
    this.witness?.save(text, signer);
    return text;
  }
}
