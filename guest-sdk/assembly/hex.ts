// Hex, byte and u64 helpers for kapsule modules (part of kapsule-guest-sdk): keys as lowercase hex, u64 as decimal strings.

const HEX = "0123456789abcdef";

export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX.charAt(b[i] >> 4) + HEX.charAt(b[i] & 15);
  return s;
}

/** Lowercase hex of exactly `len` bytes (0 = any even length ≤ 128 bytes), or null. */
export function fromHex(s: string, len: i32): Uint8Array | null {
  if (s.length % 2 != 0 || (len > 0 && s.length != len * 2) || s.length > 256) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX.indexOf(s.charAt(i * 2));
    const lo = HEX.indexOf(s.charAt(i * 2 + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = <u8>((hi << 4) | lo);
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

/** A public key given as hex: 32 bytes (Ed25519) or 33 bytes (P-256 compressed). */
export function keyFromHex(s: string): Uint8Array | null {
  if (s.length == 64) return fromHex(s, 32);
  if (s.length == 66) return fromHex(s, 33);
  return null;
}

/** Parses a decimal u64 string ("0".."18446744073709551615"); returns false in ok[0] when invalid. */
export function parseU64(s: string, ok: bool[]): u64 {
  ok[0] = false;
  if (s.length == 0 || s.length > 20 || (s.length > 1 && s.charCodeAt(0) == 0x30)) return 0;
  let n: u64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return 0;
    const d = <u64>(c - 0x30);
    if (n > (u64.MAX_VALUE - d) / 10) return 0;
    n = n * 10 + d;
  }
  ok[0] = true;
  return n;
}

/**
 * Lowercase hex of `len` bytes of `b` from `at` (all of it by default) in one allocation. Prefer it to toHex in
 * loops: toHex concatenates per byte, which under the stub runtime (nothing is ever freed) costs O(n²) memory.
 */
export function hexOf(b: Uint8Array, at: i32 = 0, len: i32 = -1): string {
  const n = len < 0 ? b.length - at : len;
  const out = new Uint16Array(n * 2);
  for (let i = 0; i < n; i++) {
    const v = b[at + i];
    out[i * 2] = <u16>HEX.charCodeAt(v >> 4);
    out[i * 2 + 1] = <u16>HEX.charCodeAt(v & 15);
  }
  return String.UTF16.decodeUnsafe(out.dataStart, <usize>(n * 4));
}

function nibble(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * fromHex without a temporary string per character (fromHex's charAt allocates one each: 3 MB for 2,000 keys
 * under the stub runtime): lowercase hex of exactly `len` bytes (0 = any even length ≤ 128 bytes), or null.
 */
export function parseHex(s: string, len: i32): Uint8Array | null {
  if (s.length % 2 != 0 || (len > 0 && s.length != len * 2) || s.length > 256) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(i * 2)), lo = nibble(s.charCodeAt(i * 2 + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = <u8>((hi << 4) | lo);
  }
  return out;
}

/** A public key given as hex (32 or 33 bytes), like keyFromHex, without a temporary string per character. */
export function parseKeyHex(s: string): Uint8Array | null {
  if (s.length == 64) return parseHex(s, 32);
  if (s.length == 66) return parseHex(s, 33);
  return null;
}
