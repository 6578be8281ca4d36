/**
 * Instance reset (sandbox.ts): a kept instance put back into a fresh one's state must be indistinguishable from a
 * fresh instance. Every run below happens twice on the same sandbox with the same input — `runFresh` (a new
 * instance) and `run` (the kept instance, reset) — and the two are compared: outcome or typed error with its
 * details, output, fuel, memory pages, logs, writes, transcript hash, and the post-run memory bytes and every
 * mutable global. Sources: the reference modules' everyday traffic through the real runtime, the hostile corpus, and
 * generated modules whose output folds in every global and the memory they touch, with traps, fuel exhaustion,
 * stack overflow, failed and successful memory.grow and start functions, so state leaking from one run into the
 * next changes what the next run submits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, type ExecInput, type ExecOutcome, type LoadedModule } from '../../host/src/execute/index.ts';
import { SandboxCore, type RunEndState } from '../../host/src/execute/sandbox.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { corpusWasm, readCorpus, root, sha256, sha256Stream, wat2wasm } from './_helpers.ts';
import { referenceStreams } from '../modules/_kit.ts';
import { prng } from '../helpers/scenario.ts';

type Attempt = { ok: ExecOutcome } | { err: KapsuleError };
const originalRun = SandboxCore.prototype.run;

function attempt(f: () => ExecOutcome): Attempt {
  try { return { ok: f() }; } catch (e) { if (e instanceof KapsuleError) return { err: e }; throw e; }
}

const tally = { runs: 0, reused: 0, errors: new Map<string, number>() };

/** Runs `input` fresh, then reset; asserts both ends are identical; returns (or throws) what `run` gave. */
function both(sb: SandboxCore, mod: LoadedModule, input: ExecInput, what: string): ExecOutcome {
  let freshEnd: RunEndState | null = null, resetEnd: RunEndState | null = null;
  const keep = sb.onRunEnd;
  sb.onRunEnd = (s) => { freshEnd = s; };
  const fresh = attempt(() => sb.runFresh(mod, input));
  sb.onRunEnd = (s) => { resetEnd = s; };
  const reset = attempt(() => originalRun.call(sb, mod, input));
  sb.onRunEnd = keep;
  assert.ok(freshEnd && resetEnd, `${what}: both runs reported their end`);
  const f = freshEnd as RunEndState, r = resetEnd as RunEndState;
  assert.equal(f.reused, false, `${what}: runFresh used a new instance`);
  if ('err' in fresh || 'err' in reset) {
    assert.ok('err' in fresh && 'err' in reset, `${what}: one way failed, the other did not (${'err' in fresh ? fresh.err.code : 'ok'} / ${'err' in reset ? reset.err.code : 'ok'})`);
    assert.equal(reset.err.code, fresh.err.code, `${what}: error code`);
    assert.equal(reset.err.message, fresh.err.message, `${what}: error message`);
    assert.deepEqual(reset.err.details, fresh.err.details, `${what}: error details`);
    tally.errors.set(fresh.err.code, (tally.errors.get(fresh.err.code) ?? 0) + 1);
  } else {
    assert.deepEqual(reset.ok, fresh.ok, `${what}: outcome (output, fuel, pages, logs, writes, transcript)`);
  }
  assert.deepEqual(r.globals, f.globals, `${what}: mutable globals after the run`);
  assert.equal(r.memory === null, f.memory === null, `${what}: memory presence`);
  if (f.memory && r.memory) {
    assert.equal(r.memory.length, f.memory.length, `${what}: memory size after the run`);
    assert.ok(Buffer.compare(r.memory, f.memory) === 0, `${what}: memory bytes after the run (first difference at ${firstDiff(r.memory, f.memory)})`);
  }
  tally.runs++;
  if (r.reused) tally.reused++;
  if ('err' in reset) throw reset.err;
  return reset.ok;
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

test('reference modules: everyday traffic through the runtime, every run both ways, identical', () => {
  const before = { ...tally };
  SandboxCore.prototype.run = function (this: SandboxCore, mod: LoadedModule, input: ExecInput): ExecOutcome {
    return both(this, mod, input, `reference run ${tally.runs}`);
  };
  try {
    referenceStreams(30);
  } finally {
    SandboxCore.prototype.run = originalRun;
  }
  console.log(`reference: ${tally.runs - before.runs} runs, ${tally.reused - before.reused} reset`);
  assert.ok(tally.runs - before.runs > 60, `runs compared: ${tally.runs - before.runs}`);
  assert.ok(tally.reused - before.reused > 40, `runs on a reset instance: ${tally.reused - before.reused}`);
});

test('hostile corpus: three runs of every module that loads, both ways, identical', async () => {
  const sb = new Sandbox({ sha256, sha256Stream });
  const cap = 3_000_000n;
  let modules = 0;
  for (const file of readdirSync(join(root, 'test/corpus')).filter((f) => f.endsWith('.wat')).sort()) {
    const c = readCorpus(file);
    if (c.expect === 'MODULE_INVALID') continue;
    let mod: LoadedModule;
    try {
      mod = sb.load(await corpusWasm(c), { hostcalls: c.hostcalls, fuel: c.fuel < cap ? c.fuel : cap, memoryPages: Math.min(c.pages, 256), maxDepth: c.depth });
    } catch { continue; }
    modules++;
    for (let i = 0; i < 3; i++) { try { both(sb, mod, fixtureInput(), `${file} run ${i}`); } catch (e) { if (!(e instanceof KapsuleError)) throw e; } }
  }
  assert.ok(modules >= 20, `corpus modules run: ${modules}`);
  assert.ok(sb.stats.instancesReused > 0);
});

// ---- generated modules -------------------------------------------------------------------------------------------

/** Integers in [0, n) from the shared mulberry32 PRNG (test/helpers/scenario.ts). */
function rng(seed: number): (n: number) => number {
  const next = prng(seed);
  return (n) => Math.floor(next() * n);
}

const TYPES = ['i32', 'i64', 'f32', 'f64'] as const;
type T = typeof TYPES[number];
const constOf = (t: T, r: (n: number) => number): string =>
  t === 'i32' ? `(i32.const ${r(1 << 30) - (1 << 29)})` : t === 'i64' ? `(i64.const ${r(1 << 30) * 4099 - 7})` : `(${t}.const ${(r(2_000_000) - 1_000_000) / 64})`;
/** An i32 derived from a global of type t (floats by their bits). */
const asI32 = (t: T, e: string): string =>
  t === 'i32' ? e : t === 'i64' ? `(i32.wrap_i64 ${e})` : t === 'f32' ? `(i32.reinterpret_f32 ${e})` : `(i32.wrap_i64 (i64.reinterpret_f64 ${e}))`;
const bump = (t: T, e: string, r: (n: number) => number): string =>
  t === 'i32' ? `(i32.add ${e} (i32.const ${r(1000) + 1}))` : t === 'i64' ? `(i64.mul ${e} (i64.const ${r(7) + 3}))`
    : `(${t}.add (${t}.mul ${e} (${t}.const 1.5)) (${t}.const ${r(100) + 1}))`;

/**
 * A module whose `run` mutates globals and memory, reads the payload's 16 bytes (at 0), folds memory.size, every
 * global and the words it touched into a 32-byte output, and — depending on payload bytes — traps, returns a
 * non-zero status, loops until out of fuel, recurses until the depth limit, or grows memory (past its maximum too).
 */
function generated(seed: number): { wat: string; pages: number } {
  const r = rng(seed);
  const pages = 1 + r(2);
  const max = pages + 1 + r(2);
  const imported = r(2) === 0;
  const globals = Array.from({ length: 1 + r(6) }, () => TYPES[r(4)]);
  const addr = () => (r(4) === 0 ? pages * 65536 - 8 - 4 * r(8) : 256 + 4 * r((pages * 65536 - 512) / 4));
  const data = Array.from({ length: r(4) }, () => `(data (i32.const ${addr()}) "${Array.from({ length: 1 + r(24) }, () => `\\${r(256).toString(16).padStart(2, '0')}`).join('')}")`);
  const ops: string[] = [];
  for (let i = 0, n = 4 + r(14); i < n; i++) {
    const g = r(globals.length), t = globals[g];
    switch (r(6)) {
      case 0: case 1: ops.push(`(global.set $g${g} ${bump(t, `(global.get $g${g})`, r)})`); break;
      case 2: { const a = addr(); ops.push(`(i32.store (i32.const ${a}) (i32.add (i32.load (i32.const ${a})) ${asI32(t, `(global.get $g${g})`)}))`, `(local.set $acc (i32.xor (local.get $acc) (i32.load (i32.const ${a}))))`); break; }
      case 3: { const a = addr(); ops.push(`(local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (i32.load (i32.const ${a}))))`); break; }
      case 4: ops.push(`(if (i32.eq (i32.load8_u (i32.const ${r(16)})) (i32.const ${r(8)})) (then (drop (memory.grow (i32.const ${r(2) ? max - pages + 1 : 1})))))`); break;
      default: ops.push(`(if (i32.eq (i32.load8_u (i32.const ${r(16)})) (i32.const ${r(8)})) (then ${['unreachable', '(return (i32.const 7))', '(loop $l (br $l))', '(drop (call $deep (i32.const 0)))'][r(4)]}))`);
    }
  }
  const fold = globals.map((t, g) => `(local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 1000003)) ${asI32(t, `(global.get $g${g})`)}))`);
  const start = r(2) === 0
    ? `(func $init ${globals.map((t, g) => `(global.set $g${g} ${bump(t, `(global.get $g${g})`, r)})`).join(' ')} (i32.store (i32.const 128) (i32.add (i32.load (i32.const 128)) (i32.const 1)))) (start $init)`
    : '';
  const wat = `(module
  (import "kapsule_v1" "get_payload" (func $get_payload (param i32 i32) (result i32)))
  (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
  ${imported ? `(import "env" "memory" (memory ${pages} ${max}))` : `(memory ${pages} ${max})`}
  ${globals.map((t, g) => `(global $g${g} (mut ${t}) ${constOf(t, r)})`).join('\n  ')}
  ${data.join('\n  ')}
  ${start}
  (func $deep (param $n i32) (result i32) (call $deep (i32.add (local.get $n) (i32.const 1))))
  (func (export "run") (result i32)
    (local $acc i32)
    (drop (call $get_payload (i32.const 0) (i32.const 16)))
    ${ops.join('\n    ')}
    ${fold.join('\n    ')}
    (i32.store (i32.const 64) (local.get $acc))
    (i32.store (i32.const 68) (memory.size))
    (i32.store (i32.const 72) (i32.load (i32.const 128)))
    (i64.store (i32.const 76) (i64.load (i32.const ${addr()})))
    (drop (call $submit (i32.const 64) (i32.const 32)))
    (i32.const 0)))`;
  return { wat, pages: max };
}

test('generated modules: 60 modules × 12 runs with traps, limits and growth in between, both ways, identical', async () => {
  const sb = new Sandbox({ sha256, sha256Stream });
  const before = sb.stats.instancesReused;
  let okRuns = 0, failedRuns = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const { wat, pages } = generated(seed);
    const mod = sb.load(await wat2wasm(wat), { hostcalls: ['get_payload', 'submit_capsule_result'], fuel: 2_000_000n, memoryPages: pages, maxDepth: 64 });
    const r = rng(seed * 7919);
    for (let i = 0; i < 12; i++) {
      const payload = Uint8Array.from({ length: 16 }, () => (r(3) === 0 ? r(256) : r(8)));
      try { both(sb, mod, fixtureInput({ payload }), `generated seed ${seed} run ${i}`); okRuns++; } catch (e) {
        if (!(e instanceof KapsuleError)) throw e;
        failedRuns++;
      }
    }
  }
  assert.ok(okRuns > 150 && failedRuns > 100, `successful runs ${okRuns}, failed runs ${failedRuns}`);
  assert.ok(sb.stats.instancesReused - before > 200, `runs on a reset instance: ${sb.stats.instancesReused - before}`);
  for (const code of ['TRAP', 'OUT_OF_FUEL', 'STACK_LIMIT']) assert.ok((tally.errors.get(code) ?? 0) > 0, `some runs ended in ${code}`);
});

test('a trap after writing memory and globals leaves nothing for the next run', async () => {
  const wasm = await wat2wasm(`(module
    (import "kapsule_v1" "get_payload" (func $get_payload (param i32 i32) (result i32)))
    (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
    (memory 1 1)
    (global $n (mut i32) (i32.const 5))
    (func (export "run") (result i32)
      (drop (call $get_payload (i32.const 0) (i32.const 1)))
      (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (global.get $n)))
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (if (i32.load8_u (i32.const 0)) (then unreachable))
      (drop (call $submit (i32.const 8) (i32.const 4)))
      (i32.const 0)))`);
  const sb = new Sandbox({ sha256, sha256Stream });
  const mod = sb.load(wasm, { hostcalls: ['get_payload', 'submit_capsule_result'], fuel: 1_000_000n, memoryPages: 1, maxDepth: 8 });
  const clean = sb.run(mod, fixtureInput({ payload: Uint8Array.of(0) }));
  assert.throws(() => sb.run(mod, fixtureInput({ payload: Uint8Array.of(1) })), (e: unknown) => e instanceof KapsuleError && e.code === 'TRAP');
  const again = sb.run(mod, fixtureInput({ payload: Uint8Array.of(0) }));
  assert.deepEqual([...again.output], [5, 0, 0, 0]);
  assert.deepEqual(again, clean);
  assert.equal(sb.stats.instancesCreated, 1);
  assert.equal(sb.stats.instancesReused, 2);
});

test('what a reset cannot undo gets a new instance: grown memory, passive data segments; dropInstances', async () => {
  const sb = new Sandbox({ sha256, sha256Stream });
  const grow = sb.load(await wat2wasm(`(module (import "env" "memory" (memory 1 4))
    (func (export "run") (result i32) (drop (memory.grow (i32.const 1))) (i32.const 0)))`), { hostcalls: [], fuel: 1_000_000n, memoryPages: 4, maxDepth: 8 });
  for (let i = 0; i < 3; i++) assert.equal(sb.run(grow, fixtureInput()).memoryPages, 2);
  assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [3, 0]);
  const passive = sb.load(await wat2wasm(`(module (memory 1 1) (data $d "abc")
    (func (export "run") (result i32) (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $d) (i32.const 0)))`, ['bulk_memory']),
  { hostcalls: [], fuel: 1_000_000n, memoryPages: 1, maxDepth: 8 });
  for (let i = 0; i < 3; i++) sb.run(passive, fixtureInput());
  assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [6, 0]);
  const plain = sb.load(await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))'), { hostcalls: [], fuel: 1_000_000n, memoryPages: 1, maxDepth: 8 });
  for (let i = 0; i < 3; i++) sb.run(plain, fixtureInput());
  assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [7, 2]);
  sb.dropInstances();
  sb.run(plain, fixtureInput());
  assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [8, 2], 'dropped: the next run instantiates');
  const never = new Sandbox({ sha256, sha256Stream, reuseInstances: false });
  const p2 = never.load(await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))'), { hostcalls: [], fuel: 1_000_000n, memoryPages: 1, maxDepth: 8 });
  for (let i = 0; i < 3; i++) never.run(p2, fixtureInput());
  assert.deepEqual([never.stats.instancesCreated, never.stats.instancesReused], [3, 0]);
});
