/**
 * Host work is bounded or paid for (bounds.ts, costs.ts): the default fuel ceiling, the memory pool (its wipe paid
 * by the start charge), the transcript (hashed as it grows; its cap is test/corpus/log-flood.wat), and the cost
 * table's host-side charges (version 3, calibrated by bench/calibrate.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  Sandbox, DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING, POOL_MAX_PAGES, HOSTCALLS, COST_TABLE, COST_TABLE_HASH, encodeMeta,
} from '../../host/src/execute/index.ts';
import { fixtureInput, fixtureMeta, memoryState } from '../../host/src/execute/testing.ts';
import { sha256, sha256Stream, wat2wasm } from './_helpers.ts';

const lim = (o: Partial<{ hostcalls: string[]; fuel: bigint; memoryPages: number; maxDepth: number }> = {}) =>
  ({ hostcalls: [], fuel: 10_000_000n, memoryPages: 4, maxDepth: 100, ...o });
const T = COST_TABLE;
const START = BigInt(T.runBase);

test('fuel: without a policy the budget is min(manifest, DEFAULT_FUEL_CEILING); a policy sets its own ceiling', async () => {
  const wasm = await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))');
  assert.equal(DEFAULT_FUEL_CEILING, 1n << 30n);
  assert.equal(new Sandbox({ sha256 }).load(wasm, lim({ fuel: 1n << 62n })).limits.fuel, DEFAULT_FUEL_CEILING);
  assert.equal(new Sandbox({ sha256 }).load(wasm, lim({ fuel: 5000n })).limits.fuel, 5000n);
  assert.equal(new Sandbox({ sha256, policy: { maxFuel: 1n << 40n } }).load(wasm, lim({ fuel: 1n << 62n })).limits.fuel, 1n << 40n);
  assert.equal(new Sandbox({ sha256, policy: { maxFuel: 100n } }).load(wasm, lim({ fuel: 1n << 62n })).limits.fuel, 100n);
});

test('memory: without a policy the page cap is min(manifest, DEFAULT_MEMORY_PAGES_CEILING); a larger initial memory is refused', async () => {
  assert.equal(DEFAULT_MEMORY_PAGES_CEILING, 4096);
  const importing = (pages: number) => wat2wasm(`(module (import "env" "memory" (memory ${pages})) (func (export "run") (result i32) (i32.const 0)))`);
  const sb = new Sandbox({ sha256 });
  assert.equal(sb.load(await importing(1), lim({ memoryPages: 65536 })).limits.memoryPages, 4096);
  assert.equal(sb.load(await importing(4096), lim({ memoryPages: 65536 })).limits.memoryPages, 4096);
  let e: unknown = null;
  try { sb.load(await importing(4097), lim({ memoryPages: 65536 })); } catch (x) { e = x; }
  assert.ok(e instanceof Error && (e as { code?: string }).code === 'MODULE_INVALID' && /cap is 4096/.test(e.message), String(e));
  const owned = await wat2wasm('(module (memory 5000 5000) (func (export "run") (result i32) (i32.const 0)))');
  assert.throws(() => sb.load(owned, lim({ memoryPages: 65536 })), /exceeds the cap of 4096/);
  assert.equal(new Sandbox({ sha256, policy: { maxMemoryPages: 65536 } }).load(owned, lim({ memoryPages: 65536 })).limits.memoryPages, 65536);
});

test('pool: memories up to POOL_MAX_PAGES are reused (wiped); larger ones are fresh every run and never wiped', async () => {
  const mod = (pages: number) => wat2wasm(`(module (import "env" "memory" (memory ${pages}))
    (func (export "run") (result i32)
      (if (i32.load (i32.const 0)) (then (return (i32.const 9))))   ;; a leftover from the previous run
      (i32.store (i32.const 0) (i32.const 1))
      (i32.store8 (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)) (i32.const 1))
      (i32.const 0)))`);
  // the pool serves new instances (a kept, reset instance keeps its memory: test/execute/reset.test.ts)
  const sb = new Sandbox({ sha256, policy: { maxMemoryPages: 65536, maxFuel: 1n << 40n }, reuseInstances: false });
  const small = sb.load(await mod(POOL_MAX_PAGES), lim({ memoryPages: POOL_MAX_PAGES }));
  for (let i = 0; i < 3; i++) assert.equal(sb.run(small, fixtureInput()).ok, true);
  assert.deepEqual(sb.poolStats(), { created: 1, reused: 2 });
  const big = sb.load(await mod(POOL_MAX_PAGES + 1), lim({ memoryPages: POOL_MAX_PAGES + 1 }));
  for (let i = 0; i < 3; i++) assert.equal(sb.run(big, fixtureInput()).ok, true);
  assert.deepEqual(sb.poolStats(), { created: 4, reused: 2 }, 'three fresh memories, none reused');
  // 4 GiB imported (allowed by the policy), twice: the second run does not zero-fill 4 GiB first (nothing is pooled
  // to wipe); its initial memory is fresh, charged like memory.grow: 65,535 × memoryGrowPerPage, + the run
  const huge = sb.load(await wat2wasm(`(module (import "env" "memory" (memory 65536))
    (func (export "run") (result i32) (i32.store8 (i32.const 0xffffffff) (i32.const 1)) (i32.const 0)))`), lim({ fuel: 1n << 40n, memoryPages: 65536 }));
  const hugeFuel = START + 65_535n * BigInt(T.memoryGrowPerPage) + BigInt(T.functionEntry) + 1n; // + the store
  assert.equal(sb.run(huge, fixtureInput()).fuelUsed, hugeFuel);
  assert.equal(sb.run(huge, fixtureInput()).fuelUsed, hugeFuel);
  assert.deepEqual(sb.poolStats(), { created: 6, reused: 2 });
});

/** The transcript of `n` log calls of `len` bytes each, encoded independently from docs/ABI.md §Transcript. */
function logTranscriptHash(n: number, ptr: number, len: number, line: Uint8Array): Uint8Array {
  const id = HOSTCALLS.findIndex((h) => h.name === 'log');
  const rec = Buffer.alloc(2 + 16 + 4 + line.length + 4 + 8);
  let o = 0;
  rec[o++] = id; rec[o++] = 2;
  rec.writeBigInt64LE(BigInt(ptr), o); o += 8;
  rec.writeBigInt64LE(BigInt(len), o); o += 8;
  rec.writeUInt32LE(line.length, o); o += 4;
  Buffer.from(line).copy(rec, o); o += line.length;
  rec.writeUInt32LE(0, o); o += 4;
  rec.writeBigInt64LE(0n, o);
  const h = createHash('sha256').update('kapsule/transcript/v1');
  for (let i = 0; i < n; i++) h.update(rec);
  return new Uint8Array(h.digest());
}

test('transcript: hashed as it grows, the same value as hashing the whole record stream, with either incremental hash', async () => {
  const wasm = (n: number) => wat2wasm(`(module (import "kapsule_v1" "log" (func $log (param i32 i32))) (memory 1 1)
    (data (i32.const 100) "${'x'.repeat(1024)}")
    (func (export "run") (result i32) (local $i i32)
      (loop $l (call $log (i32.const 100) (i32.const 1024))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${n}))))
      (i32.const 0)))`);
  const line = new TextEncoder().encode('x'.repeat(1024));
  // 1 call (one-shot hash), 63 (just under one 64 KiB chunk), 65 and 500 (incremental, across chunks)
  for (const n of [1, 63, 65, 500]) {
    const w = await wasm(n);
    const want = logTranscriptHash(n, 100, 1024, line);
    for (const sb of [new Sandbox({ sha256 }), new Sandbox({ sha256, sha256Stream })]) {
      const out = sb.run(sb.load(w, lim({ hostcalls: ['log'], fuel: 100_000_000n })), fixtureInput());
      assert.deepEqual(out.transcriptHash, want, `${n} calls`);
    }
  }
});

test('hostcall charges (version 3): the first read of a list per child, each child decode once; values the host read or encoded are charged even when they do not fit, not when probed again', async () => {
  const hostcalls = ['get_child_metadata', 'get_child_count', 'get_parent_metadata', 'kv_get'];
  const imports = `(import "kapsule_v1" "get_child_metadata" (func $child (param i32 i32 i32 i32) (result i32)))
    (import "kapsule_v1" "get_child_count" (func $count (param i32) (result i32)))
    (import "kapsule_v1" "get_parent_metadata" (func $parent (param i32 i32 i32) (result i32)))
    (import "kapsule_v1" "kv_get" (func $kv (param i32 i32 i32 i32) (result i32)))`;
  // the calls (4 fuel per call instruction) against the same module with (drop (i32.const 0)) instead
  const body = (calls: string[]) => wat2wasm(`(module ${imports} (memory 1 1) (data (i32.const 0) "${'\\11'.repeat(32)}greeting")
    (func (export "run") (result i32) ${calls.map((c) => `(drop ${c})`).join(' ')} (i32.const 0)))`);
  const sb = new Sandbox({ sha256 });
  const fuel = async (calls: string[], input = fixtureInput()) => sb.run(sb.load(await body(calls), lim({ hostcalls })), input).fuelUsed;
  const none = (await fuel(['(i32.const 0)'])) + 4n;
  const spec = (n: string) => HOSTCALLS.find((h) => h.name === n)!.cost;
  const input = fixtureInput();
  const children = input.state.childCount!(new Uint8Array(32).fill(0x11));
  assert.ok(children >= 1);
  const child0 = encodeMeta(fixtureMeta({ id: new Uint8Array(32).fill(0xc1), kind: 'comment', parents: [new Uint8Array(32).fill(0x11)], flags: [], logic: null, payloadLength: 1 }));
  const parent0 = encodeMeta(input.parents[0]!);
  const C = spec('get_child_metadata'), N = spec('get_child_count'), P = spec('get_parent_metadata'), K = spec('kv_get');
  const list = BigInt(children * T.childListPerChild);
  const childCall = (cap: number, index = 0) => `(call $child (i32.const 0) (i32.const ${index}) (i32.const 1024) (i32.const ${cap}))`;
  const childFuel = BigInt(C.base + T.childDecode + C.perByte * (32 + child0.length));
  // get_child_metadata: base + decode + id + metadata, fitting or not; the first read of the list: per child listed
  assert.equal(await fuel([childCall(4096)]) - none, list + childFuel, 'delivered');
  assert.equal(await fuel([childCall(1)]) - none, list + childFuel, 'size probe');
  // a size probe then the read of the same child: decoded once; the read pays its base, the id and the bytes copied
  assert.equal(await fuel([childCall(1), childCall(4096)]) - none - 4n, list + childFuel + BigInt(C.base + C.perByte * (32 + child0.length)), 'probe, then read');
  assert.equal(await fuel([childCall(1), childCall(1)]) - none - 4n, list + childFuel + BigInt(C.base + C.perByte * 32), 'probe twice: the second is the base and the id');
  assert.equal(await fuel([childCall(4096, 7)]) - none, list + BigInt(C.base + C.perByte * 32), 'OUT_OF_RANGE');
  assert.equal(await fuel([childCall(4096)], fixtureInput({ state: memoryState({ children: null }) })) - none, BigInt(C.base + C.perByte * 32), 'UNAVAILABLE: no list');
  // the list is charged once per run, whichever call reads it first
  assert.equal(await fuel([childCall(4096), childCall(4096), '(call $count (i32.const 0))']) - none - 8n,
    list + childFuel + BigInt(C.base + C.perByte * (32 + child0.length)) + BigInt(N.base + N.perByte * 32), 'list charged once');
  // get_parent_metadata: base + metadata, fitting or not
  assert.equal(await fuel(['(call $parent (i32.const 0) (i32.const 1024) (i32.const 4096))']) - none, BigInt(P.base + P.perByte * parent0.length), 'parent delivered');
  assert.equal(await fuel(['(call $parent (i32.const 0) (i32.const 1024) (i32.const 0))']) - none, BigInt(P.base + P.perByte * parent0.length), 'parent size probe');
  assert.equal(await fuel(['(call $parent (i32.const 0) (i32.const 1024) (i32.const 0))', '(call $parent (i32.const 0) (i32.const 1024) (i32.const 0))']) - none - 4n,
    BigInt(2 * P.base + P.perByte * parent0.length), 'a repeated probe of an encoded parent costs the base');
  // kv_get of "greeting" = "hi": base + key + value, fitting or not; absent: base + key
  const kvState = fixtureInput({ state: { ...memoryState(), kvGet: (_m, k) => (new TextDecoder().decode(k) === 'greeting' ? new TextEncoder().encode('hi') : null) } });
  assert.equal(await fuel(['(call $kv (i32.const 32) (i32.const 8) (i32.const 1024) (i32.const 16))'], kvState) - none, BigInt(K.base + K.perByte * 10), 'kv delivered');
  assert.equal(await fuel(['(call $kv (i32.const 32) (i32.const 8) (i32.const 1024) (i32.const 0))'], kvState) - none, BigInt(K.base + K.perByte * 10), 'kv size probe');
  assert.equal(await fuel(['(call $kv (i32.const 32) (i32.const 7) (i32.const 1024) (i32.const 16))'], kvState) - none, BigInt(K.base + K.perByte * 7), 'kv absent');
  assert.match(COST_TABLE_HASH, /^[0-9a-f]{64}$/);
});

test('cost table: memory.grow and bulk memory pay for the engine call they make; a failing grow gives its pages back (bench/calibrate.ts)', async () => {
  const run = async (body: string, mem = '(import "env" "memory" (memory 1 2))') => {
    const sb = new Sandbox({ sha256 });
    return sb.run(sb.load(await wat2wasm(`(module ${mem} (func (export "run") (result i32) ${body} (i32.const 0)))`), lim({ memoryPages: 2 })), fixtureInput()).fuelUsed;
  };
  const base = await run('');
  const own = await run('', '(memory 1 2)');
  assert.equal(await run('(memory.fill (i32.const 0) (i32.const 0) (i32.const 64))') - base, BigInt(T.bulkBase) + (64n >> BigInt(T.bulkBytesShift)));
  assert.equal(await run('(memory.copy (i32.const 0) (i32.const 8) (i32.const 0))') - base, BigInt(T.bulkBase));
  assert.equal(await run('(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))', '(memory 1 2)') - own, BigInt(T.fillBaseOwnMemory), 'own memory: the slow path');
  assert.equal(await run('(memory.copy (i32.const 0) (i32.const 8) (i32.const 0))', '(memory 1 2)') - own, BigInt(T.bulkBaseOwnMemory), 'own memory: copy');
  assert.equal(await run('(drop (memory.grow (i32.const 0)))') - base, 1n + BigInt(T.memoryGrowBase));
  assert.equal(await run('(drop (memory.grow (i32.const 1)))') - base, 1n + BigInt(T.memoryGrowBase + T.memoryGrowPerPage));
  assert.equal(await run('(drop (memory.grow (i32.const 2)))') - base, 1n + BigInt(T.memoryGrowFailed), 'over the cap: fails, pages given back');
  // the pages must be affordable to try: a grow is refused for fuel before it is attempted
  const sb = new Sandbox({ sha256 });
  const m = sb.load(await wat2wasm('(module (import "env" "memory" (memory 1 2)) (func (export "run") (result i32) (drop (memory.grow (i32.const 2))) (i32.const 0)))'), lim({ fuel: START + 1000n, memoryPages: 2 }));
  assert.throws(() => sb.run(m, fixtureInput()), (e: { code?: string }) => e.code === 'OUT_OF_FUEL');
});

test('a run starts with runBase and its initial memory: pooled pages are cheap, fresh ones cost like memory.grow; charged before anything is allocated', async () => {
  const sb = new Sandbox({ sha256 });
  const body = '(func (export "run") (result i32) (i32.const 0))';
  const run = async (mem: string, fuel: bigint) => {
    const mod = sb.load(await wat2wasm(`(module ${mem} ${body})`), lim({ fuel, memoryPages: 4096 }));
    try { return sb.run(mod, fixtureInput()).fuelUsed; } catch (e) { return e as Error & { code: string; details: Record<string, unknown> }; }
  };
  const entry = BigInt(T.functionEntry);
  assert.equal(await run('(import "env" "memory" (memory 1))', START + 10n), START + entry);
  assert.equal(await run('(import "env" "memory" (memory 3))', 10_000_000n), START + 2n * BigInt(T.pooledInitialPage) + entry, 'pooled');
  assert.equal(await run(`(import "env" "memory" (memory ${POOL_MAX_PAGES + 1}))`, 100_000_000n), START + BigInt(POOL_MAX_PAGES) * BigInt(T.memoryGrowPerPage) + entry, 'too big to pool: fresh');
  assert.equal(await run('(memory 3 3)', 10_000_000n), START + 2n * BigInt(T.memoryGrowPerPage) + entry, 'a memory the module defines is fresh every run');
  const low = await run('(import "env" "memory" (memory 1))', START - 1n);
  assert.ok(typeof low === 'object' && low.code === 'OUT_OF_FUEL', 'a budget below runBase cannot start a run');
  const before = sb.poolStats();
  const e = await run('(import "env" "memory" (memory 4096))', 1_000_000n);
  assert.ok(typeof e === 'object' && e.code === 'OUT_OF_FUEL', String(e));
  assert.equal(e.details.fuelUsed, 1_000_000n);
  assert.equal(e.details.fuelCounter, 1_000_000n - START - 4095n * BigInt(T.memoryGrowPerPage));
  assert.deepEqual(sb.poolStats(), before, 'no memory was created for a run that could not pay for it');
});
