/** `kapsule inspect <file>` and `kapsule verify <file>`: read-only, never decrypt, never need a key. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KapsuleError } from '../../errors.ts';
import type { CryptoBackend } from '../../crypto/types.ts';
import { parseCapsule, CAPSULE_MAGIC } from '../../parse/capsule.ts';
import { parseModulePackage, MODULE_MAGIC } from '../../parse/module.ts';
import { verifyParsedCapsule, verifyParsedModule, capsuleId } from '../../verify/index.ts';
import { describeCapsule, describeModule, renderText } from '../describe.ts';
import type { CliIO, CommandResult } from '../io.ts';
import { equalBytes } from '../../bytes.ts';

export function readInput(io: CliIO, path: string, stage: 'receive' = 'receive'): Uint8Array {
  try { return new Uint8Array(readFileSync(resolve(io.cwd, path))); } catch (e) {
    throw new KapsuleError('IO_ERROR', stage, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

type Loaded =
  | { type: 'capsule'; describe: Record<string, unknown>; verify: () => void }
  | { type: 'module'; describe: Record<string, unknown>; verify: () => void };

export function loadArtifact(b: CryptoBackend, bytes: Uint8Array): Loaded {
  const head = bytes.subarray(0, 4);
  if (head.length === 4 && equalBytes(head, MODULE_MAGIC)) {
    const p = parseModulePackage(bytes);
    return { type: 'module', describe: describeModule(p, (x) => b.sha256(x)), verify: () => { verifyParsedModule(b, p); } };
  }
  if (head.length < 4 || !equalBytes(head, CAPSULE_MAGIC)) {
    throw new KapsuleError('FORMAT_INVALID', 'parse', 'not a .kapsule or .kmod file (unknown magic)');
  }
  const p = parseCapsule(bytes);
  return { type: 'capsule', describe: describeCapsule(p, capsuleId(b, p.body)), verify: () => { verifyParsedCapsule(b, p); } };
}

function verdict(l: Loaded): { ok: boolean; error?: KapsuleError } {
  try { l.verify(); return { ok: true }; } catch (e) {
    if (e instanceof KapsuleError) return { ok: false, error: e };
    throw e;
  }
}

export function inspectCommand(io: CliIO, b: CryptoBackend, file: string): CommandResult {
  const l = loadArtifact(b, readInput(io, file));
  const v = verdict(l);
  const d = { ...l.describe, signature: v.ok ? 'valid' : 'invalid', ...(v.error ? { signature_error: v.error.message } : {}) };
  return { status: 0, json: d, text: renderText(d) };
}

export function verifyCommand(io: CliIO, b: CryptoBackend, file: string): CommandResult {
  const l = loadArtifact(b, readInput(io, file));
  const v = verdict(l);
  const json = { type: l.type, id: l.describe.id, valid: v.ok, backend: b.name };
  if (v.ok) return { status: 0, json, text: `${file}: valid ${l.type} ${String(l.describe.id)} (${b.name})` };
  return { status: 1, json, text: `${file}: INVALID ${l.type}`, error: v.error };
}
