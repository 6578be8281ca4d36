/**
 * Portable crypto surface: the interface, the noble backend and a name lookup. No Node-only import — this file
 * never loads ./native.ts. Node code that wants the fast path imports ./node.ts (same lookup, plus `native`).
 */
import type { CryptoBackend } from './types.ts';
import { nobleBackend } from './noble.ts';

export type { CryptoBackend, SigAlg } from './types.ts';
export { SIG_SIZES } from './types.ts';
export { nobleBackend } from './noble.ts';

export type BackendName = CryptoBackend['name'];

/**
 * The backend called `name`. From the portable entry only 'noble' exists; 'native' throws a TypeError that says
 * where to get it (host/src/crypto/node.ts), so a browser bundle can never pull node:crypto in by accident.
 */
export function getBackend(name: BackendName): CryptoBackend {
  if (name === 'noble') return nobleBackend;
  if (name === 'native') throw new TypeError("crypto backend 'native' is Node-only: import getBackend from host/src/crypto/node.ts");
  throw new TypeError(`crypto backend: expected 'native' or 'noble', got ${typeof name === 'string' ? JSON.stringify(String(name).slice(0, 32)) : typeof name}`);
}
