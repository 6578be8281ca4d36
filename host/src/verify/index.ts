/**
 * Verify stage: structure was checked by parse; here the signature over PAE(type, body) and the binding of the
 * unsigned tail (payload, wasm) to the signed hash. Only a `VerifiedCapsule` can reach the decrypt stage.
 */
import { KapsuleError } from '../errors.ts';
import { equalBytes, toHex } from '../bytes.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import { pae, SIGNING_TYPES } from '../pae.ts';
import { parseCapsule, type ParsedCapsule } from '../parse/capsule.ts';
import { parseModulePackage, type ParsedModulePackage } from '../parse/module.ts';

declare const verified: unique symbol;

export type VerifiedCapsule = ParsedCapsule & {
  /** SHA-256 of the signed body. */
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly [verified]: true;
};

export type VerifiedModulePackage = ParsedModulePackage & {
  /** The module id: SHA-256 of the signed manifest (wasm hash + limits + author). What a capsule's logic names. */
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly [verified]: true;
};

export function capsuleId(backend: CryptoBackend, body: Uint8Array): Uint8Array {
  return backend.sha256(body);
}

export function verifyParsedCapsule(backend: CryptoBackend, parsed: ParsedCapsule): VerifiedCapsule {
  if (!equalBytes(backend.sha256(parsed.payload), parsed.payloadHash)) {
    throw new KapsuleError('SIGNATURE_INVALID', 'verify', 'payload bytes do not match the signed payload hash');
  }
  const msg = pae(SIGNING_TYPES.capsule, parsed.body);
  if (!backend.verify(parsed.core.sigAlg, parsed.core.author, msg, parsed.signature)) {
    throw new KapsuleError('SIGNATURE_INVALID', 'verify', `${parsed.core.sigAlg} signature does not verify for the author key`);
  }
  const id = capsuleId(backend, parsed.body);
  return Object.assign(parsed, { id, idHex: toHex(id) }) as VerifiedCapsule;
}

/**
 * A capsule whose signature and payload hash were verified ahead of time by this process (a precheck worker running
 * `verifyParsedCapsule` on the same bytes): accepted when its recomputed id is the one that verified, else null
 * (the caller then verifies it itself). Never feed this an id that did not come from `verifyParsedCapsule`.
 */
export function acceptPrechecked(backend: CryptoBackend, parsed: ParsedCapsule, verifiedId: Uint8Array): VerifiedCapsule | null {
  const id = capsuleId(backend, parsed.body);
  if (!equalBytes(id, verifiedId) || !equalBytes(backend.sha256(parsed.payload), parsed.payloadHash)) return null;
  return Object.assign(parsed, { id, idHex: toHex(id) }) as VerifiedCapsule;
}

/** Parse + verify in one call: what a relay or `kapsule verify` does. */
export function verifyCapsule(backend: CryptoBackend, bytes: Uint8Array): VerifiedCapsule {
  return verifyParsedCapsule(backend, parseCapsule(bytes));
}

/** A module's id: SHA-256 of its manifest bytes (docs/FORMAT.md §3). */
export function moduleId(backend: CryptoBackend, manifestBytes: Uint8Array): Uint8Array {
  return backend.sha256(manifestBytes);
}

export function verifyParsedModule(backend: CryptoBackend, parsed: ParsedModulePackage): VerifiedModulePackage {
  if (!equalBytes(backend.sha256(parsed.wasm), parsed.manifest.wasmHash)) {
    throw new KapsuleError('SIGNATURE_INVALID', 'verify', 'wasm bytes do not match the signed wasm hash');
  }
  const msg = pae(SIGNING_TYPES.moduleManifest, parsed.manifestBytes);
  if (!backend.verify(parsed.manifest.sigAlg, parsed.manifest.author, msg, parsed.signature)) {
    throw new KapsuleError('SIGNATURE_INVALID', 'verify', 'module manifest signature does not verify for the author key');
  }
  const id = moduleId(backend, parsed.manifestBytes);
  return Object.assign(parsed, { id, idHex: toHex(id) }) as VerifiedModulePackage;
}

export function verifyModulePackage(backend: CryptoBackend, bytes: Uint8Array): VerifiedModulePackage {
  return verifyParsedModule(backend, parseModulePackage(bytes));
}
