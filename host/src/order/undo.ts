/**
 * Undo records: the before-images of one run's writes, so a late capsule can roll later runs back (newest first)
 * and re-execute them in canonical order. A before-image is the exact prior row: `null` when the key had no row
 * (a trust row holding 0 is a different state from no row, and `allTrust()` shows the difference).
 *
 *   record = version u8 (1) ‖ count u32 ‖ item*
 *   item   = domain u8 (1 trust, 2 balance, 3 kv) ‖ namespace (u16 len ‖ UTF-8; empty unless kv) ‖ key (u16 len ‖ bytes)
 *            ‖ present u8 ‖ [value: u64 for trust and balance | u32 len ‖ bytes for kv]
 *
 * Records are written and read by this process only (they live in the device's store, like the compiled cache).
 */
import { KapsuleError } from '../errors.ts';
import { fromHex } from '../bytes.ts';
import { Reader, Writer } from '../parse/codec.ts';
import type { StateWrites } from '../execute/types.ts';
import type { StateStore } from '../store/types.ts';

const VERSION = 1;
const TRUST = 1, BALANCE = 2, KV = 3;

type Item =
  | { domain: typeof TRUST | typeof BALANCE; key: Uint8Array; value: bigint | null }
  | { domain: typeof KV; ns: string; key: Uint8Array; value: Uint8Array | null };

const byKey = <V>(m: Map<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Applies a successful run's buffered writes (in a fixed order: trust, balances, kv, each by key) and returns the
 * undo record that restores the state as it was before them, or null when the run wrote nothing.
 */
export function applyWrites(store: StateStore, kvNamespace: string, w: StateWrites): Uint8Array | null {
  const items: Item[] = [];
  for (const [k, score] of byKey(w.trust)) {
    const key = fromHex(k);
    items.push({ domain: TRUST, key, value: store.trustGet(key) });
    store.setTrust(key, score);
  }
  for (const [k, amount] of byKey(w.balances)) {
    const key = fromHex(k);
    items.push({ domain: BALANCE, key, value: store.balanceGet(key) });
    store.setBalance(key, amount);
  }
  for (const [k, value] of byKey(w.kv)) {
    const key = fromHex(k);
    items.push({ domain: KV, ns: kvNamespace, key, value: store.kvGet(kvNamespace, key) });
    store.kvSet(kvNamespace, key, value);
  }
  return items.length ? encode(items) : null;
}

/** Restores the before-images of one undo record (last write first). */
export function applyUndo(store: StateStore, record: Uint8Array): void {
  const items = decode(record);
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.domain === KV) store.kvSet(it.ns, it.key, it.value);
    else if (it.domain === TRUST) store.setTrust(it.key, it.value);
    else store.setBalance(it.key, it.value);
  }
}

function encode(items: Item[]): Uint8Array {
  const w = new Writer().u8(VERSION).u32(items.length);
  for (const it of items) {
    w.u8(it.domain).text(it.domain === KV ? it.ns : '', 2).u16(it.key.length).bytes(it.key);
    if (it.value === null) { w.u8(0); continue; }
    w.u8(1);
    if (it.domain === KV) w.u32((it.value as Uint8Array).length).bytes(it.value as Uint8Array);
    else w.u64(it.value as bigint);
  }
  return w.finish();
}

function decode(bytes: Uint8Array): Item[] {
  try {
    const r = new Reader(bytes, 'undo record', 'store');
    if (r.u8('version') !== VERSION) r.fail('version', 'is not 1');
    const n = r.u32('count');
    const items: Item[] = [];
    for (let i = 0; i < n; i++) {
      const domain = r.u8('domain');
      const ns = r.text('namespace', 2, 0, 65535);
      const key = r.bytes(r.u16('key_length'), 'key').slice();
      const present = r.u8('present') === 1;
      if (domain === KV) items.push({ domain, ns, key, value: present ? r.bytes(r.u32('value_length'), 'value').slice() : null });
      else if (domain === TRUST || domain === BALANCE) items.push({ domain, key, value: present ? r.u64('value') : null });
      else r.fail('domain', `unknown domain ${domain}`);
    }
    r.end();
    return items;
  } catch (e) {
    if (e instanceof KapsuleError) throw new KapsuleError('STORE_ERROR', 'store', `corrupt undo record: ${e.message}`);
    throw e;
  }
}
