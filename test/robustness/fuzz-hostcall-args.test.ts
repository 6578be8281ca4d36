/**
 * Hostcall argument fuzzing: a hostile module calls every hostcall of the ABI table (and AssemblyScript's env
 * imports) with arbitrary arguments — pointers and lengths at, across and far beyond the end of memory, negative
 * and huge values, out-of-range indexes — over a memory full of random bytes, through the real Sandbox
 * (validation, instrumentation, metering). The fuzzing module is generated from the table, so a new hostcall is
 * fuzzed without editing this file. Bounded here (FUZZ_RUNS, default 400 programs); `npm run fuzz` runs 1,000,000.
 *
 * Properties: every run ends with an outcome or a KapsuleError whose code is a deterministic run verdict
 * (never a RangeError, TypeError or other host exception); the same program gives the same verdict, output,
 * transcript and fuel twice; a successful run's buffered writes respect the ABI limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Sandbox, type LoadedModule } from '../../host/src/execute/index.ts';
import { ENV_IMPORTS, HOSTCALLS, HOSTCALL_LIMITS, HOSTCALL_NAMESPACE, type WasmValType } from '../../host/src/execute/hostcalls/table.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError, type ErrorCode } from '../../host/src/errors.ts';
import { sha256, wat2wasm } from '../execute/_helpers.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

/** What a run may end with: the deterministic verdicts of the sandbox (DETERMINISTIC_TRAPS in pipeline.ts). */
const ALLOWED: ReadonlySet<ErrorCode> = new Set(['HOSTCALL_FAULT', 'OUT_OF_FUEL', 'TRAP', 'MEMORY_LIMIT', 'STACK_LIMIT']);

interface Callee { module: string; name: string; params: readonly WasmValType[]; results: readonly WasmValType[] }
const CALLEES: Callee[] = [
  ...HOSTCALLS.map((h) => ({ module: HOSTCALL_NAMESPACE, name: h.name, params: h.params.map((p) => p.type), results: h.results })),
  ...ENV_IMPORTS.map((e) => ({ module: 'env', name: e.name, params: e.params, results: e.results })),
];
const MAX_ARGS = Math.max(...CALLEES.map((c) => c.params.length));
/** One op in the program: u32 callee index ‖ MAX_ARGS × 8-byte little-endian argument slots. */
const OP_BYTES = 4 + 8 * MAX_ARGS;
const PROGRAM_AT = 0; // the payload (program + random bytes) is copied to address 0 of the single page

/**
 * run(): copy the payload to address 0 (the whole page: program, then random bytes), then execute `count` ops:
 * op i calls CALLEES[index % n] with its arguments loaded from the op's slots, results dropped.
 */
function fuzzerWat(): string {
  const imports = CALLEES.map((c, i) => `(import "${c.module}" "${c.name}" (func $f${i}${c.params.length ? ` (param ${c.params.join(' ')})` : ''}${c.results.length ? ` (result ${c.results.join(' ')})` : ''}))`);
  const load = (t: WasmValType, slot: number) => `(${t}.load offset=${4 + 8 * slot} (local.get $op))`;
  const cases = CALLEES.map((c, i) => `(if (i32.eq (local.get $k) (i32.const ${i})) (then ${c.results.map(() => '(drop').join(' ')}(call $f${i} ${c.params.map((t, j) => load(t, j)).join(' ')})${c.results.map(() => ')').join('')}))`);
  return `(module
  ${imports.join('\n  ')}
  (import "env" "memory" (memory 1 1))
  (func (export "run") (result i32)
    (local $count i32) (local $i i32) (local $op i32) (local $k i32)
    (drop (call $f${CALLEES.findIndex((c) => c.name === 'get_payload')} (i32.const ${PROGRAM_AT}) (i32.const 65536)))
    (local.set $count (i32.rem_u (i32.load (i32.const ${PROGRAM_AT})) (i32.const 9)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $op (i32.add (i32.const ${PROGRAM_AT + 4}) (i32.mul (local.get $i) (i32.const ${OP_BYTES}))))
      (local.set $k (i32.rem_u (i32.load (local.get $op)) (i32.const ${CALLEES.length})))
      ${cases.join('\n      ')}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0)))`;
}

/** Arguments a hostile guest would try: boundaries of the page, of the ABI limits, and anything at all. */
const i32Arg = fc.oneof(
  // mostly in-bounds pointers, lengths and indexes, so programs get past their first call and reach deeper states
  { arbitrary: fc.integer({ min: 0, max: 2048 }), weight: 6 },
  { arbitrary: fc.constantFrom(0, 1, 2, 7, 8, 31, 32, 33, 64, 65, 255, 256, 257, 1024, 4096, 65535, 65536, 65537, 0x7fffffff, -1, -2, -8, -65536, -0x80000000), weight: 2 },
  { arbitrary: fc.integer({ min: 65000, max: 66000 }), weight: 1 },
  { arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }), weight: 1 },
);
const i64Arg = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, HOSTCALL_LIMITS.maxWriteValue, HOSTCALL_LIMITS.maxWriteValue + 1n, -(1n << 63n), 750_000n),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
);
const f64Arg = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -0, 1e308));

/** A program: ops (callee + raw argument slots), then the rest of the page as random bytes. */
const program = fc.record({
  ops: fc.array(fc.record({ callee: fc.nat({ max: CALLEES.length - 1 }), i32: fc.array(i32Arg, { minLength: MAX_ARGS, maxLength: MAX_ARGS }), i64: fc.array(i64Arg, { minLength: MAX_ARGS, maxLength: MAX_ARGS }), f64: fc.array(f64Arg, { minLength: MAX_ARGS, maxLength: MAX_ARGS }) }), { minLength: 1, maxLength: 8 }),
  tail: fc.uint8Array({ minLength: 0, maxLength: 2048 }),
  pad: fc.nat({ max: 65536 }),
}).map(({ ops, tail, pad }) => {
  const head = 4 + ops.length * OP_BYTES;
  const len = Math.min(65536 + 16, Math.max(head + tail.length, Math.min(pad, 65536)));
  const bytes = new Uint8Array(Math.max(head, len));
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, ops.length, true);
  ops.forEach((op, i) => {
    const at = 4 + i * OP_BYTES;
    dv.setUint32(at, op.callee, true);
    CALLEES[op.callee].params.forEach((t, j) => {
      const slot = at + 4 + 8 * j;
      if (t === 'i32') dv.setInt32(slot, op.i32[j], true);
      else if (t === 'i64') dv.setBigInt64(slot, op.i64[j], true);
      else if (t === 'f64') dv.setFloat64(slot, op.f64[j], true);
      else dv.setFloat32(slot, op.f64[j], true);
    });
  });
  bytes.set(tail.subarray(0, Math.max(0, bytes.length - head)), head);
  return bytes; // > 64 KiB sometimes: get_payload then copies nothing and the ops read zeros
});

type Verdict = { ok: true; output: string; fuel: bigint; transcript: string; logs: string[] } | { ok: false; code: ErrorCode; fuel: unknown };

function runOnce(sb: Sandbox, mod: LoadedModule, payload: Uint8Array): Verdict {
  const input = fixtureInput({ payload });
  try {
    const out = sb.run(mod, input);
    const { trust, balances, kv } = out.writes;
    for (const v of [...trust.values(), ...balances.values()]) assert.ok(v >= 0n && v <= HOSTCALL_LIMITS.maxWriteValue, `write value ${v} within [0, 2^63)`);
    assert.ok(kv.size <= HOSTCALL_LIMITS.maxKvWrites);
    for (const [k, v] of kv) {
      assert.ok(k.length / 2 <= HOSTCALL_LIMITS.maxKvKeyBytes);
      if (v !== null) assert.ok(v.length <= HOSTCALL_LIMITS.maxKvValueBytes);
    }
    assert.ok(out.output.length <= HOSTCALL_LIMITS.maxResultBytes);
    assert.ok(out.logs.length <= HOSTCALL_LIMITS.maxLogLines + 1);
    return { ok: true, output: Buffer.from(out.output).toString('hex'), fuel: out.fuelUsed, transcript: Buffer.from(out.transcriptHash).toString('hex'), logs: out.logs };
  } catch (e) {
    if (!(e instanceof KapsuleError)) throw new Error(`untyped error escaped the sandbox: ${(e as Error)?.stack ?? e}`);
    if (!ALLOWED.has(e.code)) throw new Error(`unexpected code ${e.code}: ${e.message}`);
    return { ok: false, code: e.code, fuel: e.details?.fuelUsed };
  }
}

test('hostcall arguments: only typed, deterministic verdicts for any arguments to any hostcall', async () => {
  const wasm = await wat2wasm(fuzzerWat());
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(wasm, {
    hostcalls: HOSTCALLS.map((h) => h.name), fuel: 50_000_000n, memoryPages: 1, maxDepth: 64,
  });
  const seen = new Map<string, number>();
  fc.assert(fc.property(program, (payload) => {
    const a = runOnce(sb, mod, payload);
    const b = runOnce(sb, mod, payload);
    assert.deepEqual(b, a, 'same program, same verdict, output, transcript and fuel');
    const k = a.ok ? 'ok' : a.code;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }), { numRuns: RUNS });
  if (process.env.FUZZ_VERBOSE) console.error(JSON.stringify([...seen]));
  // the fuzzer reaches both sides: runs that complete and runs the host faults
  assert.ok((seen.get('ok') ?? 0) > 0, `some runs succeed: ${JSON.stringify([...seen])}`);
  assert.ok((seen.get('HOSTCALL_FAULT') ?? 0) > 0, `some runs fault: ${JSON.stringify([...seen])}`);
});
