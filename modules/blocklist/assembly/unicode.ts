// Unicode for the blocklist module: property lookup, folding and word boundaries over tables generated from
// Unicode's data files at build time (scripts/gen-unicode.ts → build/generated/unicode/tables.ts, never typed by
// hand). Pure code: no hostcalls, no allocation per code point.
//  - prop(c): Word_Break class (UAX #29, WordBreakProperty.txt) and flags: Extended_Pictographic (emoji-data),
//    word character (Alphabetic or Nd), dropped when folding, stripped before segmentation;
//  - foldInto(c, out): the matching key of one code point (decomposition, case folding, UTS #39 prototype; see
//    the generator's header for the exact rule);
//  - segment(): UAX #29 word boundaries (rules WB1–WB999), checked against every case of WordBreakTest.txt.
import { PROP_START, PROP_VALUE, FOLD_KEY, FOLD_VALUE, FOLD_POOL, DIRECT_LIMIT, DIRECT_PROP, DIRECT_FOLD } from "../../../build/generated/unicode/tables";

export const WB_OTHER: i32 = 0, WB_CR: i32 = 1, WB_LF: i32 = 2, WB_NEWLINE: i32 = 3, WB_EXTEND: i32 = 4, WB_ZWJ: i32 = 5,
  WB_RI: i32 = 6, WB_FORMAT: i32 = 7, WB_KATAKANA: i32 = 8, WB_HEBREW: i32 = 9, WB_ALETTER: i32 = 10, WB_SQUOTE: i32 = 11,
  WB_DQUOTE: i32 = 12, WB_MIDNUMLET: i32 = 13, WB_MIDLETTER: i32 = 14, WB_MIDNUM: i32 = 15, WB_NUMERIC: i32 = 16,
  WB_EXTENDNUMLET: i32 = 17, WB_WSEGSPACE: i32 = 18;
export const F_EXTPICT: i32 = 1 << 5, F_WORD: i32 = 1 << 6, F_DROP: i32 = 1 << 7, F_STRIP: i32 = 1 << 8;

/** Property bits of code point `c` (binary search over the generated ranges). */
export function prop(c: i32): i32 {
  if (<u32>c < <u32>DIRECT_LIMIT) return <i32>unchecked(DIRECT_PROP[c]);
  let lo = 0, hi = PROP_START.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (<i32>unchecked(PROP_START[mid]) <= c) lo = mid; else hi = mid - 1;
  }
  return <i32>unchecked(PROP_VALUE[lo]);
}

/** A growable buffer of code points (or classes), reused across calls. */
export class Cps {
  data: Int32Array;
  length: i32 = 0;
  constructor(capacity: i32 = 64) { this.data = new Int32Array(capacity); }
  push(c: i32): void {
    if (this.length == this.data.length) { const d = new Int32Array(this.data.length * 2); d.set(this.data); this.data = d; }
    unchecked(this.data[this.length++] = c);
  }
  at(i: i32): i32 { return unchecked(this.data[i]); }
  clear(): void { this.length = 0; }
}

/** Appends the folded form of `c` to `out` (nothing when it is dropped). */
export function foldInto(c: i32, out: Cps): void {
  if ((prop(c) & F_DROP) != 0) return;
  if (<u32>c < <u32>DIRECT_LIMIT) {
    const v = unchecked(DIRECT_FOLD[c]);
    if (v == 0xffffffff) { out.push(c); return; }
    const at = <i32>(v >> 5), n = <i32>(v & 31);
    for (let i = 0; i < n; i++) out.push(<i32>unchecked(FOLD_POOL[at + i]));
    return;
  }
  let lo = 0, hi = FOLD_KEY.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = <i32>unchecked(FOLD_KEY[mid]);
    if (k == c) {
      const v = <i32>unchecked(FOLD_VALUE[mid]);
      const at = v >> 5, n = v & 31;
      for (let i = 0; i < n; i++) out.push(<i32>unchecked(FOLD_POOL[at + i]));
      return;
    }
    if (k < c) lo = mid + 1; else hi = mid - 1;
  }
  out.push(c);
}

function ignorable(k: i32): bool { return k == WB_EXTEND || k == WB_FORMAT || k == WB_ZWJ; }
function ahLetter(k: i32): bool { return k == WB_ALETTER || k == WB_HEBREW; }
function midNumLetQ(k: i32): bool { return k == WB_MIDNUMLET || k == WB_SQUOTE; }

/**
 * UAX #29 word boundaries. `cls[i]` is the Word_Break class of code point i and `pict[i]` its
 * Extended_Pictographic flag (0/1). Sets brk[i] = 1 when a boundary precedes code point i (brk[n] = 1).
 */
export function segment(cls: Cps, pict: Cps, brk: Uint8Array): void {
  const n = cls.length;
  if (n == 0) { brk[0] = 1; return; }
  brk[0] = 1;
  brk[n] = 1;
  for (let i = 1; i < n; i++) brk[i] = breaks(cls, pict, i) ? 1 : 0;
}

function breaks(cls: Cps, pict: Cps, i: i32): bool {
  const n = cls.length;
  const raw = cls.at(i - 1), b = cls.at(i);
  if (raw == WB_CR && b == WB_LF) return false;                                   // WB3
  if (raw == WB_NEWLINE || raw == WB_CR || raw == WB_LF) return true;             // WB3a
  if (b == WB_NEWLINE || b == WB_CR || b == WB_LF) return true;                   // WB3b
  if (raw == WB_ZWJ && pict.at(i) != 0) return false;                             // WB3c
  if (raw == WB_WSEGSPACE && b == WB_WSEGSPACE) return false;                     // WB3d
  if (ignorable(b)) return false;                                                 // WB4
  // WB4: X (Extend | Format | ZWJ)* → X for the rules below
  let p = i - 1;
  while (p > 0 && ignorable(cls.at(p))) p--;
  const a = cls.at(p);
  let pp = p - 1;
  while (pp > 0 && ignorable(cls.at(pp))) pp--;
  const aa = pp >= 0 ? cls.at(pp) : -1;
  let q = i + 1;
  while (q < n && ignorable(cls.at(q))) q++;
  const c = q < n ? cls.at(q) : -1;
  if (ahLetter(a) && ahLetter(b)) return false;                                   // WB5
  if (ahLetter(a) && (b == WB_MIDLETTER || midNumLetQ(b)) && ahLetter(c)) return false;  // WB6
  if (ahLetter(aa) && (a == WB_MIDLETTER || midNumLetQ(a)) && ahLetter(b)) return false; // WB7
  if (a == WB_HEBREW && b == WB_SQUOTE) return false;                             // WB7a
  if (a == WB_HEBREW && b == WB_DQUOTE && c == WB_HEBREW) return false;           // WB7b
  if (aa == WB_HEBREW && a == WB_DQUOTE && b == WB_HEBREW) return false;          // WB7c
  if (a == WB_NUMERIC && b == WB_NUMERIC) return false;                           // WB8
  if (ahLetter(a) && b == WB_NUMERIC) return false;                               // WB9
  if (a == WB_NUMERIC && ahLetter(b)) return false;                               // WB10
  if (aa == WB_NUMERIC && (a == WB_MIDNUM || midNumLetQ(a)) && b == WB_NUMERIC) return false; // WB11
  if (a == WB_NUMERIC && (b == WB_MIDNUM || midNumLetQ(b)) && c == WB_NUMERIC) return false;  // WB12
  if (a == WB_KATAKANA && b == WB_KATAKANA) return false;                         // WB13
  if ((ahLetter(a) || a == WB_NUMERIC || a == WB_KATAKANA || a == WB_EXTENDNUMLET) && b == WB_EXTENDNUMLET) return false; // WB13a
  if (a == WB_EXTENDNUMLET && (ahLetter(b) || b == WB_NUMERIC || b == WB_KATAKANA)) return false; // WB13b
  if (a == WB_RI && b == WB_RI) {                                                 // WB15, WB16
    let ri = 0;
    for (let k = p; k >= 0; k--) {
      const x = cls.at(k);
      if (x == WB_RI) ri++; else if (!ignorable(x)) break;
    }
    return ri % 2 == 0;
  }
  return true;                                                                    // WB999
}
