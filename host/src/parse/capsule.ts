/**
 * The `.kapsule` v2 wire format (docs/FORMAT.md): parse bytes into a `ParsedCapsule`, and encode the parts a
 * producer assembles. Parsing checks structure and canonical form only; signatures are the verify stage's job.
 *
 *   file  = "KPSL" ‖ u8 version(2) ‖ u32 bodyLen ‖ body ‖ signature(64) ‖ payload(payloadLen)
 *   body  = core ‖ [commit(32) if encrypted] ‖ payloadHash(32)          (the signed bytes; id = SHA-256(body))
 */
import { KapsuleError } from '../errors.ts';
import { compareBytes } from '../bytes.ts';
import { SIG_SIZES, type SigAlg } from '../crypto/types.ts';
import { Reader, Writer } from './codec.ts';
import {
  DISPLAY_TEXT_PATTERN, FLAG_KEY_PATTERN, KIND_PATTERN, LIMITS,
} from './limits.ts';

export const CAPSULE_MAGIC: Uint8Array = Uint8Array.of(0x4b, 0x50, 0x53, 0x4c); // "KPSL"
export const CAPSULE_VERSION = 2;
export const SIG_ALG_CODES: Record<SigAlg, number> = { ed25519: 1, p256: 2 };
const SIG_ALG_BY_CODE: Record<number, SigAlg> = { 1: 'ed25519', 2: 'p256' };
export const ENC_PUBLIC = 0;
export const ENC_X25519_XCHACHA = 1;
export const STANZA_BODY_BYTES = 48;
export const PAYLOAD_NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;
/** Largest created_at (ms): 8.64e15, the ECMAScript date range; keeps times exact in doubles and SQLite integers. */
export const MAX_CREATED_AT = 8_640_000_000_000_000n;

export interface RecipientStanza {
  /** Recipient's X25519 public key. */
  recipient: Uint8Array;
  /** Ephemeral X25519 public key of this stanza. */
  ephemeral: Uint8Array;
  /** ChaCha20-Poly1305(wrap key, zero nonce, CEK): exactly 48 bytes. */
  wrapped: Uint8Array;
}

export interface CapsuleCore {
  kind: string;
  sigAlg: SigAlg;
  author: Uint8Array;
  channel: string;
  /** Milliseconds since the Unix epoch, as signed data. Never read from a clock by logic. */
  createdAt: bigint;
  /** Parent capsule ids, strictly ascending. */
  parents: Uint8Array[];
  /** Policy flags readable without decryption, strictly ascending by key. */
  flags: [string, string][];
  /** Module id of the logic: SHA-256 of the signed module manifest (which commits to the wasm and its limits), or null. */
  logic: Uint8Array | null;
  encryption:
    | { mode: 'public' }
    | { mode: 'x25519-xchacha20poly1305'; recipients: RecipientStanza[]; nonce: Uint8Array };
  /** Length of the payload bytes on the wire (ciphertext incl. tag when encrypted). */
  payloadLength: number;
}

export interface ParsedCapsule {
  core: CapsuleCore;
  /** Encoded core, as on the wire. */
  coreBytes: Uint8Array;
  /** Key commitment (encrypted capsules only). */
  commit: Uint8Array | null;
  payloadHash: Uint8Array;
  /** The signed body: core ‖ commit? ‖ payloadHash. */
  body: Uint8Array;
  signature: Uint8Array;
  /** Payload bytes: ciphertext, or plaintext for public capsules. */
  payload: Uint8Array;
  /** The whole file. */
  bytes: Uint8Array;
}

function strictlyAscending(items: Uint8Array[]): boolean {
  for (let i = 1; i < items.length; i++) if (compareBytes(items[i - 1], items[i]) >= 0) return false;
  return true;
}

export function encodeCore(core: CapsuleCore): Uint8Array {
  const w = new Writer();
  w.text(core.kind, 1).u8(SIG_ALG_CODES[core.sigAlg]).bytes(core.author);
  w.text(core.channel, 1).u64(core.createdAt);
  w.u8(core.parents.length);
  for (const p of core.parents) w.bytes(p);
  w.u8(core.flags.length);
  for (const [k, v] of core.flags) w.text(k, 1).text(v, 2);
  if (core.logic) w.u8(1).bytes(core.logic); else w.u8(0);
  if (core.encryption.mode === 'public') {
    w.u8(ENC_PUBLIC);
  } else {
    w.u8(ENC_X25519_XCHACHA).u8(core.encryption.recipients.length);
    for (const r of core.encryption.recipients) w.bytes(r.recipient).bytes(r.ephemeral).bytes(r.wrapped);
    w.bytes(core.encryption.nonce);
  }
  w.u32(core.payloadLength);
  const out = w.finish();
  // Encoding what we could not parse back would produce an unreadable capsule: check by construction.
  parseCore(new Reader(out, 'capsule core', 'pack'));
  return out;
}

function parseCore(r: Reader): CapsuleCore {
  const kind = r.text('kind', 1, 1, 32, KIND_PATTERN);
  const algCode = r.u8('sig_alg');
  const sigAlg = SIG_ALG_BY_CODE[algCode];
  if (!sigAlg) r.fail('sig_alg', `unknown algorithm code ${algCode}`);
  const author = r.bytes(SIG_SIZES[sigAlg].publicKey, 'author');
  const channel = r.text('channel', 1, 0, LIMITS.maxChannelBytes, DISPLAY_TEXT_PATTERN);
  const createdAt = r.u64('created_at');
  if (createdAt > MAX_CREATED_AT) r.fail('created_at', `exceeds ${MAX_CREATED_AT} (the largest representable date)`);
  const nParents = r.u8('parent_count');
  if (nParents > LIMITS.maxParents) r.fail('parent_count', `${nParents} exceeds ${LIMITS.maxParents}`);
  const parents: Uint8Array[] = [];
  for (let i = 0; i < nParents; i++) parents.push(r.bytes(32, `parents[${i}]`));
  if (!strictlyAscending(parents)) r.fail('parents', 'are not strictly ascending (sorted, unique)');
  const nFlags = r.u8('flag_count');
  if (nFlags > LIMITS.maxFlags) r.fail('flag_count', `${nFlags} exceeds ${LIMITS.maxFlags}`);
  const flags: [string, string][] = [];
  let prevKey: string | null = null;
  for (let i = 0; i < nFlags; i++) {
    const k = r.text(`flags[${i}].key`, 1, 1, 32, FLAG_KEY_PATTERN);
    const v = r.text(`flags[${i}].value`, 2, 0, LIMITS.maxFlagValueBytes, DISPLAY_TEXT_PATTERN);
    if (prevKey !== null && !(prevKey < k)) r.fail(`flags[${i}].key`, 'keys are not strictly ascending');
    prevKey = k;
    flags.push([k, v]);
  }
  const logicTag = r.u8('logic_tag');
  if (logicTag > 1) r.fail('logic_tag', `must be 0 or 1, got ${logicTag}`);
  const logic = logicTag === 1 ? r.bytes(32, 'logic') : null;
  const enc = r.u8('encryption');
  let encryption: CapsuleCore['encryption'];
  if (enc === ENC_PUBLIC) {
    encryption = { mode: 'public' };
  } else if (enc === ENC_X25519_XCHACHA) {
    const n = r.u8('recipient_count');
    if (n < 1 || n > LIMITS.maxRecipients) r.fail('recipient_count', `${n} outside [1, ${LIMITS.maxRecipients}]`);
    const recipients: RecipientStanza[] = [];
    for (let i = 0; i < n; i++) {
      recipients.push({
        recipient: r.bytes(32, `recipients[${i}].recipient`),
        ephemeral: r.bytes(32, `recipients[${i}].ephemeral`),
        wrapped: r.bytes(STANZA_BODY_BYTES, `recipients[${i}].wrapped`),
      });
    }
    if (!strictlyAscending(recipients.map((s) => s.recipient))) {
      r.fail('recipients', 'are not strictly ascending by recipient key');
    }
    encryption = { mode: 'x25519-xchacha20poly1305', recipients, nonce: r.bytes(PAYLOAD_NONCE_BYTES, 'nonce') };
  } else {
    r.fail('encryption', `unknown mode ${enc}`);
  }
  const payloadLength = r.u32('payload_length');
  if (payloadLength > LIMITS.maxPayloadBytes) r.fail('payload_length', `${payloadLength} exceeds ${LIMITS.maxPayloadBytes}`);
  if (encryption.mode !== 'public' && payloadLength < AEAD_TAG_BYTES) {
    r.fail('payload_length', `encrypted payload shorter than the ${AEAD_TAG_BYTES}-byte tag`);
  }
  return { kind, sigAlg, author, channel, createdAt, parents, flags, logic, encryption, payloadLength };
}

export function encodeBody(coreBytes: Uint8Array, commit: Uint8Array | null, payloadHash: Uint8Array): Uint8Array {
  const w = new Writer().bytes(coreBytes);
  if (commit) w.bytes(commit);
  return w.bytes(payloadHash).finish();
}

export function encodeCapsule(body: Uint8Array, signature: Uint8Array, payload: Uint8Array): Uint8Array {
  return new Writer().bytes(CAPSULE_MAGIC).u8(CAPSULE_VERSION).u32(body.length).bytes(body)
    .bytes(signature).bytes(payload).finish();
}

/** Parse and structurally validate a `.kapsule`. Throws FORMAT_INVALID; never checks signatures. */
export function parseCapsule(bytes: Uint8Array): ParsedCapsule {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseCapsule expects a Uint8Array');
  if (bytes.length > LIMITS.maxCapsuleBytes) {
    throw new KapsuleError('FORMAT_INVALID', 'receive', `capsule is ${bytes.length} bytes, limit ${LIMITS.maxCapsuleBytes}`);
  }
  const r = new Reader(bytes, 'capsule');
  const magic = r.bytes(4, 'magic');
  if (compareBytes(magic, CAPSULE_MAGIC) !== 0) { r.fail('magic', 'is not "KPSL"'); }
  const version = r.u8('version');
  if (version !== CAPSULE_VERSION) r.fail('version', `unsupported version ${version}`);
  const bodyLen = r.u32('body_length');
  if (bodyLen > LIMITS.maxBodyBytes) r.fail('body_length', `${bodyLen} exceeds ${LIMITS.maxBodyBytes}`);
  const body = r.bytes(bodyLen, 'body');
  const br = new Reader(body, 'capsule body');
  const coreStart = br.offset;
  const core = parseCore(br);
  const coreBytes = body.subarray(coreStart, br.offset);
  const commit = core.encryption.mode === 'public' ? null : br.bytes(32, 'commit');
  const payloadHash = br.bytes(32, 'payload_hash');
  br.end();
  const signature = r.bytes(SIG_SIZES[core.sigAlg].signature, 'signature');
  const payload = r.bytes(core.payloadLength, 'payload');
  r.end();
  return { core, coreBytes, commit, payloadHash, body, signature, payload, bytes };
}
