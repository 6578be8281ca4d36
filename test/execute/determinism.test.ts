/**
 * Determinism: same module + input → identical output bytes, fuel, writes and transcript, 100× on the main
 * thread and in worker threads; out-of-fuel and stack-limit at the identical point every time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, type ExecOutcome, type LoadedModule } from '../../host/src/execute/index.ts';
import { runInWorker, runManyInWorker } from '../../host/src/execute/worker.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { toHex } from '../../host/src/bytes.ts';
import { ascBuild, corpusWasm, readCorpus, sha256, wat2wasm } from './_helpers.ts';

const work = ascBuild('test/execute/assembly/work.ts');
const workLimits = { hostcalls: ['get_payload', 'submit_capsule_result'], fuel: 50_000_000n, memoryPages: 16, maxDepth: 200 };
const payload = new Uint8Array(1024).map((_, i) => (i * 31 + 7) & 0xff);
payload[0] = 3;
const input = () => fixtureInput({ payload });

function fingerprint(o: ExecOutcome): string {
  return JSON.stringify({
    out: toHex(o.output), fuel: o.fuelUsed.toString(), logs: o.logs, t: toHex(o.transcriptHash),
    kv: [...o.writes.kv].map(([k, v]) => [k, v && toHex(v)]),
  });
}

function failure(fn: () => unknown): string {
  try { fn(); } catch (e) {
    if (e instanceof KapsuleError) return JSON.stringify({ code: e.code, d: e.details }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    throw e;
  }
  return 'ok';
}

test('100 runs on the main thread: identical output, fuel, transcript', () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(work, workLimits);
  const first = fingerprint(sb.run(mod, input()));
  for (let i = 0; i < 99; i++) assert.equal(fingerprint(sb.run(mod, input())), first, `run ${i + 2}`);
  assert.equal(sb.run(mod, input()).output.length, 8);
  // a different input gives a different result (the fingerprint is not constant)
  const other = payload.slice();
  other[5] ^= 1;
  assert.notEqual(fingerprint(sb.run(mod, fixtureInput({ payload: other }))), first);
});

test('100 runs in worker threads match the main thread bit for bit', async () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(work, workLimits);
  const main = fingerprint(sb.run(mod, input()));
  const compiled = sb.compiledModule(mod);
  // 4 workers × 25 fresh instances each
  const outs = await Promise.all(Array.from({ length: 4 }, () => runManyInWorker({ wasm: work, limits: workLimits, input: input(), timeoutMs: 60_000, compiled }, 25)));
  assert.equal(outs.flat().length, 100);
  for (const o of outs.flat()) assert.equal(fingerprint(o), main);
});

test('out of fuel at the identical point every time, for every budget around the real cost', () => {
  const sb = new Sandbox({ sha256 });
  const need = sb.run(sb.load(work, workLimits), input()).fuelUsed;
  const exact = sb.load(work, { ...workLimits, fuel: need });
  assert.equal(sb.run(exact, input()).fuelUsed, need, 'the exact budget suffices');
  for (const fuel of [need - 1n, need / 2n, 1000n]) {
    const mod = sb.load(work, { ...workLimits, fuel });
    const first = failure(() => sb.run(mod, input()));
    assert.match(first, /OUT_OF_FUEL/);
    for (let i = 0; i < 100; i++) assert.equal(failure(() => sb.run(mod, input())), first);
  }
});

test('stack limit at the identical point every time (100×), also in a worker', async () => {
  const sb = new Sandbox({ sha256 });
  const c = readCorpus('deep-recursion.wat');
  const wasm = await wat2wasm(c.text);
  const lim = { hostcalls: [], fuel: c.fuel, memoryPages: 4, maxDepth: c.depth };
  const mod: LoadedModule = sb.load(wasm, lim);
  const first = failure(() => sb.run(mod, input()));
  assert.match(first, /STACK_LIMIT/);
  for (let i = 0; i < 100; i++) assert.equal(failure(() => sb.run(mod, input())), first);
  const inWorker = await runInWorker({ wasm, limits: lim, input: input(), timeoutMs: 30_000, compiled: sb.compiledModule(mod) }).then(() => 'ok', (e: KapsuleError) => JSON.stringify({ code: e.code, d: e.details }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  assert.equal(inWorker, first);
});

test('big frames (1,000 f64 locals, 200 deep): the same STACK_LIMIT and fuel on the main thread and in a worker', async () => {
  // Without the stack budget this ended "engine stack exhausted" on a main thread and succeeded in a worker (4 MiB
  // stack). The Chromium main thread runs the same module in test/browser/browser.test.ts.
  const c = readCorpus('big-frame.wat');
  const wasm = await corpusWasm(c);
  const lim = { hostcalls: [], fuel: c.fuel, memoryPages: c.pages, maxDepth: c.depth };
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(wasm, lim);
  const main = failure(() => sb.run(mod, input()));
  assert.match(main, /"code":"STACK_LIMIT".*"maxDepth":64/);
  assert.doesNotMatch(main, /native/);
  const inWorker = await runManyInWorker({ wasm, limits: lim, input: input(), timeoutMs: 60_000, compiled: sb.compiledModule(mod) }, 3)
    .then(() => 'ok', (e: KapsuleError) => JSON.stringify({ code: e.code, d: e.details }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  assert.equal(inWorker, main);
  // and the same module within the budget (30 deep) succeeds with identical fuel in both
  const shallow = await wat2wasm(c.text.replace('(; LOCALS ;)', 'f64 '.repeat(1000)).replace('(i32.const 200)', '(i32.const 30)'));
  const okMain = sb.run(sb.load(shallow, lim), input());
  const okWorker = await runInWorker({ wasm: shallow, limits: lim, input: input(), timeoutMs: 60_000, compiled: sb.compiledModule(sb.load(shallow, lim)) });
  assert.equal(okWorker.fuelUsed, okMain.fuelUsed);
  assert.equal(fingerprint(okWorker), fingerprint(okMain));
});

test('worker state reads go through the caller\'s StateView (children, kv, trust)', async () => {
  const probe = ascBuild('test/execute/assembly/probe.ts');
  const sb = new Sandbox({ sha256 });
  const hostcalls = (await import('../../host/src/execute/index.ts')).HOSTCALLS.map((h) => h.name);
  const lim = { hostcalls, fuel: 10_000_000n, memoryPages: 16, maxDepth: 500 };
  const mod = sb.load(probe, lim);
  const main = fingerprint(sb.run(mod, fixtureInput()));
  assert.equal(fingerprint(await runInWorker({ wasm: probe, limits: lim, input: fixtureInput(), timeoutMs: 30_000, compiled: sb.compiledModule(mod) })), main);
});

test('wall-clock backstop: an infinite loop with a huge budget is terminated with TIMEOUT; a normal run is not', async () => {
  // a host policy that lifts the default fuel ceiling, so only the wall clock can end the loop
  const policy = { maxFuel: 1n << 62n };
  const sb = new Sandbox({ sha256, policy });
  const lim = { hostcalls: [], fuel: 1n << 62n, memoryPages: 4, maxDepth: 10 };
  const loop = await wat2wasm(readCorpus('infinite-loop.wat').text);
  const t0 = Date.now();
  await assert.rejects(runInWorker({ wasm: loop, limits: lim, input: input(), timeoutMs: 3000, policy, compiled: sb.compiledModule(sb.load(loop, lim)) }),
    (e: unknown) => e instanceof KapsuleError && e.code === 'TIMEOUT');
  assert.ok(Date.now() - t0 < 15_000);
  const echo = readCorpus('guest-echo.wat');
  const ew = await wat2wasm(echo.text);
  const elim = { ...lim, hostcalls: echo.hostcalls };
  const ok = await runInWorker({ wasm: ew, limits: elim, input: input(), timeoutMs: 3000, compiled: sb.compiledModule(sb.load(ew, elim)) });
  assert.equal(ok.ok, true);
});
