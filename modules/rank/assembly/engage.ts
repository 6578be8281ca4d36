// Distinct engaging authors of one post, counted without allocating per child: the run uses `runtime: stub` (never
// frees), and a trending view may walk hundreds of posts with hundreds of children each. Authors are copied into one
// reused byte arena and found again through an open-addressing hash table (keyed by the key's first 8 bytes, the
// full key compared on a hit), so checking n children costs O(n), not the O(n²) of a list scan.

const MAX_KEY: i32 = 33; // Ed25519 32 bytes, P-256 compressed 33

export class AuthorSet {
  private arena: Uint8Array = new Uint8Array(0);
  private lens: Uint8Array = new Uint8Array(0);
  private slots: Int32Array = new Int32Array(0);
  private n: i32 = 0;

  /** Empties the set and makes room for `expected` authors (storage is reused between posts). */
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

  /** Adds the key at [ptr, ptr+len) (len ≤ 33); false when it was already present or the set is full. */
  add(ptr: usize, len: i32): bool {
    if (len < 1 || len > MAX_KEY || this.n >= this.lens.length) return false;
    const mask = this.slots.length - 1;
    let h = load<u64>(ptr) ^ (<u64>len * 0x9e3779b97f4a7c15);
    h ^= h >> 29; h *= 0xbf58476d1ce4e5b9; h ^= h >> 32;
    let i = <i32>(h & <u64>mask);
    for (;;) {
      const at = this.slots[i];
      if (at < 0) break;
      if (<i32>this.lens[at] == len && memory.compare(this.arena.dataStart + <usize>(at * MAX_KEY), ptr, <usize>len) == 0) return false;
      i = (i + 1) & mask;
    }
    memory.copy(this.arena.dataStart + <usize>(this.n * MAX_KEY), ptr, <usize>len);
    this.lens[this.n] = <u8>len;
    this.slots[i] = this.n;
    this.n++;
    return true;
  }
}
