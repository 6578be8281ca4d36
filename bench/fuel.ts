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
  /** Most of its runs end in a trap or fault (not OUT_OF_FUEL): the error path's cost comes after the last instruction. */
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
}

/** Rows charged more than their real cost on purpose, and why (docs/ABI.md §Metering). */
const OVERCHARGED: Record<string, string> = {
  'corpus memory-grow-unbounded.wat': 'pages grown and never touched: charged as if touched (the host cannot see it)',
  'corpus memory-grow-ignored.wat': 'pages grown and never touched: charged as if touched (the host cannot see it)',
  'hostcall: kv_get size probe of a 64 KiB value (SQLite)': 'the value\'s bytes are charged on every probe (the host read them)',
};
const ERROR_PATH = 'ends in a trap or fault: the engine unwinds and the host builds the error after the last instruction, when fuel can stop nothing';

interface Sample { us: number; fuel: bigint; pages: number | null; trapped: boolean }

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
      let trapped = false;
      try {
        const out = original.call(this, mod, input);
        fuel = out.fuelUsed;
        return out;
      } catch (e) {
        const f = e instanceof KapsuleError ? e.details?.fuelUsed : undefined;
        if (typeof f === 'bigint') fuel = f;
        trapped = !(e instanceof KapsuleError && e.code === 'OUT_OF_FUEL');
        throw e;
      } finally {
        const us = (performance.now() - t0) * 1000;
        if (fuel !== null && fuel > 0n) {
          let list = samples.get(mod.id);
          if (!list) samples.set(mod.id, (list = []));
          list.push({ us, fuel, pages: lastPages, trapped });
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
  return {
    group, module, runs: samples.length, endsInError, excluded: OVERCHARGED[module] ?? (endsInError ? ERROR_PATH : null), pages: seen.length ? Math.max(...seen) : null, medianPages: seen.length ? median(seen) : null,
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
        st?.close();
        rmSync(join(dir, 'bench.db'), { force: true });
        rows.push(row('hostile', c.name, sampler.take(mod.id)));
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  } finally { sampler.uninstall(); }

  const measured = rows.filter((r) => r.runs > 0 && Number.isFinite(r.usPerMFuel));
  const ends = (xs: FuelCostRow[]) => {
    const slowest = xs.reduce((a, b) => (b.usPerMFuel > a.usPerMFuel ? b : a));
    const fastest = xs.reduce((a, b) => (b.usPerMFuel < a.usPerMFuel ? b : a));
    return { slowest, fastest, spread: slowest.usPerMFuel / fastest.usPerMFuel };
  };
  const all = ends(measured);
  const core = ends(measured.filter((r) => r.excluded === null));
  return { rows: measured, ...all, coreSpread: core.spread, coreSlowest: core.slowest, coreFastest: core.fastest };
}

export function formatFuelBench(r: FuelBenchResult): string {
  const lines = r.rows.map((x) => `${x.group.padEnd(9)} ${x.module.padEnd(58)} ${x.usPerMFuel.toFixed(0).padStart(7)} µs/Mfuel  runs ${String(x.runs).padStart(3)}  median ${x.medianFuel.toExponential(2)} fuel in ${(x.medianUs / 1000).toFixed(2)} ms${x.pages !== null ? `  pages: median ${x.medianPages}, max ${x.pages}` : ''}${x.excluded ? `  [outside: ${x.endsInError && !OVERCHARGED[x.module] ? 'error path' : 'overcharged'}]` : ''}`);
  lines.push(`spread max/min = ${r.spread.toFixed(2)}×  (slowest ${r.slowest.module}, fastest ${r.fastest.module})`);
  lines.push(`without the rows outside for a stated reason: ${r.coreSpread.toFixed(2)}×  (slowest ${r.coreSlowest.module}, fastest ${r.coreFastest.module})`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runFuelBench({ quick: process.argv.includes('--quick') });
  console.log(process.argv.includes('--json') ? JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v), 2) : formatFuelBench(r));
}
