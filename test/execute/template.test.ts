/**
 * The module template (capsule-packer/template/, written by `kapsule-pack new`): the scaffold is complete, its module
 * builds with asc against the guest SDK package (resolved by name, as in a user's project), passes the pack-time
 * check with exactly its manifest's hostcalls, and runs and answers queries in the sandbox with its manifest's limits.
 * Its as-pect spec runs in `npm test` (as-pect.config.js lists the template's specs); the whole project, installed
 * from the packed tarballs outside the repository, is test/package/package.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox } from '../../host/src/execute/index.ts';
import { devInput, parseStateFixture } from '../../host/src/dev.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { checkModule } from '../../capsule-packer/src/check.ts';
import { parseModuleJson, requireComplete } from '../../capsule-packer/src/manifest.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { instrument } from '../../host/src/execute/instrument.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';
import { root, sha256 } from './_helpers.ts';

const parent = tempDir();
const io = captureIO(parent);
const code = await pack(['new', 'hello-notes', '--json'], io);
const dir = join(parent, 'hello-notes');
const made = JSON.parse(io.stdout);
const r = spawnSync(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), 'assembly/index.ts', '--config', 'asconfig.json',
  '--target', 'module', '--outFile', 'build/hello-notes.wasm', '--path', join(root, 'node_modules')], { cwd: dir, encoding: 'utf8' });
if (r.status !== 0) throw new Error(`asc failed on the scaffold:\n${r.stderr}${r.stdout}`);
const wasm = new Uint8Array(readFileSync(join(dir, 'build/hello-notes.wasm')));
const manifest = requireComplete(parseModuleJson(readFileSync(join(dir, 'module.json'), 'utf8')));
const limits = { hostcalls: manifest.hostcalls, fuel: manifest.fuel, memoryPages: manifest.memoryPages, maxDepth: manifest.maxDepth };
const state = parseStateFixture(readFileSync(join(dir, 'examples/state.json'), 'utf8'));

test('kapsule-pack new writes a complete standalone project, with versions from kapsule-rt\'s package.json', () => {
  assert.equal(code, 0);
  assert.deepEqual(made.files.sort(), [
    '.gitignore', 'README.md', 'as-pect.asconfig.json', 'as-pect.config.js', 'asconfig.json', 'assembly/__tests__/index.spec.ts',
    'assembly/index.ts', 'assembly/tsconfig.json', 'examples/note.json', 'examples/query.json', 'examples/state.json', 'module.json', 'package.json',
  ]);
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pj.name, 'hello-notes');
  assert.equal(pj.devDependencies['kapsule-rt'], `^${ours.version}`);
  assert.equal(pj.devDependencies['kapsule-guest-sdk'], `^${JSON.parse(readFileSync(join(root, 'guest-sdk/package.json'), 'utf8')).version.split('.')[0]}.0.0`);
  assert.equal(pj.devDependencies.assemblyscript, ours.devDependencies.assemblyscript);
  assert.deepEqual(pj.allowScripts, { 'better-sqlite3': true, 'glob-promise': false }); // the native store builds; as-pect's peer installer does not
  for (const f of made.files) assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /\{\{\w+\}\}/, `${f}: a placeholder is left`);
  assert.equal(manifest.name, 'hello-notes');
});

test('kapsule-pack new refuses a bad name and a folder that is not empty', async () => {
  const io2 = captureIO(parent);
  assert.equal(await pack(['new', 'Hello World', '--json'], io2), 2);
  assert.equal(JSON.parse(io2.stdout).error.code, 'USAGE');
  const io3 = captureIO(parent);
  assert.equal(await pack(['new', 'hello-notes', '--json'], io3), 2);
  assert.match(JSON.parse(io3.stdout).error.message, /not an empty folder/);
});

test('template: its imports are exactly its manifest\'s hostcalls (pack-time check, with instrumentation)', () => {
  const c = checkModule(wasm, limits, { instrumenter: instrument });
  assert.deepEqual(c.imports, [...manifest.hostcalls].sort());
  assert.deepEqual(c.unused, []);
  assert.equal(c.hasQuery, true);
  assert.throws(() => checkModule(wasm, { ...limits, hostcalls: limits.hostcalls.filter((h) => h !== 'log') }),
    (e: unknown) => e instanceof KapsuleError && e.code === 'MODULE_INVALID' && e.message.includes('kapsule_v1.log'));
});

test('template: run counts per author from the example state; query answers; a bad payload is a recorded refusal', () => {
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(wasm, limits);
  const note = new TextEncoder().encode('{"text":"hello"}');
  const out = sb.run(mod, devInput({ entry: 'run', payload: note, state, capsule: { kind: 'note' } }));
  assert.equal(new TextDecoder().decode(out.output), '{"ok":true,"author_notes":7,"total":42}');
  assert.deepEqual(out.logs, ['note #42 by 22222222']);
  assert.deepEqual(out.writes.kv.get(Buffer.from('total').toString('hex')), new TextEncoder().encode('42'));
  assert.ok(out.fuelUsed > 0n && out.fuelUsed < manifest.fuel / 10n, `fuel ${out.fuelUsed}: the manifest keeps 10× headroom`);
  assert.ok(out.memoryPages >= 1 && out.memoryPages <= manifest.memoryPages);
  const q = sb.run(mod, devInput({ entry: 'query', payload: new TextEncoder().encode(`{"author":"${'22'.repeat(32)}"}`), state, now: 5n }));
  assert.equal(new TextDecoder().decode(q.output), `{"author":"${'22'.repeat(32)}","notes":6,"total":41}`);
  const bad = sb.run(mod, devInput({ entry: 'run', payload: new TextEncoder().encode('nope'), state, capsule: { kind: 'note' } }));
  assert.match(new TextDecoder().decode(bad.output), /"code":"BAD_PAYLOAD"/);
  assert.equal(bad.writes.kv.size, 0);
});
