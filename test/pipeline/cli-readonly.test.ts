/**
 * Read-only commands open the store read-only: a mistyped --db is "no such store" (exit 1) and creates nothing;
 * someone who may only read the file (a chmod 444 copy in a chmod 555 folder, run as another user) can list,
 * show, verify, prove, export and draw it — both for a WAL database closed cleanly (no -shm: read from a private
 * copy) and for one a writer has open (existing -wal/-shm, whose uncheckpointed capsule must be seen). Nothing in
 * the read-only folder changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { captureIO, DEV_NODE_ARGS, tempDir, testIdentity } from '../helpers/fixtures.ts';

const root = new URL('../..', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;

/** Runs kapsule command lines in one child process as an unprivileged user (nobody) when we are root. */
function asReader(runs: string[][]): { code: number; stdout: string; stderr: string }[] {
  const node = [process.execPath, ...DEV_NODE_ARGS, join(root, 'test/helpers/cli-child.ts'), JSON.stringify(runs)];
  const [cmd, ...args] = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } });
  assert.equal(r.status, 0, `child failed (${cmd}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const snapshotDir = (dir: string) => readdirSync(dir).sort().map((f) => `${f}:${createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')}`);

function readCommands(db: string, out: string, id: string): string[][] {
  return [
    ['ls', '--db', db], ['show', id.slice(0, 12), '--db', db], ['heads', '--db', db], ['orphans', '--db', db],
    ['audit', 'verify', '--db', db], ['audit', 'show', '--db', db], ['audit', 'prove', '0', '--db', db],
    ['audit', 'checkpoint', '--db', db, '--out', join(out, 'x.checkpoint')], ['audit', 'replay', '--db', db],
    ['graph', '--db', db, '--format', 'dot'], ['agent', 'proposals', '--db', db], ['sync', 'export', '--db', db, '--out', join(out, 'x.ksnap')],
  ].map((argv) => [...argv, '--json']);
}

test('a mistyped --db: "no such store", exit 1, nothing created — for every read-only command', async () => {
  const d = tempDir();
  for (const argv of readCommands('typo.bd', d, '00000000000000000000')) {
    const io = captureIO(d);
    const code = await kapsule(argv, io);
    assert.equal(code, 1, `${argv.join(' ')}: ${io.stdout}`);
    const j = JSON.parse(io.stdout);
    assert.equal(j.error.code, 'STORE_ERROR', argv.join(' '));
    assert.match(j.error.message, /^no such store: typo\.bd/);
    assert.equal(existsSync(join(d, 'typo.bd')), false, `${argv[0]} created the file`);
  }
  mkdirSync(join(d, 'adir'));
  const io = captureIO(d);
  assert.equal(await kapsule(['ls', '--db', 'adir'], io), 1);
  assert.match(io.stderr, /adir is a directory, not a store/);
});

test('as a user who may only read the file: every read-only command works, and nothing is written', async () => {
  const d = tempDir();
  chmodSync(d, 0o755);
  const me = testIdentity(b, 'readonly/device');
  const rt = openRuntime({ db: join(d, 'w.db'), identity: me });
  const caps = [0, 1, 2, 3].map((i) => buildCapsule(b, me, { kind: 'post', channel: 'ro', createdAt: BigInt(1000 + i), payload: utf8.encode('{}'), to: 'public' }));
  rt.ingestBatch(caps.map((c) => c.bytes));
  rt.close();
  const out = join(d, 'out');
  mkdirSync(out);
  chmodSync(out, 0o777);

  // 1. a WAL database closed cleanly: no -shm, and the reader cannot create one
  const ro = join(d, 'ro');
  mkdirSync(ro);
  copyFileSync(join(d, 'w.db'), join(ro, 'a.db'));
  chmodSync(join(ro, 'a.db'), 0o444);
  chmodSync(ro, 0o555);
  const before = snapshotDir(ro);
  const results = asReader(readCommands(join(ro, 'a.db'), out, toHex(caps[0].id)));
  for (const [i, r] of results.entries()) {
    assert.equal(r.code, 0, `${readCommands('a.db', out, '')[i].slice(0, 2).join(' ')}: ${r.stdout} ${r.stderr}`);
  }
  assert.equal(JSON.parse(results[0].stdout).capsules.length, 4);
  assert.equal(JSON.parse(results[4].stdout).valid, true);
  assert.deepEqual(snapshotDir(ro), before, 'the read-only folder is unchanged');

  // 2. a writer has the file open (existing -wal and -shm); its last capsule is only in the WAL
  const live = join(d, 'live');
  mkdirSync(live);
  copyFileSync(join(d, 'w.db'), join(live, 'a.db'));
  const writer = openRuntime({ db: join(live, 'a.db'), identity: me });
  try {
    const extra = buildCapsule(b, me, { kind: 'post', channel: 'ro', createdAt: 5000n, payload: utf8.encode('{}'), to: 'public' });
    assert.equal(writer.ingest(extra.bytes).status, 'stored');
    chmodSync(join(live, 'a.db'), 0o444);
    chmodSync(live, 0o555);
    const r = asReader([['ls', '--db', join(live, 'a.db'), '--json'], ['audit', 'verify', '--db', join(live, 'a.db'), '--json']]);
    assert.equal(r[0].code, 0, r[0].stdout + r[0].stderr);
    assert.equal(JSON.parse(r[0].stdout).capsules.length, 5, 'the capsule still in the WAL is seen');
    assert.equal(r[1].code, 0, r[1].stdout + r[1].stderr);
  } finally {
    writer.close();
    chmodSync(live, 0o755);
  }
});
