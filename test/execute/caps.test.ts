/**
 * Validity never depends on the host's JS stack or on binaryen's parser: code caps (code.ts) are enforced on the
 * original bytes before anything compiles; every cap is MODULE_INVALID naming it, and modules AT the caps are
 * instrumented (iteratively) and run. Custom sections never reach binaryen. Multi-value blocks are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, MODULE_CAPS, MemoryCompiledCache, COST_TABLE, compiledCacheKey } from '../../host/src/execute/index.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { toHex } from '../../host/src/bytes.ts';
import { nestBody, sha256, wat2wasm } from './_helpers.ts';

const limits = { hostcalls: [], fuel: 10_000_000n, memoryPages: 1, maxDepth: 100 };

/** The outcome of one run; `fuel` is what the module's code used (the run's start charge, COST_TABLE.runBase, taken off). */
function outcome(sb: Sandbox, wasm: Uint8Array): { code: string; cap?: unknown; fuel?: bigint; message?: string } {
  try {
    const r = sb.run(sb.load(wasm, limits), fixtureInput());
    return { code: 'ok', fuel: r.fuelUsed - BigInt(COST_TABLE.runBase) };
  } catch (e) {
    if (e instanceof KapsuleError) return { code: e.code, cap: e.details?.cap, message: e.message };
    throw e;
  }
}

/** A module whose `run` has the given body (flat WAT text; wabt handles flat code of any length). */
const runModule = (body: string, locals = '') => wat2wasm(`(module (memory 1 1) (func (export "run") (result i32) ${locals} ${body}))`);

test('the caps are the documented ones', () => {
  assert.equal(MODULE_CAPS.maxFunctionBytes, 128 * 1024);
  assert.equal(MODULE_CAPS.maxCodeBytes, 512 * 1024);
  assert.equal(MODULE_CAPS.maxNesting, 512);
  assert.equal(MODULE_CAPS.maxExpressionDepth, 512);
  assert.equal(MODULE_CAPS.maxStackHeight, 512);
  assert.equal(MODULE_CAPS.maxBrTableTargets, 4096);
  assert.equal(MODULE_CAPS.maxOptimizingWeight, 2 * 1024 * 1024);
});

test('nesting: 512 nested blocks load and run; 513 are MODULE_INVALID (maxNesting)', async () => {
  const sb = new Sandbox({ sha256 });
  const skeleton = await wat2wasm(`(module (memory 1 1) (func $inner (export "inner") (nop))
    (func (export "run") (result i32) (call $inner) (i32.const 0)))`);
  // run: entry 2 + call 4; $inner (a leaf): entry 2
  assert.deepEqual(outcome(sb, nestBody(skeleton, 'inner', 512)), { code: 'ok', fuel: 8n });
  assert.equal(outcome(sb, nestBody(skeleton, 'inner', 513)).cap, 'maxNesting');
});

/** Runs `f` with about half of this thread's JS stack already in use (measured, not assumed). */
function withHalfStackUsed<T>(f: () => T): T {
  let max = 0;
  const probe = (d: number): void => { max = d; probe(d + 1); };
  try { probe(0); } catch { /* RangeError: found the depth */ }
  const down = (d: number): T => (d <= 0 ? f() : down(d - 1));
  return down(Math.floor(max / 2));
}

test('at every cap at once, binaryen needs well under half the stack a supported thread has', async () => {
  // $inner: 256 × (loop (if (i32.eqz (local.get 0)) (then …))) — 512 nesting, ~1,000 levels once instrumented —
  // around an expression 509 deep and then 511 values on the operand stack
  const deep = await wat2wasm(`(module (memory 1 1)
    (func $inner (export "inner") (param i32) i32.const 7 ${'i32.eqz '.repeat(508)} local.set 0 ${'i32.const 1 '.repeat(509)} ${'i32.add '.repeat(508)} local.set 0)
    (func (export "run") (result i32) (call $inner (i32.const 0)) (i32.const 0)))`);
  const wasm = nestBody(deep, 'inner', 256, [0x03, 0x40, 0x20, 0x00, 0x45, 0x04, 0x40], [0x0b, 0x0b]);
  const sb = new Sandbox({ sha256 });
  const o = withHalfStackUsed(() => outcome(sb, wasm));
  assert.equal(o.code, 'ok', o.message);
});

test('expression depth: a chain of 511 unary operations runs; 512 is MODULE_INVALID (maxExpressionDepth)', async () => {
  const sb = new Sandbox({ sha256 });
  // i32.const (depth 1) + n × i32.eqz (depth 1 + n); eqz applied an odd number of times to 7 is 0
  const chain = (n: number) => runModule(`i32.const 7 ${'i32.eqz '.repeat(n)}`);
  assert.deepEqual(outcome(sb, await chain(511)), { code: 'ok', fuel: 513n });
  assert.equal(outcome(sb, await chain(512)).cap, 'maxExpressionDepth');
});

test('operand stack: 512 values on the stack run; 513 are MODULE_INVALID (maxStackHeight)', async () => {
  const sb = new Sandbox({ sha256 });
  const stack = (n: number) => runModule(`${'i32.const 0 '.repeat(n)} ${'i32.add '.repeat(n - 1)}`);
  assert.equal(outcome(sb, await stack(512)).code, 'ok');
  assert.equal(outcome(sb, await stack(513)).cap, 'maxStackHeight');
});

test('br_table: 4096 targets run; 4097 are MODULE_INVALID (maxBrTableTargets)', async () => {
  const sb = new Sandbox({ sha256 });
  const table = (n: number) => runModule(`(block (br_table ${'0 '.repeat(n - 1)} 0 (i32.const 3))) (i32.const 0)`);
  assert.equal(outcome(sb, await table(4096)).code, 'ok');
  assert.equal(outcome(sb, await table(4097)).cap, 'maxBrTableTargets');
});

test('function size and code size caps', async () => {
  const sb = new Sandbox({ sha256 });
  // body = locals vector (1 byte) + nops + i32.const 0 (2) + end (1)
  const nops = (n: number) => runModule(`${'nop '.repeat(n)} i32.const 0`);
  assert.equal(outcome(sb, await nops(MODULE_CAPS.maxFunctionBytes - 4)).code, 'ok');
  assert.equal(outcome(sb, await nops(MODULE_CAPS.maxFunctionBytes - 3)).cap, 'maxFunctionBytes');
  // five functions of 120 KB: each under the function cap, together over the code cap
  const f = `(func ${'nop '.repeat(120_000)})`;
  const big = await wat2wasm(`(module (memory 1 1) ${f.repeat(5)} (func (export "run") (result i32) (i32.const 0)))`);
  assert.equal(outcome(sb, big).cap, 'maxCodeBytes');
});

test('optimising-compiler weight: branches × locals beyond the cap are MODULE_INVALID', async () => {
  const sb = new Sandbox({ sha256 });
  const brifs = (n: number, locals: number) => wat2wasm(`(module (memory 1 1)
    (func $f (param i32) (local ${'i64 '.repeat(locals)}) (block ${'(br_if 0 (local.get 0)) '.repeat(n)}))
    (func (export "run") (result i32) (call $f (i32.const 0)) (i32.const 0)))`);
  // weight of $f = control points × (16 + locals): n br_ifs + block + end
  const under = Math.floor(MODULE_CAPS.maxOptimizingWeight / (1001 + 16)) - 4;
  assert.equal(outcome(sb, await brifs(under, 1000)).code, 'ok');
  assert.equal(outcome(sb, await brifs(under + 10, 1000)).cap, 'maxOptimizingWeight');
});

test('30,000 children in one block: instrumented iteratively, charged as one metered block (130,000 nops: corpus)', async () => {
  const sb = new Sandbox({ sha256 });
  // 30,000 × (local.set of a const) = 30,000 fuel in one metered block, + the function entry
  assert.deepEqual(outcome(sb, await runModule(`${'(local.set 0 (i32.const 1)) '.repeat(30_000)} i32.const 0`, '(local i32)')),
    { code: 'ok', fuel: 30_002n });
});

test('custom sections never reach binaryen: a truncated name section, an unknown custom section, a valid name section', async () => {
  const base = await runModule('(i32.const 0)');
  const custom = (name: string, payload: number[]) => {
    const n = new TextEncoder().encode(name);
    const body = [n.length, ...n, ...payload];
    return new Uint8Array([...base, 0, body.length, ...body]);
  };
  const truncatedName = custom('name', [1, 0x20, 2, 0, 1, 0x61]);
  const junk = custom('whatever', [0xff, 0xff, 0xff]);
  const cache = new MemoryCompiledCache();
  const sb = new Sandbox({ sha256, cache });
  for (const wasm of [truncatedName, junk]) assert.deepEqual(outcome(sb, wasm), { code: 'ok', fuel: 2n });
  // the instrumented bytes are the same whatever custom sections the original had
  const inst = (w: Uint8Array) => cache.get(compiledCacheKey(toHex(sha256(w)))) as Uint8Array;
  assert.deepEqual(inst(truncatedName), inst(junk));
  const named = await wat2wasm('(module (memory 1 1) (func $some_name (export "run") (result i32) (i32.const 0)))');
  outcome(sb, named);
  assert.deepEqual(inst(named), inst(truncatedName));
  // a custom section whose own name runs past the section is malformed: refused by the section reader
  const badName = new Uint8Array([...base, 0, 2, 9, 0x61]);
  assert.equal(outcome(sb, badName).code, 'MODULE_INVALID');
});

test('multi-value blocks are refused by name; a typed block of () -> (i32) is plain MVP and accepted', async () => {
  const sb = new Sandbox({ sha256 });
  for (const wat of [
    '(type $t (func (param i32) (result i32))) (func (export "run") (result i32) (i32.const 1) (block (type $t) (i32.sub (i32.const 1))))',
    '(type $t (func (param i32 i32) (result i32))) (func (export "run") (result i32) (i32.const 1) (i32.const 1) (block (type $t) (i32.sub)))',
    '(type $t (func (param i32) (result i32))) (func (export "run") (result i32) (i32.const 1) (loop (type $t) (i32.sub (i32.const 1))))',
  ]) {
    const o = outcome(sb, await wat2wasm(`(module (memory 1 1) ${wat})`, ['multi_value']));
    assert.equal(o.code, 'MODULE_INVALID');
    assert.match(o.message!, /multi-value/);
  }
  const mvp = await wat2wasm('(module (memory 1 1) (type $t (func (result i32))) (func (export "run") (result i32) (block (type $t) (i32.const 0))))', ['multi_value']);
  assert.equal(outcome(sb, mvp).code, 'ok');
});

test('refused instructions are named by the code reader (SIMD, atomics, tail calls, exceptions, reference types)', async () => {
  const sb = new Sandbox({ sha256 });
  const cases: [string, string[], RegExp][] = [
    ['(func (export "run") (result i32) (i32x4.extract_lane 0 (i32x4.splat (i32.const 7))))', ['simd'], /SIMD/],
    ['(func (export "run") (result i32) (i32.atomic.load (i32.const 0)))', ['threads'], /atomics/],
    ['(func $f (result i32) (i32.const 0)) (func (export "run") (result i32) (return_call $f))', ['tail_call'], /tail call/],
    ['(func (export "run") (result i32) (ref.is_null (ref.null func)))', ['reference_types'], /reference types/],
  ];
  for (const [body, features, re] of cases) {
    const o = outcome(sb, await wat2wasm(`(module (memory 1 1) ${body})`, features));
    assert.equal(o.code, 'MODULE_INVALID', body);
    assert.match(o.message!, re, body);
  }
});
