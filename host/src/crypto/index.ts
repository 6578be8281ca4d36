/** Portable crypto surface: the interface and the noble backend. Node code may also import ./native.ts. */
export type { CryptoBackend, SigAlg } from './types.ts';
export { SIG_SIZES } from './types.ts';
export { nobleBackend } from './noble.ts';
