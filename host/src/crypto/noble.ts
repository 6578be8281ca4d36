/**
 * Portable backend on noble (pure JS, no Node-only import): runs in browsers and Electron renderers.
 * Verdicts are identical to the native backend on every input (test/crypto/*.test.ts). Policy checks come from
 * ./_policy.ts; the Ed25519 equation is computed with noble's Point API, cofactorless, R compared as bytes.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { equalBytes } from '../bytes.ts';
import type { AdmittedKeys, CryptoBackend, SigAlg } from './types.ts';
import {
  admitEd25519Key, admitP256Key, assertBytes, assertLen, assertLength, assertP256SecretKey, assertSigAlg,
  bytesToBigLE, ed25519SigShapeOk, ED25519_L, isAllZero, NO_RECORD, p256SigShapeOk,
} from './_policy.ts';

const B = ed25519.Point.BASE;
const HKDF_MAX = 255 * 32;

/** Cofactorless Ed25519: encode([S]B − [k]A) must equal R byte for byte, after the shared policy checks. */
function ed25519Verify(known: AdmittedKeys | null, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (!ed25519SigShapeOk(sig)) return false;
  const A = admitEd25519Key(pk, known);
  if (A === null) return false;
  const R = sig.subarray(0, 32);
  const S = bytesToBigLE(sig.subarray(32, 64));
  const h = sha512.create().update(R).update(pk).update(msg).digest();
  const k = bytesToBigLE(h) % ED25519_L;
  if (!equalBytes(B.multiplyUnsafe(S).subtract(A.multiplyUnsafe(k)).toBytes(), R)) return false;
  known?.put('ed25519', pk, NO_RECORD); // recorded only once a signature under it verified
  return true;
}

/** The admitted key's uncompressed encoding goes to noble: decoding it is a curve check, not a square root. */
function p256Verify(known: AdmittedKeys | null, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (!p256SigShapeOk(sig)) return false;
  const a = admitP256Key(pk, known);
  if (a === null || !p256.verify(sig, msg, a.uncompressed, { lowS: true, prehash: true, format: 'compact' })) return false;
  known?.put('p256', pk, a.uncompressed); // recorded only once a signature under it verified
  return true;
}

/** Open an AEAD: wrong nonce length or a short ciphertext is an authentication failure (null), not an exception. */
function aeadOpen(
  cipher: typeof chacha20poly1305, nonceLen: number, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array,
): Uint8Array | null {
  assertLen('aead key', key, 32);
  assertBytes('aead aad', aad);
  assertBytes('aead ciphertext', ct);
  if (!(nonce instanceof Uint8Array) || nonce.length !== nonceLen || ct.length < 16) return null;
  try { return cipher(key, nonce, aad).decrypt(ct); } catch { return null; }
}

function aeadSeal(
  cipher: typeof chacha20poly1305, nonceLen: number, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array,
): Uint8Array {
  assertLen('aead key', key, 32);
  assertLen('aead nonce', nonce, nonceLen);
  assertBytes('aead aad', aad);
  assertBytes('aead plaintext', pt);
  return cipher(key, nonce, aad).encrypt(pt);
}

/** The noble backend, with `known` as the device's admitted keys (null: this process's caches only). */
function makeNoble(known: AdmittedKeys | null): CryptoBackend {
  return {
    name: 'noble',
    withAdmittedKeys: (keys) => makeNoble(keys),
    sha256(d) { assertBytes('sha256 input', d); return sha256(d); },
    hmacSha256(k, d) { assertBytes('hmac key', k); assertBytes('hmac data', d); return hmac(sha256, k, d); },
    hkdfSha256(ikm, salt, info, length) {
      assertBytes('hkdf ikm', ikm); assertBytes('hkdf salt', salt); assertBytes('hkdf info', info);
      assertLength('hkdf length', length, HKDF_MAX);
      return hkdf(sha256, ikm, salt, info, length);
    },
    randomBytes(n) { assertLength('randomBytes length', n, 1 << 16); return randomBytes(n); },

    sigPublicKey(alg: SigAlg, sk: Uint8Array): Uint8Array {
      assertSigAlg(alg);
      if (alg === 'ed25519') { assertLen('ed25519 secret key', sk, 32); return ed25519.getPublicKey(sk); }
      assertP256SecretKey(sk);
      return p256.getPublicKey(sk, true);
    },
    sign(alg: SigAlg, sk: Uint8Array, msg: Uint8Array): Uint8Array {
      assertSigAlg(alg);
      assertBytes('message', msg);
      if (alg === 'ed25519') { assertLen('ed25519 secret key', sk, 32); return ed25519.sign(msg, sk); }
      assertP256SecretKey(sk);
      // RFC 6979 deterministic k (no extraEntropy), low-S, r‖s.
      return p256.sign(msg, sk, { lowS: true, prehash: true, format: 'compact' });
    },
    verify(alg: SigAlg, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
      if (!(msg instanceof Uint8Array)) return false;
      try {
        if (alg === 'ed25519') return ed25519Verify(known, pk, msg, sig);
        if (alg === 'p256') return p256Verify(known, pk, msg, sig);
      } catch { /* a verifier never throws */ }
      return false;
    },

    x25519PublicKey(sk: Uint8Array): Uint8Array {
      assertLen('x25519 secret key', sk, 32);
      return x25519.getPublicKey(sk);
    },
    x25519(sk: Uint8Array, pk: Uint8Array): Uint8Array | null {
      assertLen('x25519 secret key', sk, 32);
      if (!(pk instanceof Uint8Array) || pk.length !== 32) return null;
      let ss: Uint8Array;
      try { ss = x25519.getSharedSecret(sk, pk); } catch { return null; } // noble throws on an all-zero result
      return isAllZero(ss) ? null : ss;
    },

    chachaSeal: (key, nonce, aad, pt) => aeadSeal(chacha20poly1305, 12, key, nonce, aad, pt),
    chachaOpen: (key, nonce, aad, ct) => aeadOpen(chacha20poly1305, 12, key, nonce, aad, ct),
    xchachaSeal: (key, nonce, aad, pt) => aeadSeal(xchacha20poly1305, 24, key, nonce, aad, pt),
    xchachaOpen: (key, nonce, aad, ct) => aeadOpen(xchacha20poly1305, 24, key, nonce, aad, ct),
  };
}

export const nobleBackend: CryptoBackend = makeNoble(null);
