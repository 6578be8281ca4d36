/**
 * The audit stage: every interaction becomes an entry appended to a Merkle log in the store (inside the same
 * transaction as the change it records), and the device key signs checkpoints — never one that is not
 * consistent with the previous checkpoint.
 */
import { KapsuleError } from '../errors.ts';
import { equalBytes, toHex } from '../bytes.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import type { SecretIdentity } from '../keys.ts';
import type { Store } from '../store/types.ts';
import { encodeEntry, type AuditEvent } from './entry.ts';
import { leafHash, MerkleTree, verifyConsistency } from './merkle.ts';
import { parseCheckpoint, signCheckpoint } from './checkpoint.ts';

export class AuditLog {
  readonly tree: MerkleTree;
  private readonly h: (d: Uint8Array) => Uint8Array;

  constructor(
    private readonly b: CryptoBackend,
    private readonly store: Store,
    private readonly identity: SecretIdentity | null,
    readonly origin: string,
  ) {
    this.h = (d) => b.sha256(d);
    this.tree = new MerkleTree(this.h, { get: (l, i) => store.merkleGet(l, i), put: (l, i, x) => store.merklePut(l, i, x) });
  }

  /** Appends one entry. Call inside the store transaction that makes the change it records. */
  record(e: AuditEvent): number {
    const entry = encodeEntry(e);
    const leaf = leafHash(this.h, entry);
    const index = this.store.appendAudit(entry, leaf);
    this.tree.append(index, leaf);
    return index;
  }

  size(): number { return this.store.auditSize(); }
  root(size = this.size()): Uint8Array { return this.tree.root(size); }

  /** Key name in checkpoint signature lines. */
  keyName(): string { return `${this.origin.replace(/[^\x21-\x7e]|\+/g, '_')}`; }

  /**
   * Signs a checkpoint of the current size when the log grew since the last one. Refuses (AUDIT_INVALID) if the
   * current tree is not consistent with the previous checkpoint. Returns the checkpoint text, or null.
   */
  checkpoint(): string | null {
    if (!this.identity) return null;
    const size = this.size();
    if (size === 0) return null;
    const root = this.root(size);
    const prev = this.store.latestCheckpoint();
    if (prev) {
      const p = parseCheckpoint(prev.text);
      if (p.size === size) {
        if (!equalBytes(p.root, root)) throw new KapsuleError('AUDIT_INVALID', 'audit', `the log of size ${size} no longer matches its checkpoint`, { index: size - 1 });
        return null;
      }
      if (p.size > size || !verifyConsistency(this.h, p.size, size, p.root, root, this.tree.consistencyProof(p.size, size))) {
        throw new KapsuleError('AUDIT_INVALID', 'audit', `refusing to sign: the log is not consistent with checkpoint ${p.size}`, { index: p.size });
      }
    }
    const id = this.identity;
    const signer = `${id.sigAlg}:${toHex(id.sigPublic)}`;
    const known = this.store.getMeta('checkpoint_signer');
    if (known !== null && known !== signer) {
      throw new KapsuleError('AUDIT_INVALID', 'audit', `this log's checkpoints are signed by ${known}; refusing to sign with another key`);
    }
    const text = signCheckpoint(this.b, id.sigAlg, id.sigSecret, id.sigPublic, this.keyName(), { origin: this.origin, size, root });
    this.store.transaction(() => {
      if (known === null) this.store.setMeta('checkpoint_signer', signer);
      this.store.addCheckpoint({ size, text });
    });
    return text;
  }
}
