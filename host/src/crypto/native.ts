/**
 * Node fast path on node:crypto (OpenSSL). Node only: the portable entry (./index.ts) never imports this file.
 *
 * The policy checks OpenSSL lacks (Ed25519 key admission, S < L first, P-256 low-S, r/s range, compressed keys
 * only) come from ./_policy.ts — the same code the noble backend runs — so both give one verdict; then OpenSSL
 * computes the equation (Ed25519: cofactorless, R compared as bytes, exactly our policy).
 * XChaCha20-Poly1305 = HChaCha20 subkey (noble's `hchacha`) + native ChaCha20-Poly1305 with nonce 0⁴ ‖ nonce[16..24].
 * P-256 signatures from this backend are RANDOMIZED (OpenSSL's k), then normalised to low-S; noble's are RFC 6979.
 * Both are valid under the one policy; only the bytes differ.
 */
import {
  createCipheriv, createDecipheriv, createECDH, createHash, createHmac, createPrivateKey, createPublicKey,
  diffieHellman, hash as oneShotHash, randomBytes as nodeRandomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject,
} from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { bytesKey } from '../lru.ts';
import type { AdmittedKeys, CryptoBackend, SigAlg } from './types.ts';
import {
  admitP256Key, assertBytes, assertLen, assertLength, assertP256SecretKey, assertSigAlg, ed25519Admission,
  ed25519SigShapeOk, isAllZero, KEY_CACHE, keyCache, NO_RECORD, p256LowS, p256SigShapeOk, type P256Key,
} from './_policy.ts';

const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
/** PKCS#8 { id-ecPublicKey, prime256v1 } wrapping SEC1 ECPrivateKey { version 1, d } (OpenSSL derives the point). */
const P256_PKCS8 = Buffer.from('308141020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex');
const HKDF_MAX = 255 * 32;

const u = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/**
 * A Buffer as a plain Uint8Array that owns its whole ArrayBuffer. Small Buffers (Buffer.concat, update/final) are
 * slices of Node's shared 8 KiB pool: returning such a view would expose unrelated pool bytes through `.buffer`,
 * so those are copied.
 */
const out = (b: Buffer): Uint8Array =>
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? new Uint8Array(b.buffer, 0, b.byteLength) : new Uint8Array(b);

/** PKCS#8 DER of a raw 32-byte private key, in an unpooled buffer that is zeroed once OpenSSL has parsed it. */
function privateFromRaw(prefix: Buffer, sk: Uint8Array): KeyObject {
  const der = Buffer.alloc(prefix.length + sk.length);
  der.set(prefix, 0);
  der.set(sk, prefix.length);
  try { return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }); } finally { der.fill(0); }
}

// ---------------------------------------------------------------------------------------------------------------
// Key objects

/**
 * Public KeyObjects per key, in bounded LRU caches (keys are attacker-chosen; budgets in ./_policy.ts KEY_CACHE).
 * Ed25519: verify runs OpenSSL first and key admission (shared policy code, a noble scalar multiplication on first
 * sight) only when OpenSSL accepts: the verdict is the conjunction either way, but forged or junk signatures under
 * fresh keys then cost one OpenSSL verify, not an admission. A key refused in this process short-circuits to false.
 * P-256: admission (decompression, or the device's checked record) comes first, because its decoded point imports
 * as a JWK (x, y) for about half of what OpenSSL takes to decompress a compressed SPKI key.
 */
interface PublicEntry { key: KeyObject | null; admitted: boolean | undefined }
const edPublic = keyCache<PublicEntry>(KEY_CACHE.ed25519KeyObjects);
const p256Public = keyCache<KeyObject | null>(KEY_CACHE.p256KeyObjects);

/**
 * A raw 32-byte Ed25519 / X25519 public key as a KeyObject. Imported as a JWK, not as SPKI DER: OpenSSL 3 sends DER
 * through its generic decoder chain (~110 µs here) while a JWK becomes the same raw key directly (~10 µs). Both
 * keep the 32 bytes as given — no validation either way (admission is ours, in ./_policy.ts) — which the
 * cross-backend vector tests check on every vector.
 */
function okpPublic(crv: 'Ed25519' | 'X25519', pk: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: u(pk).toString('base64url') }, format: 'jwk' });
}

/** An admitted P-256 key as a KeyObject, from its decoded point (JWK x, y; OpenSSL checks the point once more). */
function p256PublicKey(pk: Uint8Array, a: P256Key): KeyObject | null {
  const k = bytesKey(pk);
  let key = p256Public.get(k);
  if (key === undefined) {
    const xy = u(a.uncompressed);
    try {
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: xy.toString('base64url', 1, 33), y: xy.toString('base64url', 33, 65) }, format: 'jwk' });
    } catch { key = null; }
    p256Public.set(k, key);
  }
  return key;
}

function ed25519Verify(known: AdmittedKeys | null, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (!ed25519SigShapeOk(sig) || !(pk instanceof Uint8Array) || pk.length !== 32) return false;
  const k = bytesKey(pk);
  let e = edPublic.get(k);
  if (e === undefined) {
    let key: KeyObject | null;
    try { key = okpPublic('Ed25519', pk); } catch { key = null; }
    e = { key, admitted: key === null ? false : undefined };
    edPublic.set(k, e);
  }
  if (e.admitted === false || e.key === null) return false;
  if (!nodeVerify(null, msg, e.key, sig)) return false;
  if (e.admitted === true && known === null) return true;
  const a = ed25519Admission(pk, known);
  if (a !== 'known') e.admitted = a === 'admitted'; // only verdicts computed here are kept process-wide
  if (a === 'admitted') known?.put('ed25519', pk, NO_RECORD); // a signature under it verified: the device remembers it
  return a !== 'refused';
}

function p256Verify(known: AdmittedKeys | null, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (!p256SigShapeOk(sig)) return false;
  const a = admitP256Key(pk, known); // length, prefix, on the curve, not the identity
  if (a === null) return false;
  const key = p256PublicKey(pk, a);
  if (key === null || !nodeVerify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig)) return false;
  known?.put('p256', pk, a.uncompressed); // recorded only once a signature under it verified
  return true;
}

/**
 * Private key objects, cached by the identity of the caller's secret-key array (a device key is one long-lived
 * Uint8Array): parsing PKCS8 costs more than the operation itself. Weak, keyed by object, never by secret bytes;
 * a SHA-256 fingerprint detects an array overwritten in place (the bytes themselves are not kept here).
 */
const privateKeys = new WeakMap<Uint8Array, { kind: string; fingerprint: string; key: KeyObject }>();

function cachedPrivate(sk: Uint8Array, kind: 'ed25519' | 'x25519' | 'p256', make: () => KeyObject): KeyObject {
  const hit = privateKeys.get(sk);
  const fingerprint = createHash('sha256').update(sk).digest('base64');
  if (hit && hit.kind === kind && hit.fingerprint === fingerprint) return hit.key;
  const key = make();
  privateKeys.set(sk, { kind, fingerprint, key });
  return key;
}

function edPrivate(sk: Uint8Array): KeyObject {
  return cachedPrivate(sk, 'ed25519', () => privateFromRaw(ED25519_PKCS8, sk));
}

function x25519Private(sk: Uint8Array): KeyObject {
  return cachedPrivate(sk, 'x25519', () => privateFromRaw(X25519_PKCS8, sk));
}

/** Compressed public point of a P-256 scalar (already range-checked by assertP256SecretKey). */
function p256PublicCompressed(sk: Uint8Array): Buffer {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(u(sk));
  return ecdh.getPublicKey(null, 'compressed');
}

function p256Private(sk: Uint8Array): KeyObject {
  return cachedPrivate(sk, 'p256', () => privateFromRaw(P256_PKCS8, sk));
}

// ---------------------------------------------------------------------------------------------------------------
// HKDF

/**
 * HKDF-SHA256 (RFC 5869) as its two HMAC steps on node:crypto's HMAC: PRK = HMAC(salt, IKM), then
 * T(i) = HMAC(PRK, T(i−1) ‖ info ‖ i) for i = 1…⌈L/32⌉, OKM = the first L bytes of T(1) ‖ T(2) ‖ …
 * An empty salt is used as given: HMAC pads its key with zeros, so it is the RFC's "HashLen zeros".
 * `crypto.hkdfSync` computes the same through OpenSSL's KDF API, but costs about twice as much per call and refuses
 * an info longer than 1,024 bytes, which noble (and RFC 5869) accept: both backends must take the same inputs.
 * The length has been checked (0 ≤ L ≤ 255·32) by the caller.
 */
function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const okm = new Uint8Array(length);
  if (length === 0) return okm;
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const counter = new Uint8Array(1);
  let t: Buffer | null = null;
  for (let off = 0; off < length; off += 32) {
    const h = createHmac('sha256', prk);
    if (t !== null) { h.update(t); t.fill(0); }
    counter[0]++;
    t = h.update(info).update(counter).digest();
    okm.set(length - off >= 32 ? t : t.subarray(0, length - off), off);
  }
  t!.fill(0);
  prk.fill(0);
  return okm;
}

// ---------------------------------------------------------------------------------------------------------------
// AEAD

/** The "expand 32-byte k" constants, as HChaCha20 takes them. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

/** Little-endian words of a byte string (copied: the input may be unaligned). */
function words(b: Uint8Array): Uint32Array {
  const w = new Uint32Array(b.length / 4);
  for (let i = 0; i < w.length; i++) w[i] = (b[4 * i] | (b[4 * i + 1] << 8) | (b[4 * i + 2] << 16) | (b[4 * i + 3] << 24)) >>> 0;
  return w;
}

/** XChaCha20 → (ChaCha20 subkey, 12-byte nonce) per draft-irtf-cfrg-xchacha-03 §2.3. */
function xchachaSubkey(key: Uint8Array, nonce: Uint8Array): { key: Buffer; nonce: Buffer } {
  const sub = new Uint32Array(8);
  hchacha(SIGMA, words(key), words(nonce.subarray(0, 16)), sub);
  const subKey = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) subKey.writeUInt32LE(sub[i], 4 * i);
  sub.fill(0);
  const n12 = Buffer.alloc(12);
  n12.set(nonce.subarray(16, 24), 4);
  return { key: subKey, nonce: n12 };
}

function seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  return out(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

function open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array | null {
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: ct.length - 16 });
    d.setAuthTag(ct.subarray(ct.length - 16));
    return out(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]));
  } catch { return null; }
}

function checkSeal(key: Uint8Array, nonce: Uint8Array, nonceLen: number, aad: Uint8Array, pt: Uint8Array): void {
  assertLen('aead key', key, 32);
  assertLen('aead nonce', nonce, nonceLen);
  assertBytes('aead aad', aad);
  assertBytes('aead plaintext', pt);
}

/** Same contract as noble's open: bad key → TypeError; wrong nonce length or short ciphertext → null. */
function canOpen(key: Uint8Array, nonce: Uint8Array, nonceLen: number, aad: Uint8Array, ct: Uint8Array): boolean {
  assertLen('aead key', key, 32);
  assertBytes('aead aad', aad);
  assertBytes('aead ciphertext', ct);
  return nonce instanceof Uint8Array && nonce.length === nonceLen && ct.length >= 16;
}

// ---------------------------------------------------------------------------------------------------------------

/** The native backend, with `known` as the device's admitted keys (null: this process's caches only). */
function makeNative(known: AdmittedKeys | null): CryptoBackend {
  return {
    name: 'native',
    withAdmittedKeys: (keys) => makeNative(keys),
    // crypto.hash (Node ≥ 20.12) skips the Hash object: ~2× faster on the short inputs ids and audit leaves hash.
    sha256(d) { assertBytes('sha256 input', d); return out(oneShotHash('sha256', d, 'buffer') as unknown as Buffer); },
    hmacSha256(k, d) { assertBytes('hmac key', k); assertBytes('hmac data', d); return out(createHmac('sha256', k).update(d).digest()); },
    hkdfSha256(ikm, salt, info, length) {
      assertBytes('hkdf ikm', ikm); assertBytes('hkdf salt', salt); assertBytes('hkdf info', info);
      assertLength('hkdf length', length, HKDF_MAX);
      return hkdf(ikm, salt, info, length);
    },
    randomBytes(n) { assertLength('randomBytes length', n, 1 << 16); return out(nodeRandomBytes(n)); },

    sigPublicKey(alg: SigAlg, sk: Uint8Array): Uint8Array {
      assertSigAlg(alg);
      if (alg === 'ed25519') {
        assertLen('ed25519 secret key', sk, 32);
        return out(createPublicKey(edPrivate(sk)).export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI.length));
      }
      assertP256SecretKey(sk);
      return out(p256PublicCompressed(sk));
    },
    sign(alg: SigAlg, sk: Uint8Array, msg: Uint8Array): Uint8Array {
      assertSigAlg(alg);
      assertBytes('message', msg);
      if (alg === 'ed25519') {
        assertLen('ed25519 secret key', sk, 32);
        return out(nodeSign(null, msg, edPrivate(sk)));
      }
      assertP256SecretKey(sk);
      return p256LowS(out(nodeSign('sha256', msg, { key: p256Private(sk), dsaEncoding: 'ieee-p1363' })));
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
      return out(createPublicKey(x25519Private(sk)).export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI.length));
    },
    x25519(sk: Uint8Array, pk: Uint8Array): Uint8Array | null {
      assertLen('x25519 secret key', sk, 32);
      if (!(pk instanceof Uint8Array) || pk.length !== 32) return null;
      let ss: Uint8Array;
      try {
        ss = out(diffieHellman({
          privateKey: x25519Private(sk),
          publicKey: okpPublic('X25519', pk),
        }));
      } catch { return null; } // OpenSSL refuses an all-zero result itself
      return isAllZero(ss) ? null : ss;
    },

    chachaSeal(key, nonce, aad, pt) {
      checkSeal(key, nonce, 12, aad, pt);
      return seal(key, nonce, aad, pt);
    },
    chachaOpen(key, nonce, aad, ct) {
      return canOpen(key, nonce, 12, aad, ct) ? open(key, nonce, aad, ct) : null;
    },
    xchachaSeal(key, nonce, aad, pt) {
      checkSeal(key, nonce, 24, aad, pt);
      const s = xchachaSubkey(key, nonce);
      try { return seal(s.key, s.nonce, aad, pt); } finally { s.key.fill(0); }
    },
    xchachaOpen(key, nonce, aad, ct) {
      if (!canOpen(key, nonce, 24, aad, ct)) return null;
      const s = xchachaSubkey(key, nonce);
      try { return open(s.key, s.nonce, aad, ct); } finally { s.key.fill(0); }
    },
  };
}

export const nativeBackend: CryptoBackend = makeNative(null);
