/**
 * Node fast path on node:crypto (OpenSSL). The policy checks OpenSSL lacks (Ed25519 key admission, S < L,
 * P-256 low-S and compressed keys) come from _policy.ts, shared with the noble backend, so both give one verdict.
 * XChaCha20-Poly1305 = HChaCha20 subkey (noble) + native ChaCha20-Poly1305 with the 12-byte tail nonce.
 * P-256 signatures from this backend are randomized by OpenSSL (then normalised to low-S); noble's are RFC 6979.
 */
import {
  createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman,
  hkdfSync, randomBytes as nodeRandomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject,
} from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { p256 } from '@noble/curves/nist.js';
import { toHex } from '../bytes.ts';
import type { CryptoBackend, SigAlg } from './types.ts';
import {
  admitEd25519Key, admitP256Key, assertLen, BoundedCache, ed25519SigShapeOk, isAllZero, p256LowS, p256SigShapeOk,
} from './_policy.ts';
import { nobleBackend } from './noble.ts';

const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

const u = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const out = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const edKeyObjects = new BoundedCache<KeyObject>();
/**
 * Private key objects, cached by the identity of the caller's secret-key array (a device key is one long-lived
 * Uint8Array): parsing PKCS8 costs more than the operation itself. Weak, and keyed by object, never by secret bytes.
 */
const privateKeys = new WeakMap<Uint8Array, { kind: string; bytes: string; key: KeyObject }>();

function cachedPrivate(sk: Uint8Array, kind: 'ed25519' | 'x25519' | 'p256', make: () => KeyObject): KeyObject {
  const hit = privateKeys.get(sk);
  // the array could have been overwritten in place: check a hash of its bytes (the bytes themselves are not kept)
  const fingerprint = createHash('sha256').update(sk).digest('base64');
  if (hit && hit.kind === kind && hit.bytes === fingerprint) return hit.key;
  const key = make();
  privateKeys.set(sk, { kind, bytes: fingerprint, key });
  return key;
}
const p256KeyObjects = new BoundedCache<KeyObject>();

function edKeyObject(pk: Uint8Array): KeyObject {
  const k = toHex(pk);
  let ko = edKeyObjects.get(k);
  if (!ko) {
    ko = createPublicKey({ key: Buffer.concat([ED25519_SPKI, u(pk)]), format: 'der', type: 'spki' });
    edKeyObjects.set(k, ko);
  }
  return ko;
}

function p256KeyObject(pk: Uint8Array): KeyObject | null {
  const k = toHex(pk);
  let ko = p256KeyObjects.get(k);
  if (!ko) {
    const P = admitP256Key(pk);
    if (P === null) return null;
    const raw = P.toBytes(false);
    ko = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) }, format: 'jwk' });
    p256KeyObjects.set(k, ko);
  }
  return ko;
}

function p256PrivateKey(sk: Uint8Array): KeyObject {
  const raw = p256.getPublicKey(sk, false);
  return createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: b64u(sk), x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) },
    format: 'jwk',
  });
}

const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function u32le(b: Uint8Array): Uint32Array {
  const c = new Uint8Array(b); // aligned copy
  return new Uint32Array(c.buffer, 0, c.length / 4);
}

/** XChaCha20 → (ChaCha20 subkey, 12-byte nonce) per draft-irtf-cfrg-xchacha §2.3. */
function xchachaSubkey(key: Uint8Array, nonce: Uint8Array): { key: Buffer; nonce: Buffer } {
  assertLen('xchacha key', key, 32);
  assertLen('xchacha nonce', nonce, 24);
  const sub = new Uint32Array(8);
  hchacha(SIGMA, u32le(key), u32le(nonce.subarray(0, 16)), sub);
  const n12 = Buffer.alloc(12);
  n12.set(nonce.subarray(16, 24), 4);
  return { key: Buffer.from(sub.buffer, 0, 32), nonce: n12 };
}

function chachaSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  return out(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

function chachaOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array | null {
  if (ct.length < 16) return null;
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: ct.length - 16 });
    d.setAuthTag(ct.subarray(ct.length - 16));
    return out(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]));
  } catch { return null; }
}

export const nativeBackend: CryptoBackend = {
  name: 'native',
  sha256: (d) => out(createHash('sha256').update(d).digest()),
  hmacSha256: (k, d) => out(createHmac('sha256', k).update(d).digest()),
  hkdfSha256: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
  randomBytes: (n) => out(nodeRandomBytes(n)),

  sigPublicKey: (alg, sk) => nobleBackend.sigPublicKey(alg, sk),
  sign(alg: SigAlg, sk: Uint8Array, msg: Uint8Array): Uint8Array {
    assertLen('secret key', sk, 32);
    if (alg === 'ed25519') {
      const key = cachedPrivate(sk, 'ed25519', () => createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, u(sk)]), format: 'der', type: 'pkcs8' }));
      return out(nodeSign(null, msg, key));
    }
    return p256LowS(out(nodeSign('sha256', msg, { key: cachedPrivate(sk, 'p256', () => p256PrivateKey(sk)), dsaEncoding: 'ieee-p1363' })));
  },
  verify(alg: SigAlg, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    if (!(msg instanceof Uint8Array)) return false;
    try {
      if (alg === 'ed25519') {
        if (!ed25519SigShapeOk(sig) || admitEd25519Key(pk) === null) return false;
        return nodeVerify(null, msg, edKeyObject(pk), sig);
      }
      if (alg === 'p256') {
        if (!p256SigShapeOk(sig)) return false;
        const ko = p256KeyObject(pk);
        return ko !== null && nodeVerify('sha256', msg, { key: ko, dsaEncoding: 'ieee-p1363' }, sig);
      }
    } catch { return false; }
    return false;
  },

  x25519PublicKey(sk: Uint8Array): Uint8Array {
    assertLen('x25519 secret key', sk, 32);
    const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, u(sk)]), format: 'der', type: 'pkcs8' });
    return out(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12));
  },
  x25519(sk: Uint8Array, pk: Uint8Array): Uint8Array | null {
    assertLen('x25519 secret key', sk, 32);
    if (!(pk instanceof Uint8Array) || pk.length !== 32) return null;
    try {
      const ss = out(diffieHellman({
        privateKey: cachedPrivate(sk, 'x25519', () => createPrivateKey({ key: Buffer.concat([X25519_PKCS8, u(sk)]), format: 'der', type: 'pkcs8' })),
        publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI, u(pk)]), format: 'der', type: 'spki' }),
      }));
      return isAllZero(ss) ? null : ss;
    } catch { return null; }
  },

  chachaSeal,
  chachaOpen,
  xchachaSeal(key, nonce, aad, pt) {
    const s = xchachaSubkey(key, nonce);
    return chachaSeal(s.key, s.nonce, aad, pt);
  },
  xchachaOpen(key, nonce, aad, ct) {
    const s = xchachaSubkey(key, nonce);
    return chachaOpen(s.key, s.nonce, aad, ct);
  },
};
