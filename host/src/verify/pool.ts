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
import type { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { KapsuleError } from '../errors.ts';
import { startWorker } from '../worker-thread.ts';
import type { Precheck } from '../pipeline.ts';
import type { PrecheckBackend, PrecheckRequest, PrecheckReply, PrecheckWorkerData } from './pool-worker.ts';

export interface PrecheckPoolOptions {
  /** Worker threads (default: available cores − 1, at least 1; the main thread keeps the remaining core busy). */
  workers?: number;
  /** X25519 key pair the workers decrypt with: the runtime's device key (null: verify only). */
  enc: { encSecret: Uint8Array; encPublic: Uint8Array } | null;
  /** Crypto backend of the workers: the runtime's (default native). Verdicts agree; speed and code path differ. */
  backend?: PrecheckBackend;
}

/** Default pool size for this machine. */
export function defaultWorkers(): number { return Math.max(1, availableParallelism() - 1); }

/**
 * Where the worker entry lives: next to this file in sources (.ts, via tsx) and in the compiled package (lib/, .js),
 * or beside the single-file bundle that contains this code (dist/, .mjs). Never a silent fallback: a missing entry
 * is an error.
 */
function workerEntry(): URL {
  const here = import.meta.url;
  const entry = here.endsWith('.ts') ? new URL('./pool-worker.ts', here)
    : here.endsWith('.js') ? new URL('./pool-worker.js', here)
      : new URL('./kapsule-precheck-worker.mjs', here);
  if (!existsSync(entry)) throw new KapsuleError('USAGE', 'receive', `precheck worker not found at ${fileURLToPath(entry)} (rebuild the package or the bundles)`);
  return entry;
}

interface Job { items: Uint8Array[]; resolve: (r: (Precheck | null)[]) => void; posted: boolean; done: boolean }

/** A batch submitted to the pool. */
export interface PrecheckJob {
  result: Promise<(Precheck | null)[]>;
  /**
   * Takes the batch back if no worker has started it (its result then resolves to nulls: the caller does the work
   * itself). Lets the consumer steal work instead of waiting, so one core is never idle while the other is busy.
   */
  withdraw(): boolean;
}

/** Batches each worker holds (being processed + queued in its port): enough that it never waits for the main thread. */
const DEPTH = 8;

export class PrecheckPool {
  readonly size: number;
  private readonly workers: Worker[] = [];
  /** Jobs posted to each worker, oldest first (a worker replies to its messages in order). */
  private readonly inFlight = new Map<Worker, Job[]>();
  /** Jobs not yet posted: a worker takes the next one when it replies, or the consumer withdraws it. */
  private readonly queue: Job[] = [];
  private outstanding = 0;
  private closed = false;
  private failed: Error | null = null;
  private readonly started: Promise<void>[] = [];
  /** The backend each started worker reported it loaded (filled as workers become ready). */
  readonly backends: string[] = [];

  constructor(opts: PrecheckPoolOptions) {
    const n = opts.workers ?? defaultWorkers();
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new KapsuleError('USAGE', 'receive', `workers must be an integer in 1..64, got ${n}`);
    this.size = n;
    const entry = workerEntry();
    if (opts.backend !== undefined && opts.backend !== 'native' && opts.backend !== 'noble') {
      throw new KapsuleError('USAGE', 'receive', `backend must be native or noble, got ${String(opts.backend)}`);
    }
    const workerData: PrecheckWorkerData = { kind: 'kapsule-precheck', enc: opts.enc, backend: opts.backend ?? 'native' };
    for (let i = 0; i < n; i++) {
      const w = startWorker(entry, { workerData });
      w.unref();
      let isReady = false;
      this.started.push(new Promise((resolve) => {
        w.on('message', (m: PrecheckReply) => {
          if ('ready' in m) { isReady = true; this.backends.push(m.backend); resolve(); } else this.onReply(w, m);
        });
        w.once('exit', () => resolve());
      }));
      w.on('error', (e) => { if (!isReady) this.startFailure ??= e; this.fail(e); });
      w.on('exit', (code) => { if (!this.closed) this.fail(new Error(`precheck worker exited with code ${code}`)); });
      this.workers.push(w);
      this.inFlight.set(w, []);
    }
  }

  /**
   * Resolves once every worker has loaded its code (starting a worker costs tens of milliseconds, more from
   * TypeScript sources): await it before timing anything. Work submitted earlier simply queues. Rejects with
   * IO_ERROR when a worker could not even start (its entry file missing or failing to load): the pool then does no
   * work, and a caller that asked for workers should know rather than run on one thread without noticing.
   */
  async ready(): Promise<void> {
    // the workers are unref'd while idle: hold the process open until they have started, or nothing may
    this.workers.forEach((w) => w.ref());
    try { await Promise.all(this.started); } finally {
      if (this.outstanding === 0) this.workers.forEach((w) => w.unref());
    }
    const e = this.startFailure;
    if (e) throw new KapsuleError('IO_ERROR', 'receive', `the precheck workers could not start: ${e.message}`, { workers: this.size });
  }

  /** The error of a worker that failed before it was ready (its code did not load), if any. */
  private startFailure: Error | null = null;

  /** Submits a batch; element i of the result is the Precheck of items[i], or null (the pipeline does the work). */
  submit(items: Uint8Array[]): PrecheckJob {
    if (this.closed && !this.failed) throw new KapsuleError('USAGE', 'receive', 'precheck pool is closed');
    let job!: Job;
    const result = new Promise<(Precheck | null)[]>((resolve) => { job = { items, resolve, posted: false, done: false }; });
    if (this.failed || items.length === 0) {
      this.finish(job, items.map(() => null));
    } else {
      if (this.outstanding++ === 0) this.workers.forEach((x) => x.ref()); // keep the process alive while work is out
      this.queue.push(job);
      this.dispatch();
    }
    return {
      result,
      withdraw: () => {
        if (job.posted || job.done) return false;
        this.queue.splice(this.queue.indexOf(job), 1);
        this.settle(job, items.map(() => null));
        return true;
      },
    };
  }

  /** `submit(items).result`. */
  check(items: Uint8Array[]): Promise<(Precheck | null)[]> { return this.submit(items).result; }

  /** Posts queued jobs to workers below DEPTH, least loaded first. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Worker | null = null;
      let load = DEPTH;
      for (const w of this.workers) {
        const l = this.inFlight.get(w)!.length;
        if (l < load) { best = w; load = l; }
      }
      if (best === null) return;
      const job = this.queue.shift()!;
      job.posted = true;
      this.inFlight.get(best)!.push(job);
      best.postMessage({ items: job.items } satisfies PrecheckRequest);
    }
  }

  private finish(job: Job, out: (Precheck | null)[]): void {
    job.done = true;
    job.resolve(out);
  }

  private settle(job: Job, out: (Precheck | null)[]): void {
    if (--this.outstanding === 0) this.workers.forEach((x) => x.unref());
    this.finish(job, out);
  }

  private onReply(w: Worker, m: { out: (Precheck | null)[] }): void {
    const job = this.inFlight.get(w)!.shift();
    if (job) this.settle(job, m.out);
    this.dispatch();
  }

  /**
   * A worker died (out of memory, a bug): prechecks are an optimisation, so the pool degrades to "no precheck"
   * (every capsule then takes the main thread's path, same results) and says why in `failure`.
   */
  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const jobs of this.inFlight.values()) for (const job of jobs.splice(0)) this.settle(job, job.items.map(() => null));
    for (const job of this.queue.splice(0)) this.settle(job, job.items.map(() => null));
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
