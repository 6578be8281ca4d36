// Trust propagation for the `trust` module: pure code over an EdgeSource (no hostcalls), specified on its own
// (__tests__/graph.spec.ts).
//
// Appleseed spreading activation (Ziegler & Lausen, "Propagation Models for Trust and Distrust in Social
// Networks", Information Systems Frontiers 7(4), 2005) run on the breadth-first layering of the owner's positive
// trust graph, the layering Advogato's trust metric uses (Levien & Aiken, "Attack-Resistant Trust Metrics for
// Public Key Certification", USENIX Security 1998: capacities assigned by distance from the seed). In fixed point,
// 1_000_000 = 1.0:
//  - the device owner is the source, at level 0, fully trusted (1.0). An identity's level is its hop distance from
//    the owner over positive statements; energy only flows from level k to level k+1 (an identity receives all
//    of its energy at once, from identities strictly closer to the owner), at most MAX_HOPS levels;
//  - an identity at level 1 receives weight/100 from the owner: a direct friend at weight 100 scores 1.0, at 50
//    scores 0.5, however many friends the owner has. Further down, an identity u passes SPREAD (0.85) of its
//    score on, split over ALL its positive statements in proportion to weight; a sum of weights below 100 passes
//    only sum/100 of it (weak statements carry less). Energy sent to the owner or to an identity already placed
//    at a level is dropped, never redistributed. What an identity passes on is at most 0.85 (its score is
//    clamped to 1.0 first), so a single chain decays by 0.85 per hop and a dense cluster that no trusted
//    identity trusts receives nothing at all, however large it is (sybil resistance, as in Appleseed);
//  - distrust (negative weight) is not transitive (Guha, Kumar, Raghavan & Tomkins, "Propagation of Trust and
//    Distrust", WWW 2004: one-step distrust). The owner's distrust excludes its target outright: score 0, its
//    statements are never read (it neither propagates trust nor distrusts anyone). Another identity u's
//    distrust of v counts only when u is strictly closer to the owner than v, and subtracts score(u)·|w|/100
//    from v's energy; identities whose score ends below MIN_SCORE (0.001) pass nothing on and distrust nobody.
//    So the owner's own statements dominate: nobody can lower an identity the owner trusts directly, and a
//    friend-of-friend cannot outweigh a friend;
//  - the result does not depend on the order the statements arrived in: levels are built from the stored
//    statements, each level finished before the next, and energy sums are order-free integer sums.
// Size is bounded by construction: only identities reachable from the owner are ever read, and the walk stops at
// the last complete level before MAX_NODES identities touched (placed, or named by a statement read) or
// MAX_EDGES statements read (`truncated`).

export const ONE: i64 = 1_000_000;
export const SPREAD_PERCENT: i64 = 85;
export const MAX_HOPS: i32 = 6;
/** Scores below this (0.001) are 0: the identity is not placed and passes nothing on. */
export const MIN_SCORE: i64 = 1_000;
/** Largest graph a run reads: identities touched, statements read (modules/README.md#trust, bench/modules.ts). */
export const MAX_NODES: i32 = 20_000;
export const MAX_EDGES: i32 = 200_000;

/** An identity as stored in edge lists: u8 key length (32 or 33) ‖ 33 bytes of key, zero padded. */
export const KEY_BYTES: i32 = 34;
/** One statement in an edge list: a KEY_BYTES subject ‖ i8 weight (-100..100, never 0). */
export const EDGE_BYTES: i32 = 35;

/** Where the statements of an identity come from (the trust module reads kv; specs give a map). */
export abstract class EdgeSource {
  /** The global (no topic) statements of `key` (KEY_BYTES at `key + 0`): EDGE_BYTES records, any order. */
  abstract edges(key: Uint8Array): Uint8Array | null;
}

const UNPLACED: i32 = -1;
const EXCLUDED: i32 = -2;

/** The identities a propagation touched, their levels and scores; node 0 is the owner. */
export class Graph {
  keys: Uint8Array = new Uint8Array(KEY_BYTES * 64);
  level: Int32Array = new Int32Array(64);
  energy: Int64Array = new Int64Array(64);
  penalty: Int64Array = new Int64Array(64);
  score: Int64Array = new Int64Array(64);
  count: i32 = 0;
  private table: Int32Array = new Int32Array(128); // open addressing: node index + 1, 0 = empty
  edgesRead: i32 = 0;
  placed: i32 = 0;
  truncated: bool = false;

  /** The node of `rec` (KEY_BYTES at offset `at`), or -1. */
  find(rec: Uint8Array, at: i32): i32 {
    const mask = this.table.length - 1;
    let h = hashKey(rec, at) & mask;
    while (true) {
      const v = this.table[h];
      if (v == 0) return -1;
      if (sameKey(this.keys, (v - 1) * KEY_BYTES, rec, at)) return v - 1;
      h = (h + 1) & mask;
    }
  }

  /** The node of `rec`, created unplaced if new. */
  intern(rec: Uint8Array, at: i32): i32 {
    const found = this.find(rec, at);
    if (found >= 0) return found;
    if (this.count == this.level.length) this.grow();
    const n = this.count++;
    memory.copy(this.keys.dataStart + <usize>(n * KEY_BYTES), rec.dataStart + <usize>at, KEY_BYTES);
    this.level[n] = UNPLACED;
    if (this.count * 2 > this.table.length) this.rehash(); else this.insert(n);
    return n;
  }

  /** Score of `rec` after propagation (0 when not reached). */
  scoreOf(rec: Uint8Array): i64 {
    const n = this.find(rec, 0);
    return n < 0 ? 0 : this.score[n];
  }

  levelOf(rec: Uint8Array): i32 {
    const n = this.find(rec, 0);
    return n < 0 ? UNPLACED : this.level[n];
  }

  private insert(n: i32): void {
    const mask = this.table.length - 1;
    let h = hashKey(this.keys, n * KEY_BYTES) & mask;
    while (this.table[h] != 0) h = (h + 1) & mask;
    this.table[h] = n + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let i = 0; i < this.count; i++) this.insert(i);
  }

  private grow(): void {
    const cap = this.level.length * 2;
    const k = new Uint8Array(cap * KEY_BYTES); k.set(this.keys); this.keys = k;
    const l = new Int32Array(cap); l.set(this.level); this.level = l;
    const e = new Int64Array(cap); e.set(this.energy); this.energy = e;
    const p = new Int64Array(cap); p.set(this.penalty); this.penalty = p;
    const s = new Int64Array(cap); s.set(this.score); this.score = s;
  }
}

// keys are compared and hashed 8 bytes at a time (34 = 4 × 8 + 2): this is the per-statement cost of a run
function hashKey(b: Uint8Array, at: i32): i32 {
  const p = b.dataStart + <usize>at;
  let h = load<u64>(p) * 0x9e3779b97f4a7c15;
  h = (h ^ (h >> 29) ^ load<u64>(p, 8)) * 0xbf58476d1ce4e5b9;
  h = (h ^ (h >> 31) ^ load<u64>(p, 16)) * 0x94d049bb133111eb;
  h = (h ^ (h >> 29) ^ load<u64>(p, 24)) * 0x9e3779b97f4a7c15;
  h = (h ^ (h >> 32) ^ <u64>load<u16>(p, 32)) * 0xbf58476d1ce4e5b9;
  return <i32>((h >> 33) & 0x7fffffff);
}

function sameKey(a: Uint8Array, ai: i32, b: Uint8Array, bi: i32): bool {
  const p = a.dataStart + <usize>ai, q = b.dataStart + <usize>bi;
  return load<u64>(p) == load<u64>(q) && load<u64>(p, 8) == load<u64>(q, 8) && load<u64>(p, 16) == load<u64>(q, 16) &&
    load<u64>(p, 24) == load<u64>(q, 24) && load<u16>(p, 32) == load<u16>(q, 32);
}

/** Sum of the positive weights of a list, at least 100 (the Appleseed split denominator). */
function denominator(list: Uint8Array): i64 {
  let sum: i64 = 0;
  for (let o = 0; o + EDGE_BYTES <= list.length; o += EDGE_BYTES) {
    const w = <i64>load<i8>(list.dataStart + <usize>(o + KEY_BYTES));
    if (w > 0) sum += w;
  }
  return sum > 100 ? sum : 100;
}

/** Scores from `owner`'s perspective (owner: KEY_BYTES record). */
export function propagate(owner: Uint8Array, src: EdgeSource): Graph {
  const g = new Graph();
  const o = g.intern(owner, 0);
  g.level[o] = 0;
  g.score[o] = ONE;
  g.placed = 1;
  let frontier: i32[] = [o];
  for (let k = 1; k <= MAX_HOPS && frontier.length > 0; k++) {
    // read the frontier's statements first: a level that would pass the edge cap is not built at all
    const lists = new Array<Uint8Array | null>(frontier.length);
    let reading = 0;
    for (let i = 0; i < frontier.length; i++) {
      const l = src.edges(Uint8Array.wrap(g.keys.buffer, frontier[i] * KEY_BYTES, KEY_BYTES));
      lists[i] = l;
      if (l !== null) reading += l.length / EDGE_BYTES;
    }
    if (g.edgesRead + reading > MAX_EDGES) { g.truncated = true; break; }
    g.edgesRead += reading;
    const next: i32[] = [];
    let overflow = false;
    for (let i = 0; i < frontier.length && !overflow; i++) {
      const u = frontier[i];
      const list = lists[i];
      if (list === null) continue;
      const isOwner = u == o;
      const pass: i64 = isOwner ? 0 : (g.score[u] < ONE ? g.score[u] : ONE) * SPREAD_PERCENT / 100;
      const denom = denominator(list);
      for (let e = 0; e + EDGE_BYTES <= list.length; e += EDGE_BYTES) {
        const w = <i64>load<i8>(list.dataStart + <usize>(e + KEY_BYTES));
        const v = g.intern(list, e);
        if (g.count > MAX_NODES) { overflow = true; break; }
        if (v == o) continue;
        const lv = g.level[v];
        if (w < 0) {
          if (isOwner) { if (lv == UNPLACED) g.level[v] = EXCLUDED; } // the owner's distrust is final
          else if (lv == UNPLACED || lv == k) g.penalty[v] += g.score[u] * (-w) / 100; // only from closer identities
          continue;
        }
        if (lv != UNPLACED && lv != k) continue; // placed at a closer level, or excluded: energy dropped
        const add: i64 = isOwner ? ONE * w / 100 : pass * w / denom;
        if (add <= 0) continue;
        if (lv == UNPLACED) { g.level[v] = k; next.push(v); }
        g.energy[v] += add;
      }
    }
    if (overflow) { // this level would touch more than MAX_NODES identities: it is not built
      for (let i = 0; i < next.length; i++) { g.level[next[i]] = UNPLACED; g.energy[next[i]] = 0; }
      g.truncated = true;
      break;
    }
    // finish level k: identities below MIN_SCORE before distrust are not placed (a deeper level may reach them);
    // distrust applies after, and a distrusted identity stays placed with score 0
    const kept: i32[] = [];
    for (let i = 0; i < next.length; i++) {
      const v = next[i];
      if (g.energy[v] < MIN_SCORE) { g.level[v] = UNPLACED; g.energy[v] = 0; continue; }
      let s = g.energy[v] - g.penalty[v];
      if (s > ONE) s = ONE;
      g.score[v] = s >= MIN_SCORE ? s : 0;
      kept.push(v);
    }
    if (g.placed + kept.length > MAX_NODES) {
      for (let i = 0; i < kept.length; i++) { g.level[kept[i]] = UNPLACED; g.score[kept[i]] = 0; }
      g.truncated = true;
      break;
    }
    g.placed += kept.length;
    frontier = [];
    for (let i = 0; i < kept.length; i++) if (g.score[kept[i]] > 0 && k < MAX_HOPS) frontier.push(kept[i]);
  }
  return g;
}

/** A 34-byte identity record from a 32/33-byte key. */
export function keyRecord(key: Uint8Array): Uint8Array {
  const r = new Uint8Array(KEY_BYTES);
  r[0] = <u8>key.length;
  for (let i = 0; i < key.length && i < 33; i++) r[1 + i] = key[i];
  return r;
}

/** The key of a 34-byte record. */
export function recordKey(rec: Uint8Array, at: i32): Uint8Array {
  const n = <i32>rec[at];
  return rec.slice(at + 1, at + 1 + n);
}
