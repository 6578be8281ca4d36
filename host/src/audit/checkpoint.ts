/**
 * Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed-note framing.
 *
 *   <origin>\n<size>\n<base64 root>\n          ← note text (the body)
 *   \n
 *   — <key name> <base64(key ID (4, big-endian) ‖ signature)>\n      ← one or more signature lines
 *
 * What is signed is PAE("kapsule/checkpoint/v1", body), not the bare note text: the device key also signs other
 * records, and domain separation keeps a checkpoint signature from ever being valid as anything else.
 *
 * Signature type (signed-note §Signatures). 0x01 is "Ed25519 over the note text" and 0x02 is transparency-dev's
 * ECDSA (DER signatures, SPKI key IDs); ours are neither — they sign the PAE encoding, with P-256 in P1363 form
 * over compressed keys — so claiming 0x01/0x02 would make a standard verifier holding our key *fail* the note
 * instead of ignoring our line. We use the spec's escape: 0xff followed by a long identifier,
 *   Ed25519: 0xff ‖ "kapsule/checkpoint/v1/ed25519"      P-256: 0xff ‖ "kapsule/checkpoint/v1/p256"
 * and key ID = SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4] as the spec recommends.
 * The signature blob is key ID ‖ signature (the spec's layout; no algorithm byte inside it).
 *
 * Strictness: exactly the three tlog-checkpoint lines (we never write extension lines and refuse them), canonical
 * size and base64, at most 16 signature lines. Verification follows signed-note: lines from other keys are ignored,
 * a line from the expected key must verify.
 */
import { KapsuleError } from '../errors.ts';
import { concatBytes, equalBytes, fromBase64, toBase64, toHex, utf8 } from '../bytes.ts';
import type { CryptoBackend, SigAlg } from '../crypto/types.ts';
import { SIG_SIZES } from '../crypto/types.ts';
import { pae, SIGNING_TYPES } from '../pae.ts';
import { emptyRoot, verifyConsistency, type Hash } from './merkle.ts';

export interface Checkpoint { origin: string; size: number; root: Uint8Array }
export interface NoteSignature { name: string; keyId: Uint8Array; signature: Uint8Array }
export interface SignedCheckpoint extends Checkpoint {
  /** The first signature line (the only one in checkpoints this runtime writes). */
  name: string; keyId: Uint8Array; signature: Uint8Array;
  signatures: NoteSignature[];
  text: string;
}

/** Signed-note signature type identifiers (see the file header). */
export const CHECKPOINT_SIG_TYPES: Record<SigAlg, Uint8Array> = {
  ed25519: concatBytes(Uint8Array.of(0xff), utf8.encode(`${SIGNING_TYPES.checkpoint}/ed25519`)),
  p256: concatBytes(Uint8Array.of(0xff), utf8.encode(`${SIGNING_TYPES.checkpoint}/p256`)),
};

const DASH = '\u2014';
const MAX_SIGNATURES = 16;
const ORIGIN = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;
const KEY_NAME = /^[\x21-\x2a\x2c-\x7e]{1,255}$/; // printable ASCII, no space, no '+'

function bad(message: string, details?: Record<string, unknown>): never {
  throw new KapsuleError('AUDIT_INVALID', 'audit', `checkpoint: ${message}`, details);
}

function checkFields(c: Checkpoint): void {
  if (typeof c.origin !== 'string' || !ORIGIN.test(c.origin)) bad('origin must be 1–256 printable ASCII characters, not starting or ending with a space');
  if (!Number.isSafeInteger(c.size) || c.size < 0) bad(`size must be a safe non-negative integer, got ${c.size}`);
  if (!(c.root instanceof Uint8Array) || c.root.length !== 32) bad('root must be 32 bytes');
}

/** The checkpoint body (note text): `<origin>\n<size>\n<base64 root>\n`. */
export function formatCheckpoint(c: Checkpoint): string {
  checkFields(c);
  return `${c.origin}\n${c.size}\n${toBase64(c.root)}\n`;
}

/** @deprecated alias of formatCheckpoint. */
export const checkpointBody = formatCheckpoint;

/** The key name a log uses for its checkpoints: its origin, with characters a key name may not hold replaced. */
export function checkpointKeyName(origin: string): string {
  return origin.replace(/[^\x21-\x7e]|\+/g, '_');
}

/** signed-note key ID: SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)[:4]. */
export function keyId(b: CryptoBackend, name: string, alg: SigAlg, pub: Uint8Array): Uint8Array {
  return b.sha256(concatBytes(utf8.encode(`${name}\n`), CHECKPOINT_SIG_TYPES[alg], pub)).slice(0, 4);
}

function message(body: string): Uint8Array { return pae(SIGNING_TYPES.checkpoint, utf8.encode(body)); }

/** Signs a checkpoint with the device key. `pub` must be the public key of `secret` (it goes into the key ID). */
export function signCheckpoint(b: CryptoBackend, alg: SigAlg, secret: Uint8Array, pub: Uint8Array, name: string, c: Checkpoint): string {
  if (typeof name !== 'string' || !KEY_NAME.test(name)) bad('key name must be 1–255 printable ASCII characters without spaces or "+"');
  if (!(pub instanceof Uint8Array) || pub.length !== SIG_SIZES[alg].publicKey) bad(`public key must be ${SIG_SIZES[alg].publicKey} bytes for ${alg}`);
  const body = formatCheckpoint(c);
  const sig = b.sign(alg, secret, message(body));
  return `${body}\n${DASH} ${name} ${toBase64(concatBytes(keyId(b, name, alg, pub), sig))}\n`;
}

const SIZE = /^(0|[1-9][0-9]{0,15})$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function b64(text: string, what: string): Uint8Array {
  if (text.length % 4 !== 0 || !B64.test(text)) bad(`${what} is not canonical base64`);
  let raw: Uint8Array;
  try { raw = fromBase64(text); } catch { bad(`${what} is not base64`); }
  if (toBase64(raw) !== text) bad(`${what} is not canonical base64`);
  return raw;
}

/** Strict parse of a checkpoint note. Does not verify any signature. Throws AUDIT_INVALID. */
export function parseCheckpoint(text: string): SignedCheckpoint {
  if (typeof text !== 'string') bad('expected text');
  if (text.length > 65536) bad('note is larger than 64 KiB');
  if (/[\x00-\x09\x0b-\x1f\x7f]/.test(text)) bad('control characters other than newline are not allowed');
  const sep = text.lastIndexOf('\n\n');
  if (sep < 0) bad('no blank line between body and signatures');
  const body = text.slice(0, sep + 1);
  const lines = body.split('\n');
  if (lines.length !== 4 || lines[3] !== '') bad('body must be exactly the origin, size and root lines (no extension lines)');
  const [origin, sizeText, rootText] = lines;
  if (!SIZE.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) bad(`size "${sizeText.slice(0, 32)}" is not a canonical decimal integer`);
  const root = b64(rootText, 'root');
  if (root.length !== 32) bad(`root must be 32 bytes, got ${root.length}`);
  const c: Checkpoint = { origin, size: Number(sizeText), root };
  if (formatCheckpoint(c) !== body) bad('body is not canonical');
  const sigText = text.slice(sep + 2);
  if (!sigText.endsWith('\n')) bad('signature lines must end in a newline');
  const sigLines = sigText.slice(0, -1).split('\n');
  if (sigLines.length > MAX_SIGNATURES) bad(`more than ${MAX_SIGNATURES} signature lines`);
  const signatures = sigLines.map((line, i): NoteSignature => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) bad(`signature line ${i + 1} is malformed`);
    if (!KEY_NAME.test(m[1])) bad(`signature line ${i + 1}: bad key name`);
    const raw = b64(m[2], `signature line ${i + 1}`);
    if (raw.length < 5) bad(`signature line ${i + 1} is too short`);
    return { name: m[1], keyId: raw.slice(0, 4), signature: raw.slice(4) };
  });
  const first = signatures[0];
  return { ...c, name: first.name, keyId: first.keyId, signature: first.signature, signatures, text };
}

/**
 * Parses `text` and verifies the signature of the key (`alg`, `pub`) named `name`. Lines from other keys are
 * ignored (signed-note); a line from this key that does not verify, or no line from it at all, is AUDIT_INVALID.
 */
export function verifyCheckpoint(b: CryptoBackend, alg: SigAlg, pub: Uint8Array, name: string, text: string): SignedCheckpoint {
  const c = parseCheckpoint(text);
  const id = keyId(b, name, alg, pub);
  const mine = c.signatures.filter((s) => s.name === name && equalBytes(s.keyId, id));
  if (mine.length === 0) bad(`signed by an unknown key: no signature line from "${name}" (${alg}) with key ID ${toHex(id)}`, { name });
  const msg = message(formatCheckpoint(c));
  for (const s of mine) {
    if (s.signature.length !== SIG_SIZES[alg].signature || !b.verify(alg, pub, msg, s.signature)) bad('signature does not verify', { name });
  }
  return { ...c, name: mine[0].name, keyId: mine[0].keyId, signature: mine[0].signature };
}

/**
 * The checkpoint that may follow `prev`: refuses (AUDIT_INVALID) unless `proof` is an RFC 9162 consistency proof
 * from (prev.size, prev.root) to (newSize, newRoot). Same size requires the same root and an empty proof; from
 * the empty tree, prev.root must be MTH({}) and the proof empty. Never sign a checkpoint that did not pass here.
 */
export function nextCheckpoint(h: Hash, prev: Checkpoint, newSize: number, newRoot: Uint8Array, proof: Uint8Array[]): Checkpoint {
  checkFields(prev);
  const next: Checkpoint = { origin: prev.origin, size: newSize, root: newRoot };
  checkFields(next);
  const refuse = (why: string): never => bad(`refusing to follow size ${prev.size} with size ${newSize}: ${why}`, { index: prev.size });
  if (newSize < prev.size) refuse('the log would shrink');
  if (prev.size === 0) {
    if (!equalBytes(prev.root, emptyRoot(h))) refuse('the previous root is not the empty-tree root');
    if (proof.length !== 0) refuse('a proof from the empty tree must be empty');
    return next;
  }
  if (!verifyConsistency(h, prev.size, newSize, prev.root, newRoot, proof)) refuse('the consistency proof does not verify');
  return next;
}
