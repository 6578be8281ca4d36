/**
 * What the CLI prints, where: results on stdout and diagnostics on stderr whatever the outcome (a failed run's block,
 * the ingest summary), each error once; `kapsule show` with its result and logs (no `result undefined`); and
 * hostile strings (a channel with a C1 CSI and a bidi override, a kind with a newline, module logs with controls)
 * escaped on every terminal output, text and JSON alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { escapeControls } from '../../host/src/cli/escape.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';
import { wat2wasm } from '../execute/_helpers.ts';

async function call(cli: typeof kapsule, cwd: string, argv: string[]) {
  const io = captureIO(cwd);
  const code = await cli(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}
const count = (s: string, sub: string) => s.split(sub).length - 1;

test('a failed run: its block on stdout, the error once on stderr', async () => {
  const d = tempDir();
  await call(pack, d, ['keygen', '--out', 'test-only-a.key']);
  writeFileSync(join(d, 'p.json'), '{}');
  await call(pack, d, ['capsule', '--kind', 'post', '--payload', 'p.json', '--key', 'test-only-a.key', '--public', '--out', 'p.kapsule']);
  const bytes = readFileSync(join(d, 'p.kapsule'));
  bytes[bytes.length - 3] ^= 1;
  writeFileSync(join(d, 'bad.kapsule'), bytes);
  const r = await call(kapsule, d, ['run', 'bad.kapsule', '--key', 'test-only-a.key', '--db', 'a.db']);
  assert.equal(r.code, 1);
  assert.match(r.out, /^id {6}\S+\nstatus {2}rejected\n$/);
  assert.match(r.err, /^error SIGNATURE_INVALID \(verify\): .*\n$/);
  assert.equal(count(r.out + r.err, 'SIGNATURE_INVALID'), 1, 'the error is printed once');
});

test('ingest: the summary on stdout whether or not something was rejected; a rejection is also said on stderr', async () => {
  const d = tempDir();
  await call(pack, d, ['keygen', '--out', 'test-only-a.key']);
  writeFileSync(join(d, 'p.json'), '{}');
  mkdirSync(join(d, 'in'));
  await call(pack, d, ['capsule', '--kind', 'post', '--payload', 'p.json', '--key', 'test-only-a.key', '--public', '--out', 'in/1.kapsule']);
  const ok = await call(kapsule, d, ['ingest', 'in', '--db', 'a.db']);
  assert.equal(ok.code, 0);
  assert.match(ok.out, /ingested 1 capsule file\(s\)/);
  assert.equal(ok.err, '');
  writeFileSync(join(d, 'in', '2.kapsule'), 'not a capsule');
  const bad = await call(kapsule, d, ['ingest', 'in', '--db', 'a.db']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /ingested 2 capsule file\(s\)/);
  assert.match(bad.out, /rejected FORMAT_INVALID: 1/);
  assert.match(bad.err, /^1 capsule\(s\) rejected or failed: FORMAT_INVALID ×1/);
});

test('kapsule show: one result line, the output, the logs; no "undefined"', async () => {
  const d = tempDir();
  writeFileSync(join(d, 'echo.wasm'), await wat2wasm(readFileSync(new URL('../corpus/guest-echo.wat', import.meta.url), 'utf8')));
  await call(pack, d, ['keygen', '--out', 'test-only-dev.key']);
  assert.equal((await call(pack, d, ['module', 'echo.wasm', '--key', 'test-only-dev.key', '--hostcalls', 'get_payload,get_parent_count,submit_capsule_result,log,kv_get,kv_set', '--fuel', '10000000', '--memory-pages', '2', '--out', 'echo.kmod'])).code, 0);
  writeFileSync(join(d, 'hi.txt'), 'hi');
  const c = await call(pack, d, ['capsule', '--kind', 'post', '--payload', 'hi.txt', '--key', 'test-only-dev.key', '--public', '--logic', 'echo.kmod', '--out', 'e.kapsule', '--json']);
  const id = JSON.parse(c.out).capsule_id;
  assert.equal((await call(kapsule, d, ['module', 'add', 'echo.kmod', '--db', 'a.db'])).code, 0);
  assert.equal((await call(kapsule, d, ['run', 'e.kapsule', '--key', 'test-only-dev.key', '--db', 'a.db'])).code, 0);
  const j = JSON.parse((await call(kapsule, d, ['show', id, '--db', 'a.db', '--json'])).out);
  assert.ok(j.result.logs.length > 0, 'the echo guest logs');
  const r = await call(kapsule, d, ['show', id.slice(0, 8), '--db', 'a.db']);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.out, /undefined/);
  assert.equal(r.out.match(/^result /gm)?.length, 1, 'one result line');
  assert.match(r.out, /^result +ok$/m);
  assert.match(r.out, new RegExp(`^fuel +${j.result.fuel}$`, 'm'));
  assert.match(r.out, /^output +[0-9a-f]+$/m);
  for (const l of j.result.logs) assert.ok(r.out.includes(l), `log line "${l}" shown`);
  assert.match(r.out, /^logs +\S/m);
});

const HOSTILE_CHANNEL = 'news\u009b31m\u202eevil\u2066x';
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('a hostile channel or flag value: refused by the format (v2) when packed; escaped on every output when a store holds one', async () => {
  const d = tempDir();
  const me = testIdentity(b, 'escape/device');
  // format 2 refuses C1 controls, bidi formatting and U+FEFF in channels and flag values (docs/FORMAT.md)
  assert.throws(() => buildCapsule(b, me, { kind: 'post', channel: HOSTILE_CHANNEL, createdAt: 1000n, payload: utf8.encode('{}'), to: 'public' }), /channel/);
  assert.throws(() => buildCapsule(b, me, { kind: 'post', channel: 'news', createdAt: 1000n, flags: [['lang', 'en\u009b\u202e']], payload: utf8.encode('{}'), to: 'public' }), /flags/);
  // defence in depth: rows written by an older format or a hostile writer of the file are escaped wherever shown
  const root = buildCapsule(b, me, { kind: 'post', channel: 'news', createdAt: 1000n, payload: utf8.encode('{}'), to: 'public' });
  const rt = openRuntime({ db: join(d, 'h.db'), identity: me });
  rt.ingest(root.bytes);
  rt.store.transaction(() => rt.store.insertCapsule({
    id: new Uint8Array(32).fill(9), kind: 'post', authorAlg: 'ed25519', author: me.sigPublic, channel: HOSTILE_CHANNEL, createdAt: 1001,
    depth: 0, logic: null, encrypted: false, status: 'stored', parents: [], bytes: root.bytes,
  }));
  rt.close();
  for (const argv of [['ls', '--db', 'h.db'], ['heads', '--db', 'h.db'], ['graph', '--db', 'h.db', '--format', 'dot'], ['graph', '--db', 'h.db', '--format', 'mermaid']]) {
    const text = await call(kapsule, d, argv);
    assert.equal(text.code, 0, `${argv.join(' ')}: ${text.err}`);
    assert.doesNotMatch(text.out + text.err, RAW, `${argv.join(' ')} prints no raw control or bidi character`);
    const json = await call(kapsule, d, [...argv, '--json']);
    assert.doesNotMatch(json.out, RAW, `${argv.join(' ')} --json`);
    JSON.parse(json.out);
  }
  const ls = await call(kapsule, d, ['ls', '--db', 'h.db']);
  assert.ok(ls.out.includes('#news\\u009b31m\\u202eevil\\u2066x'), ls.out);
  // --json carries the exact string (escaped by JSON, not altered)
  const j = JSON.parse((await call(kapsule, d, ['ls', '--db', 'h.db', '--json'])).out);
  assert.ok(j.capsules.some((c: { channel: string }) => c.channel === HOSTILE_CHANNEL));
});

test('escapeControls: what is escaped and what is kept', () => {
  assert.equal(escapeControls('a\u009bb\u202ec\u200fd\u061ce\u2069f'), 'a\\u009bb\\u202ec\\u200fd\\u061ce\\u2069f');
  assert.equal(escapeControls('a\nb\tc\rd\x1b[2J'), 'a\\u000ab\\u0009c\\u000dd\\u001b[2J');
  assert.equal(escapeControls('a\nb\tc\rd', 'lines'), 'a\nb\tc\\u000dd');
  assert.equal(escapeControls('héllo — ✓ 日本 \u00a0'), 'héllo — ✓ 日本 \u00a0', 'printable Unicode is left alone');
  for (let c = 0x80; c <= 0x9f; c++) assert.equal(escapeControls(String.fromCharCode(c)).length, 6);
  for (const c of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c]) {
    assert.equal(escapeControls(String.fromCharCode(c)), `\\u${c.toString(16).padStart(4, '0')}`);
  }
  assert.equal(JSON.parse(escapeControls(JSON.stringify({ k: 'x\u202ey\u009b' }))).k, 'x\u202ey\u009b', 'escaped JSON parses to the same value');
});
