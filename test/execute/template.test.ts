/** The module template builds with the repo's asconfig and runs in the sandbox with its documented manifest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox } from '../../host/src/execute/index.ts';
import { fixtureInput, memoryState } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { ascBuild, sha256 } from './_helpers.ts';

const wasm = ascBuild('guest-sdk/template/assembly/index.ts');
const hostcalls = ['get_payload', 'kv_get', 'kv_set', 'log', 'submit_capsule_result'];

test('template: output, log, kv write; count continues from the stored value', () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(wasm, { hostcalls, fuel: 1_000_000n, memoryPages: 4, maxDepth: 100 });
  const first = sb.run(mod, fixtureInput());
  assert.equal(new TextDecoder().decode(first.output), 'hello, hello kapsule (#1)');
  assert.deepEqual(first.logs, ['greeting #1']);
  const key = Buffer.from('count').toString('hex');
  assert.deepEqual(first.writes.kv.get(key), new TextEncoder().encode('1'));
  const state = memoryState({ kv: { [mod.id]: { [key]: new TextEncoder().encode('41') } } });
  const next = sb.run(mod, fixtureInput({ state }));
  assert.equal(new TextDecoder().decode(next.output), 'hello, hello kapsule (#42)');
});

test('template: no payload → run() returns 1 → TRAP, no writes', () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(wasm, { hostcalls, fuel: 1_000_000n, memoryPages: 4, maxDepth: 100 });
  assert.throws(() => sb.run(mod, fixtureInput({ payload: null })), (e: unknown) => e instanceof KapsuleError && e.code === 'TRAP' && e.details?.status === 1);
});

test('template: its imports are exactly the documented manifest (one fewer is MODULE_INVALID)', () => {
  const sb = new Sandbox({ sha256 });
  assert.throws(() => sb.load(wasm, { hostcalls: hostcalls.filter((h) => h !== 'log'), fuel: 1000n, memoryPages: 4, maxDepth: 100 }),
    (e: unknown) => e instanceof KapsuleError && e.code === 'MODULE_INVALID' && e.message.includes('kapsule_v1.log'));
});
