/**
 * What the sandbox's bounds (host/src/execute/bounds.ts, code.ts) cost at most on this machine, every figure
 * measured in this run:
 *  - fuel rate: fuel burnt per millisecond by the slowest modules we know (pure wasm, each hostcall kind, state
 *    reads from a real SqliteStore); the slowest one sets how long DEFAULT_FUEL_CEILING can take;
 *  - compile: the worst modules within the code caps — longest load (validate + instrument + compile) and the
 *    optimising tier's CPU time and peak RSS when every function is optimised (each in a child process);
 *  - deadline: what runWithDeadline costs per call, and per run in a chunk of 64 runs;
 *  - memory: a 4 GiB imported memory run twice (never pooled), and the largest wipe of a pooled memory;
 *  - transcript: a run that reaches the transcript cap.
 * Usage: node --import tsx --import ./scripts/loader/register.mjs bench/bounds.ts [--quick] [--rows]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Sandbox, DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING, POOL_MAX_PAGES, MODULE_CAPS, TRANSCRIPT_MAX_BYTES,
  runWithDeadline, type ExecInput, type StateView,
} from '../host/src/execute/index.ts';
import { fixtureInput, fixtureMeta } from '../host/src/execute/testing.ts';
import { SqliteStore } from '../host/src/store/sqlite.ts';
import { KapsuleError } from '../host/src/errors.ts';
import { sha256, sha256Stream, wat2wasm } from '../test/execute/_helpers.ts';
import { median } from './stats.ts';

const root = new URL('..', import.meta.url).pathname;
const DEV = ['--import', 'tsx', '--import', join(root, 'scripts/loader/register.mjs')];

export interface FuelRateRow { name: string; fuelPerMs: number; ceilingSeconds: number }
export interface CompileRow {
  name: string; wasmBytes: number;
  /** validate + instrument + compile (first tier) on the main thread; peak RSS of that process (binaryen loaded). */
  loadMs: number; loadPeakRssMb: number;
  /** Every function through the optimising tier: CPU seconds beyond an empty module's, and that process's peak RSS. */
  optimiseCpuS: number; optimisePeakRssMb: number; baselineRssMb: number;
}
export interface BoundsBenchResult {
  fuelRates: FuelRateRow[];
  compile: CompileRow[];
  deadline: { plainUs: number; deadlineUs: number; perCallUs: number; runUs: number; chunkRunUs: number };
  memory: { touchCapMs: number; touchCapFuel: string; hugeFirstMs: number; hugeSecondMs: number; wipeMaxPooledUs: number; freshSmallUs: number };
  transcript: { capMs: number; fuel: string; code: string };
}

const HEX = (b: Uint8Array) => [...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('');

/** A StateView over a real SqliteStore, as the pipeline builds it (trust, balance, kv reads go to SQLite). */
export function sqliteState(dir: string, moduleId: string): { view: StateView; close(): void } {
  const store = new SqliteStore(join(dir, 'bench.db'));
  store.transaction(() => {
    for (let i = 0; i < 2000; i++) store.setTrust(new Uint8Array([i & 255, i >> 8]), BigInt(i));
    store.kvSet(moduleId, new TextEncoder().encode('big'), new Uint8Array(64 * 1024).fill(7));
  });
  return {
    view: { trustScore: (s) => store.trustScore(s), balance: (a) => store.balance(a), kvGet: (m, k) => store.kvGet(m, k) },
    close: () => store.close(),
  };
}

/** A parent with the largest metadata the capsule format allows (16 flags of 256-byte values, 32 parents). */
export function bigMeta() {
  const flags: [string, string][] = Array.from({ length: 16 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'.repeat(256)]);
  return fixtureMeta({ id: new Uint8Array(32).fill(0xa1), parents: Array.from({ length: 32 }, (_, i) => new Uint8Array(32).fill(i)), flags, channel: 'c'.repeat(64) });
}

/** Candidates for the slowest fuel-per-millisecond module: each loops until it runs out of `budget`. */
export function candidates(): { name: string; hostcalls: string[]; sqlite?: boolean; wat: string }[] {
  const loop = (imports: string, body: string, data = '') => `(module ${imports} (memory 1 1) ${data}
    (func (export "run") (result i32) (local $i i32) (loop $l ${body} (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)) (i32.const 0)))`;
  const imp = (name: string, sig: string) => `(import "kapsule_v1" "${name}" (func $${name} ${sig}))`;
  return [
    { name: 'wasm: (loop br)', hostcalls: [], wat: loop('', '') },
    { name: 'wasm: memory.fill of 0 bytes', hostcalls: [], wat: loop('', '(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))') },
    { name: 'wasm: memory.copy of 0 bytes', hostcalls: [], wat: loop('', '(memory.copy (i32.const 0) (i32.const 8) (i32.const 0))') },
    { name: 'wasm: memory.grow by 0 pages', hostcalls: [], wat: loop('', '(drop (memory.grow (i32.const 0)))') },
    { name: 'wasm: memory.grow failing (1 page over the cap)', hostcalls: [], wat: loop('', '(drop (memory.grow (i32.const 1)))') },
    { name: 'hostcall: get_parent_count', hostcalls: ['get_parent_count'], wat: loop(imp('get_parent_count', '(result i32)'), '(drop (call $get_parent_count))') },
    { name: 'hostcall: get_parent_metadata size probe (6 KB metadata)', hostcalls: ['get_parent_metadata'], wat: loop(imp('get_parent_metadata', '(param i32 i32 i32) (result i32)'), '(drop (call $get_parent_metadata (i32.const 0) (i32.const 0) (i32.const 0)))') },
    { name: 'hostcall: get_child_metadata size probe', hostcalls: ['get_child_metadata'], wat: loop(imp('get_child_metadata', '(param i32 i32 i32 i32) (result i32)'), '(drop (call $get_child_metadata (i32.const 100) (i32.const 0) (i32.const 0) (i32.const 0)))', `(data (i32.const 100) "${HEX(new Uint8Array(32).fill(0x11))}")`) },
    { name: 'hostcall: log 1 KiB', hostcalls: ['log'], wat: loop(imp('log', '(param i32 i32)'), '(call $log (i32.const 0) (i32.const 1024))') },
    { name: 'env.trace with 5 numbers', hostcalls: ['log'], wat: `(module (import "env" "trace" (func $t (param i32 i32 f64 f64 f64 f64 f64))) (memory 1 1)
      (func (export "run") (result i32) (loop $l (call $t (i32.const 0) (i32.const 5) (f64.const 0.1) (f64.const 1e300) (f64.const -3.3) (f64.const 5e-324) (f64.const 123456.789)) (br $l)) (i32.const 0)))` },
    { name: 'hostcall: get_trust_score, distinct subjects (SQLite)', hostcalls: ['get_trust_score'], sqlite: true, wat: loop(imp('get_trust_score', '(param i32 i32) (result i64)'), '(i32.store (i32.const 0) (local.get $i)) (drop (call $get_trust_score (i32.const 0) (i32.const 4)))') },
    { name: 'hostcall: kv_get size probe of a 64 KiB value (SQLite)', hostcalls: ['kv_get'], sqlite: true, wat: loop(imp('kv_get', '(param i32 i32 i32 i32) (result i32)'), '(drop (call $kv_get (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 0)))', '(data (i32.const 0) "big")') },
  ];
}

async function fuelRates(quick: boolean): Promise<FuelRateRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-bounds-'));
  const rows: FuelRateRow[] = [];
  try {
    for (const c of candidates()) {
      const wasm = await wat2wasm(c.wat);
      const sb = new Sandbox({ sha256, sha256Stream });
      const budget = quick ? 2_000_000n : 20_000_000n;
      const mod = sb.load(wasm, { hostcalls: c.hostcalls, fuel: budget, memoryPages: 1, maxDepth: 10 });
      const st = c.sqlite ? sqliteState(dir, mod.id) : null;
      const parent = bigMeta();
      const input: ExecInput = fixtureInput({ parents: [parent, null], ...(st ? { state: st.view } : {}) });
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        try { sb.run(mod, input); } catch (e) { if (!(e instanceof KapsuleError) || e.code !== 'OUT_OF_FUEL') throw e; }
        times.push(performance.now() - t0);
      }
      st?.close();
      rmSync(join(dir, 'bench.db'), { force: true });
      const fuelPerMs = Number(budget) / Math.min(...times);
      rows.push({ name: c.name, fuelPerMs, ceilingSeconds: Number(DEFAULT_FUEL_CEILING) / fuelPerMs / 1000 });
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  return rows.sort((a, b) => a.fuelPerMs - b.fuelPerMs);
}

// ---- compile cost within the caps ----------------------------------------------------------------------------

function leb(v: number): number[] { const o: number[] = []; do { let x = v & 0x7f; v >>>= 7; if (v) x |= 0x80; o.push(x); } while (v); return o; }

/** A module of `funcs` functions (param i32, `locals` i64 locals) with body `body`, plus `run` calling them all. */
function moduleOf(funcs: number, locals: number, body: number[]): Uint8Array {
  const sec = (id: number, b: number[]) => [id, ...leb(b.length), ...b];
  const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
  const types = sec(1, vec([[0x60, 0, 1, 0x7f], [0x60, 1, 0x7f, 0]]));
  const fsec = sec(3, vec([...Array.from({ length: funcs }, () => [1]), [0]]));
  const mem = sec(5, vec([[1, 1, 1]]));
  const name = [...new TextEncoder().encode('run')];
  const exp = sec(7, vec([[name.length, ...name, 0, ...leb(funcs)]]));
  const one = [...(locals ? [1, ...leb(locals), 0x7e] : [0]), ...body, 0x0b];
  const calls: number[] = [];
  for (let k = 0; k < funcs; k++) calls.push(0x41, 0, 0x10, ...leb(k));
  const run = [0, ...calls, 0x41, 0, 0x0b];
  const bodies = [...Array.from({ length: funcs }, () => [...leb(one.length), ...one]), [...leb(run.length), ...run]];
  const code = sec(10, vec(bodies));
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...fsec, ...mem, ...exp, ...code]);
}

/** Worst shapes at the caps (each passes validation, within 1% of the cap it stresses). */
function compileCases(): { name: string; wasm: Uint8Array }[] {
  const F = MODULE_CAPS.maxFunctionBytes - 64;
  const W = MODULE_CAPS.maxOptimizingWeight;
  const out: { name: string; wasm: Uint8Array }[] = [];
  { // code size: 4 functions filling the code cap with straight-line i64 arithmetic over 1,000 locals
    const size = Math.min(F, Math.floor((MODULE_CAPS.maxCodeBytes - 4096) / 4));
    const b: number[] = [];
    for (let k = 0; b.length < size - 12; k++) b.push(0x20, ...leb((k % 1000) + 1), 0x20, ...leb(((k * 7) % 1000) + 1), 0x7c, 0x21, ...leb(((k * 13) % 1000) + 1));
    out.push({ name: `code size: 4 × ${Math.round(size / 1024)} KiB straight-line functions, 1,000 locals each`, wasm: moduleOf(4, 1000, b) });
  }
  { // weight: br_if to one block, each after assigning one of 1,000 locals (so every merge needs phis)
    const n = Math.floor(W / 1017) - 4;
    const b: number[] = [0x02, 0x40];
    for (let k = 0; k < n; k++) b.push(0x20, ...leb((k % 1000) + 1), 0x42, 0x01, 0x7c, 0x21, ...leb((k % 1000) + 1), 0x20, 0x00, 0x0d, 0x00);
    b.push(0x0b);
    out.push({ name: `optimiser weight: ${n} br_if × 1,000 locals`, wasm: moduleOf(1, 1000, b) });
  }
  { // weight: br_tables of 4,096 targets over 128 nested blocks, no locals: 16 per target
    const b: number[] = [];
    const unit: number[] = [];
    for (let i = 0; i < 128; i++) unit.push(0x02, 0x40);
    unit.push(0x20, 0x00, 0x0e, ...leb(4095));
    for (let i = 0; i < 4096; i++) unit.push(i % 128);
    for (let i = 0; i < 128; i++) unit.push(0x0b);
    let weight = 0;
    const perUnit = 17 * (128 * 2 + 4096);
    while (weight + perUnit < W && b.length + unit.length < F) { b.push(...unit); weight += perUnit; }
    const funcs = Math.max(1, Math.floor(W / Math.max(weight, 1)));
    out.push({ name: `optimiser weight: br_table 4,096 targets, ${funcs} × ${Math.round(b.length / 1024)} KiB`, wasm: moduleOf(funcs, 0, b) });
  }
  { // weight: nested loops assigning 1,000 locals (loop phis)
    const P = 16, K = 1000;
    const unit: number[] = [];
    for (let i = 0; i < P; i++) unit.push(0x03, 0x40);
    for (let j = 0; j < K; j++) unit.push(0x20, ...leb(j + 1), 0x42, 0x01, 0x7c, 0x21, ...leb(j + 1));
    for (let i = 0; i < P; i++) unit.push(0x20, 0x00, 0x41, 0xe4, 0x00, 0x4a, 0x0d, 0x00, 0x0b);
    const perUnit = 3 * P * (16 + K + 1) + 2 * P * (K + 1);
    const b: number[] = [];
    let weight = 0;
    while (weight + perUnit < W && b.length + unit.length < F) { b.push(...unit); weight += perUnit; }
    out.push({ name: `optimiser weight: ${P} nested loops assigning ${K} locals, ${Math.round(b.length / 1024)} KiB`, wasm: moduleOf(1, K, b) });
  }
  return out;
}

/** Child process: load (validate + instrument + compile) `file` and write the instrumented bytes next to it. */
const LOAD_CHILD = `
import { readFileSync, writeFileSync } from 'node:fs';
import { Sandbox, MemoryCompiledCache, compiledCacheKey } from '${root}host/src/execute/index.ts';
import { sha256 } from '${root}test/execute/_helpers.ts';
import { toHex } from '${root}host/src/bytes.ts';
const file = process.argv[2];
const wasm = new Uint8Array(readFileSync(file));
const cache = new MemoryCompiledCache();
const t0 = performance.now();
new Sandbox({ sha256, cache }).load(wasm, { hostcalls: [], fuel: 1000n, memoryPages: 1, maxDepth: 10 });
const ms = performance.now() - t0;
writeFileSync(file + '.inst', cache.get(compiledCacheKey(toHex(sha256(wasm)))));
console.log(JSON.stringify({ ms }));`;

/**
 * Child process (plain node, nothing else loaded): compile `file` with V8's optimising tier for every function
 * (--no-wasm-lazy-compilation --no-wasm-dynamic-tiering: what a module can at worst make V8 do by running all its
 * functions hot) and stay alive until the background compile threads are idle.
 */
const OPT_CHILD = `
const m = new WebAssembly.Module(require('node:fs').readFileSync(process.argv[2]));
let last = process.cpuUsage(), idle = 0;
const iv = setInterval(() => { const u = process.cpuUsage(last); last = process.cpuUsage(); if (u.user + u.system < 10000) { if (++idle >= 3) clearInterval(iv); } else idle = 0; }, 100);`;
const OPT_FLAGS = ['--no-wasm-lazy-compilation', '--no-wasm-dynamic-tiering'];

async function child(args: string[], timeFile: string): Promise<{ out: string; cpuS: number; peakRssMb: number }> {
  const c = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: root });
  let out = '';
  c.stdout.on('data', (d) => { out += d; });
  await new Promise((r) => c.on('exit', r));
  const [u, s, kb] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  return { out, cpuS: u + s, peakRssMb: kb / 1024 };
}

async function compile(): Promise<CompileRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-compile-'));
  const script = join(dir, 'load.mts');
  const opt = join(dir, 'optimise.cjs');
  writeFileSync(script, LOAD_CHILD);
  writeFileSync(opt, OPT_CHILD);
  const rows: CompileRow[] = [];
  try {
    const tf = join(dir, 'time.txt');
    const tiny = join(dir, 'tiny.wasm');
    writeFileSync(tiny, moduleOf(1, 0, []));
    await child([...DEV, script, tiny], tf);
    const optBase = await child([...OPT_FLAGS, opt, `${tiny}.inst`], tf);
    for (const c of compileCases()) {
      const f = join(dir, 'case.wasm');
      writeFileSync(f, c.wasm);
      const load = await child([...DEV, script, f], tf);
      const o = await child([...OPT_FLAGS, opt, `${f}.inst`], tf);
      rows.push({
        name: c.name, wasmBytes: c.wasm.length, loadMs: JSON.parse(load.out).ms, loadPeakRssMb: load.peakRssMb,
        optimiseCpuS: o.cpuS - optBase.cpuS, optimisePeakRssMb: o.peakRssMb, baselineRssMb: optBase.peakRssMb,
      });
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  return rows;
}

// ---- deadline, memory, transcript ------------------------------------------------------------------------------

async function deadline(): Promise<BoundsBenchResult['deadline']> {
  const per = (n: number, f: () => void) => {
    for (let i = 0; i < Math.min(n, 200); i++) f();
    const r: number[] = [];
    for (let k = 0; k < 5; k++) { const t0 = performance.now(); for (let i = 0; i < n; i++) f(); r.push(((performance.now() - t0) * 1000) / n); }
    return Math.min(...r);
  };
  const noop = () => 1;
  const plainUs = per(100_000, noop);
  const deadlineUs = per(2000, () => runWithDeadline(noop, 1000));
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(await wat2wasm('(module (import "env" "memory" (memory 1)) (func (export "run") (result i32) (i32.const 0)))'), { hostcalls: [], fuel: 1_000_000n, memoryPages: 1, maxDepth: 10 });
  const input = fixtureInput();
  const runUs = per(5000, () => { sb.run(mod, input); });
  const chunkRunUs = per(100, () => runWithDeadline(() => { for (let i = 0; i < 64; i++) sb.run(mod, input); }, 10_000)) / 64;
  return { plainUs, deadlineUs, perCallUs: deadlineUs - plainUs, runUs, chunkRunUs };
}

async function memory(): Promise<BoundsBenchResult['memory']> {
  const page = DEFAULT_MEMORY_PAGES_CEILING;
  // the worst a run can do with the largest allowed initial memory (paid at the start: memoryGrowPerPage a page): touch every 4 KiB of it
  const touch = new Sandbox({ sha256 });
  const toucher = touch.load(await wat2wasm(`(module (import "env" "memory" (memory ${page}))
    (func (export "run") (result i32) (local $a i32)
      (loop $l (i32.store8 (local.get $a) (i32.const 1))
        (br_if $l (i32.lt_u (local.tee $a (i32.add (local.get $a) (i32.const 4096))) (i32.const ${page * 65536}))))
      (i32.const 0)))`), { hostcalls: [], fuel: 1_000_000_000n, memoryPages: page, maxDepth: 10 });
  const tt: number[] = [];
  let touchCapFuel = '';
  for (let i = 0; i < 3; i++) { const t0 = performance.now(); touchCapFuel = String(touch.run(toucher, fixtureInput()).fuelUsed); tt.push(performance.now() - t0); }
  // 4 GiB imported (allowed by an explicit policy), touching one byte, run twice (its initial memory costs 65,535 × memoryGrowPerPage fuel)
  const sb = new Sandbox({ sha256, policy: { maxMemoryPages: 65536, maxFuel: 1n << 40n } });
  const huge = sb.load(await wat2wasm(`(module (import "env" "memory" (memory 65536))
    (func (export "run") (result i32) (i32.store8 (i32.const 0xffffffff) (i32.const 1)) (i32.const 0)))`), { hostcalls: [], fuel: 1n << 40n, memoryPages: 65536, maxDepth: 10 });
  let t0 = performance.now();
  sb.run(huge, fixtureInput());
  const hugeFirstMs = performance.now() - t0;
  t0 = performance.now();
  sb.run(huge, fixtureInput());
  const hugeSecondMs = performance.now() - t0;
  // pooled: a run over the largest pooled memory (wiped first) vs a run over a fresh small one (one page above)
  const time = async (pages: number) => {
    const m = sb.load(await wat2wasm(`(module (import "env" "memory" (memory ${pages})) (func (export "run") (result i32) (i32.const 0)))`), { hostcalls: [], fuel: 100_000_000n, memoryPages: pages, maxDepth: 10 });
    sb.run(m, fixtureInput());
    const times: number[] = [];
    for (let i = 0; i < 50; i++) { const t = performance.now(); sb.run(m, fixtureInput()); times.push((performance.now() - t) * 1000); }
    return median(times);
  };
  return { touchCapMs: Math.min(...tt), touchCapFuel, hugeFirstMs, hugeSecondMs, wipeMaxPooledUs: await time(POOL_MAX_PAGES), freshSmallUs: await time(POOL_MAX_PAGES + 1) };
}

async function transcript(): Promise<BoundsBenchResult['transcript']> {
  const sb = new Sandbox({ sha256, sha256Stream });
  const mod = sb.load(await wat2wasm(`(module (import "kapsule_v1" "log" (func $log (param i32 i32))) (memory 1 1)
    (func (export "run") (result i32) (loop $l (call $log (i32.const 0) (i32.const 1024)) (br $l)) (i32.const 0)))`), { hostcalls: ['log'], fuel: DEFAULT_FUEL_CEILING, memoryPages: 1, maxDepth: 10 });
  const t0 = performance.now();
  let code = 'ok', fuel = '';
  try { sb.run(mod, fixtureInput()); } catch (e) { const k = e as KapsuleError; code = k.code; fuel = String(k.details?.fuelUsed); }
  return { capMs: performance.now() - t0, fuel, code };
}

export async function runBoundsBench(quick = false): Promise<BoundsBenchResult> {
  return {
    fuelRates: await fuelRates(quick),
    deadline: await deadline(),
    memory: await memory(),
    transcript: await transcript(),
    compile: await compile(),
  };
}

export function formatBoundsBench(r: BoundsBenchResult): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines: string[] = [];
  for (const x of r.fuelRates) lines.push(`fuel rate  ${x.name.padEnd(58)} ${f(x.fuelPerMs / 1000, 0).padStart(7)}k fuel/ms  ceiling 2^30 = ${f(x.ceilingSeconds)} s`);
  for (const c of r.compile) lines.push(`compile    ${c.name.padEnd(58)} ${Math.round(c.wasmBytes / 1024)} KiB  load ${f(c.loadMs, 0)} ms (peak RSS ${f(c.loadPeakRssMb, 0)} MiB)  all optimised: ${f(c.optimiseCpuS, 2)} s CPU, peak RSS ${f(c.optimisePeakRssMb, 0)} MiB (empty module ${f(c.baselineRssMb, 0)})`);
  const d = r.deadline;
  lines.push(`deadline   runWithDeadline ${f(d.perCallUs)} µs per call; a run ${f(d.runUs, 2)} µs alone, ${f(d.chunkRunUs, 2)} µs in a chunk of 64 under one deadline`);
  const m = r.memory;
  lines.push(`memory     touching every 4 KiB of a ${DEFAULT_MEMORY_PAGES_CEILING}-page memory: ${f(m.touchCapMs)} ms for ${m.touchCapFuel} fuel; 4 GiB imported (policy-allowed), one byte touched: ${f(m.hugeFirstMs)} ms, again ${f(m.hugeSecondMs)} ms`);
  lines.push(`memory     a run over the largest pooled memory (${POOL_MAX_PAGES} pages, wiped) ${f(m.wipeMaxPooledUs)} µs; over a fresh ${POOL_MAX_PAGES + 1}-page one ${f(m.freshSmallUs)} µs`);
  lines.push(`transcript ${TRANSCRIPT_MAX_BYTES >> 20} MiB cap reached by 1 KiB logs in ${f(r.transcript.capMs, 0)} ms (${r.transcript.code}, fuel ${r.transcript.fuel})`);
  return lines.join('\n');
}

/** Rows for bench/RESULTS.md (bench/run.ts): the time each bound means here, and the worst cases within the caps. */
export function boundsRows(r: BoundsBenchResult): { what: string; baseline: string; figure: string; target: string; met: boolean | null; note: string }[] {
  const f = (x: number, d = 1) => x.toFixed(d);
  const rows: ReturnType<typeof boundsRows> = [];
  const loop = r.fuelRates.find((x) => x.name === 'wasm: (loop br)')!;
  for (const x of r.fuelRates.slice(0, 4)) {
    rows.push({ what: `fuel ceiling 2^30, slowest modules: ${x.name}`, baseline: `(loop br) ${f(loop.fuelPerMs / 1000, 0)}k fuel/ms`,
      figure: `${f(x.fuelPerMs / 1000, 1)}k fuel/ms = 2^30 in ${f(x.ceilingSeconds)} s`, target: '—', met: null, note: 'the wall-clock time a run can take without a host policy' });
  }
  for (const c of r.compile) {
    rows.push({ what: `compile within the caps: ${c.name}`, baseline: `empty module: peak RSS ${f(c.baselineRssMb, 0)} MiB`,
      figure: `load ${f(c.loadMs, 0)} ms (peak RSS ${f(c.loadPeakRssMb, 0)} MiB); all functions optimised ${f(c.optimiseCpuS, 2)} s CPU, peak RSS ${f(c.optimisePeakRssMb, 0)} MiB`,
      target: '—', met: null, note: `${Math.round(c.wasmBytes / 1024)} KiB; load = validate + instrument + first-tier compile, once per module` });
  }
  const d = r.deadline;
  rows.push({ what: 'runWithDeadline (vm timeout) per call', baseline: `a run alone ${f(d.runUs, 1)} µs`, figure: `${f(d.perCallUs, 1)} µs per call; ${f(d.chunkRunUs, 1)} µs per run in a chunk of 64`, target: '—', met: null, note: 'one watchdog thread per call: one deadline per chunk of runs' });
  const m = r.memory;
  rows.push({ what: 'memory: touching all of a 4096-page (256 MiB) initial memory, the default cap', baseline: '—', figure: `${f(m.touchCapMs)} ms for ${m.touchCapFuel} fuel`, target: '—', met: null, note: 'initial pages beyond the first are charged 4096 fuel each' });
  rows.push({ what: 'memory: a 65,536-page (4 GiB) imported memory, one byte touched (only with a policy)', baseline: '—', figure: `${f(m.hugeFirstMs)} ms, then ${f(m.hugeSecondMs)} ms per run`, target: '—', met: null, note: 'never pooled or wiped; refused without a policy; 8.6G fuel for its initial pages (cost table 3)' });
  rows.push({ what: 'memory: a run over the largest pooled memory (16 pages, wiped first)', baseline: `fresh 17-page memory ${f(m.freshSmallUs)} µs`, figure: `${f(m.wipeMaxPooledUs)} µs`, target: '—', met: null, note: '' });
  rows.push({ what: 'transcript: 1 KiB logs until the 64 MiB cap', baseline: '—', figure: `${f(r.transcript.capMs, 0)} ms, ${r.transcript.code} after ${r.transcript.fuel} fuel`, target: '—', met: null, note: 'hashed as it grows: bounded memory' });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runBoundsBench(process.argv.includes('--quick'));
  console.log(formatBoundsBench(r));
  if (process.argv.includes('--rows')) {
    for (const x of boundsRows(r)) console.log(`| ${x.what} | ${x.baseline} | ${x.figure} | ${x.target} | ${x.met === null ? '—' : x.met ? 'met' : '**missed**'} | ${x.note} |`);
  }
}
