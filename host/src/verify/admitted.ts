/**
 * The device's memory of admitted signing keys (`AdmittedKeys`, crypto/types.ts) on its store's `admitted_keys`
 * table, so a key is put through the admission arithmetic once per device rather than once per process. The crypto
 * backends never import the store: the runtime builds one of these and hands it to `backend.withAdmittedKeys`.
 * What a record is trusted for, and why `kapsule audit replay` does not read them: docs/SECURITY.md "Admitted keys".
 *
 * Reads are remembered in a bounded LRU (2 MiB, ~200 B an entry: ≈ 10,000 keys), so a hot author costs a map lookup,
 * not a query. Writes are deferred to the end of the store transaction (`beforeCommit`): a verifier must never
 * throw, and a store write can, so a write error surfaces as the transaction's own STORE_ERROR (and rolls it back)
 * instead of inside `verify`. Outside a transaction the write happens at once, and a failure only loses the record.
 */
import { equalBytes } from '../bytes.ts';
import { bytesKey, LruCache } from '../lru.ts';
import type { AdmittedKeys, SigAlg } from '../crypto/types.ts';
import type { KeyStore, Store } from '../store/types.ts';

/** 2 MiB / ~200 B per entry (binary-string key, record, map slot; P-256 records are 65 bytes). */
export const ADMITTED_MEMO = { budgetBytes: 2 << 20, entryBytes: 200 } as const;

export class StoreAdmittedKeys implements AdmittedKeys {
  /** Keys known to be in the store (read from it, or recorded here and waiting for the commit), with their record. */
  private readonly memo = new LruCache<Uint8Array>(ADMITTED_MEMO.budgetBytes, ADMITTED_MEMO.entryBytes);
  private pending = new Map<string, { alg: SigAlg; key: Uint8Array; record: Uint8Array }>();
  private readonly flush = (): void => {
    const writes = this.pending;
    this.pending = new Map();
    for (const w of writes.values()) this.store.putAdmittedKey(w.alg, w.key, w.record);
  };

  constructor(private readonly store: KeyStore & Pick<Store, 'beforeCommit'>) {}

  get(alg: SigAlg, publicKey: Uint8Array): Uint8Array | null {
    const k = alg[0] + bytesKey(publicKey);
    const hit = this.memo.get(k);
    if (hit !== undefined) return hit;
    let record: Uint8Array | null;
    try { record = this.store.getAdmittedKey(alg, publicKey); } catch { return null; }
    if (record !== null) this.memo.set(k, record);
    return record;
  }

  put(alg: SigAlg, publicKey: Uint8Array, record: Uint8Array): void {
    const k = alg[0] + bytesKey(publicKey);
    const known = this.memo.get(k);
    if (known !== undefined && equalBytes(known, record)) return;
    const copy = record.slice();
    this.memo.set(k, copy);
    this.pending.set(k, { alg, key: publicKey.slice(), record: copy });
    try { this.store.beforeCommit(this.flush); } catch { /* outside a transaction: the record is lost, nothing else */ }
  }
}

