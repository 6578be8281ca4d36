/**
 * Identities and key files (portable part). An identity = a signing key (Ed25519 or P-256) + an X25519
 * encryption key. Secret key file and public identity file are JSON (docs/FORMAT.md §Key files).
 * File I/O and permission checks live in keys-node.ts.
 */
import { KapsuleError } from './errors.ts';
import { fromHex, toHex } from './bytes.ts';
import { SIG_SIZES, type CryptoBackend, type SigAlg } from './crypto/types.ts';

export interface PublicIdentity {
  sigAlg: SigAlg;
  sigPublic: Uint8Array;
  encPublic: Uint8Array;
  name?: string;
}

export interface SecretIdentity extends PublicIdentity {
  sigSecret: Uint8Array;
  encSecret: Uint8Array;
}

export const SECRET_KEY_TYPE = 'kapsule-secret-key';
export const PUBLIC_KEY_TYPE = 'kapsule-identity';

/** Human-readable id of a signing key: "<alg>:<hex>". */
export function identityLabel(alg: SigAlg, pub: Uint8Array): string {
  return `${alg}:${toHex(pub)}`;
}

export function generateIdentity(b: CryptoBackend, sigAlg: SigAlg, name?: string, seed?: { sig: Uint8Array; enc: Uint8Array }): SecretIdentity {
  const sigSecret = seed?.sig ?? b.randomBytes(32);
  const encSecret = seed?.enc ?? b.randomBytes(32);
  const id: SecretIdentity = {
    sigAlg, sigSecret, encSecret,
    sigPublic: b.sigPublicKey(sigAlg, sigSecret),
    encPublic: b.x25519PublicKey(encSecret),
  };
  if (name !== undefined) id.name = name;
  return id;
}

export function publicOf(id: PublicIdentity): PublicIdentity {
  const p: PublicIdentity = { sigAlg: id.sigAlg, sigPublic: id.sigPublic, encPublic: id.encPublic };
  if (id.name !== undefined) p.name = id.name;
  return p;
}

export function encodePublicIdentity(id: PublicIdentity): string {
  return JSON.stringify({
    type: PUBLIC_KEY_TYPE, version: 1, sig_alg: id.sigAlg,
    sig_public: toHex(id.sigPublic), enc_public: toHex(id.encPublic),
    ...(id.name !== undefined ? { name: id.name } : {}),
  }, null, 2) + '\n';
}

export function encodeSecretIdentity(id: SecretIdentity): string {
  return JSON.stringify({
    type: SECRET_KEY_TYPE, version: 1, sig_alg: id.sigAlg,
    sig_public: toHex(id.sigPublic), enc_public: toHex(id.encPublic),
    sig_secret: toHex(id.sigSecret), enc_secret: toHex(id.encSecret),
    ...(id.name !== undefined ? { name: id.name } : {}),
  }, null, 2) + '\n';
}

/**
 * A field's value for an error message: short printable values as they are, anything else only described. A key file
 * with secret hex in a misplaced field must not print it.
 */
function shown(v: unknown): string {
  if (typeof v === 'string') return v.length <= 12 && /^[\x20-\x7e]*$/.test(v) ? JSON.stringify(v) : `a string of ${v.length} characters`;
  if (typeof v === 'number') return Number.isSafeInteger(v) && Math.abs(v) < 1e6 ? String(v) : 'a number';
  if (v === undefined) return 'none';
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : `a value of type ${typeof v}`;
}

function bad(what: string, why: string): never {
  throw new KapsuleError('KEY_INVALID', 'key', `${what}: ${why}`);
}

function hexField(o: Record<string, unknown>, field: string, len: number, what: string): Uint8Array {
  const v = o[field];
  if (typeof v !== 'string') bad(what, `missing field "${field}"`);
  let b: Uint8Array;
  try { b = fromHex(v); } catch { bad(what, `field "${field}" is not hex`); }
  if (b.length !== len) bad(what, `field "${field}" must be ${len} bytes, got ${b.length}`);
  return b;
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let o: unknown;
  try { o = JSON.parse(text); } catch { bad(what, 'is not JSON'); }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) bad(what, 'is not a JSON object');
  return o as Record<string, unknown>;
}

function parseCommon(o: Record<string, unknown>, what: string): PublicIdentity {
  const alg = o.sig_alg;
  if (alg !== 'ed25519' && alg !== 'p256') bad(what, `unknown sig_alg ${shown(alg)} (expected "ed25519" or "p256")`);
  if (o.version !== 1) bad(what, `unsupported version ${shown(o.version)} (expected 1)`);
  const id: PublicIdentity = {
    sigAlg: alg,
    sigPublic: hexField(o, 'sig_public', SIG_SIZES[alg].publicKey, what),
    encPublic: hexField(o, 'enc_public', 32, what),
  };
  if (typeof o.name === 'string') id.name = o.name;
  return id;
}

export function parsePublicIdentity(text: string, what = 'public identity'): PublicIdentity {
  const o = parseJsonObject(text, what);
  if (o.type !== PUBLIC_KEY_TYPE && o.type !== SECRET_KEY_TYPE) bad(what, `type must be "${PUBLIC_KEY_TYPE}"`);
  return publicOf(parseCommon(o, what));
}

/** Parses a secret key file and checks that the stored public keys match the secrets. */
export function parseSecretIdentity(b: CryptoBackend, text: string, what = 'secret key file'): SecretIdentity {
  const o = parseJsonObject(text, what);
  if (o.type !== SECRET_KEY_TYPE) bad(what, `type must be "${SECRET_KEY_TYPE}"`);
  const pub = parseCommon(o, what);
  const sigSecret = hexField(o, 'sig_secret', 32, what);
  const encSecret = hexField(o, 'enc_secret', 32, what);
  let sigPub: Uint8Array, encPub: Uint8Array;
  try {
    sigPub = b.sigPublicKey(pub.sigAlg, sigSecret);
    encPub = b.x25519PublicKey(encSecret);
  } catch { bad(what, 'secret key is not a valid scalar'); }
  if (toHex(sigPub) !== toHex(pub.sigPublic)) bad(what, 'sig_public does not match sig_secret');
  if (toHex(encPub) !== toHex(pub.encPublic)) bad(what, 'enc_public does not match enc_secret');
  return { ...pub, sigSecret, encSecret };
}
