/**
 * The native stack never decides an outcome: at load, call depth is clamped so that depth × the module's largest
 * frame estimate fits STACK_BUDGET_BYTES (bounds.ts). These tests hold the estimate against V8 itself: recursion
 * to the clamped depth, started with a large part of the thread's stack already in use, always ends on the
 * COUNTED limit (STACK_LIMIT without `native`), whatever the frame is made of.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, MemoryCompiledCache, compiledCacheKey, MAX_DEPTH_CEILING, STACK_BUDGET_BYTES, depthForFrame, frameBytes } from '../../host/src/execute/index.ts';
import { measureFrames } from '../../host/src/execute/code.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { toHex } from '../../host/src/bytes.ts';
import { corpusWasm, readCorpus, sha256, wat2wasm } from './_helpers.ts';

/** Runs `f` with `fraction` of this thread's JS stack already in use (found by probing, not assumed). */
function withStackUsed<T>(fraction: number, f: () => T): T {
  let max = 0;
  const probe = (d: number): void => { max = d; probe(d + 1); };
  try { probe(0); } catch { /* RangeError: found the depth */ }
  const down = (d: number): T => (d <= 0 ? f() : down(d - 1));
  return down(Math.floor(max * fraction));
}

/** A function recursing without end, with `locals` locals of `type` and `stack` values live across the call. */
function recursion(locals: number, type: string, stack: number): string {
  const l = locals ? `(local ${`${type} `.repeat(locals)})` : '';
  const push = 'i64.const 1 '.repeat(stack);
  const pop = 'i64.add '.repeat(stack);
  return `(module (memory 1 1)
    (func $f (param $n i32) (result i64) ${l}
      ${push}
      (call $f (i32.add (local.get $n) (i32.const 1)))
      ${pop})
    (func (export "run") (result i32) (drop (call $f (i32.const 0))) (i32.const 0)))`;
}

function stackLimit(sb: Sandbox, wasm: Uint8Array, maxDepth: number): KapsuleError {
  const mod = sb.load(wasm, { hostcalls: [], fuel: 1n << 40n, memoryPages: 1, maxDepth });
  try { sb.run(mod, fixtureInput()); } catch (e) { if (e instanceof KapsuleError) return e; throw e; }
  assert.fail('the recursion ended');
}

test('depth is clamped to the stack budget ÷ the largest frame estimate, a pure function of the module', async () => {
  const cache = new MemoryCompiledCache();
  const sb = new Sandbox({ sha256, cache });
  const wasm = await wat2wasm(recursion(1000, 'f64', 0));
  const mod = sb.load(wasm, { hostcalls: [], fuel: 1000n, memoryPages: 1, maxDepth: 100_000 });
  const slots = measureFrames(cache.get(compiledCacheKey(toHex(sha256(wasm)))) as Uint8Array).maxFrameSlots;
  assert.ok(slots >= 1001, `slots ${slots}`);
  assert.equal(mod.limits.maxDepth, depthForFrame(slots));
  assert.equal(mod.limits.maxDepth, Math.floor(STACK_BUDGET_BYTES / frameBytes(slots)));
  // a manifest asking less keeps its own limit; a second sandbox over the same cache (no instrumentation) agrees
  assert.equal(sb.load(wasm, { hostcalls: [], fuel: 1000n, memoryPages: 1, maxDepth: 10 }).limits.maxDepth, 10);
  const other = new Sandbox({ sha256, cache });
  assert.equal(other.load(wasm, { hostcalls: [], fuel: 1000n, memoryPages: 1, maxDepth: 100_000 }).limits.maxDepth, depthForFrame(slots));
  assert.equal(other.stats.instrumented, 0);
  // small frames: the depth ceiling applies first
  const tiny = await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))');
  assert.equal(sb.load(tiny, { hostcalls: [], fuel: 1000n, memoryPages: 1, maxDepth: 100_000 }).limits.maxDepth, Math.min(MAX_DEPTH_CEILING, depthForFrame(measureFrames(cache.get(compiledCacheKey(toHex(sha256(tiny)))) as Uint8Array).maxFrameSlots)));
});

test('recursion to the clamped depth ends on the counted limit, not the engine\'s, with 40% of the main thread\'s stack in use', async () => {
  const sb = new Sandbox({ sha256 });
  for (const [locals, type, stack] of [[1000, 'f64', 0], [1000, 'i64', 450], [1000, 'i32', 450], [0, 'i32', 0], [100, 'f64', 100], [0, 'i32', 480]] as const) {
    const wasm = await wat2wasm(recursion(locals, type, stack));
    const e = withStackUsed(0.4, () => stackLimit(sb, wasm, 100_000));
    assert.equal(e.code, 'STACK_LIMIT', `${locals} ${type} locals, ${stack} on the stack: ${e.message}`);
    assert.equal(e.details?.native, undefined, `${locals} ${type} locals, ${stack} on the stack: the engine's stack ran out first`);
  }
});

test('big-frame corpus module: STACK_LIMIT at the clamped depth, same fuel every run and wherever the caller\'s stack is', async () => {
  const c = readCorpus('big-frame.wat');
  const wasm = await corpusWasm(c);
  const sb = new Sandbox({ sha256 });
  const fp = (e: KapsuleError) => JSON.stringify({ code: e.code, d: e.details }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const first = fp(stackLimit(sb, wasm, c.depth));
  assert.match(first, /"maxDepth":64/);
  for (const used of [0, 0.2, 0.4]) assert.equal(withStackUsed(used, () => fp(stackLimit(sb, wasm, c.depth))), first);
});
