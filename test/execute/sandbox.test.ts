/** Sandbox behaviour: fuel model, exact depth, cache, memory pool, hostcall conventions, write buffering, policy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Sandbox, MemoryCompiledCache, COST_TABLE, COST_TABLE_HASH, INSTRUMENTER_VERSION, MAX_DEPTH_CEILING, compiledCacheKey, depthForFrame,
} from '../../host/src/execute/index.ts';
import { measureFrames } from '../../host/src/execute/code.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { toHex } from '../../host/src/bytes.ts';
import { sha256, wat2wasm } from './_helpers.ts';

const limits = (o: Partial<{ hostcalls: string[]; fuel: bigint; memoryPages: number; maxDepth: number }> = {}) =>
  ({ hostcalls: [], fuel: 1_000_000n, memoryPages: 4, maxDepth: 100, ...o });

function code(fn: () => unknown): { code: string; details: Record<string, unknown>; message: string } {
  try { fn(); } catch (e) {
    if (e instanceof KapsuleError) return { code: e.code, details: e.details ?? {}, message: e.message };
    throw e;
  }
  assert.fail('expected a KapsuleError');
}

test('INSTRUMENTER_VERSION and COST_TABLE_HASH identify the metering; the cache key contains both', () => {
  assert.match(COST_TABLE_HASH, /^[0-9a-f]{64}$/);
  assert.ok(INSTRUMENTER_VERSION.includes('binaryen/132.0.0'));
  assert.equal(compiledCacheKey('ab'), `ab/${INSTRUMENTER_VERSION}/${COST_TABLE_HASH}`);
});

test('fuel model: an empty run costs the run\'s start and the function entry; each loop iteration costs its static body', async () => {
  const sb = new Sandbox({ sha256 });
  const empty = sb.load(await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))'), limits());
  assert.equal(sb.run(empty, fixtureInput()).fuelUsed, BigInt(COST_TABLE.runBase + COST_TABLE.functionEntry));
  const loop = async (n: number) => sb.load(await wat2wasm(`(module (memory 1 1)
    (func (export "run") (result i32) (local $i i32)
      (local.set $i (i32.const ${n}))
      (loop $l (br_if $l (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
      (i32.const 0)))`), limits());
  const f = async (n: number) => sb.run(await loop(n), fixtureInput()).fuelUsed;
  const [f1, f1001, f2001] = [await f(1), await f(1001), await f(2001)];
  // per iteration: loop header + br_if 1 + local.tee 1 + i32.sub 1 (local.get and const are free)
  const perIteration = BigInt(COST_TABLE.loopIteration + 3);
  assert.equal(f1001 - f1, 1000n * perIteration);
  assert.equal(f2001 - f1001, 1000n * perIteration);
});

/** A data segment placing the i32 `n` (little-endian) at address 0. */
const i32Data = (n: number) => `(data (i32.const 0) "${[0, 8, 16, 24].map((sh) => '\\' + ((n >>> sh) & 0xff).toString(16).padStart(2, '0')).join('')}")`;

test('depth is exact: run() is depth 1; limit L allows L frames and traps STACK_LIMIT at frame L+1', async () => {
  const sb = new Sandbox({ sha256 });
  // run calls $down(n); $down recurses while n > 1: total depth 1 + n
  const chain = async (n: number) => sb.load(await wat2wasm(`(module (memory 1 1) ${i32Data(n)}
    (func $down (param $n i32) (if (i32.gt_u (local.get $n) (i32.const 1)) (then (call $down (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "run") (result i32) (call $down (i32.load (i32.const 0))) (i32.const 0)))`), limits({ maxDepth: 50 }));
  assert.equal(sb.run(await chain(49), fixtureInput()).ok, true);
  const c50 = await chain(50);
  const err = code(() => sb.run(c50, fixtureInput()));
  assert.equal(err.code, 'STACK_LIMIT');
  assert.equal(err.details.maxDepth, 50);
});

test('depth: returns from any point restore the count (a loop of 10k calls with early returns never hits the limit)', async () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(await wat2wasm(`(module (memory 1 1)
    (func $f (param i32) (result i32)
      (if (i32.and (local.get 0) (i32.const 1)) (then (return (i32.const 1))))
      (block $b (br_if $b (i32.const 1)) (return (i32.const 2)))
      (i32.const 3))
    (func (export "run") (result i32) (local $i i32)
      (loop $l (drop (call $f (local.get $i))) (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10000))))
      (i32.const 0)))`), limits({ maxDepth: 2 }));
  assert.equal(sb.run(mod, fixtureInput()).ok, true);
});

test('manifest depth above the ceiling is clamped to MAX_DEPTH_CEILING and the stack budget; policy narrows fuel, pages, depth, hostcalls', async () => {
  const sb = new Sandbox({ sha256, policy: { maxFuel: 500n, maxMemoryPages: 2, maxDepth: 7, allowedHostcalls: new Set(['log']) } });
  const wasm = await wat2wasm('(module (memory 1 2) (func (export "run") (result i32) (i32.const 0)))');
  const m = sb.load(wasm, limits({ hostcalls: ['log', 'kv_set'], fuel: 10_000n, memoryPages: 8, maxDepth: 1_000_000 }));
  assert.deepEqual(m.limits, { hostcalls: ['log'], fuel: 500n, memoryPages: 2, maxDepth: 7 });
  // without a policy: the depth ceiling, then the stack budget ÷ the largest frame (a few slots here)
  const cache = new MemoryCompiledCache();
  const open = new Sandbox({ sha256, cache }).load(wasm, limits({ maxDepth: 1_000_000 }));
  const slots = measureFrames(cache.get(compiledCacheKey(open.id)) as Uint8Array).maxFrameSlots;
  assert.ok(slots > 0 && slots < 8, `slots ${slots}`);
  assert.equal(open.limits.maxDepth, Math.min(MAX_DEPTH_CEILING, depthForFrame(slots)));
  const kv = await wat2wasm(`(module (import "kapsule_v1" "kv_set" (func (param i32 i32 i32 i32) (result i32))) (memory 1 1)
    (func (export "run") (result i32) (i32.const 0)))`);
  const e = code(() => sb.load(kv, limits({ hostcalls: ['kv_set'] })));
  assert.equal(e.code, 'MODULE_INVALID');
  assert.match(e.message, /kapsule_v1\.kv_set/);
});

test('cache: a second load hits the cache (no re-instrumentation); a second sandbox reuses the persisted bytes', async () => {
  const cache = new MemoryCompiledCache();
  const wasm = await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))');
  const a = new Sandbox({ sha256, cache });
  const m1 = a.load(wasm, limits());
  const m2 = a.load(wasm, limits({ fuel: 5n }));
  assert.equal(a.stats.instrumented, 1);
  assert.equal(a.stats.compiled, 1);
  assert.equal(a.stats.cacheHits, 1);
  assert.equal(m1.id, toHex(sha256(wasm)));
  assert.equal(m2.limits.fuel, 5n);
  assert.equal(cache.size, 1);
  const b = new Sandbox({ sha256, cache });
  b.load(wasm, limits());
  assert.equal(b.stats.instrumented, 0);
  assert.equal(b.stats.cacheHits, 1);
  assert.equal(b.run(b.load(wasm, limits()), fixtureInput()).fuelUsed, a.run(m1, fixtureInput()).fuelUsed);
});

test('validation happens on every load, even on a cache hit (limits are not part of the key)', async () => {
  const sb = new Sandbox({ sha256 });
  const wasm = await wat2wasm(`(module (import "kapsule_v1" "log" (func (param i32 i32))) (memory 1 1)
    (func (export "run") (result i32) (i32.const 0)))`);
  sb.load(wasm, limits({ hostcalls: ['log'] }));
  assert.equal(code(() => sb.load(wasm, limits({ hostcalls: [] }))).code, 'MODULE_INVALID');
});

test('pooled imported memory: reused and wiped between runs (new instances, and a kept instance reset)', async () => {
  for (const reuseInstances of [false, true]) {
    const sb = new Sandbox({ sha256, reuseInstances });
    // output: [memory.size, byte 100 as found]; then dirties byte 100
    const mod = sb.load(await wat2wasm(`(module
      (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
      (import "env" "memory" (memory 1))
      (func (export "run") (result i32)
        (i32.store8 (i32.const 0) (memory.size))
        (i32.store8 (i32.const 1) (i32.load8_u (i32.const 100)))
        (i32.store8 (i32.const 100) (i32.const 0xee))
        (drop (call $submit (i32.const 0) (i32.const 2)))
        (i32.const 0)))`), limits({ hostcalls: ['submit_capsule_result'] }));
    for (let i = 0; i < 3; i++) assert.deepEqual(sb.run(mod, fixtureInput()).output, new Uint8Array([1, 0]));
    if (reuseInstances) assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [1, 2], 'the instance is kept and reset');
    else assert.ok(sb.poolStats().reused >= 2, 'memories are reused');
  }
});

test('pooled memory that grew is not reused at its new size', async () => {
  const sb = new Sandbox({ sha256, reuseInstances: false });
  const mod = sb.load(await wat2wasm(`(module
    (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
    (import "env" "memory" (memory 1))
    (func (export "run") (result i32)
      (i32.store8 (i32.const 0) (memory.size))
      (drop (call $submit (i32.const 0) (i32.const 1)))
      (drop (memory.grow (i32.const 1)))
      (i32.const 0)))`), limits({ hostcalls: ['submit_capsule_result'] }));
  const before = sb.poolStats().created;
  for (let i = 0; i < 3; i++) assert.deepEqual(sb.run(mod, fixtureInput()).output, new Uint8Array([1]));
  assert.equal(sb.poolStats().created - before, 3, 'every grown memory was discarded');
});

test('buffer convention: a too-small buffer gets the needed length back and nothing is copied', async () => {
  const sb = new Sandbox({ sha256 });
  // get_payload into cap 4 at address 16 (pre-filled 0xaa): returns 13, memory unchanged; output = [ret, mem[16..20]]
  const mod = sb.load(await wat2wasm(`(module
    (import "kapsule_v1" "get_payload" (func $get (param i32 i32) (result i32)))
    (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
    (memory 1 1) (data (i32.const 16) "\\aa\\aa\\aa\\aa")
    (func (export "run") (result i32)
      (i32.store8 (i32.const 0) (call $get (i32.const 16) (i32.const 4)))
      (i32.store (i32.const 1) (i32.load (i32.const 16)))
      (drop (call $submit (i32.const 0) (i32.const 5)))
      (i32.const 0)))`), limits({ hostcalls: ['get_payload', 'submit_capsule_result'] }));
  assert.deepEqual(sb.run(mod, fixtureInput()).output, new Uint8Array([13, 0xaa, 0xaa, 0xaa, 0xaa]));
  const none = sb.run(mod, fixtureInput({ payload: null })).output;
  assert.equal(none[0], 0xff, 'absent payload: status -1');
});

test('reads after writes see the buffered value; the snapshot is untouched; a failed run returns nothing', async () => {
  const sb = new Sandbox({ sha256 });
  const src = (trap: boolean) => `(module
    (import "kapsule_v1" "get_trust_score" (func $get (param i32 i32) (result i64)))
    (import "kapsule_v1" "set_trust_score" (func $set (param i32 i32 i64) (result i32)))
    (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
    (memory 1 1) (data (i32.const 0) "${'\\55'.repeat(32)}")
    (func (export "run") (result i32)
      (i64.store (i32.const 64) (call $get (i32.const 0) (i32.const 32)))
      (drop (call $set (i32.const 0) (i32.const 32) (i64.const 42)))
      (i64.store (i32.const 72) (call $get (i32.const 0) (i32.const 32)))
      (drop (call $submit (i32.const 64) (i32.const 16)))
      ${trap ? 'unreachable' : ''}
      (i32.const 0)))`;
  const hc = ['get_trust_score', 'set_trust_score', 'submit_capsule_result'];
  const input = fixtureInput();
  const ok = sb.run(sb.load(await wat2wasm(src(false)), limits({ hostcalls: hc })), input);
  const dv = new DataView(ok.output.buffer);
  assert.equal(dv.getBigInt64(0, true), 750_000n);
  assert.equal(dv.getBigInt64(8, true), 42n);
  assert.equal(input.state.trustScore(new Uint8Array(32).fill(0x55)), 750_000n);
  assert.deepEqual([...ok.writes.trust], [['55'.repeat(32), 42n]]);
  const sbBad = sb.load(await wat2wasm(src(true)), limits({ hostcalls: hc }));
  const bad = code(() => sb.run(sbBad, input));
  assert.equal(bad.code, 'TRAP');
  assert.equal('writes' in bad.details, false);
});

test('AssemblyScript: allocating past the memory cap is MEMORY_LIMIT; a failed assert is TRAP with its message', async () => {
  const { ascBuild } = await import('./_helpers.ts');
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(ascBuild('test/execute/assembly/hog.ts'), limits({ hostcalls: ['get_payload', 'submit_capsule_result'], fuel: 100_000_000n, memoryPages: 8 }));
  assert.deepEqual(sb.run(mod, fixtureInput({ payload: new Uint8Array([3, 0]) })).output, new Uint8Array([3]));
  const e = code(() => sb.run(mod, fixtureInput({ payload: new Uint8Array([20, 0]) })));
  assert.equal(e.code, 'MEMORY_LIMIT');
  assert.equal(e.details.memoryPages, 8);
  const t = code(() => sb.run(mod, fixtureInput({ payload: new Uint8Array([1, 1]) })));
  assert.equal(t.code, 'TRAP');
  assert.deepEqual((t.details.abort as { message: string }).message, 'second byte must be zero');
  assert.match((t.details.abort as { file: string }).file, /hog\.ts$/);
});

test('loadAsync gives the same module as load (same id, limits, outcome)', async () => {
  const wasm = await wat2wasm(`(module (import "kapsule_v1" "get_parent_count" (func $pc (result i32))) (memory 1 1)
    (func (export "run") (result i32) (i32.sub (call $pc) (i32.const 2))))`);
  const l = limits({ hostcalls: ['get_parent_count'] });
  const a = new Sandbox({ sha256 });
  const b = new Sandbox({ sha256 });
  const ma = a.load(wasm, l);
  const mb = await b.loadAsync(wasm, l);
  assert.equal(mb.id, ma.id);
  assert.deepEqual(mb.limits, ma.limits);
  assert.equal(b.run(mb, fixtureInput()).fuelUsed, a.run(ma, fixtureInput()).fuelUsed);
  assert.equal(code(() => b.run(mb, fixtureInput({ parents: [] }))).code, 'TRAP');
});

test('a run is not re-entrant and a foreign LoadedModule is refused', async () => {
  const sb = new Sandbox({ sha256 });
  assert.throws(() => sb.run({ id: 'x', limits: limits(), hasQuery: false }, fixtureInput()), TypeError);
  const wasm = await wat2wasm(`(module (import "kapsule_v1" "get_parent_count" (func $pc (result i32))) (memory 1 1)
    (func (export "run") (result i32) (drop (call $pc)) (i32.const 0)))`);
  const mod = sb.load(wasm, limits({ hostcalls: ['get_parent_count'] }));
  const input = fixtureInput();
  // a StateView that tries to start another run from inside a hostcall (the host would be re-entered)
  const evil = { ...input, parents: new Proxy(input.parents, { get: (t, k) => { if (k === 'length') sb.run(mod, input); return Reflect.get(t, k); } }) };
  assert.equal(code(() => sb.run(mod, evil)).code, 'USAGE');
  assert.equal(sb.run(mod, input).ok, true, 'the sandbox is usable afterwards');
});
