/**
 * A least-recently-used map with a memory budget, for caches whose keys come from the wire (public keys): such a
 * cache must be bounded, and the bound is stated in bytes. Each entry is charged a fixed estimate of what it holds
 * (measured by the owner of the cache and written next to it), so the cache never holds more than
 * ⌊budgetBytes / entryBytes⌋ entries. Portable: no Node import.
 */

export class LruCache<V> {
  private readonly m = new Map<string, V>();
  /** Most recently used key: a hit on it skips the move to the back (a stream from one author hits it every time). */
  private newest: string | undefined;
  /** Entries it holds at most: ⌊budgetBytes / entryBytes⌋ (at least 1). */
  readonly capacity: number;

  constructor(readonly budgetBytes: number, readonly entryBytes: number) {
    if (!(budgetBytes > 0 && entryBytes > 0)) throw new RangeError(`LruCache: budget and entry size must be positive, got ${budgetBytes} / ${entryBytes}`);
    this.capacity = Math.max(1, Math.floor(budgetBytes / entryBytes));
  }

  /** The value, which becomes the most recently used; undefined when absent. */
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined && k !== this.newest) {
      this.m.delete(k);
      this.m.set(k, v);
      this.newest = k;
    }
    return v;
  }

  /** Inserts or replaces (as the most recently used), evicting the least recently used entry when full. */
  set(k: string, v: V): void {
    if (this.m.has(k)) this.m.delete(k);
    else if (this.m.size >= this.capacity) {
      const oldest = this.m.keys().next();
      if (!oldest.done) this.m.delete(oldest.value);
    }
    this.m.set(k, v);
    this.newest = k;
  }

  delete(k: string): boolean {
    if (k === this.newest) this.newest = undefined;
    return this.m.delete(k);
  }

  clear(): void { this.m.clear(); this.newest = undefined; }

  get size(): number { return this.m.size; }

  /** Keys from least to most recently used (tests). */
  keys(): string[] { return [...this.m.keys()]; }
}

/**
 * A compact Map key for a short byte string: one char per byte (a flat one-byte string of the same length). A hex
 * string built by concatenation costs ~900 B per 32-byte key on V8 (a chain of cons-strings), this one ~50 B.
 */
export function bytesKey(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}
