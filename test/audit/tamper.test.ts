/** Tamper with the SQLite file directly; `kapsule audit verify` must name the right entry and exit 1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { signCheckpoint } from '../../host/src/audit/checkpoint.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

const dir = tempDir();
const golden = join(dir, 'golden.db');
const device = testIdentity(b, 'device');
const author = testIdentity(b, 'author');
{
  const rt = openRuntime({ db: golden, identity: device });
  // Two batches → two checkpoints (sizes 10 and 20).
  for (let batch = 0; batch < 2; batch++) {
    rt.ingestBatch(Array.from({ length: 10 }, (_, i) => buildCapsule(b, author, {
      kind: 'post', channel: 'c', createdAt: BigInt(1000 + batch * 10 + i), payload: new Uint8Array([i]), to: 'public',
    }).bytes));
  }
  rt.close();
}

function tampered(name: string, sql: (db: Database.Database) => void): string {
  const p = join(dir, `${name}.db`);
  copyFileSync(golden, p);
  const db = new Database(p);
  sql(db);
  db.close();
  return p;
}

async function verify(db: string, extra: string[] = []): Promise<{ code: number; json: any }> {
  const io = captureIO(dir);
  const code = await kapsule(['audit', 'verify', '--db', db, '--json', ...extra], io);
  return { code, json: JSON.parse(io.stdout) };
}

test('the untouched log verifies, with two checkpoints', async () => {
  const r = await verify(golden);
  assert.equal(r.code, 0);
  assert.equal(r.json.size, 20);
  assert.equal(r.json.checkpoints, 2);
});

test('edited entry → its index', async () => {
  const r = await verify(tampered('edit', (db) => {
    const row = db.prepare('SELECT entry FROM audit WHERE idx = 7').get() as { entry: Buffer };
    const e = Buffer.from(row.entry);
    e[5] ^= 0x40; // a byte of the capsule id
    db.prepare('UPDATE audit SET entry = ? WHERE idx = 7').run(e);
  }));
  assert.equal(r.code, 1);
  assert.equal(r.json.first_bad.index, 7);
  assert.equal(r.json.error.code, 'AUDIT_INVALID');
});

test('edited entry with its leaf recomputed → its index (node mismatch)', async () => {
  const p = tampered('edit2', (db) => {
    const row = db.prepare('SELECT entry FROM audit WHERE idx = 12').get() as { entry: Buffer };
    const e = Buffer.from(row.entry);
    e[e.length - 1] ^= 1;
    const leaf = b.sha256(new Uint8Array(Buffer.concat([Buffer.from([0]), e])));
    db.prepare('UPDATE audit SET entry = ?, leaf = ? WHERE idx = 12').run(e, Buffer.from(leaf));
  });
  const r = await verify(p);
  assert.equal(r.code, 1);
  assert.equal(r.json.first_bad.index, 12);
});

test('an interior Merkle node rewritten (or deleted) → the first entry it covers', async () => {
  // entries and leaves intact: only what roots and proofs are computed from is wrong
  let r = await verify(tampered('node', (db) => {
    db.prepare('UPDATE merkle_nodes SET hash = ? WHERE level = 2 AND idx = 2').run(Buffer.alloc(32, 7));
  }));
  assert.equal(r.code, 1);
  assert.equal(r.json.first_bad.index, 8);
  assert.match(r.json.first_bad.problem, /Merkle node \(2, 2\)/);
  r = await verify(tampered('node-gone', (db) => { db.prepare('DELETE FROM merkle_nodes WHERE level = 3 AND idx = 1').run(); }));
  assert.equal(r.code, 1);
  assert.equal(r.json.first_bad.index, 8);
});

test('deleted entry → its index', async () => {
  const r = await verify(tampered('delete', (db) => db.prepare('DELETE FROM audit WHERE idx = 4').run()));
  assert.equal(r.code, 1);
  assert.equal(r.json.first_bad.index, 4);
});

test('two swapped entries → the first of them', async () => {
  const r = await verify(tampered('swap', (db) => {
    const a = db.prepare('SELECT entry, leaf FROM audit WHERE idx = 3').get() as { entry: Buffer; leaf: Buffer };
    const c = db.prepare('SELECT entry, leaf FROM audit WHERE idx = 9').get() as { entry: Buffer; leaf: Buffer };
    db.prepare('UPDATE audit SET entry = ?, leaf = ? WHERE idx = 3').run(c.entry, c.leaf);
    db.prepare('UPDATE audit SET entry = ?, leaf = ? WHERE idx = 9').run(a.entry, a.leaf);
  }));
  assert.equal(r.code, 1);
  assert.equal(r.json.first_bad.index, 3);
});

test('truncated log → the first missing index', async () => {
  const r = await verify(tampered('truncate', (db) => db.prepare('DELETE FROM audit WHERE idx >= 15').run()));
  assert.equal(r.code, 1);
  assert.equal(r.json.first_bad.index, 15);
});

test('forged checkpoint (signed by another key) → rejected', async () => {
  const mallory = testIdentity(b, 'mallory');
  const r = await verify(tampered('forge', (db) => {
    const text = signCheckpoint(b, mallory.sigAlg, mallory.sigSecret, mallory.sigPublic, 'kapsule-rt/audit', { origin: 'kapsule-rt/audit', size: 20, root: new Uint8Array(32) });
    db.prepare('UPDATE checkpoints SET text = ? WHERE size = 20').run(text);
  }));
  assert.equal(r.code, 1);
  assert.match(r.json.first_bad.problem, /unknown key|does not verify/);
});

test('a consistent full rewrite is caught by a checkpoint exported before it', async () => {
  const cp = join(dir, 'exported.checkpoint');
  const io = captureIO(dir);
  assert.equal(await kapsule(['audit', 'checkpoint', '--db', golden, '--out', cp], io), 0);
  // Rebuild a different history of the same length with the device key (the attack the log cannot stop alone).
  const other = join(dir, 'rewritten.db');
  const rt = openRuntime({ db: other, identity: device });
  rt.ingestBatch(Array.from({ length: 20 }, (_, i) => buildCapsule(b, author, {
    kind: 'post', channel: 'c', createdAt: BigInt(5000 + i), payload: new Uint8Array([i]), to: 'public',
  }).bytes));
  rt.close();
  assert.equal((await verify(other)).code, 0);
  const r = await verify(other, ['--checkpoint', cp]);
  assert.equal(r.code, 1);
  assert.match(r.json.first_bad.problem, /external checkpoint/);
  assert.equal((await verify(golden, ['--checkpoint', cp])).code, 0);
  assert.ok(readFileSync(cp, 'utf8').startsWith('kapsule-rt/audit\n20\n'));
  writeFileSync(join(dir, 'unused'), '');
});
