/**
 * Host work that fuel does not pay for is bounded (bounds.ts): the default fuel ceiling, the memory pool's wipe,
 * the transcript (hashed as it grows; its cap is test/corpus/log-flood.wat), and the get_child_metadata charge fixed
 * in cost-table version 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  Sandbox, DEFAULT_FUEL_CEILING, POOL_MAX_PAGES, HOSTCALLS, COST_TABLE_HASH, encodeMeta,
} from '../../host/src/execute/index.ts';
import { fixtureInput, fixtureMeta, memoryState } from '../../host/src/execute/testing.ts';
import { sha256, sha256Stream, wat2wasm } from './_helpers.ts';

const lim = (o: Partial<{ hostcalls: string[]; fuel: bigint; memoryPages: number; maxDepth: number }> = {}) =>
  ({ hostcalls: [], fuel: 1_000_000n, memoryPages: 4, maxDepth: 100, ...o });

test('fuel: without a policy the budget is min(manifest, DEFAULT_FUEL_CEILING); a policy sets its own ceiling', async () => {
  const wasm = await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))');
  assert.equal(DEFAULT_FUEL_CEILING, 1n << 30n);
  assert.equal(new Sandbox({ sha256 }).load(wasm, lim({ fuel: 1n << 62n })).limits.fuel, DEFAULT_FUEL_CEILING);
  assert.equal(new Sandbox({ sha256 }).load(wasm, lim({ fuel: 5000n })).limits.fuel, 5000n);
  assert.equal(new Sandbox({ sha256, policy: { maxFuel: 1n << 40n } }).load(wasm, lim({ fuel: 1n << 62n })).limits.fuel, 1n << 40n);
  assert.equal(new Sandbox({ sha256, policy: { maxFuel: 100n } }).load(wasm, lim({ fuel: 1n << 62n })).limits.fuel, 100n);
});

test('pool: memories up to POOL_MAX_PAGES are reused (wiped); larger ones are fresh every run and never wiped', async () => {
  const mod = (pages: number) => wat2wasm(`(module (import "env" "memory" (memory ${pages}))
    (func (export "run") (result i32)
      (if (i32.load (i32.const 0)) (then (return (i32.const 9))))   ;; a leftover from the previous run
      (i32.store (i32.const 0) (i32.const 1))
      (i32.store8 (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)) (i32.const 1))
      (i32.const 0)))`);
  const sb = new Sandbox({ sha256 });
  const small = sb.load(await mod(POOL_MAX_PAGES), lim({ memoryPages: POOL_MAX_PAGES }));
  for (let i = 0; i < 3; i++) assert.equal(sb.run(small, fixtureInput()).ok, true);
  assert.deepEqual(sb.poolStats(), { created: 1, reused: 2 });
  const big = sb.load(await mod(POOL_MAX_PAGES + 1), lim({ memoryPages: POOL_MAX_PAGES + 1 }));
  for (let i = 0; i < 3; i++) assert.equal(sb.run(big, fixtureInput()).ok, true);
  assert.deepEqual(sb.poolStats(), { created: 4, reused: 2 }, 'three fresh memories, none reused');
  // 4 GiB imported, 3 fuel, twice: the second run does not zero-fill 4 GiB first (nothing is pooled to wipe)
  const huge = sb.load(await wat2wasm(`(module (import "env" "memory" (memory 65536))
    (func (export "run") (result i32) (i32.store8 (i32.const 0xffffffff) (i32.const 1)) (i32.const 0)))`), lim({ fuel: 3n, memoryPages: 65536 }));
  assert.equal(sb.run(huge, fixtureInput()).fuelUsed, 3n);
  assert.equal(sb.run(huge, fixtureInput()).fuelUsed, 3n);
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
      const out = sb.run(sb.load(w, lim({ hostcalls: ['log'] })), fixtureInput());
      assert.deepEqual(out.transcriptHash, want, `${n} calls`);
    }
  }
});

test('get_child_metadata charges its base once (cost-table version 2): 200 + 1 per byte moved, on every path', async () => {
  const call = (index: number, cap: number) => wat2wasm(`(module
    (import "kapsule_v1" "get_child_metadata" (func $m (param i32 i32 i32 i32) (result i32)))
    (memory 1 1) (data (i32.const 0) "${'\\11'.repeat(32)}")
    (func (export "run") (result i32) (drop (call $m (i32.const 0) (i32.const ${index}) (i32.const 64) (i32.const ${cap}))) (i32.const 0)))`);
  const base = await wat2wasm('(module (memory 1 1) (func (export "run") (result i32) (drop (i32.const 0)) (i32.const 0)))');
  const hostcalls = ['get_child_metadata'];
  const fuel = (sb: Sandbox, w: Uint8Array, input = fixtureInput()) => sb.run(sb.load(w, lim({ hostcalls })), input).fuelUsed;
  const sb = new Sandbox({ sha256 });
  const none = fuel(sb, base) + 4n; // + the call instruction
  const child0 = encodeMeta(fixtureMeta({ id: new Uint8Array(32).fill(0xc1), kind: 'comment', parents: [new Uint8Array(32).fill(0x11)], flags: [], logic: null, payloadLength: 1 }));
  assert.equal(fuel(sb, await call(0, 4096)) - none, 200n + 32n + BigInt(child0.length), 'delivered');
  assert.equal(fuel(sb, await call(0, 1)) - none, 232n, 'buffer too small: only the id moved');
  assert.equal(fuel(sb, await call(7, 4096)) - none, 232n, 'OUT_OF_RANGE');
  const noIndex = fixtureInput({ state: memoryState({ children: null }) });
  assert.equal(fuel(sb, await call(0, 4096), noIndex) - none, 232n, 'UNAVAILABLE');
  assert.match(COST_TABLE_HASH, /^[0-9a-f]{64}$/);
});
