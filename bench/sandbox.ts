/**
 * Sandbox benchmark, every ratio measured in the same run:
 *  - metering overhead: instrumented vs uninstrumented on a CPU-heavy export (target ≤ 1.25×)
 *  - cached start vs first start (validate + instrument + compile + run vs validate + run; target ≥ 20×)
 *  - hostcall round trip (ns), per-execution cost (fresh instance, 1 KiB in, 8 B out), pooled vs owned memory
 *  - AssemblyScript runtime choice: stub vs incremental (size, per-execution cost)
 * Usage: tsx bench/sandbox.ts
 */
import { Sandbox, MemoryCompiledCache, compiledCacheKey, type ExecInput } from '../host/src/execute/index.ts';
import { fixtureInput } from '../host/src/execute/testing.ts';
import { toHex } from '../host/src/bytes.ts';
import { ascBuild, sha256, wat2wasm } from '../test/execute/_helpers.ts';
import { median } from './stats.ts';

export interface SandboxBenchResult {
  /** loop: a float/integer/memory loop (typical module work); calls: fib, tiny bodies (the worst case). */
  metering: Record<'loop' | 'calls', { plainMs: number; meteredMs: number; ratio: number; fuel: string }>;
  start: { firstUs: number; cachedUs: number; ratio: number; persistedUs: number };
  hostcallNs: number;
  /** Per run, 1 KiB in / 8 B out: a new instance (runFresh) over pooled or owned memory, and the kept instance reset (run). */
  perExecutionUs: { pooledMemory: number; ownedMemory: number; keptPooled: number; keptOwned: number };
  runtime: { stub: { bytes: number; perExecUs: number }; incremental: { bytes: number; perExecUs: number } };
}

/** Minimum over `rounds` of the mean time per call of `n` calls, in µs (other load only ever adds time). */
function perCallUs(n: number, rounds: number, f: () => void): number {
  for (let i = 0; i < Math.min(n, 200); i++) f();
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    out.push(((performance.now() - t0) * 1000) / n);
  }
  return Math.min(...out);
}

const LIMITS = { hostcalls: ['get_payload', 'submit_capsule_result', 'get_parent_count'], fuel: 1n << 40n, memoryPages: 64, maxDepth: 1000 };

function instantiateRaw(bytes: Uint8Array, imports: WebAssembly.Imports): WebAssembly.Exports {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports).exports;
}

function metering(work: Uint8Array): SandboxBenchResult['metering'] {
  const cache = new MemoryCompiledCache();
  const sb = new Sandbox({ sha256, cache });
  sb.load(work, LIMITS);
  const instrumented = cache.get(compiledCacheKey(toHex(sha256(work))))!;
  const noop = { get_payload: () => -1, submit_capsule_result: () => 0, get_parent_count: () => 0 };
  const env = () => ({ memory: new WebAssembly.Memory({ initial: 1, maximum: 64 }), abort: () => { throw new Error('abort'); } });
  const plain = instantiateRaw(work, { kapsule_v1: noop, env: env() });
  const metered = instantiateRaw(instrumented, { kapsule_v1: noop, env: env() });
  const fuelG = metered.__kapsule_fuel as WebAssembly.Global;
  fuelG.value = 1n << 60n;
  (metered.__kapsule_depth as WebAssembly.Global).value = 1000;
  (metered.__kapsule_start as (() => void) | undefined)?.();
  const time = (f: () => void) => { const t0 = performance.now(); f(); return performance.now() - t0; };
  const measure = (name: string, arg: number): { plainMs: number; meteredMs: number; ratio: number; fuel: string } => {
    const p = plain[name] as (n: number) => unknown;
    const m = metered[name] as (n: number) => unknown;
    if (p(arg) !== m(arg)) throw new Error(`instrumentation changed the result of ${name}()`);
    for (let i = 0; i < 5; i++) { p(arg); m(arg); }
    // interleaved, and the minimum of many trials: other load on the machine only ever adds time
    const ps: number[] = [], ms: number[] = [];
    for (let i = 0; i < 31; i++) { ps.push(time(() => p(arg))); ms.push(time(() => m(arg))); }
    const before = fuelG.value as bigint;
    m(arg);
    const pm = Math.min(...ps), mm = Math.min(...ms);
    return { plainMs: pm, meteredMs: mm, ratio: mm / pm, fuel: (before - (fuelG.value as bigint)).toString() };
  };
  return { loop: measure('cpu', 5), calls: measure('fibonacci', 25) };
}

function start(echo: Uint8Array, input: ExecInput): SandboxBenchResult['start'] {
  const firsts: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const sb = new Sandbox({ sha256 });
    sb.run(sb.load(echo, LIMITS), input);
    firsts.push((performance.now() - t0) * 1000);
  }
  const sb = new Sandbox({ sha256 });
  sb.load(echo, LIMITS);
  const cachedUs = perCallUs(500, 5, () => { sb.run(sb.load(echo, LIMITS), input); });
  const cache = new MemoryCompiledCache();
  new Sandbox({ sha256, cache }).load(echo, LIMITS);
  const persisted: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const s = new Sandbox({ sha256, cache });
    s.run(s.load(echo, LIMITS), input);
    persisted.push((performance.now() - t0) * 1000);
  }
  const firstUs = median(firsts);
  return { firstUs, cachedUs, ratio: firstUs / cachedUs, persistedUs: median(persisted) };
}

async function hostcallNs(input: ExecInput): Promise<number> {
  const N = 200_000;
  const mk = async (call: boolean) => wat2wasm(`(module
    (import "kapsule_v1" "get_parent_count" (func $pc (result i32)))
    (import "env" "memory" (memory 1))
    (func (export "run") (result i32) (local $i i32) (local $s i32)
      (loop $l
        ${call ? '(local.set $s (i32.add (local.get $s) (call $pc)))' : '(local.set $s (i32.add (local.get $s) (local.get $i)))'}
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${N}))))
      (i32.and (local.get $s) (i32.const 0))))`);
  const sb = new Sandbox({ sha256 });
  const withCall = sb.load(await mk(true), LIMITS);
  const without = sb.load(await mk(false), LIMITS);
  const a = perCallUs(3, 5, () => sb.run(withCall, input));
  const b = perCallUs(3, 5, () => sb.run(without, input));
  return ((a - b) * 1000) / N;
}

async function ownedVsPooled(input: ExecInput): Promise<SandboxBenchResult['perExecutionUs']> {
  const imports = `(import "kapsule_v1" "get_payload" (func $get (param i32 i32) (result i32)))
    (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))`;
  const body = `(func (export "run") (result i32)
      (drop (call $get (i32.const 16) (i32.const 2048)))
      (drop (call $submit (i32.const 16) (i32.const 8))) (i32.const 0))`;
  const sb = new Sandbox({ sha256 });
  const pooled = sb.load(await wat2wasm(`(module ${imports} (import "env" "memory" (memory 1)) ${body})`), LIMITS);
  const owned = sb.load(await wat2wasm(`(module ${imports} (memory 1 64) ${body})`), LIMITS);
  return {
    pooledMemory: perCallUs(2000, 5, () => sb.runFresh(pooled, input)),
    ownedMemory: perCallUs(500, 5, () => sb.runFresh(owned, input)),
    keptPooled: perCallUs(2000, 5, () => sb.run(pooled, input)),
    keptOwned: perCallUs(2000, 5, () => sb.run(owned, input)),
  };
}

function runtimeChoice(input: ExecInput): SandboxBenchResult['runtime'] {
  const out = {} as SandboxBenchResult['runtime'];
  for (const rt of ['stub', 'incremental'] as const) {
    const wasm = ascBuild('test/execute/assembly/echo8.ts', ['--runtime', rt]);
    const sb = new Sandbox({ sha256 });
    const mod = sb.load(wasm, LIMITS);
    out[rt] = { bytes: wasm.length, perExecUs: perCallUs(2000, 5, () => sb.run(mod, input)) };
  }
  return out;
}

export async function runSandboxBench(): Promise<SandboxBenchResult> {
  const work = ascBuild('test/execute/assembly/work.ts');
  const echo = ascBuild('test/execute/assembly/echo8.ts');
  const input = fixtureInput({ payload: new Uint8Array(1024).map((_, i) => i & 0xff) });
  const runtime = runtimeChoice(input);
  return {
    metering: metering(work),
    start: start(echo, input),
    hostcallNs: await hostcallNs(input),
    perExecutionUs: await ownedVsPooled(input),
    runtime,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runSandboxBench();
  const f = (x: number, d = 2) => x.toFixed(d);
  for (const k of ['loop', 'calls'] as const) {
    const m = r.metering[k];
    console.log(`metering   ${k.padEnd(5)} plain ${f(m.plainMs)} ms  metered ${f(m.meteredMs)} ms  ratio ${f(m.ratio)}× (target ≤ 1.25×)  fuel ${m.fuel}`);
  }
  console.log(`start      first ${f(r.start.firstUs, 0)} µs  cached ${f(r.start.cachedUs, 1)} µs  ratio ${f(r.start.ratio, 0)}× (target ≥ 20×)  from persisted bytes ${f(r.start.persistedUs, 0)} µs`);
  console.log(`hostcall   ${f(r.hostcallNs, 1)} ns per round trip (get_parent_count)`);
  const e = r.perExecutionUs;
  console.log(`per run    (WAT echo, 1 KiB in, 8 B out) new instance: pooled memory ${f(e.pooledMemory, 1)} µs, owned ${f(e.ownedMemory, 1)} µs; kept instance reset: pooled ${f(e.keptPooled, 1)} µs, owned ${f(e.keptOwned, 1)} µs`);
  console.log(`AS runtime stub ${r.runtime.stub.bytes} B ${f(r.runtime.stub.perExecUs, 1)} µs/run   incremental ${r.runtime.incremental.bytes} B ${f(r.runtime.incremental.perExecUs, 1)} µs/run`);
}
