/**
 * Portable backend on noble (pure JS, no Node-only import): runs in browsers and Electron renderers.
 * Verdicts are identical to the native backend on every input (test/crypto/).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concatBytes, equalBytes } from '../bytes.ts';
import type { CryptoBackend, SigAlg } from './types.ts';
import {
  admitEd25519Key, admitP256Key, assertLen, bytesToBigLE, ed25519SigShapeOk, ED25519_L, isAllZero, p256SigShapeOk,
} from './_policy.ts';

const B = ed25519.Point.BASE;

function ed25519Verify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const A = admitEd25519Key(pk);
  if (A === null || !ed25519SigShapeOk(sig)) return false;
  const R = sig.subarray(0, 32);
  const S = bytesToBigLE(sig.subarray(32, 64));
  const k = bytesToBigLE(sha512(concatBytes(R, pk, msg))) % ED25519_L;
  // Cofactorless: [S]B − [k]A must encode exactly to R.
  const check = B.multiplyUnsafe(S).subtract(A.multiplyUnsafe(k));
  return equalBytes(check.toBytes(), R);
}

function p256Verify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (admitP256Key(pk) === null || !p256SigShapeOk(sig)) return false;
  try {
    return p256.verify(sig, msg, pk, { lowS: true, prehash: true, format: 'compact' });
  } catch { return false; }
}

export const nobleBackend: CryptoBackend = {
  name: 'noble',
  sha256: (d) => sha256(d),
  hmacSha256: (k, d) => hmac(sha256, k, d),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  randomBytes: (n) => randomBytes(n),

  sigPublicKey(alg: SigAlg, sk: Uint8Array): Uint8Array {
    assertLen('secret key', sk, 32);
    return alg === 'ed25519' ? ed25519.getPublicKey(sk) : p256.getPublicKey(sk, true);
  },
  sign(alg: SigAlg, sk: Uint8Array, msg: Uint8Array): Uint8Array {
    assertLen('secret key', sk, 32);
    return alg === 'ed25519' ? ed25519.sign(msg, sk) : p256.sign(msg, sk, { lowS: true, prehash: true, format: 'compact' });
  },
  verify(alg: SigAlg, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    if (!(msg instanceof Uint8Array)) return false;
    return alg === 'ed25519' ? ed25519Verify(pk, msg, sig) : alg === 'p256' ? p256Verify(pk, msg, sig) : false;
  },

  x25519PublicKey(sk: Uint8Array): Uint8Array {
    assertLen('x25519 secret key', sk, 32);
    return x25519.getPublicKey(sk);
  },
  x25519(sk: Uint8Array, pk: Uint8Array): Uint8Array | null {
    assertLen('x25519 secret key', sk, 32);
    if (!(pk instanceof Uint8Array) || pk.length !== 32) return null;
    try {
      const ss = x25519.getSharedSecret(sk, pk);
      return isAllZero(ss) ? null : ss;
    } catch { return null; }
  },

  chachaSeal: (key, nonce, aad, pt) => chacha20poly1305(key, nonce, aad).encrypt(pt),
  chachaOpen(key, nonce, aad, ct) {
    try { return chacha20poly1305(key, nonce, aad).decrypt(ct); } catch { return null; }
  },
  xchachaSeal: (key, nonce, aad, pt) => xchacha20poly1305(key, nonce, aad).encrypt(pt),
  xchachaOpen(key, nonce, aad, ct) {
    try { return xchacha20poly1305(key, nonce, aad).decrypt(ct); } catch { return null; }
  },
};
