/**
 * The security findings on checkpoints, each reproduced as an attacker or an accident would:
 *  - a database-only rollback (an old copy of the file put back, no key needed): the device must refuse to sign a
 *    checkpoint over the forked log, and `audit verify` must report it — the witness next to the database keeps the
 *    last signed (size, root) where the rollback does not reach;
 *  - `audit verify --checkpoint` without `--signer` must not silently trust the signer recorded in the database:
 *    a database rewritten under another key with a matching "external" checkpoint is caught by the witness, and
 *    without a witness the report says the signer was not pinned (JSON and a loud warning on stderr);
 *  - a checkpoint for another origin is not evidence for this log, and the device never signs this log under another
 *    origin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { utf8 } from '../../host/src/bytes.ts';
import { saveIdentity } from '../../host/src/keys-node.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import { parseCheckpoint, signCheckpoint, checkpointKeyName } from '../../host/src/audit/checkpoint.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

const device = testIdentity(b, 'witness/device');
const attacker = testIdentity(b, 'witness/attacker');

function posts(from: number, n: number, author = device): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => buildCapsule(b, author, { kind: 'post', channel: 'w', createdAt: BigInt(1000 + from + i), payload: utf8.encode(`{"i":${from + i}}`), to: 'public' }).bytes);
}

async function cli(cwd: string, argv: string[]) {
  const io = captureIO(cwd);
  const code = await kapsule(argv, io);
  return { code, out: io.stdout, err: io.stderr, json: argv.includes('--json') ? JSON.parse(io.stdout) : null };
}

function ingest(db: string, items: Uint8Array[], identity = device, opts: { origin?: string } = {}): void {
  const rt = openRuntime({ db, identity, ...opts });
  try { rt.ingestBatch(items); } finally { rt.close(); }
}

test('a database-only rollback: the device refuses to sign the forked log, and audit verify reports it', async () => {
  const d = tempDir();
  const db = join(d, 'dev.db');
  ingest(db, posts(0, 5));
  assert.ok(existsSync(`${db}.witness`), 'the witness is written next to the database');
  copyFileSync(db, join(d, 'backup.db')); // closed cleanly: the WAL is folded into the file
  ingest(db, posts(5, 5));
  assert.equal(parseCheckpoint(JSON.parse(readFileSync(`${db}.witness`, 'utf8')).checkpoint).size, 10);

  copyFileSync(join(d, 'backup.db'), db); // the rollback: the database alone
  const v = await cli(d, ['audit', 'verify', '--db', 'dev.db', '--json']);
  assert.equal(v.code, 1, JSON.stringify(v.json));
  assert.equal(v.json.valid, false);
  assert.match(v.json.first_bad.problem, /the last checkpoint this device signed \(the witness\) covers 10 entries but only 5 verify.*rolled back/);

  // new, different entries on top of the rolled-back log: signing them would fork history
  assert.throws(() => ingest(db, posts(100, 3)), (e: unknown) => {
    assert.ok(e instanceof KapsuleError && e.code === 'AUDIT_INVALID');
    assert.match(e.message, /refusing to sign a checkpoint: this device signed 10 entries .* but the store holds [5-8]: the database was rolled back or replaced/);
    return true;
  });
  const s = new SqliteStore(db, { readonly: true });
  assert.equal(s.latestCheckpoint()!.size, 5, 'no checkpoint was signed over the fork');
  s.close();
  // a same-length fork (rewritten, not shortened) is refused too
  copyFileSync(join(d, 'backup.db'), db);
  rmSync(`${db}-wal`, { force: true });
  rmSync(`${db}-shm`, { force: true });
  assert.throws(() => ingest(db, posts(200, 5)), /no longer match the checkpoint this device signed|rolled back or replaced/);
  // the operator who restored the backup on purpose deletes the witness, and signing resumes
  rmSync(`${db}.witness`);
  ingest(db, posts(300, 1));
  assert.ok(existsSync(`${db}.witness`));
});

test('audit verify --checkpoint without --signer: not pinned is said loudly; the witness pins the signer', async () => {
  const d = tempDir();
  saveIdentity(device, join(d, 'test-only-device.key'));
  ingest(join(d, 'dev.db'), posts(0, 4));
  // someone who can write the database replaces it with a log signed by their own key, and hands over a matching
  // "external" checkpoint
  ingest(join(d, 'evil.db'), posts(0, 6, attacker), attacker);
  assert.equal((await cli(d, ['audit', 'checkpoint', '--db', 'evil.db', '--out', 'evil.checkpoint'])).code, 0);
  rmSync(join(d, 'evil.db.witness'));

  // 1. no witness: the report says the signer came from the database, in JSON and loudly on stderr
  const j = await cli(d, ['audit', 'verify', '--db', 'evil.db', '--checkpoint', 'evil.checkpoint', '--json']);
  assert.equal(j.json.signer.source, 'database');
  assert.equal(j.json.warnings.length, 1);
  assert.match(j.json.warnings[0], /NOT pinned/);
  const t = await cli(d, ['audit', 'verify', '--db', 'evil.db', '--checkpoint', 'evil.checkpoint']);
  assert.match(t.err, /^WARNING: the checkpoint signer is NOT pinned/);
  assert.match(t.out, /from the database; NOT pinned/);
  // pinned, it fails
  const pinned = await cli(d, ['audit', 'verify', '--db', 'evil.db', '--checkpoint', 'evil.checkpoint', '--signer', 'test-only-device.key.pub', '--json']);
  assert.equal(pinned.code, 1);
  assert.equal(pinned.json.signer.source, 'pinned');

  // 2. the attacker's database put in place of the device's: the device's witness pins the signer
  copyFileSync(join(d, 'evil.db'), join(d, 'dev.db'));
  const w = await cli(d, ['audit', 'verify', '--db', 'dev.db', '--checkpoint', 'evil.checkpoint', '--json']);
  assert.equal(w.code, 1, JSON.stringify(w.json));
  assert.equal(w.json.signer.source, 'witness');
  assert.match(w.json.first_bad.problem, /signed by an unknown key/);
});

test('origins: another origin\'s checkpoint is not evidence for this log; the device never signs this log under another origin', async () => {
  const d = tempDir();
  saveIdentity(device, join(d, 'test-only-device.key'));
  const db = join(d, 'dev.db');
  ingest(db, posts(0, 4));
  const s = new SqliteStore(db, { readonly: true });
  const mine = parseCheckpoint(s.latestCheckpoint()!.text);
  s.close();
  // the same key, size and root — but for another log
  const other = signCheckpoint(b, device.sigAlg, device.sigSecret, device.sigPublic, checkpointKeyName('other.example/log'), { origin: 'other.example/log', size: mine.size, root: mine.root });
  writeFileSync(join(d, 'other.checkpoint'), other);
  const v = await cli(d, ['audit', 'verify', '--db', 'dev.db', '--checkpoint', 'other.checkpoint', '--signer', 'test-only-device.key.pub', '--json']);
  assert.equal(v.code, 1);
  assert.match(v.json.first_bad.problem, /is for origin "other.example\/log", not this log's "kapsule-rt\/audit"/);
  assert.equal(v.json.origin, 'kapsule-rt/audit');

  rmSync(`${db}.witness`); // the store's own checkpoints alone must stop it too
  assert.throws(() => ingest(db, posts(10, 2), device, { origin: 'other.example/log' }), /checkpoints are for origin "kapsule-rt\/audit", not "other.example\/log"/);
});
