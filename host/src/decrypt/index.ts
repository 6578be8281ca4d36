/**
 * Decrypt stage: VerifiedCapsule → DecryptedCapsule (plaintext available) for public capsules and for capsules
 * with a stanza for this device; NOT_RECIPIENT otherwise (the pipeline still stores the ciphertext).
 */
import { KapsuleError } from '../errors.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import type { VerifiedCapsule } from '../verify/index.ts';
import { openPayload, unwrapCek } from './envelope.ts';

declare const decrypted: unique symbol;

export type DecryptedCapsule = VerifiedCapsule & { readonly plaintext: Uint8Array; readonly [decrypted]: true };

export interface RecipientKey { encSecret: Uint8Array; encPublic: Uint8Array }

export function decryptCapsule(b: CryptoBackend, c: VerifiedCapsule, key: RecipientKey | null): DecryptedCapsule {
  const enc = c.core.encryption;
  if (enc.mode === 'public') return Object.assign(c, { plaintext: c.payload }) as DecryptedCapsule;
  if (key === null) throw new KapsuleError('NOT_RECIPIENT', 'decrypt', 'this device holds no decryption key');
  const cek = unwrapCek(b, enc.recipients, key.encSecret, key.encPublic);
  const plaintext = openPayload(b, cek, enc.nonce, c.coreBytes, c.commit!, c.payload);
  return Object.assign(c, { plaintext }) as DecryptedCapsule;
}

/** A capsule whose payload this process already opened with the device key (a precheck worker ran `decryptCapsule`). */
export function acceptDecrypted(c: VerifiedCapsule, plaintext: Uint8Array): DecryptedCapsule {
  if (c.core.encryption.mode === 'public') return Object.assign(c, { plaintext: c.payload }) as DecryptedCapsule;
  return Object.assign(c, { plaintext }) as DecryptedCapsule;
}
