// A set of public keys (≤ 33 bytes) that allocates nothing per key: the reference modules use `runtime: stub` (never
// frees), and a view may walk hundreds of posts with hundreds of children each. Keys are copied into one reused byte
// arena and found again through an open-addressing hash table (keyed by the key's first 8 bytes, the full key
// compared on a hit), so n insertions or lookups cost O(n), not the O(n²) of a list scan. Each key gets a dense
// index (0, 1, 2, … in insertion order) that callers use to count per key without a Map of strings.
import { hexOf } from "./hex";

const MAX_KEY: i32 = 33; // Ed25519 32 bytes, P-256 compressed 33

export class KeySet {
  private arena: Uint8Array = new Uint8Array(0);
  private lens: Uint8Array = new Uint8Array(0);
  private slots: Int32Array = new Int32Array(0);
  private n: i32 = 0;

  /** Empties the set and makes room for `expected` keys (storage is reused between uses). */
  reset(expected: i32): void {
    this.n = 0;
    const need = expected < 8 ? 8 : expected;
    if (this.lens.length < need) {
      this.arena = new Uint8Array(need * MAX_KEY);
      this.lens = new Uint8Array(need);
    }
    let size = 16;
    while (size < need * 2) size <<= 1;
    if (this.slots.length != size) this.slots = new Int32Array(size);
    this.slots.fill(-1);
  }

  get size(): i32 { return this.n; }

  /** Adds the key at [ptr, ptr+len); false when it was already present, invalid, or the set is full. */
  add(ptr: usize, len: i32): bool {
    const before = this.n;
    return this.indexOf(ptr, len, true) == before;
  }

  /**
   * The key's index; inserted when `insert` and absent (then it is `size - 1`). -1 when absent and not inserted,
   * when len is not 1..33, or when the set is full.
   */
  indexOf(ptr: usize, len: i32, insert: bool): i32 {
    if (len < 1 || len > MAX_KEY) return -1;
    const mask = this.slots.length - 1;
    let h = load<u64>(ptr) ^ (<u64>len * 0x9e3779b97f4a7c15);
    h ^= h >> 29; h *= 0xbf58476d1ce4e5b9; h ^= h >> 32;
    let i = <i32>(h & <u64>mask);
    for (;;) {
      const at = this.slots[i];
      if (at < 0) break;
      if (<i32>this.lens[at] == len && memory.compare(this.arena.dataStart + <usize>(at * MAX_KEY), ptr, <usize>len) == 0) return at;
      i = (i + 1) & mask;
    }
    if (!insert || this.n >= this.lens.length) return -1;
    memory.copy(this.arena.dataStart + <usize>(this.n * MAX_KEY), ptr, <usize>len);
    this.lens[this.n] = <u8>len;
    this.slots[i] = this.n;
    return this.n++;
  }

  /** Lowercase hex of key `i`. */
  hex(i: i32): string { return hexOf(this.arena, i * MAX_KEY, <i32>this.lens[i]); }
}
