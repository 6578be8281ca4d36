/**
 * Endurance: `n` executions (default 10M) of one module in one process, each from a fresh instance's state exactly
 * as the pipeline runs a capsule's module (`Sandbox.run`: the kept instance reset — memory image and every mutable
 * global — fuel and depth set, full transcript); every 100th execution in a new instance over pooled host memory
 * (`Sandbox.runFresh`, the path of modules a reset cannot serve). The work is the 1 KiB-in / 8 B-out execution of bench/sandbox.ts (AS echo8, stub runtime, the fixture
 * input with a 1 KiB payload), so the per-execution figure is comparable with that bench.
 *
 * Every outcome is checked (output = FNV-1a of the payload computed here, same fuel and transcript hash as the first
 * run); failures must be 0. Every 1% of n: RSS, heap used, and µs per execution over that 1%. Baselines are the
 * first 1% of this run: µs/run last 1% vs first 1% (no slowdown), RSS and heap at 100% vs 1% (flat after warm-up:
 * ≤ 1.10×). A full GC runs before each memory sample (outside the timed interval; 100 in a run), so the samples are
 * what is retained rather than wherever the young generation happened to be — a leak shows, garbage does not (without
 * it, heap used swings between ~35 and ~150 MiB within a few thousand runs). `--no-gc` samples without it.
 * Usage: tsx bench/endurance.ts [--n 10000000] [--no-gc]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Sandbox, type ExecOutcome } from '../host/src/execute/index.ts';
import { fixtureInput } from '../host/src/execute/testing.ts';
import { nativeBackend as b } from '../host/src/crypto/native.ts';
import { ascBuild } from '../test/execute/_helpers.ts';
import { median } from './stats.ts';

export interface EnduranceSample {
  /** Executions completed when the sample was taken. */
  runs: number;
  /** µs per execution over the interval that ended here (sampling and the optional GC excluded). */
  usPerRun: number;
  rss: number;
  heapUsed: number;
}

export interface EnduranceBenchResult {
  n: number;
  failures: number;
  /** The first failure, if any (error message or what differed). */
  firstFailure: string | null;
  /** Whether memory samples were taken after a full GC (default; `gc: false` samples as found). */
  gcBeforeSample: boolean;
  /** Wall time of the whole loop, and the part of it spent in the sampling GCs (not in any µs/run figure). */
  wallSeconds: number;
  gcSeconds: number;
  /**
   * µs per execution over the first and the last 1% of the run; ratio = last / first (target ≤ 1.10×). One 1%
   * interval is a few seconds, so on a shared machine one busy neighbour moves it: `median10Ratio` compares the median
   * of the last ten intervals with that of the first ten (same trend, less noise).
   */
  us: { first: number; last: number; ratio: number; minInterval: number; maxInterval: number; median10Ratio: number };
  /**
   * Bytes at the end of the first 1% and at 100%; ratio = end / first (target ≤ 1.10×); max over all samples.
   * `at10`/`ratio10`: the same with the sample at 10% as the baseline (after allocator and code-space warm-up).
   */
  rss: { first: number; last: number; ratio: number; max: number; peakKiB: number; at10: number; ratio10: number };
  heap: { first: number; last: number; ratio: number; max: number; at10: number; ratio10: number };
  /** Host memories the pool created vs reused: created stays at 2 (the kept instance's, the new instances') when every run returns its memory. */
  pool: { created: number; reused: number };
  /** Instances created vs kept instances reset. */
  instances: { created: number; reused: number };
  samples: EnduranceSample[];
}

const LIMITS = { hostcalls: ['get_payload', 'submit_capsule_result', 'get_parent_count'], fuel: 1n << 40n, memoryPages: 64, maxDepth: 1000 };

/** `gc()`: the global one under --expose-gc, otherwise enabled at run time (V8 exposes it to contexts created after). */
function fullGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** FNV-1a 64 of `p`, little-endian: what echo8 submits. Computed independently of the guest. */
function fnv1a64(p: Uint8Array): Uint8Array {
  let h = 0xcbf29ce484222325n;
  for (const x of p) h = ((h ^ BigInt(x)) * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, h, true);
  return out;
}

function same(a: Uint8Array, c: Uint8Array): boolean {
  if (a.length !== c.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== c[i]) return false;
  return true;
}

export function runEnduranceBench(opts: { n?: number; progress?: boolean; gc?: boolean } = {}): EnduranceBenchResult {
  const n = opts.n ?? 10_000_000;
  const progress = opts.progress ?? true;
  const gc = opts.gc === false ? null : fullGc();
  const wasm = ascBuild('test/execute/assembly/echo8.ts', ['--runtime', 'stub']);
  const input = fixtureInput({ payload: new Uint8Array(1024).map((_, i) => i & 0xff) });
  const expected = fnv1a64(input.payload!);
  const sb = new Sandbox({ sha256: (x) => b.sha256(x) });
  const mod = sb.load(wasm, LIMITS);
  // The reference outcome: every later run must produce the same output, fuel and transcript hash.
  const ref: ExecOutcome = sb.run(mod, input);
  if (!same(ref.output, expected)) throw new Error('echo8 does not submit the FNV-1a of its payload: wrong module?');

  let failures = 0;
  let firstFailure: string | null = null;
  const fail = (why: string, i: number) => {
    failures++;
    firstFailure ??= `run ${i}: ${why}`;
  };
  const step = Math.max(1, Math.floor(n / 100));
  const samples: EnduranceSample[] = [];
  const wall0 = performance.now();
  let t0 = performance.now();
  let since = 0;
  let gcMs = 0;
  for (let i = 0; i < n; i++) {
    try {
      const out = i % 100 === 99 ? sb.runFresh(mod, input) : sb.run(mod, input);
      if (!same(out.output, expected)) fail('wrong output', i);
      else if (out.fuelUsed !== ref.fuelUsed) fail(`fuel ${out.fuelUsed} ≠ ${ref.fuelUsed}`, i);
      else if (!same(out.transcriptHash, ref.transcriptHash)) fail('different transcript hash', i);
    } catch (e) {
      fail((e as Error).message, i);
    }
    since++;
    if ((i + 1) % step === 0 || i === n - 1) {
      const usPerRun = ((performance.now() - t0) * 1000) / since;
      if (gc) {
        const g0 = performance.now();
        gc();
        gcMs += performance.now() - g0;
      }
      const m = process.memoryUsage();
      samples.push({ runs: i + 1, usPerRun, rss: m.rss, heapUsed: m.heapUsed });
      if (progress && samples.length % 10 === 0) {
        console.error(`endurance ${(((i + 1) / n) * 100).toFixed(0)}%: ${(i + 1).toLocaleString('en')} runs, ${usPerRun.toFixed(1)} µs/run, ` +
          `rss ${(m.rss / 2 ** 20).toFixed(1)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB, failures ${failures}`);
      }
      since = 0;
      t0 = performance.now();
    }
  }
  const wallSeconds = (performance.now() - wall0) / 1000;
  const first = samples[0], last = samples[samples.length - 1];
  const at10 = samples[Math.min(9, samples.length - 1)];
  const intervals = samples.map((s) => s.usPerRun);
  const k = Math.min(10, intervals.length);
  return {
    n, failures, firstFailure, gcBeforeSample: gc !== null, wallSeconds, gcSeconds: gcMs / 1000,
    us: {
      first: first.usPerRun, last: last.usPerRun, ratio: last.usPerRun / first.usPerRun,
      minInterval: Math.min(...intervals), maxInterval: Math.max(...intervals),
      median10Ratio: median(intervals.slice(-k)) / median(intervals.slice(0, k)),
    },
    rss: {
      first: first.rss, last: last.rss, ratio: last.rss / first.rss, max: Math.max(...samples.map((s) => s.rss)),
      peakKiB: process.resourceUsage().maxRSS, at10: at10.rss, ratio10: last.rss / at10.rss,
    },
    heap: {
      first: first.heapUsed, last: last.heapUsed, ratio: last.heapUsed / first.heapUsed, max: Math.max(...samples.map((s) => s.heapUsed)),
      at10: at10.heapUsed, ratio10: last.heapUsed / at10.heapUsed,
    },
    pool: sb.poolStats(),
    instances: { created: sb.stats.instancesCreated, reused: sb.stats.instancesReused },
    samples,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--n');
  const r = runEnduranceBench({ ...(i > 0 ? { n: Number(process.argv[i + 1]) } : {}), gc: !process.argv.includes('--no-gc') });
  const f = (x: number, d = 2) => x.toFixed(d);
  const mib = (x: number) => `${f(x / 2 ** 20, 1)} MiB`;
  console.log(`endurance  ${r.n.toLocaleString('en')} executions (AS echo8, pooled memory, 1 KiB in, 8 B out; kept instance reset, every 100th a new one) in ${f(r.wallSeconds, 0)} s ` +
    `(${f(r.gcSeconds, 1)} s of it in the sampling GCs); ` +
    `failures ${r.failures} (target 0)${r.firstFailure ? ` — first: ${r.firstFailure}` : ''}`);
  console.log(`time       first 1% ${f(r.us.first, 1)} µs/run  last 1% ${f(r.us.last, 1)} µs/run  ratio ${f(r.us.ratio)}× (target ≤ 1.10×)  ` +
    `intervals ${f(r.us.minInterval, 1)}–${f(r.us.maxInterval, 1)} µs; median of the last ten 1% vs the first ten ${f(r.us.median10Ratio)}×`);
  const gcNote = r.gcBeforeSample ? 'after a full GC' : 'sampled without a GC (--no-gc): young-generation garbage included';
  console.log(`rss        at 1% ${mib(r.rss.first)}  at 100% ${mib(r.rss.last)}  ratio ${f(r.rss.ratio)}× (target ≤ 1.10×)  max sampled ${mib(r.rss.max)}  peak ${mib(r.rss.peakKiB * 1024)}; ` +
    `vs 10% (${mib(r.rss.at10)}) ${f(r.rss.ratio10)}×  [${gcNote}]`);
  console.log(`heap used  at 1% ${mib(r.heap.first)}  at 100% ${mib(r.heap.last)}  ratio ${f(r.heap.ratio)}× (target ≤ 1.10×)  max sampled ${mib(r.heap.max)}; ` +
    `vs 10% (${mib(r.heap.at10)}) ${f(r.heap.ratio10)}×`);
  console.log(`pool       memories created ${r.pool.created}, reused ${r.pool.reused}; instances created ${r.instances.created}, reset ${r.instances.reused}`);
}
