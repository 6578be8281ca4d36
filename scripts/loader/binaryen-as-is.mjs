// Node module hook for development runs through tsx: load binaryen's prebuilt ES module as it is.
// tsx re-runs esbuild over any module containing a dynamic import(); binaryen's index.js is 15 MB and has one,
// which costs ~12 s per process (measured: 0.7 s plain node vs 12 s under tsx). Registered after tsx, this hook
// runs first and short-circuits only that one file. Bundled builds (dist/) never need it.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.includes('/node_modules/binaryen/index.js')) {
    return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
  }
  return nextLoad(url, context);
}
