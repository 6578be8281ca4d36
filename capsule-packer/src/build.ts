/**
 * Producing capsules and module packages: assemble the core, seal the payload to its recipients, sign.
 * Randomness (CEK, nonce, ephemeral keys) is injectable so golden vectors are reproducible byte-for-byte.
 */
import { compareBytes, toHex } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import type { CryptoBackend } from '../../host/src/crypto/types.ts';
import { pae, SIGNING_TYPES } from '../../host/src/pae.ts';
import {
  AEAD_TAG_BYTES, encodeBody, encodeCapsule, encodeCore, PAYLOAD_NONCE_BYTES,
  type CapsuleCore, type RecipientStanza,
} from '../../host/src/parse/capsule.ts';
import { encodeManifest, encodeModulePackage, type ModuleManifest } from '../../host/src/parse/module.ts';
import { encryptPayload, keyCommitment, makeStanza, payloadKeys, type SealRandomness } from '../../host/src/decrypt/envelope.ts';
import type { SecretIdentity } from '../../host/src/keys.ts';
import { LIMITS } from '../../host/src/parse/limits.ts';
import { moduleId } from '../../host/src/verify/index.ts';

export interface CapsuleSpec {
  kind: string;
  channel: string;
  createdAt: bigint;
  parents?: Uint8Array[];
  flags?: Record<string, string> | [string, string][];
  logic?: Uint8Array | null;
  payload: Uint8Array;
  /** X25519 public keys of the recipients, or 'public' for a signed plaintext capsule. */
  to: Uint8Array[] | 'public';
}

export interface BuiltCapsule { bytes: Uint8Array; id: Uint8Array; idHex: string }

function sortedUnique(list: Uint8Array[], what: string): Uint8Array[] {
  const s = [...list].sort(compareBytes);
  for (let i = 1; i < s.length; i++) {
    if (compareBytes(s[i - 1], s[i]) === 0) throw new KapsuleError('USAGE', 'pack', `duplicate ${what} ${toHex(s[i])}`);
  }
  return s;
}

export function buildCapsule(
  b: CryptoBackend, author: SecretIdentity, spec: CapsuleSpec, rand?: Partial<SealRandomness>,
): BuiltCapsule {
  if (spec.payload.length > LIMITS.maxPayloadBytes - AEAD_TAG_BYTES) {
    throw new KapsuleError('USAGE', 'pack', `payload is ${spec.payload.length} bytes, limit ${LIMITS.maxPayloadBytes - AEAD_TAG_BYTES}`);
  }
  const flagList = Array.isArray(spec.flags) ? spec.flags : Object.entries(spec.flags ?? {});
  const flags = [...flagList].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0));
  const base = {
    kind: spec.kind, sigAlg: author.sigAlg, author: author.sigPublic, channel: spec.channel,
    createdAt: spec.createdAt, parents: sortedUnique(spec.parents ?? [], 'parent'), flags,
    logic: spec.logic ?? null,
  };
  let core: CapsuleCore;
  let commit: Uint8Array | null = null;
  let payload: Uint8Array;
  let coreBytes: Uint8Array;
  if (spec.to === 'public') {
    core = { ...base, encryption: { mode: 'public' }, payloadLength: spec.payload.length };
    coreBytes = wrapUsage(() => encodeCore(core));
    payload = spec.payload;
  } else {
    if (spec.to.length === 0) throw new KapsuleError('USAGE', 'pack', 'an encrypted capsule needs at least one recipient (or --public)');
    const recipients = sortedUnique(spec.to, 'recipient');
    const cek = rand?.cek ?? b.randomBytes(32);
    const nonce = rand?.nonce ?? b.randomBytes(PAYLOAD_NONCE_BYTES);
    const stanzas: RecipientStanza[] = recipients.map((r, i) =>
      makeStanza(b, cek, r, rand?.ephemeralSecrets?.[i] ?? b.randomBytes(32)));
    core = {
      ...base,
      encryption: { mode: 'x25519-xchacha20poly1305', recipients: stanzas, nonce },
      payloadLength: spec.payload.length + AEAD_TAG_BYTES,
    };
    coreBytes = wrapUsage(() => encodeCore(core));
    const keys = payloadKeys(b, cek, nonce);
    commit = keyCommitment(b, keys, coreBytes);
    payload = encryptPayload(b, keys, nonce, coreBytes, commit, spec.payload);
  }
  const body = encodeBody(coreBytes, commit, b.sha256(payload));
  const signature = b.sign(author.sigAlg, author.sigSecret, pae(SIGNING_TYPES.capsule, body));
  const id = b.sha256(body);
  return { bytes: encodeCapsule(body, signature, payload), id, idHex: toHex(id) };
}

/** A malformed field caught while encoding is the producer's usage error, not a bad capsule. */
function wrapUsage<T>(f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof KapsuleError && e.code === 'FORMAT_INVALID') throw new KapsuleError('USAGE', 'pack', e.message, e.details);
    throw e;
  }
}

export interface ModuleSpec {
  name: string;
  version: string;
  wasm: Uint8Array;
  hostcalls: string[];
  fuel: bigint;
  memoryPages: number;
  maxDepth: number;
}

export interface BuiltModulePackage { bytes: Uint8Array; id: Uint8Array; idHex: string }

/**
 * Signs a module package (.kmod) as given: it does not look at the wasm. `checkModule` (check.ts) first refuses what
 * a host would (kapsule-pack module runs both).
 */
export function buildModulePackage(b: CryptoBackend, author: SecretIdentity, spec: ModuleSpec): BuiltModulePackage {
  const hostcalls = [...new Set(spec.hostcalls)].sort();
  const manifest: ModuleManifest = {
    sigAlg: author.sigAlg, author: author.sigPublic, name: spec.name, version: spec.version,
    wasmHash: b.sha256(spec.wasm), wasmLength: spec.wasm.length, hostcalls,
    fuel: spec.fuel, memoryPages: spec.memoryPages, maxDepth: spec.maxDepth,
  };
  const manifestBytes = wrapUsage(() => encodeManifest(manifest));
  const signature = b.sign(author.sigAlg, author.sigSecret, pae(SIGNING_TYPES.moduleManifest, manifestBytes));
  const id = moduleId(b, manifestBytes);
  return { bytes: encodeModulePackage(manifestBytes, signature, spec.wasm), id, idHex: toHex(id) };
}
