/**
 * The signature policy both backends share (docs/FORMAT.md §1, docs/SECURITY.md). Portable (noble only).
 * Key admission results are cached per key: decoding and the torsion check cost a scalar multiplication.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { toHex, equalBytes } from '../bytes.ts';

type EdPoint = ReturnType<typeof ed25519.Point.fromBytes>;
type P256Point = ReturnType<typeof p256.Point.fromBytes>;

export const ED25519_L = ed25519.Point.CURVE().n;
export const P256_N = p256.Point.CURVE().n;
const P256_HALF_N = P256_N >> 1n;

/** A small bounded cache: cleared when full (keys are attacker-chosen; never let it grow unbounded). */
export class BoundedCache<V> {
  private m = new Map<string, V>();
  constructor(private readonly max = 4096) {}
  get(k: string): V | undefined { return this.m.get(k); }
  set(k: string, v: V): void {
    if (this.m.size >= this.max) this.m.clear();
    this.m.set(k, v);
  }
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

export function bigToBytesBE(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) { out[i] = Number(n & 0xffn); n >>= 8n; }
  return out;
}

const edKeys = new BoundedCache<EdPoint | null>();

/** Ed25519 key admission: 32 bytes, canonical encoding, not small order, torsion-free. Null when refused. */
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

/** Ed25519 signature shape: 64 bytes and S < L. */
export function ed25519SigShapeOk(sig: Uint8Array): boolean {
  return sig instanceof Uint8Array && sig.length === 64 && bytesToBigLE(sig.subarray(32, 64)) < ED25519_L;
}

const p256Keys = new BoundedCache<P256Point | null>();

/** P-256 key admission: 33-byte SEC1 compressed point on the curve. */
export function admitP256Key(pk: Uint8Array): P256Point | null {
  if (!(pk instanceof Uint8Array) || pk.length !== 33 || (pk[0] !== 2 && pk[0] !== 3)) return null;
  const k = toHex(pk);
  const hit = p256Keys.get(k);
  if (hit !== undefined) return hit;
  let verdict: P256Point | null = null;
  try {
    const P = p256.Point.fromBytes(pk);
    P.assertValidity();
    verdict = P.is0() ? null : P;
  } catch { verdict = null; }
  p256Keys.set(k, verdict);
  return verdict;
}

/** P-256 signature shape: 64 bytes r‖s, 0 < r < n, 0 < s ≤ n/2 (low-S only). */
export function p256SigShapeOk(sig: Uint8Array): boolean {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  const r = bytesToBigBE(sig.subarray(0, 32));
  const s = bytesToBigBE(sig.subarray(32, 64));
  return r > 0n && r < P256_N && s > 0n && s <= P256_HALF_N;
}

/** Normalise an ECDSA P-256 r‖s signature to low-S. */
export function p256LowS(sig: Uint8Array): Uint8Array {
  const s = bytesToBigBE(sig.subarray(32, 64));
  if (s <= P256_HALF_N) return sig;
  const out = sig.slice();
  out.set(bigToBytesBE(P256_N - s, 32), 32);
  return out;
}

export function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i];
  return acc === 0;
}

export function assertLen(what: string, b: Uint8Array, len: number): void {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${what}: expected Uint8Array, got ${typeof b}`);
  if (b.length !== len) throw new RangeError(`${what}: expected ${len} bytes, got ${b.length}`);
}
