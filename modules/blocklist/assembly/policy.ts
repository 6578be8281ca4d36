// A channel policy, compiled once when its policy capsule runs into one binary blob (kv pages) that comments are
// judged against without parsing: sorted blocked authors (34-byte records) and capsule ids (32 bytes) for binary
// search, banned terms as folded keys (normalize.ts) in open-addressing hash tables — spaced (word keys joined by
// ' ') and joined (concatenated, for single-letter runs) — plus tables of their prefixes (at word boundaries;
// the first PREFIX_BYTES bytes) so that a lookup stops as soon as no term can still match. Little-endian:
//   u8 version ‖ i64 min_trust ‖ u32 max ‖ u64 window_ms ‖ u32 per_parent ‖ u32 authors ‖ u32 capsules ‖
//   u32 terms ‖ u32 entries ‖ u32 max_words ‖ u32 max_joined ‖ u32 hash_size ‖ u32 prefix_size ‖
//   u32 offsets × 8 (authors, capsules, entry offsets, spaced hash, joined hash, term offsets, spaced prefixes,
//   joined prefixes) ‖ data
//   entry = u16 term ‖ u16 n ‖ spaced key ‖ u16 m ‖ joined key;   term = u16 n ‖ UTF-8
import { Analysis, fnv, fnvByte, FNV0 } from "./normalize";
import { parseHex } from "kapsule-guest-sdk";

export const VERSION: u8 = 2;
const HEADER: i32 = 89;
/** Joined-key prefixes are indexed up to this many bytes. */
export const PREFIX_BYTES: i32 = 32;
/** Lookups a comment may cost before it is refused as TOO_COMPLEX (adversarial single-letter runs). */
export const MAX_STEPS: i32 = 300_000;
/** A folded term's key is at most this long (UTF-8 bytes). */
export const MAX_KEY_BYTES: i32 = 255;

class Writer {
  buf: Uint8Array = new Uint8Array(4096);
  n: i32 = 0;
  need(k: i32): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const b = new Uint8Array(cap); b.set(this.buf.subarray(0, this.n)); this.buf = b;
  }
  u8(v: i32): void { this.need(1); this.buf[this.n++] = <u8>v; }
  u16(v: i32): void { this.need(2); store<u16>(this.buf.dataStart + <usize>this.n, <u16>v); this.n += 2; }
  u32(v: i32): void { this.need(4); store<u32>(this.buf.dataStart + <usize>this.n, <u32>v); this.n += 4; }
  u64(v: u64): void { this.need(8); store<u64>(this.buf.dataStart + <usize>this.n, v); this.n += 8; }
  bytes(b: Uint8Array, at: i32, len: i32): void { this.need(len); memory.copy(this.buf.dataStart + <usize>this.n, b.dataStart + <usize>at, <usize>len); this.n += len; }
  setU32(at: i32, v: i32): void { store<u32>(this.buf.dataStart + <usize>at, <u32>v); }
}

function byLengthThenText(a: string, b: string): i32 {
  if (a.length != b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The terms' folded forms: one entry per (term, leet variant) with a non-empty key. */
class Entry {
  constructor(public term: i32, public spaced: Uint8Array, public joined: Uint8Array, public words: i32) {}
}

export class CompileResult {
  blob: Uint8Array | null = null;
  error: string = "";
  ignoredTerms: i32 = 0;
}

function entriesOf(a: Analysis, term: i32, out: Entry[]): void {
  if (a.words == 0) return;
  let total = 0;
  for (let w = 0; w < a.words; w++) total += a.len.at(w);
  const spaced = new Uint8Array(total + a.words - 1), joined = new Uint8Array(total);
  let p = 0, q = 0;
  for (let w = 0; w < a.words; w++) {
    if (w > 0) spaced[p++] = 0x20;
    memory.copy(spaced.dataStart + <usize>p, a.keys.dataStart + <usize>a.at.at(w), <usize>a.len.at(w));
    memory.copy(joined.dataStart + <usize>q, a.keys.dataStart + <usize>a.at.at(w), <usize>a.len.at(w));
    p += a.len.at(w); q += a.len.at(w);
  }
  out.push(new Entry(term, spaced, joined, a.words));
}


/** Compiles a validated policy. `authors` are hex keys, `capsules` hex ids, `terms` 1-64 characters. */
export function compile(authors: string[], capsules: string[], terms: string[], minTrust: i64, maxCount: i32, window: u64, perParent: i32): CompileResult {
  const r = new CompileResult();
  const a = new Analysis();
  const entries: Entry[] = [];
  for (let t = 0; t < terms.length; t++) {
    const before = entries.length;
    a.run(terms[t], 0x69);
    entriesOf(a, t, entries);
    if (a.hasOne) { a.run(terms[t], 0x6c); entriesOf(a, t, entries); }
    for (let e = before; e < entries.length; e++) {
      if (entries[e].spaced.length > MAX_KEY_BYTES) { r.error = "banned term " + (t + 1).toString() + " is longer than " + MAX_KEY_BYTES.toString() + " bytes once folded"; return r; }
    }
    if (entries.length == before) r.ignoredTerms++;
  }
  const au = authors.slice(); au.sort(byLengthThenText);
  const ca = capsules.slice(); ca.sort(byLengthThenText);
  let hashSize = 8;
  while (hashSize < entries.length * 2) hashSize <<= 1;
  // prefix hashes: spaced at every word boundary before the last, joined at 1..PREFIX_BYTES bytes
  const spacedPrefixes: u32[] = [], joinedPrefixes: u32[] = [];
  for (let e = 0; e < entries.length; e++) {
    const sp = entries[e].spaced, jo = entries[e].joined;
    let h = FNV0;
    for (let i = 0; i < sp.length; i++) { if (sp[i] == 0x20) spacedPrefixes.push(h); h = fnvByte(h, <u32>sp[i]); }
    h = FNV0;
    for (let i = 0; i < jo.length && i < PREFIX_BYTES; i++) { h = fnvByte(h, <u32>jo[i]); if (i + 1 < jo.length) joinedPrefixes.push(h); }
  }
  let prefixSize = 8;
  while (prefixSize < max(spacedPrefixes.length, joinedPrefixes.length) * 2) prefixSize <<= 1;
  let maxWords = 0, maxJoined = 0;
  for (let e = 0; e < entries.length; e++) { maxWords = max(maxWords, entries[e].words); maxJoined = max(maxJoined, entries[e].joined.length); }

  const w = new Writer();
  w.u8(VERSION); w.u64(<u64>minTrust); w.u32(maxCount); w.u64(window); w.u32(perParent);
  const countsAt = w.n;
  w.u32(0); w.u32(0); w.u32(terms.length); w.u32(entries.length); w.u32(maxWords); w.u32(maxJoined); w.u32(hashSize); w.u32(prefixSize);
  const offsAt = w.n;
  for (let i = 0; i < 8; i++) w.u32(0);
  // authors: 34-byte records, sorted, no duplicates
  w.setU32(offsAt, w.n);
  let na = 0;
  for (let i = 0; i < au.length; i++) {
    if (i > 0 && au[i] == au[i - 1]) continue;
    const k = parseHex(au[i], 0)!;
    w.u8(k.length); w.bytes(k, 0, k.length);
    for (let z = k.length; z < 33; z++) w.u8(0);
    na++;
  }
  w.setU32(countsAt, na);
  w.setU32(offsAt + 4, w.n);
  let nc = 0;
  for (let i = 0; i < ca.length; i++) {
    if (i > 0 && ca[i] == ca[i - 1]) continue;
    const id = parseHex(ca[i], 32)!;
    w.bytes(id, 0, 32);
    nc++;
  }
  w.setU32(countsAt + 4, nc);
  // entries
  w.setU32(offsAt + 8, w.n);
  const entryOffsAt = w.n;
  for (let e = 0; e < entries.length; e++) w.u32(0);
  for (let e = 0; e < entries.length; e++) {
    w.setU32(entryOffsAt + e * 4, w.n);
    const en = entries[e];
    w.u16(en.term); w.u16(en.spaced.length); w.bytes(en.spaced, 0, en.spaced.length); w.u16(en.joined.length); w.bytes(en.joined, 0, en.joined.length);
  }
  // hash tables (first entry of a key wins: the earlier term in the policy)
  for (let table = 0; table < 2; table++) {
    w.setU32(offsAt + 12 + table * 4, w.n);
    const at = w.n;
    for (let i = 0; i < hashSize; i++) w.u32(0);
    for (let e = 0; e < entries.length; e++) {
      const k = table == 0 ? entries[e].spaced : entries[e].joined;
      let slot = <i32>(fnv(FNV0, k, 0, k.length) & <u32>(hashSize - 1));
      let dup = false;
      while (true) {
        const v = load<u32>(w.buf.dataStart + <usize>(at + slot * 4));
        if (v == 0) break;
        const o = entries[v - 1];
        const ok = table == 0 ? o.spaced : o.joined;
        if (ok.length == k.length && memory.compare(ok.dataStart, k.dataStart, <usize>k.length) == 0) { dup = true; break; }
        slot = (slot + 1) & (hashSize - 1);
      }
      if (!dup) w.setU32(at + slot * 4, e + 1);
    }
  }
  // original terms
  w.setU32(offsAt + 20, w.n);
  const termOffsAt = w.n;
  for (let t = 0; t < terms.length; t++) w.u32(0);
  for (let t = 0; t < terms.length; t++) {
    w.setU32(termOffsAt + t * 4, w.n);
    const b = Uint8Array.wrap(String.UTF8.encode(terms[t]));
    w.u16(b.length); w.bytes(b, 0, b.length);
  }
  for (let table = 0; table < 2; table++) {
    w.setU32(offsAt + 24 + table * 4, w.n);
    const at = w.n;
    for (let i = 0; i < prefixSize; i++) w.u32(0);
    const list = table == 0 ? spacedPrefixes : joinedPrefixes;
    for (let i = 0; i < list.length; i++) {
      const v = list[i] == 0 ? 1 : list[i];
      let slot = <i32>(v & <u32>(prefixSize - 1));
      while (true) {
        const x = load<u32>(w.buf.dataStart + <usize>(at + slot * 4));
        if (x == 0) { store<u32>(w.buf.dataStart + <usize>(at + slot * 4), v); break; }
        if (x == v) break;
        slot = (slot + 1) & (prefixSize - 1);
      }
    }
  }
  r.blob = w.buf.slice(0, w.n);
  return r;
}

/** A stored policy, read in place. */
export class Policy {
  constructor(public b: Uint8Array) {}
  private u32(at: i32): i32 { return <i32>load<u32>(this.b.dataStart + <usize>at); }
  get minTrust(): i64 { return load<i64>(this.b.dataStart + 1); }
  get max(): i32 { return this.u32(9); }
  get window(): u64 { return load<u64>(this.b.dataStart + 13); }
  get perParent(): i32 { return this.u32(21); }
  get authors(): i32 { return this.u32(25); }
  get capsules(): i32 { return this.u32(29); }
  get terms(): i32 { return this.u32(33); }
  get entries(): i32 { return this.u32(37); }
  get maxWords(): i32 { return this.u32(41); }
  get maxJoined(): i32 { return this.u32(45); }
  get hashSize(): i32 { return this.u32(49); }
  get prefixSize(): i32 { return this.u32(53); }

  valid(): bool { return this.b.length >= HEADER && this.b[0] == VERSION; }

  /** Is `key` (32/33 bytes) a blocked author? */
  blockedAuthor(key: Uint8Array): bool {
    const rec = new Uint8Array(34);
    rec[0] = <u8>key.length;
    memory.copy(rec.dataStart + 1, key.dataStart, <usize>min(key.length, 33));
    return this.search(this.u32(57), this.authors, 34, rec);
  }
  blockedCapsule(id: Uint8Array): bool { return this.search(this.u32(61), this.capsules, 32, id); }

  private search(base: i32, n: i32, size: i32, k: Uint8Array): bool {
    let lo = 0, hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = memory.compare(this.b.dataStart + <usize>(base + mid * size), k.dataStart, <usize>size);
      if (c == 0) return true;
      if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return false;
  }

  private entryAt(e: i32): i32 { return this.u32(this.u32(65) + e * 4); }
  spacedSlot(h: u32, k: i32): i32 { return this.slot(this.u32(69), h, k); }
  joinedSlot(h: u32, k: i32): i32 { return this.slot(this.u32(73), h, k); }
  private slot(table: i32, h: u32, k: i32): i32 {
    const size = this.hashSize;
    if (k >= size) return -1;
    const v = this.u32(table + (<i32>((h + <u32>k) & <u32>(size - 1))) * 4);
    return v - 1;
  }
  get bytes(): Uint8Array { return this.b; }
  spacedAt(e: i32): i32 { return this.entryAt(e) + 4; }
  spacedLen(e: i32): i32 { return <i32>load<u16>(this.b.dataStart + <usize>(this.entryAt(e) + 2)); }
  joinedAt(e: i32): i32 { return this.spacedAt(e) + this.spacedLen(e) + 2; }
  joinedLen(e: i32): i32 { return <i32>load<u16>(this.b.dataStart + <usize>(this.spacedAt(e) + this.spacedLen(e))); }
  original(e: i32): i32 { return <i32>load<u16>(this.b.dataStart + <usize>this.entryAt(e)); }
  termText(t: i32): string {
    const at = this.u32(this.u32(77) + t * 4);
    return String.UTF8.decodeUnsafe(this.b.dataStart + <usize>(at + 2), <usize>load<u16>(this.b.dataStart + <usize>at), false);
  }

  /** Can a key whose hash so far is h still grow into a term? (spaced: at a word boundary; joined: by bytes) */
  spacedPrefix(h: u32): bool { return this.hasPrefix(this.u32(81), h); }
  joinedPrefix(h: u32): bool { return this.hasPrefix(this.u32(85), h); }
  private hasPrefix(table: i32, h: u32): bool {
    const v = h == 0 ? 1 : h, size = this.prefixSize;
    let slot = <i32>(v & <u32>(size - 1));
    for (let k = 0; k < size; k++) {
      const x = load<u32>(this.b.dataStart + <usize>(table + slot * 4));
      if (x == 0) return false;
      if (x == v) return true;
      slot = (slot + 1) & (size - 1);
    }
    return false;
  }
}

export const TOO_COMPLEX: i32 = -2;

function sameSpaced(a: Analysis, from: i32, words: i32, base: usize, len: i32): bool {
  let p = 0;
  for (let w = 0; w < words; w++) {
    if (w > 0) { if (p >= len || load<u8>(base + <usize>p) != 0x20) return false; p++; }
    const at = a.at.at(from + w), n = a.len.at(from + w);
    if (p + n > len || memory.compare(a.keys.dataStart + <usize>at, base + <usize>p, <usize>n) != 0) return false;
    p += n;
  }
  return p == len;
}

function sameJoined(a: Analysis, from: i32, to: i32, base: usize, len: i32, alt: bool): bool {
  let p = 0;
  for (let w = from; w < to; w++) {
    const at = alt ? a.altAt.at(w) : a.at.at(w), n = alt ? a.altLen.at(w) : a.len.at(w);
    if (p + n > len || memory.compare(a.keys.dataStart + <usize>at, base + <usize>p, <usize>n) != 0) return false;
    p += n;
  }
  return p == len;
}

/**
 * The index of the first banned term found in the analysed text (in text order), -1 for none, or TOO_COMPLEX
 * when the lookups would exceed MAX_STEPS (only reachable with long single-letter runs that keep matching
 * prefixes of long terms).
 */
export function findTerm(a: Analysis, p: Policy): i32 {
  const words = a.words, maxWords = p.maxWords, maxJoined = p.maxJoined;
  const base = p.b.dataStart;
  let steps = 0;
  // whole words, and consecutive words for multi-word terms
  for (let i = 0; i < words; i++) {
    let h = FNV0;
    for (let n = 1; n <= maxWords && i + n <= words; n++) {
      const w = i + n - 1;
      if (n > 1) { if (!p.spacedPrefix(h)) break; h = fnvByte(h, 0x20); }
      h = fnv(h, a.keys, a.at.at(w), a.len.at(w));
      if (++steps > MAX_STEPS) return TOO_COMPLEX;
      for (let k = 0; ; k++) {
        const e = p.spacedSlot(h, k);
        if (e < 0) break;
        if (sameSpaced(a, i, n, base + <usize>p.spacedAt(e), p.spacedLen(e))) return p.original(e);
      }
    }
  }
  // runs of single-character words, as one string
  let r = 0;
  while (r < words) {
    if (a.single.at(r) == 0) { r++; continue; }
    let end = r + 1;
    while (end < words && a.single.at(end) != 0) end++;
    if (end - r >= 2) {
      let alt = false;
      for (let i = r; i < end; i++) if (a.alpha.at(i) != 0) { alt = true; break; }
      for (let s = r; s < end; s++) {
        let h = FNV0, total = 0;
        for (let e = s; e < end; e++) {
          const at = alt ? a.altAt.at(e) : a.at.at(e), n = alt ? a.altLen.at(e) : a.len.at(e);
          if (total + n > maxJoined) break;
          if (total > 0 && total <= PREFIX_BYTES && !p.joinedPrefix(h)) break;
          total += n;
          h = fnv(h, a.keys, at, n);
          if (++steps > MAX_STEPS) return TOO_COMPLEX;
          for (let k = 0; ; k++) {
            const x = p.joinedSlot(h, k);
            if (x < 0) break;
            if (sameJoined(a, s, e + 1, base + <usize>p.joinedAt(x), p.joinedLen(x), alt)) return p.original(x);
          }
        }
      }
    }
    r = end;
  }
  return -1;
}
