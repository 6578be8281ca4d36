/**
 * Long commands whose work is one synchronous call (audit replay, sync import, sync pair) run in a worker thread
 * when the CLI runs as a real process: the main thread stays free to draw progress and to answer Ctrl-C — it prints
 * how far the job got and how to resume, and ends the worker. Ending a worker mid-transaction rolls that transaction
 * back (the store is left as after a crash: consistent, and a rerun resumes). In-process callers (tests, embedding)
 * without `io.onInterrupt` run the same job inline.
 *
 * The worker runs this very module: its own file from TypeScript sources, and the CLI bundle itself from dist/
 * (bin.ts sends a bundle started as a worker here).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { KapsuleError, type ErrorCode, type Stage } from '../errors.ts';
import { startWorker } from '../worker-thread.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import type { CliIO } from './io.ts';

export interface JobProgress { done: number; total: number; label: string }
type Report = (p: JobProgress) => void;

export interface ReplayParams { db: string; key: string | null; from: number; /** --db as the user typed it, for messages. */ dbShown: string }
export interface ImportParams { file: string; db: string; key: string | null }
export interface PairParams { db: string; peer: string; key: string | null; peerKey: string | null }

export type JobRequest =
  | { kind: 'replay'; backend: CryptoBackend['name']; params: ReplayParams }
  | { kind: 'import'; backend: CryptoBackend['name']; params: ImportParams }
  | { kind: 'pair'; backend: CryptoBackend['name']; params: PairParams };

async function backendOf(name: CryptoBackend['name']): Promise<CryptoBackend> {
  return name === 'noble' ? (await import('../crypto/noble.ts')).nobleBackend : (await import('../crypto/native.ts')).nativeBackend;
}

async function replayJob(b: CryptoBackend, p: ReplayParams, report: Report) {
  const { replayAuditLog } = await import('../replay.ts');
  const { instrument } = await import('../execute/instrument.ts');
  const { loadSecretIdentity } = await import('../keys-node.ts');
  const { SqliteStore } = await import('../store/sqlite.ts');
  const { openReadOnlyStore } = await import('./store.ts');
  const identity = p.key !== null ? loadSecretIdentity(p.key, b) : null;
  const opened = openReadOnlyStore(p.db, p.dbShown);
  const fresh = new SqliteStore(':memory:');
  try {
    return replayAuditLog(b, opened.store, fresh, identity, {
      from: p.from, instrumenter: instrument, onProgress: (done, total, label) => report({ done, total, label }),
    });
  } finally {
    opened.close();
    fresh.close();
  }
}

async function importJob(b: CryptoBackend, p: ImportParams, report: Report) {
  const { importSnapshot } = await import('../sync/index.ts');
  const { openRuntime } = await import('../node.ts');
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(readFileSync(p.file)); } catch (e) {
    throw new KapsuleError('IO_ERROR', 'receive', `cannot read ${p.file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const rt = openRuntime({ db: p.db, backend: b, identity: p.key });
  try {
    // importSnapshot ingests every capsule in one ingestBatch: its per-capsule callback is the progress
    const watched = new Proxy(rt, {
      get(target, prop) {
        if (prop === 'ingestBatch') {
          return (items: Uint8Array[], onEach?: (r: unknown, i: number) => void, o?: { chunk?: number }) => {
            report({ done: 0, total: items.length, label: 'importing capsules' });
            return target.ingestBatch(items, (r, i) => { report({ done: i + 1, total: items.length, label: 'importing capsules' }); onEach?.(r, i); }, o);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return importSnapshot(watched, b, bytes);
  } finally { rt.close(); }
}

async function pairJob(b: CryptoBackend, p: PairParams, report: Report) {
  const { syncPair } = await import('../sync/index.ts');
  const { openRuntime } = await import('../node.ts');
  const ra = openRuntime({ db: p.db, backend: b, identity: p.key });
  try {
    const rb = openRuntime({ db: p.peer, backend: b, identity: p.peerKey });
    try {
      return syncPair(ra, rb, { onProgress: (x) => report({ done: x.done, total: x.total, label: x.direction === 'a→b' ? 'sending to peer' : 'receiving from peer' }) });
    } finally { rb.close(); }
  } finally { ra.close(); }
}

type JobResult<R extends JobRequest> =
  R['kind'] extends 'replay' ? Awaited<ReturnType<typeof replayJob>>
    : R['kind'] extends 'import' ? Awaited<ReturnType<typeof importJob>>
      : Awaited<ReturnType<typeof pairJob>>;

async function runInline(req: JobRequest, report: Report): Promise<unknown> {
  const b = await backendOf(req.backend);
  if (req.kind === 'replay') return replayJob(b, req.params, report);
  if (req.kind === 'import') return importJob(b, req.params, report);
  return pairJob(b, req.params, report);
}

type WireError = { code: ErrorCode; stage: Stage; message: string; details?: Record<string, unknown> } | { bug: string };
type JobMessage = { progress: JobProgress } | { done: unknown } | { error: WireError };
interface JobWorkerData { kind: 'kapsule-cli-job'; req: JobRequest }

/** What to tell the user when Ctrl-C stops a job, given how far it got. */
export type InterruptHint = (last: JobProgress | null) => string;

/**
 * Runs a job: in a worker thread that Ctrl-C can stop when `io.onInterrupt` exists, inline otherwise. Progress goes
 * to `onProgress`. An interruption is an INTERRUPTED error whose message is `hint(last progress)`.
 */
export async function runJob<R extends JobRequest>(io: CliIO, req: R, onProgress: Report, hint: InterruptHint): Promise<JobResult<R>> {
  if (!io.onInterrupt) return (await runInline(req, onProgress)) as JobResult<R>;
  let last: JobProgress | null = null;
  const worker = startWorker(new URL(import.meta.url), { workerData: { kind: 'kapsule-cli-job', req } satisfies JobWorkerData });
  return new Promise<JobResult<R>>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => { if (!settled) { settled = true; stop(); f(); } };
    const stop = io.onInterrupt!(() => {
      settle(() => reject(new KapsuleError('INTERRUPTED', 'cli', hint(last), last ? { done: last.done, total: last.total } : undefined)));
      void worker.terminate();
    });
    worker.on('message', (m: JobMessage) => {
      if ('progress' in m) { last = m.progress; onProgress(m.progress); return; }
      if ('done' in m) { settle(() => resolve(m.done as JobResult<R>)); return; }
      const e = m.error;
      settle(() => reject('code' in e ? new KapsuleError(e.code, e.stage, e.message, e.details) : new Error(`a kapsule job failed: ${e.bug}`)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the kapsule job worker exited with code ${code} before answering`))));
  });
}

/**
 * Worker side: runs the job, posting progress every 1/1000th of the way (callbacks come in bursts as chunks commit,
 * so a time-based throttle would drop a burst's end: the main thread's last count must be what was done), then the
 * result or the error.
 */
async function workerMain(port: NonNullable<typeof parentPort>, req: JobRequest): Promise<void> {
  let posted: JobProgress | null = null;
  const report: Report = (p) => {
    const step = Math.max(1, Math.floor(p.total / 1000));
    if (posted && posted.label === p.label && posted.total === p.total && p.done < p.total && p.done - posted.done < step) return;
    posted = p;
    port.postMessage({ progress: p } satisfies JobMessage);
  };
  try {
    port.postMessage({ done: await runInline(req, report) } satisfies JobMessage);
  } catch (e) {
    const error: WireError = e instanceof KapsuleError
      ? { code: e.code, stage: e.stage, message: e.message, details: e.details }
      : { bug: String((e as Error)?.stack ?? e) };
    port.postMessage({ error } satisfies JobMessage);
  }
}

const wd = workerData as JobWorkerData | null;
if (!isMainThread && parentPort && wd?.kind === 'kapsule-cli-job') void workerMain(parentPort, wd.req);
