/**
 * The one interface every cryptographic backend implements. Two backends exist:
 * `native` (node:crypto fast path, Node only) and `noble` (portable, pure JS). Both MUST give the same
 * verdict on every input — see docs/SECURITY.md and test/crypto/*.test.ts.
 *
 * Conventions: all inputs/outputs are Uint8Array; a verifier never throws on malformed input, it returns
 * false; functions that take secret material never include it in an error message.
 */

export type SigAlg = 'ed25519' | 'p256';

/** Sizes fixed by the format. P-256 public keys are SEC1 compressed (33 bytes). */
export const SIG_SIZES: Record<SigAlg, { secretKey: number; publicKey: number; signature: number }> = {
  ed25519: { secretKey: 32, publicKey: 32, signature: 64 },
  p256: { secretKey: 32, publicKey: 33, signature: 64 },
};

/**
 * The signing keys a device has admitted (Ed25519: canonical, not of small order, torsion-free; P-256: a compressed
 * point on the curve), remembered beyond one process so a key passes the admission arithmetic once per device, not
 * once per process. Injected with `CryptoBackend.withAdmittedKeys`; the runtime backs it with its store
 * (verify/admitted.ts). What each record is trusted for: docs/SECURITY.md "Admitted keys". Neither method may throw.
 */
export interface AdmittedKeys {
  /**
   * The admission record of `publicKey`, or null when this device has none. Ed25519: an empty array — the record is
   * the claim that the key passed (trusted as the device's own, like its store). P-256: the decoded point, 65 bytes
   * uncompressed SEC1 — checked against the key before use (it must be on the curve and compress to the key's bytes).
   */
  get(alg: SigAlg, publicKey: Uint8Array): Uint8Array | null;
  /** Records a key that has just passed admission; may be called again for a key already recorded. */
  put(alg: SigAlg, publicKey: Uint8Array, record: Uint8Array): void;
}

export interface CryptoBackend {
  readonly name: 'native' | 'noble';

  /**
   * This backend with `keys` as the device's memory of admitted keys: `verify` skips the admission of a key `keys`
   * holds and records every key it admits. Verdicts are this backend's on every input, given records this device
   * wrote (a refused key is never recorded). Other methods are unchanged.
   */
  withAdmittedKeys(keys: AdmittedKeys): CryptoBackend;

  sha256(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  randomBytes(n: number): Uint8Array;

  /** Public key (32 B Ed25519, 33 B compressed P-256) from a 32-byte secret. */
  sigPublicKey(alg: SigAlg, secretKey: Uint8Array): Uint8Array;
  /** Ed25519: RFC 8032 deterministic. P-256: SHA-256, RFC 6979 deterministic, low-S, P1363 (r‖s). */
  sign(alg: SigAlg, secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  /**
   * Signature policy (identical on both backends):
   * Ed25519 — 32-byte key, 64-byte sig, S < L, key canonical + not small order + torsion-free,
   *   cofactorless equation with R compared byte-for-byte ([S]B − [k]A encodes to R).
   * P-256 — 33-byte compressed key on the curve, 64-byte r‖s, 0 < r,s < n, s ≤ n/2 (low-S only), SHA-256.
   */
  verify(alg: SigAlg, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  /** RFC 7748 X25519. Returns null when the shared secret is all zero (low-order point). */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;

  /** RFC 8439 ChaCha20-Poly1305, 32-byte key, 12-byte nonce. Open returns null on auth failure. */
  chachaSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  chachaOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
  /** XChaCha20-Poly1305, 32-byte key, 24-byte nonce. Open returns null on auth failure. */
  xchachaSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  xchachaOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
}
