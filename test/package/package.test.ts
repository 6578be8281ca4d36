/**
 * kapsule-rt and kapsule-guest-sdk as a user gets them: the project is built (`npm run build:package`) and packed
 * (`npm pack`), the tarballs' file lists are checked (no tests, bench, fixtures or sources), and in a temporary
 * folder OUTSIDE the repository the packages are put in node_modules, where:
 *   - both bins run with plain node (no tsx), `kapsule ingest --workers 2` starts its workers from the package;
 *   - an ESM script imports `kapsule-rt` and `kapsule-rt/node` and ingests capsules it built with the API;
 *   - TypeScript files type-check against the published .d.ts with `tsc --noEmit` (and one for browsers needs no
 *     @types/node);
 *   - `kapsule-pack new` scaffolds a module, `npm run build` compiles it with asc against the installed SDK package,
 *     `npm test` runs its as-pect spec, `npm run pack` packs it with --manifest, and it runs with `kapsule dev run`
 *     and through a real SQLite store (module add, run, query).
 *
 * Two ways to fill node_modules:
 *   default (npm test, ~30 s)      the tarballs are extracted into node_modules; their dependencies are links to
 *                                  this repository's node_modules (nothing is downloaded or compiled);
 *   KAPSULE_PACKAGE_TEST=install   `npm install` of the tarballs, as a user does (`npm run test:package`, in .ci/run):
 *                                  third-party dependencies come from the registry (--prefer-offline: the npm cache
 *                                  first), better-sqlite3 is compiled, and the scaffolded project gets its own install.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildPackage } from '../../scripts/build-package.ts';

const root = realpathSync(new URL('../..', import.meta.url).pathname);
const INSTALL = process.env.KAPSULE_PACKAGE_TEST === 'install';
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const sdkPkg = JSON.parse(readFileSync(join(root, 'guest-sdk/package.json'), 'utf8'));

const work = realpathSync(mkdtempSync(join(tmpdir(), 'kapsule-package-')));
assert.ok(relative(root, work).startsWith('..'), 'the test folder is outside the repository');
const timings: Record<string, number> = {};
function timed<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  try { return f(); } finally { timings[label] = Math.round(performance.now() - t0); }
}

function sh(cmd: string, args: string[], cwd: string, opts: SpawnSyncOptions = {}): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 << 20, ...opts });
  return { code: r.status ?? 1, out: String(r.stdout ?? ''), err: String(r.stderr ?? '') };
}
function ok(r: { code: number; out: string; err: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed:\n${r.out}\n${r.err}`);
  return r.out;
}
/** Plain node: no --import tsx, no loader hooks (NODE_OPTIONS cleared too). */
const node = (args: string[], cwd: string, opts: SpawnSyncOptions = {}) => sh(process.execPath, args, cwd, opts);
/**
 * The npm that runs this test (npm_execpath under `npm test` / `npm run`), else the first `npm` on PATH outside any
 * node_modules/.bin: @as-pect/cli's dependencies install an old npm there, which `npm run` puts first on PATH.
 */
function npmCommand(): string[] {
  const exec = process.env.npm_execpath;
  if (exec && /\.[cm]?js$/.test(exec) && existsSync(exec)) return [process.execPath, exec];
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir || dir.includes('node_modules')) continue;
    if (existsSync(join(dir, 'npm'))) return [join(dir, 'npm')];
  }
  throw new Error('npm not found on PATH');
}
const NPM = npmCommand();
const npm = (args: string[], cwd: string) => sh(NPM[0], [...NPM.slice(1), ...args], cwd);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (s: string): any => JSON.parse(s.slice(s.indexOf('{')));

interface Packed { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string; size: number }[] }
function pack(dir: string): Packed {
  const out = ok(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], dir), `npm pack in ${dir}`);
  return (JSON.parse(out.slice(out.indexOf('[\n'))) as Packed[])[0];
}

const t0 = performance.now();
const rt = await buildPackage();
timings['build:package'] = Math.round(performance.now() - t0);
const rtPack = timed('npm pack', () => pack(root));
const sdkPack = pack(join(root, 'guest-sdk'));
const rtTgz = join(work, rtPack.filename);
const sdkTgz = join(work, sdkPack.filename);

test('the kapsule-rt tarball holds what users need and nothing else', (t) => {
  const paths = rtPack.files.map((f) => f.path);
  t.diagnostic(`kapsule-rt: ${rtPack.entryCount} files, ${rtPack.size} bytes packed, ${rtPack.unpackedSize} unpacked; lib/ built in ${rt.seconds.toFixed(1)} s`);
  const allowed = [/^package\.json$/, /^README\.md$/, /^bin\/kapsule(-pack)?\.js$/, /^lib\/(host|capsule-packer)\/src\/.+\.(js|d\.ts)$/,
    /^dist\/kapsule-rt\.browser\.mjs$/, /^docs\/[A-Z]+\.md$/, /^capsule-packer\/template\//];
  for (const p of paths) assert.ok(allowed.some((re) => re.test(p)), `${p} should not be in the tarball`);
  for (const p of paths) {
    assert.doesNotMatch(p, /(^|\/)(test|tests|bench|scripts|vectors|corpus|fixtures|node_modules)\//, `${p}: tests, bench or fixtures`);
    assert.doesNotMatch(p, /\.test\.|\.meta\.json$|\.wat$|\.kapsule$|\.kmod$|\.db$/, `${p}: a test or fixture file`);
    if (p.includes('__tests__')) assert.match(p, /^capsule-packer\/template\/assembly\/__tests__\/index\.spec\.ts$/, 'only the template\'s own spec');
    if (p.endsWith('.ts') && !p.endsWith('.d.ts')) assert.match(p, /^capsule-packer\/template\//, `${p}: TypeScript sources are not shipped`);
  }
  // every compiled entry point and worker is there, with its declarations
  for (const f of ['index', 'node', 'execute/testing', 'cli/bin', 'cli/jobs', 'verify/pool-worker', 'execute/worker']) {
    assert.ok(paths.includes(`lib/host/src/${f}.js`), `lib/host/src/${f}.js`);
    assert.ok(paths.includes(`lib/host/src/${f}.d.ts`), `lib/host/src/${f}.d.ts`);
  }
  for (const [cond, target] of Object.entries(rootPkg.exports as Record<string, string | Record<string, string>>)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) assert.ok(paths.includes(file.replace(/^\.\//, '')), `exports["${cond}"] → ${file} is packed`);
  }
  for (const b of Object.values(rootPkg.bin as Record<string, string>)) assert.ok(paths.includes(b), `bin ${b} is packed`);
  assert.ok(rtPack.unpackedSize < 3 << 20, `unpacked ${rtPack.unpackedSize} bytes`);
  assert.equal(rootPkg.private, undefined, 'publishable');
});

test('the kapsule-guest-sdk tarball is the AssemblyScript sources, versioned by the ABI', async () => {
  const { ABI_VERSION } = await import('../../host/src/execute/hostcalls/table.ts');
  assert.deepEqual(sdkPack.files.map((f) => f.path).sort(), [
    'README.md', 'assembly/env.ts', 'assembly/hex.ts', 'assembly/index.ts', 'assembly/json.ts', 'assembly/keyset.ts', 'assembly/testing.ts',
    'index.ts', 'package.json',
  ]);
  assert.equal(Number(sdkPkg.version.split('.')[0]), ABI_VERSION, 'the SDK\'s major version is the hostcall ABI version');
});

// ---- the user's folder ----

const app = join(work, 'app');
mkdirSync(app);
writeFileSync(join(app, 'package.json'), JSON.stringify({
  name: 'app', version: '1.0.0', private: true, type: 'module', allowScripts: { 'better-sqlite3': true, 'glob-promise': false },
}, null, 2));

/** Extracts a tarball into node_modules/<name> (the default mode). */
function extract(tgz: string, into: string): void {
  mkdirSync(into, { recursive: true });
  ok(sh('tar', ['-xzf', tgz, '-C', into, '--strip-components=1'], work), `tar ${tgz}`);
}

/** Default mode: the two packages extracted, every other package a link to this repository's node_modules. */
function linkInstall(dir: string): void {
  const nm = join(dir, 'node_modules');
  mkdirSync(join(nm, '.bin'), { recursive: true });
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === '.bin' || name.startsWith('.') || name === 'kapsule-guest-sdk' || name === 'kapsule-rt') continue;
    if (name.startsWith('@')) {
      mkdirSync(join(nm, name), { recursive: true });
      for (const sub of readdirSync(join(root, 'node_modules', name))) symlinkSync(join(root, 'node_modules', name, sub), join(nm, name, sub));
    } else symlinkSync(join(root, 'node_modules', name), join(nm, name));
  }
  extract(rtTgz, join(nm, 'kapsule-rt'));
  extract(sdkTgz, join(nm, 'kapsule-guest-sdk'));
  for (const b of readdirSync(join(root, 'node_modules/.bin'))) symlinkSync(realpathSync(join(root, 'node_modules/.bin', b)), join(nm, '.bin', b));
  for (const [b, target] of Object.entries(rootPkg.bin as Record<string, string>)) symlinkSync(join(nm, 'kapsule-rt', target), join(nm, '.bin', b));
}

if (INSTALL) {
  timed('npm install (app)', () => ok(npm(['install', ...NPM_FLAGS, rtTgz, sdkTgz, `typescript@${rootPkg.devDependencies.typescript}`,
    `@types/node@${rootPkg.devDependencies['@types/node']}`], app), 'npm install of the tarballs'));
} else linkInstall(app);

const kapsuleBin = join(app, 'node_modules/kapsule-rt/bin/kapsule.js');
const packBin = join(app, 'node_modules/kapsule-rt/bin/kapsule-pack.js');

test('both bins run the compiled CLI with plain node; npx resolves them to this package', () => {
  assert.equal(realpathSync(kapsuleBin).startsWith(work), true, 'the bin is the installed copy');
  const help = ok(node([kapsuleBin, '--help'], app), 'kapsule --help');
  assert.match(help, /^kapsule — run signed, encrypted capsules/);
  assert.match(help, /dev run/);
  assert.match(ok(node([packBin, '--help'], app), 'kapsule-pack --help'), /^kapsule-pack — make identities/);
  assert.match(ok(node([packBin, 'help', 'new'], app), 'kapsule-pack help new'), /kapsule-pack new <name>/);
  // the development launcher (tsx) and the TypeScript sources stay in the repository
  assert.equal(existsSync(join(app, 'node_modules/kapsule-rt/scripts')), false);
  assert.equal(existsSync(join(app, 'node_modules/kapsule-rt/host')), false);
  if (INSTALL) {
    assert.match(ok(sh(join(app, 'node_modules/.bin/kapsule'), ['--help'], app), '.bin/kapsule'), /^kapsule — /);
    // --no: never install another package of that name (an unrelated `kapsule` exists on the registry)
    assert.match(ok(npm(['exec', '--no', '--', 'kapsule', '--help'], app), 'npx kapsule'), /^kapsule — /);
    assert.match(ok(npm(['exec', '--no', '--', 'kapsule-rt', '--help'], app), 'npx kapsule-rt'), /^kapsule — /);
    assert.match(ok(npm(['exec', '--no', '--', 'kapsule-pack', '--help'], app), 'npx kapsule-pack'), /^kapsule-pack — /);
  }
});

test('an ESM app imports kapsule-rt and kapsule-rt/node, builds capsules with the API and ingests them', () => {
  ok(node([packBin, 'keygen', '--out', 'device.key'], app), 'keygen');
  writeFileSync(join(app, 'app.mjs'), `
import assert from 'node:assert/strict';
import { buildCapsule, generateIdentity, nobleBackend, KapsuleError, utf8, Runtime, MemoryStore } from 'kapsule-rt';
import { openRuntime, loadSecretIdentity, loadPublicIdentity, nativeBackend, KapsuleError as NodeKapsuleError, PrecheckPool } from 'kapsule-rt/node';
import { writeFileSync } from 'node:fs';
assert.equal(NodeKapsuleError, KapsuleError, 'one KapsuleError whichever entry');
const device = loadSecretIdentity('device.key');
const alice = generateIdentity(nobleBackend, 'ed25519', 'alice');
const made = [];
for (let i = 0; i < 6; i++) {
  const c = buildCapsule(nativeBackend, alice, { kind: 'post', channel: 'general', createdAt: BigInt(1000 + i),
    payload: utf8.encode('hello ' + i), to: i % 2 ? 'public' : [loadPublicIdentity('device.key.pub').encPublic] });
  writeFileSync('c' + i + '.kapsule', c.bytes);
  made.push(c);
}
const rt = openRuntime({ db: 'app.db', identity: 'device.key' });
const results = made.map((c) => rt.ingest(c.bytes, { now: 5000n }));
assert.deepEqual(results.map((r) => r.status), made.map(() => 'stored'));
const rows = rt.query({ channel: 'general' });
assert.equal(rows.length, 6);
rt.close();
const mem = new Runtime({ store: new MemoryStore(), backend: nobleBackend, identity: device });
assert.equal(mem.ingest(made[0].bytes, { now: 5000n }).status, 'stored');
let code = null;
try { openRuntime({ db: 'app.db', identity: 'device.key.pub' }); } catch (e) { code = e instanceof KapsuleError ? e.code : String(e); }
assert.equal(code, 'KEY_INVALID');
const pool = new PrecheckPool({ workers: 1, enc: { encSecret: device.encSecret, encPublic: device.encPublic } });
await pool.ready();
const checked = await pool.check([made[0].bytes]);
await pool.close();
console.log(JSON.stringify({ ok: true, stored: results.length, resolved: import.meta.resolve('kapsule-rt'), node: import.meta.resolve('kapsule-rt/node'),
  precheck: checked[0] !== null, backends: pool.backends }));
`);
  const r = json(ok(node(['app.mjs'], app), 'node app.mjs'));
  assert.equal(r.stored, 6);
  assert.equal(r.precheck, true, 'a precheck worker started from the installed package');
  for (const u of [r.resolved, r.node]) assert.ok(u.startsWith(`file://${app}/node_modules/kapsule-rt/lib/`), u);
});

test('worker threads start from the installed package: ingest --workers 2, and a CLI job (sync import)', () => {
  const r = json(ok(node([kapsuleBin, 'ingest', ...[0, 1, 2, 3, 4, 5].map((i) => `c${i}.kapsule`), '--key', 'device.key', '--db', 'w.db', '--workers', '2', '--json'], app), 'ingest --workers 2'));
  assert.deepEqual(r.summary.worker_backends, ['native', 'native']);
  assert.deepEqual(r.summary.counts, { stored: 6 });
  // run as a process, sync import runs in a job worker (cli/jobs.js)
  ok(node([kapsuleBin, 'sync', 'export', '--db', 'w.db', '--out', 'all.ksnap'], app), 'sync export');
  const imported = json(ok(node([kapsuleBin, 'sync', 'import', 'all.ksnap', '--db', 'copy.db', '--key', 'device.key', '--json'], app), 'sync import'));
  assert.deepEqual(imported.capsules, { stored: 6 });
});

test('TypeScript files type-check against the published declarations (tsc --noEmit)', () => {
  writeFileSync(join(app, 'app.ts'), `
import { Runtime, MemoryStore, nobleBackend, buildCapsule, generateIdentity, utf8, KapsuleError, type IngestResult, type CapsuleRecord } from 'kapsule-rt';
import { openRuntime, SqliteStore, loadSecretIdentity, checkModule, PrecheckPool, type OpenRuntimeOptions } from 'kapsule-rt/node';
import { guestTestImports } from 'kapsule-rt/testing';
const opts: OpenRuntimeOptions = { db: ':memory:', identity: loadSecretIdentity('device.key') };
const rt: Runtime = openRuntime(opts);
const alice = generateIdentity(nobleBackend, 'ed25519');
const c = buildCapsule(nobleBackend, alice, { kind: 'post', channel: 'c', createdAt: 1n, payload: utf8.encode('x'), to: 'public' });
const r: IngestResult = rt.ingest(c.bytes);
const status: 'stored' | 'executed' | 'rejected' | 'duplicate' | string = r.status;
const rows: (CapsuleRecord & { result: unknown })[] = rt.query({});
const store: SqliteStore = new SqliteStore(':memory:');
const check: { imports: string[]; unused: string[] } = checkModule(new Uint8Array(8), { hostcalls: [], fuel: 1n, memoryPages: 1, maxDepth: 1 });
const pool = new PrecheckPool({ enc: null, workers: 1 });
const host = guestTestImports((b) => b);
if (r.error instanceof KapsuleError) console.log(r.error.code satisfies string);
// @ts-expect-error fuel is a bigint, not a number: the declarations are real types, not any
const fuel: number = r.fuel;
// @ts-expect-error a kind is required
buildCapsule(nobleBackend, alice, { channel: 'c', createdAt: 1n, payload: new Uint8Array(0), to: 'public' });
void [status, rows, store, check, pool, host, fuel, new MemoryStore()];
`);
  writeFileSync(join(app, 'browser.ts'), `
import { Runtime, MemoryStore, nobleBackend, parseSecretIdentity, verifyModulePackage, compiledCacheKey, toHex } from 'kapsule-rt';
const rt = new Runtime({ store: new MemoryStore(), backend: nobleBackend, identity: parseSecretIdentity(nobleBackend, '{}') });
void [rt, verifyModulePackage, compiledCacheKey, toHex];
`);
  const base = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...base, types: ['node'] }, files: ['app.ts'] }));
  writeFileSync(join(app, 'tsconfig.browser.json'), JSON.stringify({ compilerOptions: { ...base, lib: ['ES2022', 'DOM'], types: [] }, files: ['browser.ts'] }));
  const tsc = join(app, 'node_modules/typescript/bin/tsc');
  ok(node([tsc, '-p', 'tsconfig.json'], app), 'tsc --noEmit (node)');
  ok(node([tsc, '-p', 'tsconfig.browser.json'], app), 'tsc --noEmit (browser, no @types/node)');
});

test('a scaffolded module builds against the installed SDK, passes its spec, packs with --manifest, runs in dev run and a real store', async (t) => {
  ok(node([packBin, 'new', 'hello'], app), 'kapsule-pack new hello');
  const hello = join(app, 'hello');
  if (INSTALL) {
    timed('npm install (scaffold)', () => ok(npm(['install', ...NPM_FLAGS, rtTgz, sdkTgz], hello), 'npm install in the scaffold'));
  } else linkInstall(hello);
  timed('npm run build', () => ok(npm(['run', 'build'], hello), 'npm run build'));
  const spec = timed('npm test', () => ok(npm(['test'], hello), 'npm test (as-pect)'));
  assert.match(spec, /index\.spec\.ts.*Pass: 4 \/ 4/);
  assert.equal(realpathSync(join(hello, 'node_modules/kapsule-guest-sdk/index.ts')).startsWith(work), true, 'the SDK is the installed package');
  const dev = json(ok(npm(['run', '--silent', 'dev', '--', '--json'], hello), 'npm run dev'));
  assert.deepEqual(dev.result, { ok: true, author_notes: 7, total: 42 });
  assert.ok(dev.fuel > 0 && dev.memory_pages >= 1, JSON.stringify(dev));
  ok(npm(['run', 'keygen'], hello), 'npm run keygen');
  const packed = json(ok(node([packBin, 'module', 'build/hello.wasm', '--manifest', 'module.json', '--key', 'author.key', '--out', 'build/hello.kmod', '--json'], hello), 'kapsule-pack module --manifest'));
  assert.equal(packed.name, 'hello');
  assert.deepEqual(packed.unused_hostcalls, []);
  const devKmod = json(ok(node([kapsuleBin, 'dev', 'run', 'build/hello.kmod', '--kind', 'note', '--payload', 'examples/note.json', '--json'], hello), 'dev run .kmod'));
  assert.deepEqual(devKmod.result, { ok: true, author_notes: 1, total: 1 });
  assert.equal(devKmod.module.id, packed.module_id);
  // the sandbox worker (runInWorker: a run with a wall-clock backstop) starts from the package too
  writeFileSync(join(hello, 'worker.mjs'), `
import { readFileSync } from 'node:fs';
import { Sandbox, runInWorker, devInput, parseModuleJson, nativeBackend, utf8 } from 'kapsule-rt/node';
const wasm = new Uint8Array(readFileSync('build/hello.wasm'));
const m = parseModuleJson(readFileSync('module.json', 'utf8'));
const limits = { hostcalls: m.hostcalls, fuel: m.fuel, memoryPages: m.memoryPages, maxDepth: m.maxDepth };
const sb = new Sandbox({ sha256: (b) => nativeBackend.sha256(b) });
const mod = sb.load(wasm, limits);
const input = devInput({ entry: 'run', payload: utf8.encode('{"text":"w"}'), capsule: { kind: 'note' } });
const here = sb.run(mod, input);
const there = await runInWorker({ wasm, limits, input, timeoutMs: 30000, compiled: sb.compiledModule(mod) });
console.log(JSON.stringify({ same: Buffer.compare(here.output, there.output) === 0 && here.fuelUsed === there.fuelUsed, output: utf8.decode(there.output) }));
`);
  const w = json(ok(node(['worker.mjs'], hello), 'runInWorker'));
  assert.deepEqual(w, { same: true, output: '{"ok":true,"author_notes":1,"total":1}' });
  // through a real store: module add, two capsules, run, query
  ok(node([packBin, 'keygen', '--out', 'device.key'], hello), 'device keygen');
  ok(node([kapsuleBin, 'module', 'add', 'build/hello.kmod', '--db', 'store.db'], hello), 'module add');
  for (const [i, text] of ['first', 'second'].entries()) {
    writeFileSync(join(hello, `n${i}.json`), JSON.stringify({ text }));
    ok(node([packBin, 'capsule', '--kind', 'note', '--payload', `n${i}.json`, '--key', 'author.key', '--to', 'device.key.pub',
      '--logic', 'build/hello.kmod', '--created-at', String(1000 + i), '--out', `n${i}.kapsule`], hello), 'capsule');
  }
  const ran = ['n0', 'n1'].map((n) => json(node([kapsuleBin, 'run', `${n}.kapsule`, '--key', 'device.key', '--db', 'store.db', '--json'], hello).out));
  assert.deepEqual(ran.map((r) => [r.status, r.result]), [['executed', { ok: true, author_notes: 1, total: 1 }], ['executed', { ok: true, author_notes: 2, total: 2 }]]);
  const author = json(readFileSync(join(hello, 'author.key.pub'), 'utf8'));
  const authorHex: string = author.sig_public;
  const q = json(ok(node([kapsuleBin, 'query', 'hello', '--db', 'store.db', '--input', JSON.stringify({ author: authorHex }), '--json'], hello), 'query'));
  assert.deepEqual(q.result, { author: authorHex, notes: 2, total: 2 });
  t.diagnostic(`timings (ms): ${JSON.stringify(timings)}`);
});

test.after(() => { if (!process.env.KAPSULE_KEEP_PACKAGE_TEST) rmSync(work, { recursive: true, force: true }); });
