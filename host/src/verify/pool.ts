/**
 * Node-only: a pool of worker threads that run the stateless, expensive stages of ingest — parse, signature
 * verification, payload decryption — ahead of the pipeline, so that on a multi-core machine the main thread only
 * does what must be sequential (duplicate/orphan checks, execution against the store, SQLite, audit).
 *
 * The workers return only *successes* (`Precheck`): a capsule whose precheck failed, or was not attempted, takes
 * the pipeline's ordinary path on the main thread and is rejected there by the same code with the same error. So a
 * pool changes how fast a batch is ingested, never what is stored or logged (tested: identical stores and audit
 * roots with and without a pool).
 *
 * The device's X25519 secret is handed to the workers (threads of this process, same trust boundary as the main
 * thread); nothing else leaves the main thread.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { KapsuleError } from '../errors.ts';
import type { Precheck } from '../pipeline.ts';
import type { PrecheckRequest, PrecheckReply, PrecheckWorkerData } from './pool-worker.ts';

export interface PrecheckPoolOptions {
  /** Worker threads (default: available cores − 1, at least 1; the main thread keeps the remaining core busy). */
  workers?: number;
  /** X25519 key pair the workers decrypt with: the runtime's device key (null: verify only). */
  enc: { encSecret: Uint8Array; encPublic: Uint8Array } | null;
}

/** Default pool size for this machine. */
export function defaultWorkers(): number { return Math.max(1, availableParallelism() - 1); }

/** Where the worker entry lives: next to this file in sources (.ts, via tsx), or beside the bundle (dist/). */
function workerEntry(): { file: string; ts: boolean } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return { file: fileURLToPath(new URL('./pool-worker.ts', import.meta.url)), ts: true };
  const bundled = fileURLToPath(new URL('./kapsule-precheck-worker.mjs', import.meta.url));
  if (!existsSync(bundled)) throw new KapsuleError('USAGE', 'receive', `precheck worker not found at ${bundled} (rebuild the bundles)`);
  return { file: bundled, ts: false };
}

interface Job { items: Uint8Array[]; resolve: (r: (Precheck | null)[]) => void }

export class PrecheckPool {
  readonly size: number;
  private readonly workers: Worker[] = [];
  /**
   * Jobs posted to each worker, oldest first. Jobs are posted as soon as they are submitted (a worker replies to
   * its messages in order), so workers keep going while the main thread is busy inside a long transaction.
   */
  private readonly inFlight = new Map<Worker, Job[]>();
  private outstanding = 0;
  private closed = false;
  private failed: Error | null = null;

  constructor(opts: PrecheckPoolOptions) {
    const n = opts.workers ?? defaultWorkers();
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new KapsuleError('USAGE', 'receive', `workers must be an integer in 1..64, got ${n}`);
    this.size = n;
    const { file, ts } = workerEntry();
    const workerData: PrecheckWorkerData = { kind: 'kapsule-precheck', enc: opts.enc };
    for (let i = 0; i < n; i++) {
      // From sources, the worker registers tsx itself (node's test runner does not pass --import on to workers).
      const w = ts
        ? new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL(`file://${file}`).href)}); })`, { eval: true, workerData })
        : new Worker(file, { workerData });
      w.unref();
      w.on('message', (m: PrecheckReply) => this.onReply(w, m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => { if (!this.closed) this.fail(new Error(`precheck worker exited with code ${code}`)); });
      this.workers.push(w);
      this.inFlight.set(w, []);
    }
  }

  /** Prechecks a batch; element i is the Precheck of items[i], or null when the pipeline must do the work itself. */
  check(items: Uint8Array[]): Promise<(Precheck | null)[]> {
    if (this.closed && !this.failed) return Promise.reject(new KapsuleError('USAGE', 'receive', 'precheck pool is closed'));
    if (this.failed || items.length === 0) return Promise.resolve(items.map(() => null));
    return new Promise((resolve) => {
      // the worker with the fewest capsules outstanding
      let best = this.workers[0];
      let load = Infinity;
      for (const w of this.workers) {
        const l = this.inFlight.get(w)!.reduce((n, j) => n + j.items.length, 0);
        if (l < load) { best = w; load = l; }
      }
      this.inFlight.get(best)!.push({ items, resolve });
      if (this.outstanding++ === 0) this.workers.forEach((x) => x.ref()); // keep the process alive while work is out
      best.postMessage({ items } satisfies PrecheckRequest);
    });
  }

  private settle(job: Job, out: (Precheck | null)[]): void {
    if (--this.outstanding === 0) this.workers.forEach((x) => x.unref());
    job.resolve(out);
  }

  private onReply(w: Worker, m: PrecheckReply): void {
    const job = this.inFlight.get(w)!.shift();
    if (job) this.settle(job, m.out);
  }

  /**
   * A worker died (out of memory, a bug): prechecks are an optimisation, so the pool degrades to "no precheck"
   * (every capsule then takes the main thread's path, same results) and says why in `failure`.
   */
  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const jobs of this.inFlight.values()) for (const job of jobs.splice(0)) this.settle(job, job.items.map(() => null));
    void this.close();
  }

  /** Why the pool stopped prechecking (null while healthy). */
  get failure(): Error | null { return this.failed; }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
