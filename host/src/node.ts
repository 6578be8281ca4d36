/**
 * The Node entry point (`kapsule-rt/node`; `dist/kapsule-rt.node.mjs` is this file bundled): everything of the
 * portable API (./index.ts) plus what needs Node — `openRuntime({ db, identity, policy })` on an embedded SQLite file
 * with the native crypto fast path and binaryen's instrumenter, `SqliteStore`, `nativeBackend`, `Sandbox`, key files,
 * the precheck worker pool, a run in a worker thread with a wall-clock backstop (`runInWorker`), and `checkModule`
 * with instrumentation (what `kapsule-pack module` checks).
 * Import the portable core (`kapsule-rt`, ./index.ts) instead when you bring your own store or run in a browser.
 */
import { nativeBackend } from './crypto/native.ts';
import { instrument } from './execute/instrument.ts';
import type { Instrumenter } from './execute/sandbox.ts';
import type { ModuleManifestLimits } from './execute/types.ts';
import type { CryptoBackend } from './crypto/types.ts';
import type { SecretIdentity } from './keys.ts';
import { loadSecretIdentity } from './keys-node.ts';
import type { RuntimePolicy } from './modules.ts';
import { Runtime, type RuntimeOptions } from './runtime.ts';
import { checkModule as checkModuleCore, type CheckModuleOptions, type ModuleCheck } from '../../capsule-packer/src/check.ts';
import { createHash } from 'node:crypto';

export * from './index.ts';
export { SqliteStore, type SqliteOptions } from './store/sqlite.ts';
export { nativeBackend } from './crypto/native.ts';
export { Sandbox } from './execute/index.ts';
export { loadSecretIdentity, loadPublicIdentity, saveIdentity } from './keys-node.ts';
export { PrecheckPool, defaultWorkers, type PrecheckPoolOptions, type PrecheckJob } from './verify/pool.ts';
export { runInWorker, runManyInWorker, type WorkerRunRequest } from './execute/worker.ts';

/**
 * `checkModule` of the portable API with binaryen's instrumenter by default: the module is validated, instrumented
 * and compiled exactly as `kapsule module add` / `rt.addModule` will, before anything is signed.
 */
export function checkModule(wasm: Uint8Array, limits: ModuleManifestLimits, opts: CheckModuleOptions = {}): ModuleCheck {
  return checkModuleCore(wasm, limits, { instrumenter: instrument, ...opts });
}

/** node:crypto's incremental SHA-256 for long hostcall transcripts (the same hash as the portable default). */
const nodeSha256Stream = () => { const h = createHash('sha256'); return { update: (d: Uint8Array) => { h.update(d); }, digest: () => new Uint8Array(h.digest()) }; };
import { SqliteStore } from './store/sqlite.ts';
import { fileWitness, witnessPath } from './audit/witness-node.ts';

export interface OpenRuntimeOptions {
  /** Path of the SQLite file (created if missing), or ':memory:'. */
  db: string;
  /** The device identity, or the path of its secret key file; null for a device that decrypts nothing. */
  identity?: SecretIdentity | string | null;
  policy?: RuntimePolicy;
  backend?: CryptoBackend;
  origin?: string;
  /** Instruments modules missing from the compiled cache; default binaryen's (null: pre-instrumented only). */
  instrumenter?: Instrumenter | null;
  /**
   * The checkpoint witness file (the last checkpoint this device signed, kept outside the database so that a rollback
   * of the database alone cannot make it sign a forked log; docs/SECURITY.md). Default `<db>.witness`; null: none.
   */
  witness?: string | null;
  /** The device clock (default Date.now), the clock skew before a capsule is held, the run backstop: RuntimeOptions. */
  clock?: RuntimeOptions['clock'];
  maxClockSkewMs?: number;
  runDeadlineMs?: number | null;
}

export function openRuntime(opts: OpenRuntimeOptions): Runtime {
  const backend = opts.backend ?? nativeBackend;
  const identity = typeof opts.identity === 'string' ? loadSecretIdentity(opts.identity, backend) : (opts.identity ?? null);
  const store = new SqliteStore(opts.db);
  try {
    const instrumenter = opts.instrumenter === undefined ? instrument : opts.instrumenter;
    const rt = new Runtime({
      store, backend, identity, policy: opts.policy, origin: opts.origin, instrumenter, sha256Stream: nodeSha256Stream,
      clock: opts.clock, maxClockSkewMs: opts.maxClockSkewMs, runDeadlineMs: opts.runDeadlineMs,
    });
    const witness = opts.witness === undefined ? (opts.db === ':memory:' ? null : witnessPath(opts.db)) : opts.witness;
    if (witness !== null) rt.audit.witness = fileWitness(witness);
    rt.resume();
    return rt;
  } catch (e) {
    store.close();
    throw e;
  }
}

