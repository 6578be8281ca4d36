/**
 * Node entry point of the crypto layer: everything in ./index.ts, plus the node:crypto fast path, which is the
 * default on Node. Both backends give the same verdict on every input (docs/SECURITY.md).
 */
import type { CryptoBackend } from './types.ts';
import { getBackend as getPortableBackend, type BackendName } from './index.ts';
import { nativeBackend } from './native.ts';

export * from './index.ts';
export { nativeBackend } from './native.ts';

/** The backend Node code should use unless told otherwise: native (node:crypto). */
export const defaultBackend: CryptoBackend = nativeBackend;

/** 'native' or 'noble'; anything else throws a TypeError. */
export function getBackend(name: BackendName): CryptoBackend {
  return name === 'native' ? nativeBackend : getPortableBackend(name);
}
