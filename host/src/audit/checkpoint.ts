/**
 * Signed checkpoints in the C2SP tlog-checkpoint / signed-note shape:
 *
 *   <origin>\n<size>\n<base64 root>\n
 *   \n
 *   — <name> <base64(key id (4) ‖ signature)>\n
 *
 * key id = SHA-256(name ‖ "\n" ‖ alg byte ‖ public key)[0:4], alg byte 0x01 Ed25519, 0x02 ECDSA P-256.
 * Unlike plain signed notes, the signature is over PAE("kapsule/checkpoint/v1", body): the device key also signs
 * capsules, and domain separation keeps the two kinds of signature apart (docs/SECURITY.md).
 */
import { KapsuleError } from '../errors.ts';
import { concatBytes, equalBytes, fromBase64, toBase64, utf8 } from '../bytes.ts';
import type { CryptoBackend, SigAlg } from '../crypto/types.ts';
import { pae, SIGNING_TYPES } from '../pae.ts';

export interface Checkpoint { origin: string; size: number; root: Uint8Array }
export interface SignedCheckpoint extends Checkpoint { name: string; keyId: Uint8Array; signature: Uint8Array; text: string }

const ALG_BYTE: Record<SigAlg, number> = { ed25519: 1, p256: 2 };
const DASH = '\u2014';

function bad(message: string): never {
  throw new KapsuleError('AUDIT_INVALID', 'audit', `checkpoint: ${message}`);
}

export function checkpointBody(c: Checkpoint): string {
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(c.origin)) bad('origin must be printable ASCII');
  return `${c.origin}\n${c.size}\n${toBase64(c.root)}\n`;
}

export function keyId(b: CryptoBackend, name: string, alg: SigAlg, pub: Uint8Array): Uint8Array {
  return b.sha256(concatBytes(utf8.encode(`${name}\n`), Uint8Array.of(ALG_BYTE[alg]), pub)).subarray(0, 4);
}

export function signCheckpoint(b: CryptoBackend, alg: SigAlg, secret: Uint8Array, pub: Uint8Array, name: string, c: Checkpoint): string {
  if (!/^[\x21-\x7e]+$/.test(name) || name.includes('+')) bad('key name must be printable ASCII without spaces or "+"');
  const body = checkpointBody(c);
  const sig = b.sign(alg, secret, pae(SIGNING_TYPES.checkpoint, utf8.encode(body)));
  return `${body}\n${DASH} ${name} ${toBase64(concatBytes(keyId(b, name, alg, pub), sig))}\n`;
}

export function parseCheckpoint(text: string): SignedCheckpoint {
  const sep = text.indexOf('\n\n');
  if (sep < 0) bad('no blank line between body and signature');
  const body = text.slice(0, sep + 1);
  const lines = body.split('\n');
  if (lines.length !== 4 || lines[3] !== '') bad('body must be exactly origin, size and root lines');
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) bad(`size "${sizeText}" is not a decimal integer`);
  let root: Uint8Array;
  try { root = fromBase64(rootText); } catch { bad('root is not base64'); }
  if (root.length !== 32 || toBase64(root) !== rootText) bad('root must be the canonical base64 of 32 bytes');
  const sigLines = text.slice(sep + 2).split('\n');
  if (sigLines.length !== 2 || sigLines[1] !== '') bad('expected exactly one signature line ending in a newline');
  const m = /^\u2014 ([\x21-\x7e]+) ([A-Za-z0-9+/=]+)$/.exec(sigLines[0]);
  if (!m) bad('malformed signature line');
  let raw: Uint8Array;
  try { raw = fromBase64(m[2]); } catch { bad('signature is not base64'); }
  if (raw.length !== 68) bad(`signature blob must be 68 bytes, got ${raw.length}`);
  const c = { origin, size: Number(sizeText), root };
  if (checkpointBody(c) !== body) bad('body is not canonical');
  return { ...c, name: m[1], keyId: raw.subarray(0, 4), signature: raw.subarray(4), text };
}

/** Parses and verifies a checkpoint against the expected signer. Throws AUDIT_INVALID. */
export function verifyCheckpoint(b: CryptoBackend, alg: SigAlg, pub: Uint8Array, text: string): SignedCheckpoint {
  const c = parseCheckpoint(text);
  if (!equalBytes(c.keyId, keyId(b, c.name, alg, pub))) bad(`signed by an unknown key (name ${c.name})`);
  if (!b.verify(alg, pub, pae(SIGNING_TYPES.checkpoint, utf8.encode(checkpointBody(c))), c.signature)) bad('signature does not verify');
  return c;
}
