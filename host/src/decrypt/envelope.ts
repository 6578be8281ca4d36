/**
 * Payload envelope (docs/FORMAT.md §Encryption), age-style and key-committing:
 *   stanza:  ss = X25519(e, R) (all-zero rejected); wk = HKDF(ss, salt = E‖R, "kapsule.v2/x25519");
 *            wrapped = ChaCha20-Poly1305(wk, 0^12, "", CEK)                      (48 bytes)
 *   ck ‖ pk = HKDF(CEK, salt = nonce, "kapsule.v2/commit+payload", 64)   (one extract, one two-block expand)
 *   commit = HMAC-SHA256(ck, core)
 *   ct     = XChaCha20-Poly1305(pk, nonce, SHA-256(core ‖ commit), pt)
 * Reader order: (signature verified) → own stanza → unwrap → check commit (constant time) → decrypt.
 * v1 derived ck and pk in two HKDF calls (info "kapsule.v1/commit", salt ""; "kapsule.v1/payload", salt nonce); v2
 * takes them as the two halves of one HKDF output: both remain independent PRF outputs of the CEK, so the commitment
 * argument is unchanged, and a reader saves one HKDF (an extract and an expand) per capsule.
 */
import { KapsuleError } from '../errors.ts';
import { concatBytes, equalBytes, utf8 } from '../bytes.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import type { RecipientStanza } from '../parse/capsule.ts';
import { STANZA_BODY_BYTES } from '../parse/capsule.ts';

const INFO_WRAP = utf8.encode('kapsule.v2/x25519');
const INFO_KEYS = utf8.encode('kapsule.v2/commit+payload');
const ZERO_NONCE = new Uint8Array(12);
const EMPTY = new Uint8Array(0);

/** Randomness a producer needs; injectable so golden vectors are reproducible. */
export interface SealRandomness {
  cek: Uint8Array;
  nonce: Uint8Array;
  /** One ephemeral X25519 secret per recipient, in the order recipients are given. */
  ephemeralSecrets: Uint8Array[];
}

function wrapKey(b: CryptoBackend, ss: Uint8Array, eph: Uint8Array, recipient: Uint8Array): Uint8Array {
  return b.hkdfSha256(ss, concatBytes(eph, recipient), INFO_WRAP, 32);
}

export function makeStanza(b: CryptoBackend, cek: Uint8Array, recipient: Uint8Array, ephemeralSecret: Uint8Array): RecipientStanza {
  const ephemeral = b.x25519PublicKey(ephemeralSecret);
  const ss = b.x25519(ephemeralSecret, recipient);
  if (ss === null) throw new KapsuleError('KEY_INVALID', 'pack', 'recipient key is a low-order point (all-zero shared secret)');
  const wrapped = b.chachaSeal(wrapKey(b, ss, ephemeral, recipient), ZERO_NONCE, EMPTY, cek);
  return { recipient, ephemeral, wrapped };
}

/** The commitment key and the payload key of one capsule: the two halves of one HKDF output. */
export interface PayloadKeys { commitKey: Uint8Array; payloadKey: Uint8Array }

export function payloadKeys(b: CryptoBackend, cek: Uint8Array, nonce: Uint8Array): PayloadKeys {
  const okm = b.hkdfSha256(cek, nonce, INFO_KEYS, 64);
  return { commitKey: okm.subarray(0, 32), payloadKey: okm.subarray(32, 64) };
}

export function keyCommitment(b: CryptoBackend, keys: PayloadKeys, coreBytes: Uint8Array): Uint8Array {
  return b.hmacSha256(keys.commitKey, coreBytes);
}

const aadOf = (b: CryptoBackend, coreBytes: Uint8Array, commit: Uint8Array) => b.sha256(concatBytes(coreBytes, commit));

export function encryptPayload(
  b: CryptoBackend, keys: PayloadKeys, nonce: Uint8Array, coreBytes: Uint8Array, commit: Uint8Array, plaintext: Uint8Array,
): Uint8Array {
  return b.xchachaSeal(keys.payloadKey, nonce, aadOf(b, coreBytes, commit), plaintext);
}

/** Unwrap the CEK from this device's stanza. NOT_RECIPIENT when no stanza names `encPublic`. */
export function unwrapCek(b: CryptoBackend, stanzas: RecipientStanza[], encSecret: Uint8Array, encPublic: Uint8Array): Uint8Array {
  const mine = stanzas.find((s) => equalBytes(s.recipient, encPublic));
  if (!mine) throw new KapsuleError('NOT_RECIPIENT', 'decrypt', 'this device holds no key for any recipient stanza');
  if (mine.wrapped.length !== STANZA_BODY_BYTES) throw new KapsuleError('DECRYPT_FAILED', 'decrypt', 'stanza body is not 48 bytes');
  const ss = b.x25519(encSecret, mine.ephemeral);
  if (ss === null) throw new KapsuleError('DECRYPT_FAILED', 'decrypt', 'stanza ephemeral key is a low-order point');
  const cek = b.chachaOpen(wrapKey(b, ss, mine.ephemeral, encPublic), ZERO_NONCE, EMPTY, mine.wrapped);
  if (cek === null || cek.length !== 32) throw new KapsuleError('DECRYPT_FAILED', 'decrypt', 'recipient stanza does not authenticate');
  return cek;
}

export function openPayload(
  b: CryptoBackend, cek: Uint8Array, nonce: Uint8Array, coreBytes: Uint8Array, commit: Uint8Array, ciphertext: Uint8Array,
): Uint8Array {
  const keys = payloadKeys(b, cek, nonce);
  if (!equalBytes(keyCommitment(b, keys, coreBytes), commit)) {
    throw new KapsuleError('DECRYPT_FAILED', 'decrypt', 'key commitment does not match: the payload key is not the one committed to');
  }
  const pt = b.xchachaOpen(keys.payloadKey, nonce, aadOf(b, coreBytes, commit), ciphertext);
  if (pt === null) throw new KapsuleError('DECRYPT_FAILED', 'decrypt', 'payload does not authenticate');
  return pt;
}
