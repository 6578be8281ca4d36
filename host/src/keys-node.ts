/** Key files on disk (Node only): created 0600, refused when readable by group or others. */
import { chmodSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { KapsuleError } from './errors.ts';
import type { CryptoBackend } from './crypto/types.ts';
import {
  encodePublicIdentity, encodeSecretIdentity, parsePublicIdentity, parseSecretIdentity,
  type PublicIdentity, type SecretIdentity,
} from './keys.ts';

function readText(path: string, what: string): string {
  try { return readFileSync(path, 'utf8'); } catch (e) {
    throw new KapsuleError('IO_ERROR', 'key', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function loadSecretIdentity(b: CryptoBackend, path: string): SecretIdentity {
  let mode: number;
  try { mode = statSync(path).mode; } catch (e) {
    throw new KapsuleError('IO_ERROR', 'key', `cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KapsuleError('KEY_PERMISSIONS', 'key',
      `key file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
  return parseSecretIdentity(b, readText(path, 'key file'), `key file ${path}`);
}

export function loadPublicIdentity(path: string): PublicIdentity {
  return parsePublicIdentity(readText(path, 'public identity'), `public identity ${path}`);
}

/** Writes `<path>` (0600, refusing to overwrite) and `<path>.pub`. */
export function saveIdentity(id: SecretIdentity, path: string, overwrite = false): { secretPath: string; publicPath: string } {
  const publicPath = `${path}.pub`;
  if (!overwrite && existsSync(path)) {
    throw new KapsuleError('USAGE', 'key', `${path} already exists; refusing to overwrite a key file`);
  }
  try {
    writeFileSync(path, encodeSecretIdentity(id), { mode: 0o600, flag: overwrite ? 'w' : 'wx' });
    chmodSync(path, 0o600);
    writeFileSync(publicPath, encodePublicIdentity(id), { mode: 0o644 });
  } catch (e) {
    if (e instanceof KapsuleError) throw e;
    throw new KapsuleError('IO_ERROR', 'key', `cannot write key file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return { secretPath: path, publicPath };
}
