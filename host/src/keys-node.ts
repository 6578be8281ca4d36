/**
 * Key files on disk (Node only): created 0600, refused when readable by group or others.
 *
 * Errors say what is wrong first: a directory, or a public identity given where the secret key is needed (and the
 * reverse), before any permission advice — `chmod 600` on a .pub file would not help. A secret key file given where
 * a public identity is expected is refused without using (or printing) its secret fields.
 */
import { chmodSync, lstatSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { KapsuleError } from './errors.ts';
import { writeFileAtomic } from './fsutil.ts';
import type { CryptoBackend } from './crypto/types.ts';
import { nativeBackend } from './crypto/native.ts';
import {
  encodePublicIdentity, encodeSecretIdentity, parsePublicIdentity, parseSecretIdentity, PUBLIC_KEY_TYPE, SECRET_KEY_TYPE,
  type PublicIdentity, type SecretIdentity,
} from './keys.ts';

/** Reads a key file; a directory or an unreadable path is a clear error. */
function readKeyFile(path: string, what: string): string {
  let isDir = false;
  try { isDir = statSync(path).isDirectory(); } catch (e) {
    throw new KapsuleError('IO_ERROR', 'key', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (isDir) throw new KapsuleError('KEY_INVALID', 'key', `${what} ${path} is a directory, not a key file`);
  try { return readFileSync(path, 'utf8'); } catch (e) {
    throw new KapsuleError('IO_ERROR', 'key', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** The `type` field of a key file, or null when it is not a JSON object with a string type. */
function keyType(text: string): string | null {
  try {
    const o = JSON.parse(text) as unknown;
    return o && typeof o === 'object' && typeof (o as { type?: unknown }).type === 'string' ? (o as { type: string }).type : null;
  } catch { return null; }
}

/**
 * Reads a secret key file (mode 0600): `loadSecretIdentity(path)`, with the native backend, or
 * `loadSecretIdentity(path, backend)`. Same shape as `loadPublicIdentity(path)`: the path first.
 */
export function loadSecretIdentity(path: string, backend?: CryptoBackend): SecretIdentity;
/** @deprecated the backend-first order of kapsule-rt 0.1 (still accepted): use `loadSecretIdentity(path, backend)`. */
export function loadSecretIdentity(backend: CryptoBackend, path: string): SecretIdentity;
export function loadSecretIdentity(x: string | CryptoBackend, y?: string | CryptoBackend): SecretIdentity {
  const [path, b] = typeof x === 'string' ? [x, (y as CryptoBackend | undefined) ?? nativeBackend] : [y, x];
  if (typeof path !== 'string') throw new TypeError('loadSecretIdentity(path, backend?): path must be a string');
  if (!b || typeof b.sign !== 'function') throw new TypeError('loadSecretIdentity(path, backend?): backend must be a CryptoBackend');
  const what = `key file ${path}`;
  const text = readKeyFile(path, 'key file');
  const type = keyType(text);
  if (type === PUBLIC_KEY_TYPE) {
    throw new KapsuleError('KEY_INVALID', 'key',
      `${path} is a public identity (${PUBLIC_KEY_TYPE}), not a secret key file: give the secret key it was made from (the file without .pub)`);
  }
  // a malformed file is reported as such (by the parser, without its contents) before any permission advice
  if (type !== SECRET_KEY_TYPE) return parseSecretIdentity(b, text, what);
  const mode = statSync(path).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KapsuleError('KEY_PERMISSIONS', 'key',
      `key file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
  return parseSecretIdentity(b, text, what);
}

/** Reads a public identity file (`<name>.key.pub`); a secret key file given here is refused without using it. */
export function loadPublicIdentity(path: string): PublicIdentity {
  const text = readKeyFile(path, 'public identity');
  if (keyType(text) === SECRET_KEY_TYPE) {
    throw new KapsuleError('KEY_INVALID', 'key',
      `${path} is a secret key file, not a public identity: give its public identity (${path}.pub); the secret key was not used`);
  }
  return parsePublicIdentity(text, `public identity ${path}`);
}

function exists(path: string): boolean {
  try { lstatSync(path); return true; } catch { return false; } // lstat: a dangling symlink exists too
}

/**
 * Writes `<path>` (0600) and `<path>.pub`. Without `overwrite`, refuses if either exists (a symlink planted at
 * either name included: both are created with O_EXCL, which never follows one) and leaves nothing behind on failure.
 * With `overwrite`, each file is replaced by a rename, which replaces a symlink rather than writing through it.
 */
export function saveIdentity(id: SecretIdentity, path: string, overwrite = false): { secretPath: string; publicPath: string } {
  const publicPath = `${path}.pub`;
  if (overwrite) {
    writeFileAtomic(path, encodeSecretIdentity(id), 'key', 0o600);
    writeFileAtomic(publicPath, encodePublicIdentity(id), 'key', 0o644);
    return { secretPath: path, publicPath };
  }
  for (const p of [path, publicPath]) {
    if (exists(p)) throw new KapsuleError('USAGE', 'key', `${p} already exists; refusing to overwrite a key file`);
  }
  let wroteSecret = false;
  try {
    writeFileSync(path, encodeSecretIdentity(id), { mode: 0o600, flag: 'wx' });
    wroteSecret = true;
    chmodSync(path, 0o600);
    writeFileSync(publicPath, encodePublicIdentity(id), { mode: 0o644, flag: 'wx' });
  } catch (e) {
    if (wroteSecret) try { unlinkSync(path); } catch { /* already gone */ }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KapsuleError('USAGE', 'key', `${wroteSecret ? publicPath : path} already exists; refusing to overwrite a key file`);
    throw new KapsuleError('IO_ERROR', 'key', `cannot write key file ${path}: ${code ?? 'error'}`);
  }
  return { secretPath: path, publicPath };
}
