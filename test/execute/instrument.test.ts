/**
 * The instrumenter preserves semantics: the same exports return the same values before and after instrumentation,
 * over control flow of every shape it rewrites (nested blocks with values, br_if/br_table out of loops, returns
 * from inside loops and blocks, select, calls through a table, bulk memory, memory.grow, float ops).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, MemoryCompiledCache, compiledCacheKey } from '../../host/src/execute/index.ts';
import { toHex } from '../../host/src/bytes.ts';
import { ascBuild, sha256, wat2wasm } from './_helpers.ts';

const SHAPES = `(module
  (memory (export "memory") 1 4)
  (table 3 funcref)
  (elem (i32.const 0) $double $negate $square)
  (type $un (func (param i32) (result i32)))
  (func $double (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (func $negate (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  ;; returns from inside a loop and a block, br_table with values
  (func $classify (export "classify") (param $x i32) (result i32) (local $i i32)
    (block $out (result i32)
      (loop $l
        (if (i32.gt_s (local.get $i) (i32.const 20)) (then (return (i32.const -1))))
        (if (i32.eq (local.get $i) (local.get $x)) (then (br $out (i32.mul (local.get $i) (i32.const 10)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))
      (i32.const 99)))
  (func (export "table") (param $x i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (i32.rem_u (local.get $x) (i32.const 4))))
      (return (call_indirect (type $un) (local.get $x) (i32.const 0))))
      (return (call_indirect (type $un) (local.get $x) (i32.const 1))))
      (return (call_indirect (type $un) (local.get $x) (i32.const 2))))
    (select (i32.const 7) (i32.const 8) (i32.and (local.get $x) (i32.const 8))))
  ;; values flowing out of nested blocks, br_if with value, a loop with a result
  (func (export "nested") (param $x i32) (result i32) (local $acc i32)
    (i32.add
      (block $b1 (result i32)
        (drop (br_if $b1 (i32.const 5) (i32.eqz (local.get $x))))
        (i32.add (block $b2 (result i32) (br_if $b2 (i32.const 3) (i32.gt_u (local.get $x) (i32.const 10))) (drop) (i32.const 4)) (local.get $x)))
      (loop $l (result i32)
        (local.set $acc (i32.add (local.get $acc) (i32.add (local.get $x) (i32.const 1))))
        (br_if $l (i32.lt_u (local.get $acc) (i32.const 1000)))
        (local.get $acc))))
  ;; recursion with early return, bulk memory, grow
  (func $sum (export "sum") (param $n i32) (result i32)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (i32.add (local.get $n) (call $sum (i32.sub (local.get $n) (i32.const 1)))))
  (func (export "bulk") (param $x i32) (result i32)
    (memory.fill (i32.const 100) (local.get $x) (i32.const 50))
    (memory.copy (i32.const 200) (i32.const 100) (i32.const 50))
    (i32.add (i32.load8_u (i32.const 249)) (i32.mul (memory.grow (i32.const 0)) (i32.const 1000))))
  ;; floats (no NaN involved): results must be bit-identical
  (func (export "float") (param $x i32) (result i64)
    (i64.reinterpret_f64 (f64.add (f64.sqrt (f64.convert_i32_s (local.get $x))) (f64.copysign (f64.const 1.5) (f64.convert_i32_s (i32.sub (i32.const 3) (local.get $x)))))))
  (func (export "run") (result i32) (i32.const 0)))`;

function instrumentedBytes(wasm: Uint8Array): Uint8Array {
  const cache = new MemoryCompiledCache();
  new Sandbox({ sha256, cache }).load(wasm, { hostcalls: ['get_payload', 'submit_capsule_result'], fuel: 1n, memoryPages: 64, maxDepth: 10 });
  return cache.get(compiledCacheKey(toHex(sha256(wasm))))!;
}

function instantiate(bytes: Uint8Array, metered: boolean, imports: WebAssembly.Imports = {}): WebAssembly.Exports {
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports).exports;
  if (metered) {
    (e.__kapsule_fuel as WebAssembly.Global).value = 1n << 60n;
    (e.__kapsule_depth as WebAssembly.Global).value = 5000;
    (e.__kapsule_start as (() => void) | undefined)?.();
  }
  return e;
}

test('control-flow shapes: instrumented exports return exactly what the originals return', async () => {
  const wasm = await wat2wasm(SHAPES);
  const inst = instrumentedBytes(wasm);
  for (const name of ['classify', 'table', 'nested', 'sum', 'bulk', 'float']) {
    for (const x of [0, 1, 2, 3, 5, 9, 11, 12, 19, 20, 21, 100, 255]) {
      const a = (instantiate(wasm, false)[name] as (x: number) => unknown)(x);
      const b = (instantiate(inst, true)[name] as (x: number) => unknown)(x);
      assert.equal(b, a, `${name}(${x})`);
    }
  }
});

test('AssemblyScript work module: instrumented exports match the original (fib, float/memory loop)', () => {
  const wasm = ascBuild('test/execute/assembly/work.ts');
  const inst = instrumentedBytes(wasm);
  const imports = () => ({
    kapsule_v1: { get_payload: () => -1, submit_capsule_result: () => 0 },
    env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 64 }), abort: () => { throw new Error('abort'); } },
  });
  const a = instantiate(wasm, false, imports());
  const b = instantiate(inst, true, imports());
  for (const n of [0, 1, 10, 20]) assert.equal((b.fibonacci as (n: number) => number)(n), (a.fibonacci as (n: number) => number)(n));
  assert.equal((b.cpu as (n: number) => bigint)(12), (a.cpu as (n: number) => bigint)(12));
});

test('instrumentation is deterministic: the same bytes give the same instrumented bytes', async () => {
  const wasm = await wat2wasm(SHAPES);
  assert.deepEqual(instrumentedBytes(wasm), instrumentedBytes(wasm));
});
