/**
 * Node-only: starts a worker thread on a module URL. From TypeScript sources (tests, tsx) the worker registers tsx
 * itself first (node's test runner does not pass `--import tsx` on to workers), then the development hook that
 * keeps tsx from re-transpiling binaryen (scripts/loader/binaryen-as-is.mjs: ~12 s per worker that loads it
 * otherwise). Both are found from this file, not from the working directory (an eval'd worker resolves bare names
 * from the cwd, where tsx may not be). From a bundle (.mjs) it starts the file directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(url: URL, opts: WorkerOptions): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, opts);
  const tsx = import.meta.resolve('tsx/esm/api');
  const hook = new URL('../../scripts/loader/binaryen-as-is.mjs', import.meta.url).href;
  const boot = `Promise.all([import(${JSON.stringify(tsx)}), import('node:module')]).then(([t, m]) => {
    t.register();
    m.register(${JSON.stringify(hook)});
    return import(${JSON.stringify(url.href)});
  })`;
  return new Worker(boot, { ...opts, eval: true });
}
