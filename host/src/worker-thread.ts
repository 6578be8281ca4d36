/**
 * Node-only: starts a worker thread on a module URL. From TypeScript sources (tests, tsx) the worker registers tsx
 * itself first: node's test runner does not pass `--import tsx` on to workers. From a bundle (.mjs) it starts
 * the file directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(url: URL, opts: WorkerOptions): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, opts);
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { ...opts, eval: true });
}
