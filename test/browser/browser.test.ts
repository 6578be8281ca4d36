/**
 * The browser bundle (dist/kapsule-rt.browser.mjs, built here into a temp dir) in headless Chromium: a page with
 * MemoryStore + Runtime on the noble backend and NO instrumenter verifies, decrypts and executes golden encrypted
 * capsules referencing the `rank` module, from the instrumented bytes Node exported into its compiled cache. The
 * output bytes and fuel must equal what Node (SqliteStore, native crypto, binaryen) produced for the same
 * capsules and the same state.
 *
 * Chromium: the one `npm ci` installs (test/helpers/chromium.ts; KAPSULE_CHROMIUM picks another). It never skips.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { bundleBrowser, BROWSER_FORBIDDEN, type BundleInfo } from '../../scripts/bundle.ts';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { encodeSecretIdentity } from '../../host/src/keys.ts';
import { compiledCacheKey } from '../../host/src/execute/sandbox.ts';
import { verifyModulePackage } from '../../host/src/verify/index.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { testIdentity, testSeed } from '../helpers/fixtures.ts';
import { Sandbox, MemoryCompiledCache } from '../../host/src/execute/index.ts';
import { corpusWasm, readCorpus } from '../execute/_helpers.ts';

const root = new URL('../../', import.meta.url).pathname;
const RANK_KMOD = join(root, 'build/modules/rank.kmod');
const T0 = 1_767_225_600_000n; // 2026-01-01T00:00:00Z
const HOUR = 3_600_000n;

/** The golden scenario: fixed keys and fixed encryption randomness, so the capsules are the same bytes every run. */
function scenario() {
  assert.ok(existsSync(RANK_KMOD), `${RANK_KMOD} is missing: run npm run build (npm test does) to build the rank module`);
  const kmod = new Uint8Array(readFileSync(RANK_KMOD));
  const pkg = verifyModulePackage(b, kmod);
  const owner = testIdentity(b, 'browser/owner');
  const author = testIdentity(b, 'browser/author');
  const commenter = testIdentity(b, 'browser/commenter', 'p256');
  const seal = (label: string) => ({
    cek: testSeed(`browser/${label}/cek`), nonce: testSeed(`browser/${label}/nonce`).subarray(0, 24),
    ephemeralSecrets: [testSeed(`browser/${label}/eph0`)],
  });
  const post = buildCapsule(b, author, {
    kind: 'post', channel: 'web', createdAt: T0, logic: pkg.id,
    payload: utf8.encode('{"title":"kapsule-rt in a browser"}'), to: [owner.encPublic],
  }, seal('post'));
  const comment = buildCapsule(b, commenter, {
    kind: 'comment', channel: 'web', createdAt: T0 + 60_000n, parents: [post.id], logic: pkg.id,
    payload: utf8.encode('{"text":"same bytes, same fuel"}'), to: [owner.encPublic],
  }, seal('comment'));
  return {
    kmod, moduleId: pkg.idHex, wasmHash: toHex(pkg.manifest.wasmHash), owner, capsules: [post, comment],
    runs: [{ bytes: post.bytes, now: T0 + HOUR }, { bytes: comment.bytes, now: T0 + 5n * HOUR }],
    query: { input: '{"op":"trending","channel":"web"}', now: T0 + 5n * HOUR },
    trust: [{ subject: author.sigPublic, score: 450_000n }, { subject: commenter.sigPublic, score: 300_000n }],
  };
}

interface RunOut { status: string; id: string | null; output: string | null; fuel: string | null; error: string | null }

/** The page: everything it needs comes from the fixture; it returns what each ingest produced. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>kapsule-rt browser test</title><link rel="icon" href="data:,">
<script type="module">
import * as K from './kapsule-rt.browser.mjs';
window.runKapsule = async (f) => {
  const store = new K.MemoryStore();
  const identity = K.parseSecretIdentity(K.nobleBackend, f.ownerKey);
  const rt = new K.Runtime({ store, backend: K.nobleBackend, identity });   // no instrumenter
  store.putCompiled(f.compiledKey, K.fromHex(f.compiledHex));
  const kmod = K.fromHex(f.kmod);
  const pkg = K.verifyModulePackage(K.nobleBackend, kmod);
  const m = pkg.manifest;
  // Chromium limits synchronous WebAssembly compilation on the main thread: compile once asynchronously.
  await rt.sandbox.loadAsync(pkg.wasm, { hostcalls: m.hostcalls, fuel: m.fuel, memoryPages: m.memoryPages, maxDepth: m.maxDepth });
  const added = rt.addModule(kmod);
  store.transaction(() => { for (const t of f.trust) store.setTrust(K.fromHex(t.subject), BigInt(t.score)); });
  const runs = f.runs.map((r) => {
    const x = rt.ingest(K.fromHex(r.bytes), { now: BigInt(r.now) });
    return { status: x.status, id: x.id, output: x.output ? K.toHex(x.output) : null,
             fuel: x.fuel !== undefined ? x.fuel.toString() : null, error: x.error ? x.error.code + ': ' + x.error.message : null };
  });
  const q = rt.queryModule(added.id, new TextEncoder().encode(f.query.input), { now: BigInt(f.query.now) });
  const view = { output: K.toHex(q.output), fuel: q.fuel.toString() };
  // the first capsule, opened by hand through the public parse → verify → decrypt functions
  const v = K.verifyCapsule(K.nobleBackend, K.fromHex(f.runs[0].bytes));
  const d = K.decryptCapsule(K.nobleBackend, v, identity);
  return { runs, view, added, stats: rt.sandbox.stats, plaintext: new TextDecoder().decode(d.plaintext),
           verifiedId: K.toHex(K.capsuleId(K.nobleBackend, v.body)),
           audit: K.verifyAuditLog(K.nobleBackend, store).ok, userAgent: navigator.userAgent };
};
// the sandbox alone, without an instrumenter, from Node's instrumented bytes: outcome and fuel of one run
window.runSandbox = async (f) => {
  const cache = new K.MemoryCompiledCache();
  cache.set(f.compiledKey, K.fromHex(f.compiledHex));
  const sb = new K.SandboxCore({ sha256: (b) => K.nobleBackend.sha256(b), cache }, null);
  const mod = await sb.loadAsync(K.fromHex(f.wasm), { hostcalls: [], fuel: BigInt(f.fuel), memoryPages: f.pages, maxDepth: f.depth });
  const z = new Uint8Array(32);
  const input = {
    capsule: { id: z, kind: 'post', authorAlg: 'ed25519', author: z, channel: '', createdAt: 0n, parents: [], flags: [], logic: null, payloadLength: 0 },
    payload: null, parents: [], context: { now: 0n, owner: z },
    state: { trustScore: () => 0n, balance: () => 0n, kvGet: () => null },
  };
  const str = (x) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  try { const o = sb.run(mod, input); return str({ ok: true, fuel: o.fuelUsed, maxDepth: mod.limits.maxDepth }); }
  catch (e) { return str({ code: e.code, details: e.details, maxDepth: mod.limits.maxDepth }); }
};
window.kapsuleReady = true;
</script>`;

let tmp: string;
let info: BundleInfo;
let server: Server;
let browser: Browser;
let base: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kapsule-browser-'));
  info = await bundleBrowser(tmp);
  const bundle = readFileSync(info.file);
  server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/kapsule-rt.browser.mjs') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // playwright gives every launch a fresh, empty --user-data-dir of its own (it refuses one in args)
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the browser bundle has no Node-only, SQLite or binaryen input and stays small', () => {
  const meta = JSON.parse(readFileSync(`${info.file}.meta.json`, 'utf8')) as { inputs: Record<string, unknown> };
  const inputs = Object.keys(meta.inputs);
  assert.ok(inputs.some((i) => i.endsWith('host/src/runtime.ts')) && inputs.some((i) => i.endsWith('host/src/store/memory.ts')));
  assert.deepEqual(inputs.filter((i) => BROWSER_FORBIDDEN.test(i) || /binaryen|better-sqlite3|^node:/.test(i)), []);
  const text = readFileSync(info.file, 'utf8');
  assert.doesNotMatch(text, /from\s*["'](node:|binaryen|better-sqlite3)/);
  assert.ok(info.bytes < 400 * 1024, `browser bundle is ${info.bytes} bytes`);
});

test('Chromium verifies, decrypts and runs golden rank capsules: same output bytes and fuel as Node', async () => {
  const s = scenario();

  // Node: SQLite store, native crypto, binaryen instrumentation
  const rt = openRuntime({ db: ':memory:', identity: s.owner });
  let node: RunOut[];
  let compiled: Uint8Array;
  let nodeView: { output: string; fuel: string };
  try {
    rt.addModule(s.kmod);
    rt.store.transaction(() => { for (const t of s.trust) rt.store.setTrust(t.subject, t.score); });
    node = s.runs.map((r) => {
      const x = rt.ingest(r.bytes, { now: r.now });
      return { status: x.status, id: x.id, output: x.output ? toHex(x.output) : null, fuel: x.fuel?.toString() ?? null, error: x.error ? `${x.error.code}: ${x.error.message}` : null };
    });
    const q = rt.queryModule(s.moduleId, utf8.encode(s.query.input), { now: s.query.now });
    nodeView = { output: toHex(q.output), fuel: q.fuel.toString() };
    const c = rt.store.getCompiled(compiledCacheKey(s.wasmHash));
    assert.ok(c, 'Node put the instrumented module into its compiled cache');
    compiled = c;
  } finally { rt.close(); }
  for (const r of node) assert.equal(r.status, 'executed', `Node: ${r.error}`);
  const score = node.map((r) => JSON.parse(Buffer.from(r.output!, 'hex').toString('utf8')));
  assert.deepEqual(score[0], { ok: true, post: s.capsules[0].idHex, channel: 'web', index: 0 });
  assert.deepEqual(score[1], { ok: true, post: s.capsules[0].idHex, engagement: true });
  const trending = JSON.parse(Buffer.from(nodeView!.output, 'hex').toString('utf8')).posts[0];
  assert.equal(trending.author_trust, 450000);
  assert.equal(trending.engaged, 1, 'the view counts the comment\'s author as one trusted engager');
  assert.equal(trending.age_hours, 5);

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(base);
  await page.waitForFunction(() => (globalThis as unknown as { kapsuleReady?: boolean }).kapsuleReady === true, null, { timeout: 30_000 });
  const fixture = {
    ownerKey: encodeSecretIdentity(s.owner), kmod: toHex(s.kmod), compiledKey: compiledCacheKey(s.wasmHash), compiledHex: toHex(compiled),
    trust: s.trust.map((t) => ({ subject: toHex(t.subject), score: t.score.toString() })),
    runs: s.runs.map((r) => ({ bytes: toHex(r.bytes), now: r.now.toString() })),
    query: { input: s.query.input, now: s.query.now.toString() },
  };
  const web = await page.evaluate(
    (f) => (globalThis as unknown as { runKapsule(f: unknown): Promise<unknown> }).runKapsule(f),
    fixture,
  ) as { runs: RunOut[]; view: { output: string; fuel: string }; added: { id: string; added: boolean }; stats: { instrumented: number; compiled: number }; plaintext: string; verifiedId: string; audit: boolean; userAgent: string };
  await page.close();

  assert.deepEqual(problems, []);
  assert.match(web.userAgent, /HeadlessChrome|Chrome/);
  assert.deepEqual(web.added, { id: s.moduleId, name: 'rank', version: '2.0.0', added: true, runnable: 0 });
  assert.equal(web.stats.instrumented, 0, 'the browser ran the pre-instrumented bytes; it never instrumented');
  assert.equal(web.stats.compiled, 1);
  assert.equal(web.plaintext, '{"title":"kapsule-rt in a browser"}');
  assert.equal(web.verifiedId, s.capsules[0].idHex);
  assert.equal(web.audit, true);
  assert.deepEqual(web.runs, node, 'same statuses, ids, output bytes and fuel in Chromium (noble, MemoryStore) as in Node (native, SQLite)');
  assert.deepEqual(web.view, nodeView!, 'the same read-only trending view (query) at the same now');
});

test('big frames (1,000 f64 locals, 200 deep): Chromium\'s main thread gives the same STACK_LIMIT and fuel as Node', async () => {
  // Before the stack budget, Chromium's main thread ended this "engine stack exhausted" (fuel 615,504), Node's main
  // thread likewise at fuel 620,508, and a Node worker succeeded. test/execute/determinism.test.ts covers the worker.
  const c = readCorpus('big-frame.wat');
  const wasm = await corpusWasm(c);
  const cache = new MemoryCompiledCache();
  const sb = new Sandbox({ sha256: (x) => b.sha256(x), cache });
  const limits = { hostcalls: [], fuel: c.fuel, memoryPages: c.pages, maxDepth: c.depth };
  const mod = sb.load(wasm, limits);
  const z = new Uint8Array(32);
  let node: string;
  try {
    sb.run(mod, {
      capsule: { id: z, kind: 'post', authorAlg: 'ed25519', author: z, channel: '', createdAt: 0n, parents: [], flags: [], logic: null, payloadLength: 0 },
      payload: null, parents: [], context: { now: 0n, owner: z },
      state: { trustScore: () => 0n, balance: () => 0n, kvGet: () => null },
    });
    node = 'ok';
  } catch (e) {
    const k = e as { code: string; details: unknown };
    node = JSON.stringify({ code: k.code, details: k.details, maxDepth: mod.limits.maxDepth }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  assert.match(node, /"code":"STACK_LIMIT"/);
  assert.doesNotMatch(node, /native/);
  const key = compiledCacheKey(mod.id);
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForFunction(() => (globalThis as unknown as { kapsuleReady?: boolean }).kapsuleReady === true, null, { timeout: 30_000 });
  const web = await page.evaluate(
    (f) => (globalThis as unknown as { runSandbox(f: unknown): Promise<string> }).runSandbox(f),
    { compiledKey: key, compiledHex: toHex(cache.get(key) as Uint8Array), wasm: toHex(wasm), fuel: c.fuel.toString(), pages: c.pages, depth: c.depth },
  );
  await page.close();
  assert.equal(web, node);
});
