/**
 * The signature policy both backends share (docs/SECURITY.md "Signature and encryption policy"). Portable: noble
 * only, no Node import. Each backend calls these checks before its own equation, so the verdicts cannot drift.
 * Key admission (decoding, small-order and torsion checks — a scalar multiplication) is cached per key, per process
 * in bounded LRU caches, and per device through an injected `AdmittedKeys` (the runtime's store).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { equalBytes } from '../bytes.ts';
import { bytesKey, LruCache } from '../lru.ts';
import type { AdmittedKeys } from './types.ts';

export type EdPoint = ReturnType<typeof ed25519.Point.fromBytes>;
export type P256Point = ReturnType<typeof p256.Point.fromBytes>;

export const ED25519_L = ed25519.Point.CURVE().n;
export const P256_N = p256.Point.CURVE().n;
export const P256_HALF_N = P256_N >> 1n;

// ---------------------------------------------------------------------------------------------------------------
// Input assertions (throw TypeError naming the argument; never print its bytes: it may be secret)

export function assertBytes(what: string, b: unknown): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${what}: expected Uint8Array, got ${b === null ? 'null' : typeof b}`);
}

export function assertLen(what: string, b: unknown, len: number): asserts b is Uint8Array {
  assertBytes(what, b);
  if (b.length !== len) throw new TypeError(`${what}: expected ${len} bytes, got ${b.length}`);
}

export function assertSigAlg(alg: unknown): asserts alg is 'ed25519' | 'p256' {
  if (alg !== 'ed25519' && alg !== 'p256') throw new TypeError(`signature algorithm: expected 'ed25519' or 'p256', got ${typeof alg === 'string' ? JSON.stringify(alg.slice(0, 16)) : typeof alg}`);
}

export function assertLength(what: string, n: unknown, max: number): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new TypeError(`${what}: expected an integer in 0..${max}, got ${typeof n === 'number' ? n : typeof n}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fixed-width big-endian / little-endian comparisons against public constants (no BigInt on the hot path)

function constBE(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) { out[i] = Number(n & 0xffn); n >>= 8n; }
  return out;
}

/** a < b for equal-length big-endian byte strings. Variable time: only for public values. */
function ltBE(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

const L_LE = constBE(ED25519_L, 32).reverse();
const N_BE = constBE(P256_N, 32);
const HALF_N_PLUS_1_BE = constBE(P256_HALF_N + 1n, 32);

/** S < L, S the little-endian scalar in bytes 32..63 of an Ed25519 signature. */
function sLessThanL(sig: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = sig[32 + i], l = L_LE[i];
    if (s !== l) return s < l;
  }
  return false;
}

export function bytesToBigLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

export function bytesToBigBE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = 0; i < b.length; i++) n = (n << 8n) | BigInt(b[i]);
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Key caches (keys are attacker-chosen: every cache is an LRU bounded by a memory budget)

/**
 * Memory budget of each per-process key cache. Entry sizes were measured on Node 20 / V8 (heap, plus OpenSSL's
 * native memory for KeyObjects) with `bytesKey` map keys; the caches hold at most budget / entry-size keys:
 *   Ed25519 points (here)        4 MiB /   320 B ≈ 13,100 keys
 *   P-256 points (here)          4 MiB /   560 B ≈  7,490 keys
 *   Ed25519 KeyObjects (native)  8 MiB / 1 KiB   =  8,192 keys
 *   P-256 KeyObjects (native)    8 MiB / 3 KiB   ≈  2,730 keys
 * 24 MiB in all at most. A key evicted here is not admitted again when the runtime's store remembers it
 * (`AdmittedKeys`): eviction costs a decode or a KeyObject import, not the admission arithmetic.
 */
export const KEY_CACHE = {
  ed25519Points: { budgetBytes: 4 << 20, entryBytes: 320 },
  p256Points: { budgetBytes: 4 << 20, entryBytes: 560 },
  ed25519KeyObjects: { budgetBytes: 8 << 20, entryBytes: 1024 },
  p256KeyObjects: { budgetBytes: 8 << 20, entryBytes: 3072 },
} as const;

const keyCaches: LruCache<unknown>[] = [];

/** An LRU key cache of the given budget, emptied by `clearKeyCaches`. */
export function keyCache<V>(size: { budgetBytes: number; entryBytes: number }): LruCache<V> {
  const c = new LruCache<V>(size.budgetBytes, size.entryBytes);
  keyCaches.push(c as LruCache<unknown>);
  return c;
}

/** Empties every per-process key cache (tests and benchmarks: a fresh process without starting one). */
export function clearKeyCaches(): void { for (const c of keyCaches) c.clear(); }

/** How many times the admission arithmetic ran in this process (Ed25519: small order + torsion; P-256: decompression). */
export const admissionCount = { ed25519: 0, p256: 0 };

/** The record of an admitted Ed25519 key: empty (the row itself is the statement). */
export const NO_RECORD = new Uint8Array(0);

/** 'admitted' or 'refused' computed in this process, or 'known': admitted on this device before (by its record). */
export type Admission = 'admitted' | 'known' | 'refused';

// ---------------------------------------------------------------------------------------------------------------
// Ed25519

/**
 * One key: its strict decoding (undefined until needed; null when it does not decode canonically) and the admission
 * verdict computed in this process (undefined until computed). A verdict taken from a device record is never stored
 * here: these caches are shared by every backend instance of the process, and only computed verdicts are.
 */
interface EdKey { point: EdPoint | null | undefined; admitted: boolean | undefined }
const edKeys = keyCache<EdKey>(KEY_CACHE.ed25519Points);

function edKey(pk: Uint8Array): EdKey {
  const k = bytesKey(pk);
  let e = edKeys.get(k);
  if (e === undefined) { e = { point: undefined, admitted: undefined }; edKeys.set(k, e); }
  return e;
}

/** Strict decoding that re-encodes to the same bytes (canonical), once per key. */
function edPoint(e: EdKey, pk: Uint8Array): EdPoint | null {
  if (e.point === undefined) {
    try {
      const A = ed25519.Point.fromBytes(pk, false);
      e.point = equalBytes(A.toBytes(), pk) ? A : null;
    } catch { e.point = null; }
    if (e.point === null) e.admitted = false;
  }
  return e.point;
}

function edAdmission(e: EdKey, pk: Uint8Array, known: AdmittedKeys | null): Admission {
  if (e.admitted === true) return 'admitted';
  if (e.admitted === false) return 'refused';
  if (known !== null && known.get('ed25519', pk) !== null) return 'known';
  const A = edPoint(e, pk);
  if (A !== null) {
    admissionCount.ed25519++;
    e.admitted = !A.isSmallOrder() && A.isTorsionFree();
  }
  return e.admitted === true ? 'admitted' : 'refused';
}

/**
 * Ed25519 key admission: 32 bytes, canonical encoding (decodes strictly and re-encodes to the same bytes), not of
 * small order, torsion-free. The verdict only (the native backend: OpenSSL has the key). A key `known` holds is not
 * decoded or checked again. Nothing is recorded here: a backend records a key (`known.put`) once a signature under it
 * verified, so signatures that fail cannot grow the device's table.
 */
export function ed25519Admission(pk: Uint8Array, known: AdmittedKeys | null = null): Admission {
  if (!(pk instanceof Uint8Array) || pk.length !== 32) return 'refused';
  return edAdmission(edKey(pk), pk, known);
}

/**
 * Ed25519 key admission returning the decoded point for the equation (the noble backend), or null when refused. A
 * key `known` holds is decoded (strictly, canonically) but not put through the small-order and torsion checks again.
 */
export function admitEd25519Key(pk: Uint8Array, known: AdmittedKeys | null = null): EdPoint | null {
  if (!(pk instanceof Uint8Array) || pk.length !== 32) return null;
  const e = edKey(pk);
  if (edAdmission(e, pk, known) === 'refused') return null;
  return edPoint(e, pk);
}

/** Ed25519 signature shape: 64 bytes and S < L (the canonical-S rule; both libraries also check it). */
export function ed25519SigShapeOk(sig: unknown): sig is Uint8Array {
  return sig instanceof Uint8Array && sig.length === 64 && sLessThanL(sig);
}

// ---------------------------------------------------------------------------------------------------------------
// ECDSA P-256

/** An admitted P-256 key: the point and its 65-byte uncompressed encoding (what noble's verify decodes cheaply). */
export interface P256Key { point: P256Point; uncompressed: Uint8Array }

/** Per key: the admitted point, or null for a refused key (computed in this process, or a checked device record). */
const p256Keys = keyCache<P256Key | null>(KEY_CACHE.p256Points);

/** SEC1 compressed encoding of an uncompressed one (prefix 02/03 by the parity of y, then x): bytes only. */
function sameCompressed(uncompressed: Uint8Array, pk: Uint8Array): boolean {
  if (uncompressed.length !== 65 || uncompressed[0] !== 4 || pk[0] !== 2 + (uncompressed[64] & 1)) return false;
  for (let i = 1; i < 33; i++) if (uncompressed[i] !== pk[i]) return false;
  return true;
}

/** A device record of `pk`, if it is the decoded point of `pk`: on the curve (noble checks) and compresses to it. */
function fromRecord(record: Uint8Array, pk: Uint8Array): P256Key | null {
  if (!sameCompressed(record, pk)) return null;
  try {
    const point = p256.Point.fromBytes(record);
    point.assertValidity();
    return point.is0() ? null : { point, uncompressed: record.slice() };
  } catch { return null; }
}

/**
 * P-256 key admission: exactly 33 bytes, SEC1 compressed (prefix 02/03), x < p and on the curve (decompression
 * succeeds), not the identity. Uncompressed (65-byte) and hybrid encodings are refused. Cached per key. With `known`,
 * the point decoded on an earlier visit (its record) replaces the decompression once it is checked to be on the
 * curve and to compress to exactly these bytes; a record that is not is ignored. Nothing is recorded here: a backend
 * records the point (`known.put('p256', pk, a.uncompressed)`) once a signature under the key verified.
 */
export function admitP256Key(pk: Uint8Array, known: AdmittedKeys | null = null): P256Key | null {
  if (!(pk instanceof Uint8Array) || pk.length !== 33 || (pk[0] !== 2 && pk[0] !== 3)) return null;
  const k = bytesKey(pk);
  const hit = p256Keys.get(k);
  if (hit !== undefined) return hit;
  const record = known?.get('p256', pk) ?? null;
  let verdict = record !== null ? fromRecord(record, pk) : null;
  if (verdict === null) {
    admissionCount.p256++;
    try {
      const point = p256.Point.fromBytes(pk);
      point.assertValidity();
      if (!point.is0() && equalBytes(point.toBytes(true), pk)) verdict = { point, uncompressed: point.toBytes(false) };
    } catch { verdict = null; }
  }
  p256Keys.set(k, verdict);
  return verdict;
}

/** P-256 signature shape: 64 bytes r‖s, 0 < r < n, 0 < s ≤ n/2 (low-S only). */
export function p256SigShapeOk(sig: unknown): sig is Uint8Array {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  const r = sig.subarray(0, 32), s = sig.subarray(32, 64);
  return !isZero(r) && ltBE(r, N_BE) && !isZero(s) && ltBE(s, HALF_N_PLUS_1_BE);
}

/** Normalise a P-256 r‖s signature to low-S (s → n − s when s > n/2). Returns the input when already low. */
export function p256LowS(sig: Uint8Array): Uint8Array {
  if (ltBE(sig.subarray(32, 64), HALF_N_PLUS_1_BE)) return sig;
  const s = bytesToBigBE(sig.subarray(32, 64));
  const out = sig.slice();
  out.set(constBE(P256_N - s, 32), 32);
  return out;
}

/** A P-256 secret key must be a scalar in 1..n−1 (big-endian, 32 bytes). Throws TypeError, never shows the bytes. */
export function assertP256SecretKey(sk: unknown): asserts sk is Uint8Array {
  assertLen('p256 secret key', sk, 32);
  if (isZero(sk) || !ltBE(sk, N_BE)) throw new TypeError('p256 secret key: not a scalar in 1..n-1');
}

// ---------------------------------------------------------------------------------------------------------------
// X25519

/** Constant-time all-zero test (shared secrets are secret). */
export function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i];
  return acc === 0;
}
