/**
 * Does fuel track what a run costs? For every module we know — the reference modules at realistic sizes, the test
 * corpus's modules built on registry libraries, and the hostile corpora (test/corpus/*.wat and bench/bounds.ts's
 * slowest-per-fuel candidates) — the wall time of each sandbox run (instantiate, run, hostcalls with their SQLite
 * reads; not parse/verify/decrypt/store) divided by the fuel it used, in µs per million fuel. A row per module
 * gives the median over its runs; the spread is max/min of those medians (issue 19's target: ≤ 4×).
 *
 * Everything is measured in this run: absolute µs depend on the machine and its load, the spread much less.
 * Usage: node --import tsx --import ./scripts/loader/register.mjs bench/fuel.ts [--quick] [--json]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, type ExecInput, type ExecOutcome, type LoadedModule } from '../host/src/execute/index.ts';
import { SandboxCore } from '../host/src/execute/sandbox.ts';
import { MemoryPool } from '../host/src/execute/pool.ts';
import { HostEnv } from '../host/src/execute/hostcalls/impl.ts';
import { fixtureInput } from '../host/src/execute/testing.ts';
import { KapsuleError } from '../host/src/errors.ts';
import { corpusWasm, readCorpus, sha256, sha256Stream, wat2wasm } from '../test/execute/_helpers.ts';
import { Kit, referenceStreams, testKmodPath } from '../test/modules/_kit.ts';
import { LIBRARY_MODULES, libraryPayloads } from '../test/modules/_libraries.ts';
import { MODULE_NAMES } from '../test/helpers/scenario.ts';
import { runModulesBench } from './modules.ts';
import { bigMeta, candidates, sqliteState } from './bounds.ts';
import { median } from './stats.ts';

const root = new URL('..', import.meta.url).pathname;

export type FuelGroup = 'reference' | 'library' | 'hostile';
export interface FuelCostRow {
  group: FuelGroup; module: string; runs: number;
  /** Median over runs of (run µs / fuel used) × 10^6. */
  usPerMFuel: number;
  medianFuel: number; medianUs: number;
  /** Most of its runs end in a trap or fault, or out of fuel before SHORT_RUN_FUEL: the error path's cost comes after the last instruction. */
  endsInError: boolean;
  /** Why the row is outside the band, when a known reason applies (null: it is in the band's measurement). */
  excluded: string | null;
  /** Pages the run's memory reached (largest seen, and the median run's), when the module has one. */
  pages: number | null;
  medianPages: number | null;
}
export interface FuelBenchResult {
  rows: FuelCostRow[];
  /** max/min over every row, and over the rows with no `excluded` reason (issue 19's target: ≤ 4×). */
  spread: number; slowest: FuelCostRow; fastest: FuelCostRow;
  coreSpread: number; coreSlowest: FuelCostRow; coreFastest: FuelCostRow;
  /**
   * The reference traffic again, with every hostcall timed (a separate pass: the timing adds ~0.1 µs per call):
   * µs per million fuel inside hostcalls (their charges, child lists and decodes included) and in the rest of the run.
   */
  split: { hostcallUsPerMFuel: number; restUsPerMFuel: number; hostcalls: number };
}

/** Rows charged more than their real cost on purpose, and why (docs/ABI.md §Metering). */
const OVERCHARGED: Record<string, string> = {
  'corpus memory-grow-unbounded.wat': 'pages grown and never touched: charged as if touched (the host cannot see it)',
  'corpus memory-grow-ignored.wat': 'pages grown and never touched: charged as if touched (the host cannot see it)',
  'hostcall: kv_get size probe of a 64 KiB value (SQLite)': 'the value\'s bytes are charged on every probe (the host read them)',
  'wasm: memory.fill of 0 bytes': 'memory.fill on a module\'s own memory is charged for what it costs in a new instance (the next row); V8 does it ~10× faster in a kept instance after its first run',
};
/** A run that ends OUT_OF_FUEL this early is mostly the error's fixed cost (below). */
const SHORT_RUN_FUEL = 1_000_000;
const ERROR_PATH = 'ends in a trap or fault: the engine unwinds and the host builds the error after the last instruction, when fuel can stop nothing';
const SHORT_ERROR = `ends out of fuel after less than ${SHORT_RUN_FUEL / 1e6}M: the host builds the error (tens of µs) after the last instruction, and that fixed cost is most of the run`;

interface Sample { us: number; fuel: bigint; pages: number | null; trapped: boolean; outOfFuel: boolean }

/** Times every SandboxCore.run of the process, keyed by the module's wasm hash, with the pages its memory reached. */
class RunSampler {
  readonly samples = new Map<string, Sample[]>();
  private readonly original = SandboxCore.prototype.run;
  private readonly release = MemoryPool.prototype.release;

  install(): void {
    const original = this.original;
    const samples = this.samples;
    const release = this.release;
    let lastPages: number | null = null;
    MemoryPool.prototype.release = function (this: MemoryPool, m: WebAssembly.Memory, initial: number, maximum: number) {
      lastPages = m.buffer.byteLength / 65536;
      return release.call(this, m, initial, maximum);
    };
    SandboxCore.prototype.run = function (this: SandboxCore, mod: LoadedModule, input: ExecInput): ExecOutcome {
      lastPages = null;
      const t0 = performance.now();
      let fuel: bigint | null = null;
      let trapped = false, outOfFuel = false;
      try {
        const out = original.call(this, mod, input);
        fuel = out.fuelUsed;
        lastPages = out.memoryPages || lastPages; // a kept instance's memory never reaches the pool
        return out;
      } catch (e) {
        const f = e instanceof KapsuleError ? e.details?.fuelUsed : undefined;
        if (typeof f === 'bigint') fuel = f;
        outOfFuel = e instanceof KapsuleError && e.code === 'OUT_OF_FUEL';
        trapped = !outOfFuel;
        throw e;
      } finally {
        const us = (performance.now() - t0) * 1000;
        if (fuel !== null && fuel > 0n) {
          let list = samples.get(mod.id);
          if (!list) samples.set(mod.id, (list = []));
          list.push({ us, fuel, pages: lastPages, trapped, outOfFuel });
        }
      }
    };
  }
  uninstall(): void { SandboxCore.prototype.run = this.original; MemoryPool.prototype.release = this.release; }
  take(id: string): Sample[] { const s = this.samples.get(id) ?? []; this.samples.delete(id); return s; }
}

const hexSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function row(group: FuelGroup, module: string, samples: Sample[]): FuelCostRow {
  const seen = samples.map((s) => s.pages).filter((p): p is number => p !== null);
  const endsInError = samples.filter((s) => s.trapped).length * 2 > samples.length;
  const shortOutOfFuel = samples.filter((s) => s.outOfFuel && Number(s.fuel) < SHORT_RUN_FUEL).length * 2 > samples.length;
  return {
    group, module, runs: samples.length, endsInError: endsInError || shortOutOfFuel,
    excluded: OVERCHARGED[module] ?? (endsInError ? ERROR_PATH : shortOutOfFuel ? SHORT_ERROR : null), pages: seen.length ? Math.max(...seen) : null, medianPages: seen.length ? median(seen) : null,
    usPerMFuel: median(samples.map((s) => (s.us * 1e6) / Number(s.fuel))),
    medianFuel: median(samples.map((s) => Number(s.fuel))),
    medianUs: median(samples.map((s) => s.us)),
  };
}

export async function runFuelBench(opts: { quick?: boolean } = {}): Promise<FuelBenchResult> {
  const quick = !!opts.quick;
  const rows: FuelCostRow[] = [];
  const sampler = new RunSampler();
  sampler.install();
  try {
    // reference modules: bench/modules.ts's realistic scenarios (every run they make, set-up runs included)
    const refIds = new Map(MODULE_NAMES.map((n) => [hexSha(readFileSync(join(root, 'build/modules', `${n}.wasm`))), n]));
    runModulesBench(quick ? 0.25 : 1);
    // everyday traffic (runModulesBench above has the heavy shapes, a run or two each)
    referenceStreams(quick ? 20 : 100);
    for (const [id, name] of refIds) rows.push(row('reference', name, sampler.take(id)));

    // library modules: ~2.2 KiB payloads through the pipeline
    for (const m of LIBRARY_MODULES) {
      const k = new Kit(m, 'owner', undefined, testKmodPath(m));
      const next = libraryPayloads(m, 11);
      const n = quick ? 20 : 100;
      for (let i = 0; i < n; i++) k.rt.ingest(k.capsule(`a${i % 5}`, 'data', next()).bytes);
      rows.push(row('library', m, sampler.take(hexSha(readFileSync(join(root, 'build/test-modules', `${m}.wasm`))))));
      k.rt.close();
    }

    // hostile corpora: every corpus module that runs, and the slowest-per-fuel candidates of bench/bounds.ts
    const dir = mkdtempSync(join(tmpdir(), 'kapsule-fuel-'));
    try {
      const cap = quick ? 2_000_000n : 20_000_000n;
      const repeats = quick ? 3 : 5;
      const sb = new Sandbox({ sha256, sha256Stream });
      for (const file of readdirSync(join(root, 'test/corpus')).filter((f) => f.endsWith('.wat')).sort()) {
        const c = readCorpus(file);
        if (c.expect === 'MODULE_INVALID') continue;
        let mod: LoadedModule;
        try {
          mod = sb.load(await corpusWasm(c), { hostcalls: c.hostcalls, fuel: c.fuel < cap ? c.fuel : cap, memoryPages: c.pages, maxDepth: c.depth });
        } catch { continue; }
        for (let r = 0; r < repeats; r++) { try { sb.run(mod, fixtureInput()); } catch { /* its verdict is the corpus test's business */ } }
        const s = sampler.take(mod.id);
        if (s.length) rows.push(row('hostile', `corpus ${file}`, s));
      }
      for (const c of candidates()) {
        const wasm = await wat2wasm(c.wat);
        const mod = sb.load(wasm, { hostcalls: c.hostcalls, fuel: cap, memoryPages: 1, maxDepth: 10 });
        const st = c.sqlite ? sqliteState(dir, mod.id) : null;
        const input: ExecInput = fixtureInput({ parents: [bigMeta(), null], ...(st ? { state: st.view } : {}) });
        for (let r = 0; r < repeats; r++) { try { sb.run(mod, input); } catch { /* runs out of fuel by design */ } }
        rows.push(row('hostile', c.name, sampler.take(mod.id)));
        if (OVERCHARGED[c.name]?.includes('new instance')) rows.push(row('hostile', `${c.name}, every run a new instance`, timeFresh(sb, mod, input, repeats)));
        st?.close();
        rmSync(join(dir, 'bench.db'), { force: true });
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  } finally { sampler.uninstall(); }

  const split = hostcallSplit(quick ? 10 : 40);
  const measured = rows.filter((r) => r.runs > 0 && Number.isFinite(r.usPerMFuel));
  const ends = (xs: FuelCostRow[]) => {
    const slowest = xs.reduce((a, b) => (b.usPerMFuel > a.usPerMFuel ? b : a));
    const fastest = xs.reduce((a, b) => (b.usPerMFuel < a.usPerMFuel ? b : a));
    return { slowest, fastest, spread: slowest.usPerMFuel / fastest.usPerMFuel };
  };
  const all = ends(measured);
  const core = ends(measured.filter((r) => r.excluded === null));
  return { rows: measured, ...all, coreSpread: core.spread, coreSlowest: core.slowest, coreFastest: core.fastest, split };
}

/** Time inside hostcalls vs the rest of each run, over the reference traffic (FuelBenchResult.split). */
function hostcallSplit(n: number): FuelBenchResult['split'] {
  type Impl = Record<string, (...a: unknown[]) => unknown>;
  const proto = HostEnv.prototype as unknown as { implementations: () => Impl; chargeAmount: (rs: unknown, spec: unknown, amount: number) => void };
  const { implementations, chargeAmount } = proto;
  const run = SandboxCore.prototype.run;
  let hostUs = 0, hostFuel = 0, runUs = 0, runFuel = 0, calls = 0;
  proto.implementations = function (this: unknown) {
    const m = implementations.call(this);
    for (const [k, f] of Object.entries(m)) {
      const timed = (...a: unknown[]) => { const t0 = performance.now(); try { return f(...a); } finally { hostUs += (performance.now() - t0) * 1000; calls++; } };
      Object.defineProperty(timed, 'length', { value: f.length });
      m[k] = timed;
    }
    return m;
  };
  proto.chargeAmount = function (this: unknown, rs: unknown, spec: unknown, amount: number) { hostFuel += amount; return chargeAmount.call(this, rs, spec, amount); };
  SandboxCore.prototype.run = function (this: SandboxCore, mod: LoadedModule, input: ExecInput): ExecOutcome {
    const t0 = performance.now();
    try { const o = run.call(this, mod, input); runFuel += Number(o.fuelUsed); return o; } finally { runUs += (performance.now() - t0) * 1000; }
  };
  try { referenceStreams(n); } finally {
    proto.implementations = implementations; proto.chargeAmount = chargeAmount; SandboxCore.prototype.run = run;
  }
  return { hostcallUsPerMFuel: (hostUs * 1e6) / hostFuel, restUsPerMFuel: ((runUs - hostUs) * 1e6) / (runFuel - hostFuel), hostcalls: calls };
}

/** The same runs as the sampler times, each in a new instance (Sandbox.runFresh). */
function timeFresh(sb: Sandbox, mod: LoadedModule, input: ExecInput, repeats: number): Sample[] {
  const out: Sample[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    let fuel = 0n, trapped = false, outOfFuel = false;
    try { fuel = sb.runFresh(mod, input).fuelUsed; } catch (e) {
      const f = e instanceof KapsuleError ? e.details?.fuelUsed : undefined;
      if (typeof f === 'bigint') fuel = f;
      outOfFuel = e instanceof KapsuleError && e.code === 'OUT_OF_FUEL';
      trapped = !outOfFuel;
    }
    if (fuel > 0n) out.push({ us: (performance.now() - t0) * 1000, fuel, pages: null, trapped, outOfFuel });
  }
  return out;
}

export function formatFuelBench(r: FuelBenchResult): string {
  const lines = r.rows.map((x) => `${x.group.padEnd(9)} ${x.module.padEnd(58)} ${x.usPerMFuel.toFixed(0).padStart(7)} µs/Mfuel  runs ${String(x.runs).padStart(3)}  median ${x.medianFuel.toExponential(2)} fuel in ${(x.medianUs / 1000).toFixed(2)} ms${x.pages !== null ? `  pages: median ${x.medianPages}, max ${x.pages}` : ''}${x.excluded ? `  [outside: ${x.endsInError && !OVERCHARGED[x.module] ? 'error path' : 'overcharged'}]` : ''}`);
  lines.push(`spread max/min = ${r.spread.toFixed(2)}×  (slowest ${r.slowest.module}, fastest ${r.fastest.module})`);
  lines.push(`reference traffic, ${r.split.hostcalls} hostcalls timed: inside hostcalls ${r.split.hostcallUsPerMFuel.toFixed(0)} µs/Mfuel, the rest of the runs ${r.split.restUsPerMFuel.toFixed(0)} µs/Mfuel`);
  lines.push(`without the rows outside for a stated reason: ${r.coreSpread.toFixed(2)}×  (slowest ${r.coreSlowest.module}, fastest ${r.coreFastest.module})`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runFuelBench({ quick: process.argv.includes('--quick') });
  console.log(process.argv.includes('--json') ? JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v), 2) : formatFuelBench(r));
}
