/** The hostile-module corpus (test/corpus/*.wat): each module gets its documented outcome; the process survives. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, type ExecOutcome } from '../../host/src/execute/index.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { corpusWasm, readCorpus, root, sha256, sha256Stream, wat2wasm } from './_helpers.ts';

const files = readdirSync(join(root, 'test/corpus')).filter((f) => f.endsWith('.wat')).sort();
const sb = new Sandbox({ sha256, sha256Stream });

async function runEntry(file: string): Promise<ExecOutcome | KapsuleError> {
  const c = readCorpus(file);
  const wasm = await corpusWasm(c);
  try {
    const mod = sb.load(wasm, { hostcalls: c.hostcalls, fuel: c.fuel, memoryPages: c.pages, maxDepth: c.depth });
    return sb.run(mod, fixtureInput());
  } catch (e) {
    if (e instanceof KapsuleError) return e;
    throw e;
  }
}

test('the corpus has the modules the sandbox promises to handle', () => {
  for (const f of ['infinite-loop.wat', 'infinite-loop-start.wat', 'memory-grow-unbounded.wat', 'deep-recursion.wat',
    'mutual-recursion.wat', 'float-store-nan.wat', 'import-not-allowed.wat', 'wasi-import.wat', 'hostcall-oob-pointer.wat',
    'hostcall-huge-length.wat', 'hostcall-wrong-signature.wat', 'giant-table.wat', 'simd.wat', 'no-memory-max.wat', 'guest-echo.wat']) {
    assert.ok(files.includes(f), f);
  }
});

for (const file of files) {
  test(`corpus ${file}`, async () => {
    const c = readCorpus(file);
    const r = await runEntry(file);
    if (c.expect === 'ok') {
      assert.ok(!(r instanceof KapsuleError), `${file}: expected ok, got ${r instanceof KapsuleError ? `${r.code}: ${r.message}` : ''}`);
      if (c.fuelUsed !== null) assert.equal(r.fuelUsed, c.fuelUsed, `${file}: fuel used`);
      return;
    }
    assert.ok(r instanceof KapsuleError, `${file}: expected ${c.expect}, the run succeeded`);
    assert.equal(r.code, c.expect, `${file}: ${r.message}`);
    assert.equal(r.stage, 'execute');
    if (c.detail) assert.ok(r.message.includes(c.detail), `${file}: message "${r.message}" lacks "${c.detail}"`);
    for (const [k, v] of Object.entries(c.details)) assert.equal(String(r.details?.[k]), v, `${file}: details.${k}`);
    if (c.expect !== 'MODULE_INVALID') assert.equal(typeof r.details?.fuelUsed, 'bigint', `${file}: details.fuelUsed`);
    // Still alive and usable: a good module runs right after.
    const ok = await runEntry('guest-echo.wat');
    assert.ok(!(ok instanceof KapsuleError));
  });
}

test('guest-echo (hand-written WAT guest): output, logs, writes and fuel are exactly as the ABI says', async () => {
  const r = await runEntry('guest-echo.wat');
  assert.ok(!(r instanceof KapsuleError));
  const expected = new Uint8Array([...new TextEncoder().encode('echo:hello kapsule'), 2]);
  assert.deepEqual(r.output, expected);
  assert.deepEqual(r.logs, ['hello from wat']);
  assert.deepEqual([...r.writes.kv.entries()], [['636f756e74', new Uint8Array([1, 0, 0, 0])]]);
  const again = await runEntry('guest-echo.wat');
  assert.ok(!(again instanceof KapsuleError));
  assert.equal(again.fuelUsed, r.fuelUsed);
  assert.deepEqual(again.transcriptHash, r.transcriptHash);
});

test('NaN-bits probe: every observable NaN is the canonical one', async () => {
  const r = await runEntry('float-store-nan.wat');
  assert.ok(!(r instanceof KapsuleError));
  const dv = new DataView(r.output.buffer, r.output.byteOffset, r.output.byteLength);
  assert.equal(dv.getUint32(0, true), 0x7fc00000, 'f32.store of 0/0');
  assert.equal(dv.getUint32(4, true), 0x7fc00000, 'i32.reinterpret_f32 of -(0/0)');
  assert.equal(dv.getBigUint64(8, true), 0x7ff8000000000000n, 'f64.store of 0/0');
  assert.equal(dv.getBigUint64(16, true), 0x7ff8000000000000n, 'i64.reinterpret_f64 of sqrt(-1)');
  assert.equal(dv.getFloat32(24, true), 1, 'copysign(1, NaN) takes the canonical (positive) sign');
  assert.equal(sha256(r.output).length, 32);
});

test('without instrumentation the NaN-bits probe shows the engine\'s raw NaN (x86: 0xffc00000)', { skip: process.arch !== 'x64' && 'x86-64 only' }, async () => {
  const text = readCorpus('float-store-nan.wat').text.replace('(memory 1 1)', '(memory (export "memory") 1 1)');
  let out = new Uint8Array(0);
  let memory: WebAssembly.Memory | null = null;
  const inst = new WebAssembly.Instance(new WebAssembly.Module(await wat2wasm(text)), {
    kapsule_v1: { submit_capsule_result: (p: number, n: number) => { out = new Uint8Array(memory!.buffer, p, n).slice(); return 0; } },
  });
  memory = inst.exports.memory as WebAssembly.Memory;
  (inst.exports.run as () => number)();
  assert.equal(new DataView(out.buffer).getUint32(0, true), 0xffc00000);
});
