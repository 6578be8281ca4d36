/**
 * A wall-clock backstop for synchronous work: `runWithDeadline(fn, ms)` returns what `fn()` returns, or throws
 * `KapsuleError('TIMEOUT', 'execute')` when `fn` has not returned after `ms` milliseconds. Portable: no static
 * Node-only import.
 *
 * Fuel decides every deterministic outcome; this only guarantees that no run (a host bug, an engine pathology, a
 * policy without a fuel ceiling) holds the thread forever. TIMEOUT is not deterministic: the capsule is not stored
 * and may be retried.
 *
 * - **Node** (`deadlineInterrupts === true`): `fn` runs inside `vm.Script#runInContext(ctx, { timeout })`. Node's
 *   watchdog thread terminates the JavaScript *and WebAssembly* running on this thread when the time is up, and the
 *   vm call turns that into an exception this function maps to TIMEOUT. Cost: one watchdog thread per call
 *   (bench/bounds.ts measures it, ~tens of µs), so use one deadline per chunk of runs, not one per run.
 * - **Elsewhere** (browsers; `deadlineInterrupts === false`): nothing can interrupt synchronous code on the calling
 *   thread. `fn` runs to completion (the fuel ceiling bounds it) and TIMEOUT is thrown afterwards if it took longer
 *   than `ms`, so callers see the same outcome either way. Run the sandbox in a Web Worker to be able to stop it.
 *
 * An interrupted `fn` unwinds WITHOUT running `finally` blocks or `catch` clauses. Whatever it left half done must
 * be repaired by the caller: `opts.onInterrupt` runs right after the interruption, before TIMEOUT is thrown (roll
 * back an open SQLite transaction there: better-sqlite3's `db.transaction()` wrapper leaves BEGIN open when its
 * callback is interrupted — test/execute/deadline.test.ts). Sandboxes repair themselves: a SandboxCore interrupted
 * mid-run clears its run state and returns its pooled memory (see `trackInterruptible`).
 *
 * Do not nest deadlines, and do not interrupt binaryen (Sandbox.load of a module not yet instrumented): binaryen is
 * WebAssembly with its own stack pointer and heap, which an interruption can leave inconsistent.
 */
import { KapsuleError } from '../errors.ts';

/** Something holding state for the synchronous work in progress, to repair if that work is interrupted. */
export interface Interruptible { interrupted(): void }

const inFlight = new Set<Interruptible>();

/** Registers `x` while its work runs; call the returned function when it is done (normally, or by throwing). */
export function trackInterruptible(x: Interruptible): () => void {
  inFlight.add(x);
  return () => { inFlight.delete(x); };
}

export interface DeadlineOptions {
  /** Runs after an interruption, before TIMEOUT is thrown (e.g. roll back an open transaction). */
  onInterrupt?: () => void;
}

interface VmModule {
  createContext(o: object): object;
  Script: new (code: string, opts?: { filename?: string }) => { runInContext(ctx: object, opts: { timeout: number }): unknown };
}

function loadVm(): VmModule | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try { return (p?.getBuiltinModule?.('node:vm') as VmModule | undefined) ?? null; } catch { return null; }
}

const vm = loadVm();
/** The function to call is passed through the context's global `f` (one context and one script for all calls). */
const ctx = vm ? vm.createContext({ f: null as (() => unknown) | null }) as { f: (() => unknown) | null } : null;
const script = vm ? new vm.Script('f()', { filename: 'kapsule-deadline' }) : null;

/** True where an overdue `fn` is interrupted (Node); false where TIMEOUT can only be reported after it returns. */
export const deadlineInterrupts: boolean = script !== null;

function timeout(ms: number): KapsuleError {
  return new KapsuleError('TIMEOUT', 'execute', `exceeded the ${ms} ms wall-clock deadline`, { timeoutMs: ms });
}

function interrupted(opts: DeadlineOptions | undefined): void {
  for (const x of inFlight) { try { x.interrupted(); } catch { /* repairing one must not stop the others */ } }
  inFlight.clear();
  opts?.onInterrupt?.();
}

export function runWithDeadline<T>(fn: () => T, ms: number, opts?: DeadlineOptions): T {
  if (typeof fn !== 'function') throw new TypeError('runWithDeadline expects a function');
  if (!Number.isInteger(ms) || ms < 1) throw new RangeError(`the deadline must be a positive integer of milliseconds, got ${ms}`);
  if (script && ctx) {
    const outer = ctx.f;
    if (outer !== null) throw new KapsuleError('USAGE', 'execute', 'runWithDeadline calls do not nest');
    ctx.f = fn;
    try {
      return script.runInContext(ctx, { timeout: ms }) as T;
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        interrupted(opts);
        throw timeout(ms);
      }
      throw e;
    } finally {
      ctx.f = null;
    }
  }
  const t0 = Date.now();
  const out = fn();
  if (Date.now() - t0 > ms) throw timeout(ms);
  return out;
}
