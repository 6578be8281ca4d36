// Banned-term matching for the `blocklist` module: whole words (UAX #29), each folded to a key (UTS #39 prototype
// after decomposition and case folding, ./unicode.ts), so that look-alikes match and longer words do not.
//
// A text is analysed into words:
//  1. Default_Ignorable code points (bidi controls and isolates, variation selectors, U+180E, Hangul fillers,
//     tag characters, zero-width characters…) are removed, ZWJ excepted (it matters to UAX #29);
//  2. leetspeak symbols join words: '@' and '$' followed by a letter or digit, '!' and '|' between two, count
//     as letters;
//  3. UAX #29 word boundaries; a word is a segment holding a letter or digit (Alphabetic or Nd);
//  4. each word's key: its code points minus MidLetter/MidNum/MidNumLet/quotes/ExtendNumLet ("s.p.a.m",
//     "don't", "a_b") and minus anything folded away (marks, format characters), each folded; in a word that
//     holds letters, leet digits and symbols first become letters: 0 o, 1 i (or l: texts with a 1 are matched
//     both ways), 3 e, 4 a, 5 s, 7 t, 8 b, 9 g, @ a, $ s, ! i, | l;
//  5. runs of single-character words ("s p a m", "s-p-a-m", CJK ideographs, which UAX #29 keeps apart) are also
//     matched as one string: a term matches when it equals any stretch of the run.
// A term (policy) is analysed the same way into a sequence of word keys. It matches a text when the text has the
// same keys as consecutive words (separators between them are free: spaces, NBSP, newlines, hyphens,
// punctuation), or when its concatenated keys equal a stretch of a single-character run. "spamalot" does not
// match "spam"; a term whose key is empty matches nothing.
import { prop, foldInto, segment, Cps, WB_ALETTER, WB_NUMERIC, WB_MIDLETTER, WB_MIDNUM, WB_MIDNUMLET, WB_SQUOTE,
  WB_DQUOTE, WB_EXTENDNUMLET, F_EXTPICT, F_WORD, F_STRIP, F_DROP } from "./unicode";

function leetOf(c: i32, one: i32): i32 {
  if (c >= 0xff01 && c <= 0xff5e) c -= 0xfee0; // fullwidth forms
  switch (c) {
    case 0x30: return 0x6f; case 0x31: return one; case 0x33: return 0x65; case 0x34: return 0x61;
    case 0x35: return 0x73; case 0x37: return 0x74; case 0x38: return 0x62; case 0x39: return 0x67;
    case 0x40: return 0x61; case 0x24: return 0x73; case 0x21: return 0x69; case 0x7c: return 0x6c;
  }
  return -1;
}

function isSymbol(c: i32): bool { // leet symbols that are not word characters by themselves
  if (c >= 0xff01 && c <= 0xff5e) c -= 0xfee0;
  return c == 0x40 || c == 0x24 || c == 0x21 || c == 0x7c;
}

function skipped(k: i32): bool {
  return k == WB_MIDLETTER || k == WB_MIDNUM || k == WB_MIDNUMLET || k == WB_SQUOTE || k == WB_DQUOTE || k == WB_EXTENDNUMLET;
}

/** Words of one text: keys as UTF-8 in one buffer. Reused across analyses (no allocation per word). */
export class Analysis {
  cps: Cps = new Cps(256);
  cls: Cps = new Cps(256);
  pict: Cps = new Cps(256);
  word: Cps = new Cps(256);  // per code point: 1 if it is a word character (after the leet rule)
  props: Cps = new Cps(256);
  brk: Uint8Array = new Uint8Array(257);
  keys: Uint8Array = new Uint8Array(1024);
  keysLen: i32 = 0;
  /** Per word: key offset and length; offset and length of its key with leet applied as in a lettered word. */
  at: Cps = new Cps(64);
  len: Cps = new Cps(64);
  altAt: Cps = new Cps(64);
  altLen: Cps = new Cps(64);
  single: Cps = new Cps(64);
  alpha: Cps = new Cps(64);
  hasOne: bool = false;
  private tmp: Cps = new Cps(64);

  get words(): i32 { return this.at.length; }

  /** Analyses `text`; `one` is what a leet '1' becomes ('i' or 'l'). */
  run(text: string, one: i32): void {
    const cps = this.cps, cls = this.cls, pict = this.pict, word = this.word;
    cps.clear(); cls.clear(); pict.clear(); word.clear(); this.props.clear();
    this.keysLen = 0;
    this.at.clear(); this.len.clear(); this.altAt.clear(); this.altLen.clear(); this.single.clear(); this.alpha.clear();
    this.hasOne = false;
    for (let i = 0; i < text.length; i++) {
      let c = <i32>text.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
        const d = <i32>text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
      }
      const p = prop(c);
      if ((p & F_STRIP) != 0) continue;
      cps.push(c);
      cls.push(p & 31);
      pict.push((p & F_EXTPICT) != 0 ? 1 : 0);
      word.push((p & F_WORD) != 0 ? 1 : 0);
      this.props.push(p);
      if (c == 0x31 || c == 0xff11) this.hasOne = true;
    }
    const n = cps.length;
    for (let i = 0; i < n; i++) { // leet symbols inside words are letters
      const c = cps.at(i);
      if (!isSymbol(c)) continue;
      const next = i + 1 < n && word.at(i + 1) != 0;
      const prev = i > 0 && word.at(i - 1) != 0;
      const cc = c >= 0xff01 ? c - 0xfee0 : c;
      if ((cc == 0x40 || cc == 0x24) ? next : (next && prev)) { cls.data[i] = WB_ALETTER; word.data[i] = 1; }
    }
    if (this.brk.length < n + 1) this.brk = new Uint8Array(n * 2 + 1);
    segment(cls, pict, this.brk);
    let s = 0;
    while (s < n) {
      let e = s + 1;
      while (e < n && this.brk[e] == 0) e++;
      this.addWord(s, e, one);
      s = e;
    }
  }

  private addWord(s: i32, e: i32, one: i32): void {
    let isWord = false, counted = 0, alpha = false, leet = false;
    for (let i = s; i < e; i++) {
      if (this.word.at(i) == 0) continue;
      isWord = true;
    }
    if (!isWord) return;
    for (let i = s; i < e; i++) {
      const k = this.cls.at(i);
      if (skipped(k)) continue;
      const isLeet = leetOf(this.cps.at(i), one) >= 0;
      if ((this.props.at(i) & F_DROP) != 0 && !isLeet) continue;
      counted++;
      if (isLeet) leet = true;
      else if (this.word.at(i) != 0 && k != WB_NUMERIC) alpha = true;
    }
    if (counted == 0) return;
    const at = this.keysLen;
    this.encode(s, e, one, alpha && leet);
    const len = this.keysLen - at;
    if (len == 0) return;
    const altAt = this.keysLen;
    if (counted == 1 && leet && !alpha) this.encode(s, e, one, true); // a single digit or symbol: its letter form too
    this.at.push(at); this.len.push(len);
    if (this.keysLen > altAt) { this.altAt.push(altAt); this.altLen.push(this.keysLen - altAt); }
    else { this.altAt.push(at); this.altLen.push(len); }
    this.single.push(counted == 1 ? 1 : 0);
    this.alpha.push(alpha ? 1 : 0);
  }

  private encode(s: i32, e: i32, one: i32, useLeet: bool): void {
    for (let i = s; i < e; i++) {
      if (skipped(this.cls.at(i))) continue;
      const c = this.cps.at(i);
      this.tmp.clear();
      const l = useLeet ? leetOf(c, one) : -1;
      foldInto(l >= 0 ? l : c, this.tmp);
      for (let j = 0; j < this.tmp.length; j++) this.put(this.tmp.at(j));
    }
  }

  private put(c: i32): void {
    if (this.keysLen + 4 > this.keys.length) { const k = new Uint8Array(this.keys.length * 2); k.set(this.keys); this.keys = k; }
    const b = this.keys;
    let n = this.keysLen;
    if (c < 0x80) b[n++] = <u8>c;
    else if (c < 0x800) { b[n++] = <u8>(0xc0 | (c >> 6)); b[n++] = <u8>(0x80 | (c & 63)); }
    else if (c < 0x10000) { b[n++] = <u8>(0xe0 | (c >> 12)); b[n++] = <u8>(0x80 | ((c >> 6) & 63)); b[n++] = <u8>(0x80 | (c & 63)); }
    else { b[n++] = <u8>(0xf0 | (c >> 18)); b[n++] = <u8>(0x80 | ((c >> 12) & 63)); b[n++] = <u8>(0x80 | ((c >> 6) & 63)); b[n++] = <u8>(0x80 | (c & 63)); }
    this.keysLen = n;
  }

  /** Word `i`'s key as a string (specs and diagnostics). */
  keyOf(i: i32): string { return String.UTF8.decodeUnsafe(this.keys.dataStart + <usize>this.at.at(i), <usize>this.len.at(i), false); }
}

// ---- hashing of keys (policy.ts keeps the terms in hash tables of these) ----

export function fnv(h: u32, b: Uint8Array, at: i32, n: i32): u32 {
  for (let i = 0; i < n; i++) { h ^= <u32>b[at + i]; h *= 16777619; }
  return h;
}
export const FNV0: u32 = 2166136261;
export function fnvByte(h: u32, x: u32): u32 { h ^= x; return h * 16777619; }

