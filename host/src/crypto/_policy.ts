/**
 * The signature policy both backends share (docs/SECURITY.md "Signature and encryption policy"). Portable: noble
 * only, no Node import. Each backend calls these checks before its own equation, so the verdicts cannot drift.
 * Key admission (decoding, small-order and torsion checks — a scalar multiplication) is cached per key.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { toHex, equalBytes } from '../bytes.ts';

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
// Bounded caches (keys are attacker-chosen: never let a cache grow without bound)

/** Insertion-ordered Map that evicts its oldest entry when full. */
export class BoundedCache<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max = 4096) {}
  get(k: string): V | undefined { return this.m.get(k); }
  set(k: string, v: V): void {
    if (this.m.size >= this.max && !this.m.has(k)) {
      const oldest = this.m.keys().next();
      if (!oldest.done) this.m.delete(oldest.value);
    }
    this.m.set(k, v);
  }
  get size(): number { return this.m.size; }
}

// ---------------------------------------------------------------------------------------------------------------
// Ed25519

/** Cache of admission verdicts: the admitted point, or null for a refused key. */
const edKeys = new BoundedCache<EdPoint | null>();

/**
 * Ed25519 key admission: 32 bytes, canonical encoding (decodes strictly and re-encodes to the same bytes), not of
 * small order, torsion-free. Returns the point, or null when refused. Cached per key (hex of the public bytes).
 */
export function admitEd25519Key(pk: Uint8Array): EdPoint | null {
  if (!(pk instanceof Uint8Array) || pk.length !== 32) return null;
  const k = toHex(pk);
  const hit = edKeys.get(k);
  if (hit !== undefined) return hit;
  let verdict: EdPoint | null = null;
  try {
    const A = ed25519.Point.fromBytes(pk, false);
    if (equalBytes(A.toBytes(), pk) && !A.isSmallOrder() && A.isTorsionFree()) verdict = A;
  } catch { verdict = null; }
  edKeys.set(k, verdict);
  return verdict;
}

/** Ed25519 signature shape: 64 bytes and S < L (the canonical-S rule; both libraries also check it). */
export function ed25519SigShapeOk(sig: unknown): sig is Uint8Array {
  return sig instanceof Uint8Array && sig.length === 64 && sLessThanL(sig);
}

// ---------------------------------------------------------------------------------------------------------------
// ECDSA P-256

const p256Keys = new BoundedCache<P256Point | null>();

/**
 * P-256 key admission: exactly 33 bytes, SEC1 compressed (prefix 02/03), x < p and on the curve (decompression
 * succeeds), not the identity. Uncompressed (65-byte) and hybrid encodings are refused. Cached per key.
 */
export function admitP256Key(pk: Uint8Array): P256Point | null {
  if (!(pk instanceof Uint8Array) || pk.length !== 33 || (pk[0] !== 2 && pk[0] !== 3)) return null;
  const k = toHex(pk);
  const hit = p256Keys.get(k);
  if (hit !== undefined) return hit;
  let verdict: P256Point | null = null;
  try {
    const P = p256.Point.fromBytes(pk);
    P.assertValidity();
    verdict = P.is0() || !equalBytes(P.toBytes(true), pk) ? null : P;
  } catch { verdict = null; }
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
