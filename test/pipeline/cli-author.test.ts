/**
 * The module author's loop through the CLIs: `kapsule-pack module` refuses at pack time what a host would refuse —
 * an import the hostcalls do not declare, an unknown hostcall name, an invalid module — naming every one (the
 * expected lists come from WebAssembly.Module.imports, not from the code under test), reads `--manifest
 * module.json`; `kapsule module add` names every refused import too; `kapsule dev run` runs a module once on a payload
 * over a `--state` fixture and reports output, fuel, pages, logs and writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { buildModulePackage } from '../../capsule-packer/src/build.ts';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { loadSecretIdentity } from '../../host/src/keys-node.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';
import { ascBuild, corpusWasm, readCorpus, root } from '../execute/_helpers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function run(cli: typeof kapsule, cwd: string, argv: string[]): Promise<{ code: number; json: any; stderr: string }> {
  const io = captureIO(cwd);
  const code = await cli([...argv, '--json'], io);
  return { code, json: JSON.parse(io.stdout), stderr: io.stderr };
}

const d = tempDir();
assert.equal((await run(pack, d, ['keygen', '--out', 'author.key'])).code, 0);
const rankWasm = readFileSync(join(root, 'build/modules/rank.wasm'));
writeFileSync(join(d, 'rank.wasm'), rankWasm);
/** What rank.wasm imports from kapsule_v1, read by the engine. */
const rankImports = WebAssembly.Module.imports(new WebAssembly.Module(rankWasm)).filter((i) => i.module === 'kapsule_v1').map((i) => i.name).sort();
const rankManifest = JSON.parse(readFileSync(join(root, 'modules/rank/module.json'), 'utf8'));

test('kapsule-pack module: every import the hostcalls do not declare is named, and nothing is written', async () => {
  const r = await run(pack, d, ['module', 'rank.wasm', '--key', 'author.key', '--hostcalls', 'get_payload,submit_capsule_result', '--out', 'a.kmod']);
  assert.equal(r.code, 1);
  assert.equal(r.json.error.code, 'MODULE_INVALID');
  assert.equal(r.json.error.stage, 'pack');
  const missing = rankImports.filter((h) => h !== 'get_payload' && h !== 'submit_capsule_result');
  assert.ok(missing.length >= 8, 'rank imports many hostcalls');
  assert.deepEqual([...r.json.error.details.undeclared].sort(), missing.map((h) => `kapsule_v1.${h}`));
  for (const h of missing) assert.ok(r.json.error.message.includes(`kapsule_v1.${h}`), `the message names ${h}`);
  assert.equal(existsSync(join(d, 'a.kmod')), false);
});

test('kapsule-pack module: unknown hostcall names are refused, each with the nearest real name', async () => {
  const hostcalls = rankImports.map((h) => (h === 'get_payload' ? 'get_paylod' : h));
  writeFileSync(join(d, 'typo.json'), JSON.stringify({ ...rankManifest, hostcalls: [...hostcalls, 'kv_gett'] }));
  const r = await run(pack, d, ['module', 'rank.wasm', '--key', 'author.key', '--manifest', 'typo.json', '--out', 'b.kmod']);
  assert.equal(r.code, 1);
  assert.equal(r.json.error.code, 'MODULE_INVALID');
  assert.deepEqual(r.json.error.details.unknownHostcalls, [{ name: 'get_paylod', suggestion: 'get_payload' }, { name: 'kv_gett', suggestion: 'kv_get' }]);
  assert.match(r.json.error.message, /get_paylod \(did you mean get_payload\?\), kv_gett \(did you mean kv_get\?\)/);
  // get_payload itself is then undeclared: both facts in the one message
  assert.match(r.json.error.message, /do not declare: kapsule_v1\.get_payload/);
  assert.equal(existsSync(join(d, 'b.kmod')), false);
  // a typo alone, with the wasm's imports all declared
  const r2 = await run(pack, d, ['module', 'rank.wasm', '--key', 'author.key', '--hostcalls', [...rankImports, 'get_ballance'].join(','), '--out', 'b.kmod']);
  assert.equal(r2.code, 1);
  assert.equal(r2.json.error.message, 'rank.wasm is refused: unknown hostcall names in the manifest: get_ballance (did you mean get_balance?)');
});

test('kapsule-pack module: an invalid module is refused with the host\'s reason', async () => {
  writeFileSync(join(d, 'cut.wasm'), rankWasm.subarray(0, 200));
  const cut = await run(pack, d, ['module', 'cut.wasm', '--key', 'author.key', '--manifest', join(root, 'modules/rank/module.json'), '--out', 'c.kmod']);
  assert.equal(cut.code, 1);
  assert.equal(cut.json.error.code, 'MODULE_INVALID');
  assert.match(cut.json.error.message, /^cut\.wasm is refused: invalid module: /);
  writeFileSync(join(d, 'text.wasm'), 'not wasm at all');
  const text = await run(pack, d, ['module', 'text.wasm', '--key', 'author.key', '--hostcalls', 'log', '--out', 'c.kmod']);
  assert.equal(text.json.error.code, 'MODULE_INVALID');
  // refused by the instrumenter (a SIMD instruction in a body), which only instrumentation sees
  const simd = readCorpus('simd.wat');
  writeFileSync(join(d, 'simd.wasm'), await corpusWasm(simd));
  const s = await run(pack, d, ['module', 'simd.wasm', '--key', 'author.key', '--hostcalls', simd.hostcalls.join(',') || 'log', '--out', 'c.kmod']);
  assert.equal(s.code, 1);
  assert.equal(s.json.error.code, 'MODULE_INVALID');
  assert.match(s.json.error.message, /invalid module: .*SIMD/i);
  assert.equal(existsSync(join(d, 'c.kmod')), false);
});

test('kapsule-pack module --manifest: signs with the manifest\'s fields, flags override them; a bad manifest is USAGE', async () => {
  const r = await run(pack, d, ['module', 'rank.wasm', '--key', 'author.key', '--manifest', join(root, 'modules/rank/module.json'), '--fuel', '12345678', '--out', 'rank.kmod']);
  assert.equal(r.code, 0, JSON.stringify(r.json));
  assert.equal(r.json.name, 'rank');
  assert.equal(r.json.version, rankManifest.version);
  assert.equal(r.json.fuel, 12345678);
  assert.equal(r.json.memory_pages, rankManifest.memoryPages);
  assert.deepEqual(r.json.imports, rankImports);
  assert.deepEqual(r.json.unused_hostcalls, []);
  assert.equal(r.json.has_query, true);
  const info = await run(kapsule, d, ['inspect', 'rank.kmod']);
  assert.equal(info.json.fuel ?? info.json.manifest?.fuel, 12345678);
  writeFileSync(join(d, 'bad.json'), JSON.stringify({ ...rankManifest, memorypages: 4 }));
  const bad = await run(pack, d, ['module', 'rank.wasm', '--key', 'author.key', '--manifest', 'bad.json', '--out', 'x.kmod']);
  assert.equal(bad.code, 2);
  assert.match(bad.json.error.message, /unknown field "memorypages"/);
  const none = await run(pack, d, ['module', 'rank.wasm', '--key', 'author.key', '--out', 'x.kmod']);
  assert.equal(none.code, 2);
  // a declared but unimported hostcall is allowed, and said
  const io = captureIO(d);
  assert.equal(await pack(['module', 'rank.wasm', '--key', 'author.key', '--hostcalls', [...rankImports, 'log'].join(','), '--out', 'y.kmod'], io), 0);
  assert.match(io.stderr, /declares hostcalls it does not import: log/);
});

test('kapsule module add names every import a signed manifest does not allow', async () => {
  const key = loadSecretIdentity(join(d, 'author.key'));
  const kmod = buildModulePackage(nativeBackend, key, { name: 'rank', version: '1', wasm: rankWasm, hostcalls: ['get_payload'], fuel: 1000n, memoryPages: 64, maxDepth: 100 });
  writeFileSync(join(d, 'under.kmod'), kmod.bytes);
  const r = await run(kapsule, d, ['module', 'add', 'under.kmod', '--db', 'm.db']);
  assert.equal(r.code, 1);
  const refused = r.json.error.details.refused as { import: string; reason: string }[];
  assert.deepEqual(refused.map((x) => x.import).sort(), rankImports.filter((h) => h !== 'get_payload').map((h) => `kapsule_v1.${h}`));
  assert.ok(refused.every((x) => x.reason === 'not-allowed'));
  assert.match(r.json.error.message, new RegExp(`^${refused.length} imports are refused: `));
});

// the probe module reads every hostcall once (test/execute/assembly/probe.ts)
const probe = ascBuild('test/execute/assembly/probe.ts');
writeFileSync(join(d, 'probe.wasm'), probe);
const h = (b: string) => b.repeat(32);
writeFileSync(join(d, 'fixture.json'), JSON.stringify({
  owner: h('ab'),
  capsule: { id: h('11'), kind: 'post', channel: 'general', createdAt: 1_700_000_000_000, parents: [h('a1'), h('a2')], flags: { topic: 'wasm' } },
  capsules: [
    { id: h('a1'), kind: 'root', author: h('22') },
    { id: h('c1'), kind: 'comment', parents: [h('11')], createdAt: '1700000000001' },
  ],
  trust: { [h('55')]: 750000 }, balances: { [h('66')]: '1000' }, kv: { greeting: 'hi' },
}));
writeFileSync(join(d, 'hello.txt'), 'hello');

test('kapsule dev run: the fixture\'s capsule, parents, children, trust, balances and kv; output, fuel, pages, logs, writes', async () => {
  const r = await run(kapsule, d, ['dev', 'run', 'probe.wasm', '--payload', 'hello.txt', '--state', 'fixture.json']);
  assert.equal(r.code, 0, JSON.stringify(r.json));
  assert.equal(r.json.result, 'post|general|1700000000000|wasm|2|root|1|comment|750000|1000|hi|yes|deleted|750001|1005');
  assert.equal(r.json.result_encoding, 'text');
  assert.deepEqual(r.json.logs, ['probe post hello 1700000000000 32']);
  assert.ok(r.json.fuel > 0 && r.json.fuel < r.json.fuel_budget);
  assert.ok(r.json.memory_pages >= 1 && r.json.memory_pages <= r.json.memory_pages_cap);
  assert.deepEqual(r.json.writes.trust, { [h('55')]: 750001 });
  assert.deepEqual(r.json.writes.balances, { [h('66')]: 1005 });
  assert.deepEqual(r.json.writes.kv.map((w: { key: string; deleted: boolean; value: string | null }) => [w.key, w.deleted, w.value]).sort(),
    [['greeting', true, null], ['seen', false, 'yes']]);
  assert.equal(r.json.module.limits_from, "the hostcalls it imports, the host's ceilings");
  // flags override the fixture's capsule; the same fuel for the same input
  const again = await run(kapsule, d, ['dev', 'run', 'probe.wasm', '--payload', 'hello.txt', '--state', 'fixture.json', '--kind', 'note', '--channel', 'x', '--created-at', '5']);
  assert.match(again.json.result, /^note\|x\|5\|wasm\|/);
  const same = await run(kapsule, d, ['dev', 'run', 'probe.wasm', '--payload', 'hello.txt', '--state', 'fixture.json']);
  assert.equal(same.json.fuel, r.json.fuel);
  assert.equal(same.json.transcript_hash, r.json.transcript_hash);
});

test('kapsule dev run: a run out of fuel fails with the fuel used; bad fixtures and options are usage errors', async () => {
  const r = await run(kapsule, d, ['dev', 'run', 'probe.wasm', '--payload', 'hello.txt', '--state', 'fixture.json', '--fuel', '2000']);
  assert.equal(r.code, 1);
  assert.equal(r.json.error.code, 'OUT_OF_FUEL');
  assert.equal(r.json.fuel, 2000);
  writeFileSync(join(d, 'badfix.json'), JSON.stringify({ trusts: {} }));
  const bad = await run(kapsule, d, ['dev', 'run', 'probe.wasm', '--kind', 'post', '--state', 'badfix.json']);
  assert.equal(bad.code, 2);
  assert.match(bad.json.error.message, /unknown field "trusts"/);
  const noKind = await run(kapsule, d, ['dev', 'run', 'probe.wasm']);
  assert.equal(noKind.code, 2);
  assert.match(noKind.json.error.message, /needs a kind/);
  const typo = await run(kapsule, d, ['dev', 'run', 'rank.wasm', '--query', '--hostcalls', [...rankImports, 'get_ballance'].join(',')]);
  assert.equal(typo.code, 1, 'dev run refuses what kapsule-pack module refuses');
  assert.deepEqual(typo.json.error.details.unknownHostcalls, [{ name: 'get_ballance', suggestion: 'get_balance' }]);
  const noQuery = await run(kapsule, d, ['dev', 'run', 'probe.wasm', '--query']);
  assert.equal(noQuery.code, 2);
  assert.match(noQuery.json.error.message, /no "query" entry point/);
});

test('kapsule dev run on a .kmod: its signed limits and module id; --query runs the read-only view', async () => {
  const r = await run(kapsule, d, ['dev', 'run', 'rank.kmod', '--query', '--now', '1767247200000']);
  assert.equal(r.code, 0, JSON.stringify(r.json));
  assert.equal(r.json.entry, 'query');
  assert.equal(r.json.module.source, 'kmod');
  assert.equal(r.json.module.fuel, 12345678);
  assert.equal(r.json.now, 1767247200000);
  assert.equal(r.json.result.ok, false, 'rank refuses a query without input, as a normal result');
  writeFileSync(join(d, 'q.json'), '{"op":"trending","channel":"general"}');
  const q = await run(kapsule, d, ['dev', 'run', 'rank.kmod', '--query', '--payload', 'q.json', '--now', '1767247200000']);
  assert.equal(q.json.result.ok, true);
  assert.deepEqual(q.json.result.posts, []);
  const limits = await run(kapsule, d, ['dev', 'run', 'rank.kmod', '--query', '--fuel', '5']);
  assert.equal(limits.code, 2, 'a .kmod runs with its signed manifest');
});
