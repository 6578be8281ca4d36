/** Hostcall ABI declared once: generated guest bindings are current, and a probe using every binding links exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderEnvTs, ENV_TS_PATH } from '../../scripts/gen-guest-bindings.ts';
import { HOSTCALLS, HOSTCALL_NAMESPACE, Sandbox } from '../../host/src/execute/index.ts';
import { fixtureInput, FIXTURE } from '../../host/src/execute/testing.ts';
import { ascBuild, sha256 } from './_helpers.ts';

test('guest-sdk/assembly/env.ts is what scripts/gen-guest-bindings.ts generates from the table', () => {
  assert.equal(readFileSync(ENV_TS_PATH, 'utf8'), renderEnvTs(), 'stale: run tsx scripts/gen-guest-bindings.ts');
});

test('docs/ABI.md lists every hostcall with its table fuel cost', () => {
  const doc = readFileSync(new URL('../../docs/ABI.md', import.meta.url), 'utf8');
  for (const h of HOSTCALLS) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${h.name}\` |`));
    assert.ok(row, `${h.name} has no row in docs/ABI.md §Hostcalls`);
    const fuel = row.split('|')[4].trim().replace(/ /g, '');
    assert.equal(fuel, `${h.cost.base}${h.cost.perByte ? `+${h.cost.perByte}/B` : ''}`, `${h.name}: docs/ABI.md says ${fuel}`);
  }
});

test('env.ts declares every hostcall with its table signature', () => {
  const text = renderEnvTs();
  for (const h of HOSTCALLS) {
    assert.ok(text.includes(`@external("${HOSTCALL_NAMESPACE}", "${h.name}")\nexport declare function ${h.name}(`), h.name);
  }
});

const probe = ascBuild('test/execute/assembly/probe.ts');
const allNames = HOSTCALLS.map((h) => h.name);

test('a probe using every SDK binding imports exactly the hostcall table (names + kinds), plus env.abort/env.memory', () => {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(probe as Uint8Array<ArrayBuffer>));
  const ours = imports.filter((i) => i.module === HOSTCALL_NAMESPACE).map((i) => `${i.name}:${i.kind}`).sort();
  assert.deepEqual(ours, allNames.map((n) => `${n}:function`).sort());
  const other = imports.filter((i) => i.module !== HOSTCALL_NAMESPACE).map((i) => `${i.module}.${i.name}:${i.kind}`).sort();
  assert.deepEqual(other, ['env.abort:function', 'env.memory:memory']);
});

test('the validator accepts the probe with every signature checked, and rejects it without one hostcall', () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(probe, { hostcalls: allNames, fuel: 10_000_000n, memoryPages: 16, maxDepth: 500 });
  assert.equal(mod.limits.hostcalls.length, allNames.length);
  assert.throws(() => sb.load(probe, { hostcalls: allNames.filter((n) => n !== 'kv_delete'), fuel: 1000n, memoryPages: 16, maxDepth: 10 }),
    (e: { code?: string; message: string }) => e.code === 'MODULE_INVALID' && e.message.includes('kapsule_v1.kv_delete'));
});

test('the probe runs against the real host and sees the fixture through every binding', () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(probe, { hostcalls: allNames, fuel: 10_000_000n, memoryPages: 16, maxDepth: 500 });
  const input = fixtureInput();
  const out = sb.run(mod, input);
  // the probe's module id is its own hash, so the fixture's kv "greeting" (module 33…) is not visible: "-"
  assert.equal(new TextDecoder().decode(out.output),
    'post|general|1700000000000|wasm|2|root|2|comment|750000|1000|-|yes|deleted|750001|1005');
  assert.deepEqual(out.logs, [`probe post hello kapsule ${FIXTURE.now} 32`]);
  assert.deepEqual([...out.writes.trust.values()], [750001n]);
  assert.deepEqual([...out.writes.balances.values()], [1005n]);
  assert.deepEqual([...out.writes.kv.keys()].sort(), ['6772656574696e67', '7365656e']);
  assert.equal(out.writes.kv.get('6772656574696e67'), null);
});
