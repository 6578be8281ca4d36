/**
 * Node-only: run a module in a worker_thread with a wall-clock backstop. Fuel decides results; this exists only
 * so a host bug or an engine pathology cannot hang the process. On timeout the worker is terminated and the
 * promise rejects with TIMEOUT (not deterministic: the pipeline does not store the capsule and may retry).
 *
 * The worker gets the original bytes (validated again there), the compiled module (WebAssembly.Module is
 * structured-cloneable, so nothing is instrumented twice) and the input without its StateView; state reads are
 * answered synchronously by this thread over a SharedArrayBuffer (the worker blocks in Atomics.wait while this
 * thread, which is only awaiting, serves the read from the caller's StateView).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { KapsuleError, type ErrorCode, type Stage } from '../errors.ts';
import { startWorker } from '../worker-thread.ts';
import { fromHex, toHex } from '../bytes.ts';
import { SandboxCore, compiledCacheKey } from './sandbox.ts';
import type { ExecInput, ExecOutcome, GuestCapsuleMeta, HostPolicy, ModuleManifestLimits, StateView } from './types.ts';

export interface WorkerRunRequest {
  wasm: Uint8Array;
  limits: ModuleManifestLimits;
  input: ExecInput;
  /** Wall-clock backstop. */
  timeoutMs: number;
  policy?: HostPolicy;
  /** The compiled, instrumented module: Sandbox.compiledModule(sandbox.load(wasm, limits)). The worker never loads binaryen. */
  compiled: WebAssembly.Module;
}

const RPC_BYTES = 1 << 20;
/**
 * The wall-clock backstop times the run, not the worker's start: the timer is armed when the worker reports
 * `ready` (its code is loaded), so a slow start on a loaded machine (the TypeScript boot from sources takes
 * hundreds of ms) never turns into TIMEOUT. Starting gets its own, generous deadline: a start that never ends is
 * a host problem, not the module's.
 */
const START_DEADLINE_MS = 60_000;
/**
 * Control words (Int32Array over `ctrl`): [ANSWERED] the sequence number of the last request this thread answered,
 * [LEN] that answer's byte length in `data`. Every request carries the worker's next sequence number, and the worker
 * waits until ANSWERED equals it, in a loop: one Atomics.wait without that check can be woken by (or find) the
 * previous answer and read it again.
 */
const ANSWERED = 0, LEN = 1;
type RpcMethod = 'trustScore' | 'balance' | 'kvGet' | 'childCount' | 'childMetadata';

interface WorkerData {
  wasm: Uint8Array;
  limits: ModuleManifestLimits;
  input: Omit<ExecInput, 'state'>;
  policy?: HostPolicy;
  compiled: WebAssembly.Module;
  hasChildren: boolean;
  times: number;
  ctrl: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const sha256Stream = () => { const h = createHash('sha256'); return { update: (d: Uint8Array) => h.update(d), digest: () => new Uint8Array(h.digest()) }; };

function encodeValue(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return { $b: x.toString() };
    if (x instanceof Uint8Array) return { $u: toHex(x) };
    return x;
  }));
}

function decodeValue(b: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(b), (_k, x) => {
    if (x && typeof x === 'object' && typeof x.$b === 'string') return BigInt(x.$b);
    if (x && typeof x === 'object' && typeof x.$u === 'string') return fromHex(x.$u);
    return x;
  });
}

/** Starts this file as a worker (see ../worker-thread.ts for how sources and bundles differ). */
function spawn(wd: WorkerData): Worker {
  return startWorker(new URL(import.meta.url), { workerData: wd, resourceLimits: { stackSizeMb: 4, maxOldGenerationSizeMb: 512 } });
}

/** Runs `run()` in a fresh worker. Rejects with the same typed errors as Sandbox.run, or TIMEOUT. */
export async function runInWorker(req: WorkerRunRequest): Promise<ExecOutcome> {
  return (await runManyInWorker(req, 1))[0];
}

/**
 * Runs `run()` `times` times in ONE worker (each from a fresh instance's state, same input), for determinism checks.
 * The timeout covers all runs.
 */
export function runManyInWorker(req: WorkerRunRequest, times: number): Promise<ExecOutcome[]> {
  if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`);
  const { input } = req;
  const ctrl = new SharedArrayBuffer(8);
  const data = new SharedArrayBuffer(RPC_BYTES);
  const c32 = new Int32Array(ctrl);
  const d8 = new Uint8Array(data);
  const { state, ...rest } = input;
  const wd: WorkerData = {
    wasm: req.wasm, limits: req.limits, input: rest, policy: req.policy, compiled: req.compiled, times,
    hasChildren: typeof state.childCount === 'function' && typeof state.childMetadata === 'function', ctrl, data,
  };
  const worker = spawn(wd);
  return new Promise<ExecOutcome[]>((resolve, reject) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(starting);
      clearTimeout(timer);
      f();
      void worker.terminate();
    };
    const starting = setTimeout(() => finish(() => reject(new KapsuleError('TIMEOUT', 'execute', `the sandbox worker did not start within ${START_DEADLINE_MS} ms`, { timeoutMs: START_DEADLINE_MS }))), START_DEADLINE_MS);
    worker.on('message', (msg: { ready?: true; rpc?: RpcMethod; seq?: number; args?: unknown[]; ok?: ExecOutcome[]; error?: { code: ErrorCode; stage: Stage; message: string; details?: Record<string, unknown> } | { bug: string } }) => {
      if (msg.ready) {
        clearTimeout(starting);
        timer = setTimeout(() => finish(() => reject(new KapsuleError('TIMEOUT', 'execute', `run exceeded the ${req.timeoutMs} ms wall-clock backstop`, { timeoutMs: req.timeoutMs }))), req.timeoutMs);
        return;
      }
      if (msg.rpc) {
        let out: Uint8Array;
        try {
          const fn = state[msg.rpc] as ((...a: unknown[]) => unknown) | undefined;
          out = encodeValue({ v: fn ? fn.apply(state, msg.args ?? []) : null });
        } catch (e) {
          out = encodeValue({ err: String((e as Error)?.message ?? e) });
        }
        if (out.length > RPC_BYTES) out = encodeValue({ err: `state value of ${out.length} bytes exceeds the worker channel` });
        d8.set(out);
        Atomics.store(c32, LEN, out.length);
        Atomics.store(c32, ANSWERED, msg.seq!);
        Atomics.notify(c32, ANSWERED);
        return;
      }
      if (msg.ok) finish(() => resolve(msg.ok!));
      else if (msg.error && 'code' in msg.error) {
        const e = msg.error;
        finish(() => reject(new KapsuleError(e.code, e.stage, e.message, e.details)));
      } else if (msg.error) {
        const bug = (msg.error as { bug: string }).bug;
        finish(() => reject(new Error(`sandbox worker failed: ${bug}`)));
      }
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`sandbox worker exited with code ${code} before answering`))));
  });
}

function workerMain(): void {
  const wd = workerData as WorkerData;
  const c32 = new Int32Array(wd.ctrl);
  const d8 = new Uint8Array(wd.data);
  const port = parentPort!;
  port.postMessage({ ready: true }); // loaded: the backstop starts now
  let seq = 0;
  const call = (rpc: RpcMethod, ...args: unknown[]): unknown => {
    seq = (seq + 1) | 0;
    port.postMessage({ rpc, seq, args });
    for (;;) {
      const answered = Atomics.load(c32, ANSWERED);
      if (answered === seq) break;
      Atomics.wait(c32, ANSWERED, answered);
    }
    const r = decodeValue(d8.slice(0, Atomics.load(c32, LEN))) as { v?: unknown; err?: string };
    if (r.err !== undefined) throw new Error(`state read ${rpc} failed: ${r.err}`);
    return r.v;
  };
  const state: StateView = {
    trustScore: (s) => call('trustScore', s) as bigint,
    balance: (a) => call('balance', a) as bigint,
    kvGet: (m, k) => call('kvGet', m, k) as Uint8Array | null,
  };
  if (wd.hasChildren) {
    state.childCount = (id) => call('childCount', id) as number;
    state.childMetadata = (id, i) => call('childMetadata', id, i) as GuestCapsuleMeta | null;
  }
  try {
    const key = compiledCacheKey(toHex(sha256(wd.wasm)));
    const sb = new SandboxCore({
      sha256, sha256Stream, policy: wd.policy,
      cache: { get: (k) => (k === key ? wd.compiled : undefined), set: () => {} },
    }, null);
    const mod = sb.load(wd.wasm, wd.limits);
    const outs: ExecOutcome[] = [];
    for (let i = 0; i < wd.times; i++) outs.push(sb.run(mod, { ...wd.input, state }));
    port.postMessage({ ok: outs });
  } catch (e) {
    if (e instanceof KapsuleError) port.postMessage({ error: { code: e.code, stage: e.stage, message: e.message, details: e.details } });
    else port.postMessage({ error: { bug: String((e as Error)?.stack ?? e) } });
  }
}

if (!isMainThread && (workerData as WorkerData | null)?.ctrl instanceof SharedArrayBuffer) workerMain();
