/**
 * What each host-side operation a module can cause costs in wall time, next to what the cost table charges for it:
 * the measurement the cost table (host/src/execute/costs.ts, hostcalls/table.ts) is calibrated from.
 *
 * Each primitive runs N times in a counted loop inside one sandbox run; the same loop with an empty body is
 * subtracted, so a row is the primitive's own cost. Fixed per-run costs (instantiate, memory, transcript, result;
 * and the error path of a run that traps) are timed over many runs of a module that does nothing. The reference
 * rate is pure wasm: AssemblyScript-compiled code (bench/fuel.ts's bigmath, json_stats) and counted loops, in µs
 * per million fuel; `suggested` is the fuel that would make each primitive cost that rate.
 *
 * Usage: node --import tsx --import ./scripts/loader/register.mjs bench/calibrate.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, COST_TABLE, type ExecInput, type LoadedModule } from '../host/src/execute/index.ts';
import { HOSTCALLS, HOSTCALL_NAMESPACE } from '../host/src/execute/hostcalls/table.ts';
import { fixtureInput } from '../host/src/execute/testing.ts';
import { sha256, sha256Stream, wat2wasm } from '../test/execute/_helpers.ts';
import { bigMeta, sqliteState } from './bounds.ts';
import { median } from './stats.ts';

export interface PrimitiveRow { name: string; usPerOp: number; fuelPerOp: number; usPerMFuel: number }

const PAGE = 65536;

/** A counted loop of `n` iterations around `body`, the loop's own fuel known (instrument.ts charges it). */
function counted(imports: string, body: string, n: number, opts: { memory?: string; data?: string; locals?: string } = {}): string {
  return `(module ${imports} ${opts.memory ?? '(import "env" "memory" (memory 1))'} ${opts.data ?? ''}
    (func (export "run") (result i32) (local $i i32) ${opts.locals ?? ''}
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const ${n})))
        ${body}
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (i32.const 0)))`;
}

function hostcallCall(name: string): { imports: string; body: string } | null {
  const h = HOSTCALLS.find((x) => x.name === name)!;
  const sig = `(param ${h.params.map((p) => p.type).join(' ')}) ${h.results.length ? `(result ${h.results.join(' ')})` : ''}`.replace('(param )', '');
  const args = h.params.map((p) => {
    if (p.type === 'i64') return '(i64.const 1)';
    if (p.name === 'index') return '(i32.const 0)';
    if (p.name.endsWith('_ptr') || p.name === 'ptr') return p.name.startsWith('out') ? '(i32.const 4096)' : '(i32.const 0)';
    if (p.name === 'out_cap') return '(i32.const 8192)';
    return '(i32.const 32)'; // lengths: a 32-byte key / subject / account / payload slice
  });
  const call = `(call $${name} ${args.join(' ')})`;
  return { imports: `(import "${HOSTCALL_NAMESPACE}" "${name}" (func $${name} ${sig}))`, body: h.results.length ? `(drop ${call})` : call };
}

export async function runCalibration(opts: { quick?: boolean } = {}): Promise<{ referenceUsPerMFuel: number; rows: PrimitiveRow[] }> {
  const n = opts.quick ? 2_000 : 20_000;
  const sb = new Sandbox({ sha256, sha256Stream });
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-calibrate-'));
  const rows: PrimitiveRow[] = [];
  const time = (mod: LoadedModule, input: ExecInput, reps: number): { us: number; fuel: number } => {
    const us: number[] = [], fuel: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      let f = 0;
      try { f = Number(sb.run(mod, input).fuelUsed); } catch (e) { f = Number((e as { details?: { fuelUsed?: bigint } }).details?.fuelUsed ?? 0); }
      us.push((performance.now() - t0) * 1000);
      fuel.push(f);
    }
    return { us: median(us), fuel: median(fuel) };
  };
  const load = async (wat: string, hostcalls: string[], pages = 1) => sb.load(await wat2wasm(wat), { hostcalls, fuel: 1n << 40n, memoryPages: pages, maxDepth: 100 });
  try {
    // the reference: a counted loop doing i64 arithmetic (what compiled code mostly is)
    const empty = await load(counted('', '', n), []);
    const arith = await load(counted('', '(local.set $x (i64.add (i64.mul (local.get $x) (i64.const 3)) (i64.extend_i32_u (local.get $i))))', n * 10, { locals: '(local $x i64)' }), []);
    const base = time(empty, fixtureInput(), 9);
    const ar = time(arith, fixtureInput(), 9);
    const referenceUsPerMFuel = (ar.us * 1e6) / ar.fuel;

    const input = fixtureInput({ parents: [bigMeta(), null] });
    const st = sqliteState(dir, 'calibrate');
    const sqlInput = fixtureInput({ parents: [bigMeta(), null], state: { ...input.state!, ...st.view } });
    const add = (name: string, r: { us: number; fuel: number }, ops: number, baseline = base) => {
      const us = Math.max(0, r.us - baseline.us) / ops;
      const fuel = (r.fuel - baseline.fuel) / ops;
      rows.push({ name, usPerOp: us, fuelPerOp: fuel, usPerMFuel: (us * 1e6) / Math.max(fuel, 1) });
    };

    // fixed costs of a run
    const noop = await load('(module (import "env" "memory" (memory 1)) (func (export "run") (result i32) (i32.const 0)))', []);
    const trap = await load('(module (import "env" "memory" (memory 1)) (func (export "run") (result i32) unreachable))', []);
    const own = await load('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))', []);
    const zero = { us: 0, fuel: 0 };
    add('run: instantiate, pooled 1-page memory, empty result', time(noop, input, 200), 1, zero);
    add('run: the same, trapping (error path)', time(trap, input, 200), 1, zero);
    add('run: instantiate with its own 1-page memory', time(own, input, 200), 1, zero);

    // memory: grow by one page and touch it (a store per 4 KiB), in a fresh memory each run
    const pages = opts.quick ? 64 : 256;
    const grow = await load(counted('', `(drop (memory.grow (i32.const 1)))
      (local.set $p (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.const ${PAGE})))
      (local.set $q (i32.const 0))
      (block $b (loop $t (i64.store (i32.add (local.get $p) (local.get $q)) (i64.const 1))
        (local.set $q (i32.add (local.get $q) (i32.const 4096))) (br_if $t (i32.lt_u (local.get $q) (i32.const ${PAGE})))))`, pages,
    { locals: '(local $p i32) (local $q i32)', memory: `(import "env" "memory" (memory 1 ${pages + 1}))` }), [], pages + 1);
    add(`memory: grow 1 page and touch it (to ${pages} pages, fresh memory)`, time(grow, input, 9), pages);

    // bulk memory
    for (const [op, len, own] of [['fill', 0, false], ['fill', 4096, false], ['copy', 0, false], ['copy', 4096, false], ['fill', 0, true], ['copy', 0, true], ['fill', 4096, true]] as const) {
      const body = op === 'fill' ? `(memory.fill (i32.const 0) (i32.const 0) (i32.const ${len}))` : `(memory.copy (i32.const 0) (i32.const 8192) (i32.const ${len}))`;
      const memory = own ? '(memory 1 1)' : '(import "env" "memory" (memory 1))';
      add(`memory.${op} of ${len} bytes${own ? ' (own memory)' : ''}`, time(await load(counted('', body, n, { memory }), []), input, 9), n);
    }

    // every hostcall: 32-byte inputs, an 8 KiB output buffer; state reads from SQLite where the pipeline reads them
    for (const h of HOSTCALLS) {
      const c = hostcallCall(h.name)!;
      const mod = await load(counted(c.imports, c.body, n), [h.name]);
      const sql = ['get_trust_score', 'get_balance', 'kv_get'].includes(h.name);
      add(`hostcall ${h.name}${sql ? ' (SQLite)' : ''}`, time(mod, sql ? sqlInput : input, 9), n);
    }
    // a state read that misses SQLite's cache every time: distinct subjects
    {
      const c = hostcallCall('get_trust_score')!;
      const mod = await load(counted(c.imports, `(i32.store (i32.const 0) (local.get $i)) ${c.body}`, n), ['get_trust_score']);
      add('hostcall get_trust_score, distinct subjects (SQLite)', time(mod, sqlInput, 9), n);
    }
    // bytes: the same calls moving 4 KiB instead of 32 bytes (per-byte cost = difference / 4064)
    for (const name of ['log', 'kv_set', 'submit_capsule_result', 'set_trust_score', 'get_child_count']) {
      const c = hostcallCall(name)!;
      const small = await load(counted(c.imports, c.body, n), [name]);
      const big = await load(counted(c.imports, c.body.replace(/\(i32\.const 32\)/g, name === 'log' ? '(i32.const 1024)' : name === 'kv_set' ? '(i32.const 4096)' : name === 'submit_capsule_result' ? '(i32.const 4096)' : '(i32.const 128)'), n, { memory: '(import "env" "memory" (memory 1))' }), [name]);
      const a = time(small, input, 9), b = time(big, input, 9);
      const dBytes = name === 'log' ? 992 : name === 'kv_set' || name === 'submit_capsule_result' ? 4064 : 96;
      rows.push({ name: `hostcall ${name}: per byte (${dBytes} more)`, usPerOp: Math.max(0, b.us - a.us) / n / dBytes, fuelPerOp: (b.fuel - a.fuel) / n / dBytes, usPerMFuel: ((b.us - a.us) * 1e6) / Math.max(1, b.fuel - a.fuel) });
    }
    { // env.trace with 5 numbers (AssemblyScript's trace())
      const mod = await load(counted('(import "env" "trace" (func $t (param i32 i32 f64 f64 f64 f64 f64)))', '(call $t (i32.const 0) (i32.const 5) (f64.const 0.1) (f64.const 1e300) (f64.const -3.3) (f64.const 5e-324) (f64.const 123456.789))', n), ['log']);
      add('env.trace with 5 numbers', time(mod, input, 9), n);
    }
    st.close();
    return { referenceUsPerMFuel, rows };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

export function formatCalibration(r: { referenceUsPerMFuel: number; rows: PrimitiveRow[] }): string {
  const perFuelUs = r.referenceUsPerMFuel / 1e6;
  const lines = [`reference: counted i64 loop ${r.referenceUsPerMFuel.toFixed(0)} µs/Mfuel (cost table ${JSON.stringify({ default: COST_TABLE.default })})`];
  for (const x of r.rows) {
    const suggested = Math.round(x.usPerOp / perFuelUs);
    lines.push(`${x.name.padEnd(62)} ${x.usPerOp.toFixed(3).padStart(9)} µs/op  charged ${x.fuelPerOp.toFixed(0).padStart(7)}  ${x.usPerMFuel.toFixed(0).padStart(8)} µs/Mfuel (${(x.usPerMFuel / r.referenceUsPerMFuel).toFixed(1)}× ref)  at ref rate: ${suggested}`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(formatCalibration(await runCalibration({ quick: process.argv.includes('--quick') })));
