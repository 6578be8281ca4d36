/**
 * Store faults: a full disk (SQLITE_FULL injected with max_page_count) and a read-only database. Ingest fails with
 * a typed error, nothing is half-written, the audit log verifies afterwards, and a rerun completes.
 * Key files: a world-readable key is refused; no secret ever appears in CLI output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { Runtime } from '../../host/src/runtime.ts';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import { verifyAuditLog } from '../../host/src/audit/verify.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { toHex } from '../../host/src/bytes.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

const device = testIdentity(b, 'faults/device');
const author = testIdentity(b, 'faults/author');
const caps = (n: number, from = 0) => Array.from({ length: n }, (_, i) => buildCapsule(b, author, {
  kind: 'post', channel: 'f', createdAt: BigInt(1000 + from + i), payload: new Uint8Array(3000).fill(i & 255), to: [device.encPublic],
}).bytes);

function auditOk(db: string): { ok: boolean; stored: number } {
  const s = new SqliteStore(db);
  try {
    const r = verifyAuditLog(b, s, { signer: { alg: 'ed25519', pub: device.sigPublic } });
    return { ok: r.ok, stored: s.countCapsules() };
  } finally { s.close(); }
}

test('disk full (SQLITE_FULL): typed STORE_ERROR, nothing half-written, audit verifies, rerun completes', () => {
  const db = join(tempDir(), 'full.db');
  const all = caps(120);
  const rt = openRuntime({ db, identity: device });
  rt.ingestBatch(all.slice(0, 10));
  const s = rt.store as SqliteStore;
  const pages = s.db.pragma('page_count', { simple: true }) as number;
  s.db.pragma(`max_page_count = ${pages + 8}`);
  let err: unknown = null;
  let accepted = 0;
  try {
    for (const c of all.slice(10)) { const r = rt.ingest(c); if (r.status === 'stored') accepted++; }
  } catch (e) { err = e; }
  assert.ok(err instanceof KapsuleError, `a typed error, got ${String(err)}`);
  assert.equal((err as KapsuleError).code, 'STORE_ERROR');
  rt.close();
  const mid = auditOk(db);
  assert.ok(mid.ok, 'audit verifies after the failure');
  assert.equal(mid.stored, 10 + accepted, 'exactly the acknowledged capsules are stored');
  const again = openRuntime({ db, identity: device });
  again.ingestBatch(all);
  again.close();
  const end = auditOk(db);
  assert.ok(end.ok);
  assert.equal(end.stored, 120);
});

test('read-only database: typed STORE_ERROR on write, the file is unchanged, a rerun read-write completes', () => {
  const dir = tempDir();
  const db = join(dir, 'ro.db');
  const rt = openRuntime({ db, identity: device });
  rt.ingestBatch(caps(5));
  rt.close();
  const before = readFileSync(db);
  // opened read-only (SQLITE_OPEN_READONLY: enforced even for root, unlike file modes)
  const ro = new Runtime({ store: new SqliteStore(db, { readonly: true }), backend: b, identity: device });
  let code: string | null = null;
  try { ro.ingest(caps(1, 50)[0]); } catch (e) { code = e instanceof KapsuleError ? e.code : `untyped ${String(e)}`; }
  ro.close();
  assert.equal(code, 'STORE_ERROR');
  assert.deepEqual(readFileSync(db), before);
  assert.ok(auditOk(db).ok);
  const rw = openRuntime({ db, identity: device });
  assert.equal(rw.ingest(caps(1, 50)[0]).status, 'stored');
  rw.close();
  assert.deepEqual(auditOk(db), { ok: true, stored: 6 });
});

test('key files: created 0600, a world-readable key is refused, no secret appears in any CLI output', async () => {
  const d = tempDir();
  const outputs: string[] = [];
  const call = async (cli: typeof kapsule, argv: string[]) => {
    const io = captureIO(d);
    const code = await cli(argv, io);
    outputs.push(io.stdout, io.stderr);
    return code;
  };
  assert.equal(await call(pack, ['keygen', '--out', 'me.key', '--json']), 0);
  assert.equal(await call(pack, ['keygen', '--out', 'p.key', '--sig', 'p256']), 0);
  const { statSync } = await import('node:fs');
  assert.equal(statSync(join(d, 'me.key')).mode & 0o777, 0o600);
  writeFileSync(join(d, 'x.json'), '{"hello":"world"}');
  await call(pack, ['capsule', '--kind', 'post', '--payload', 'x.json', '--key', 'me.key', '--to', 'p.key.pub', '--out', 'x.kapsule', '--json']);
  for (const argv of [['inspect', 'x.kapsule'], ['verify', 'x.kapsule', '--json'], ['run', 'x.kapsule', '--key', 'p.key', '--db', 's.db', '--json'],
    ['ls', '--db', 's.db'], ['audit', 'show', '--db', 's.db', '--json'], ['audit', 'verify', '--db', 's.db'], ['run', 'x.kapsule', '--key', 'me.key', '--db', 't.db']]) {
    await call(kapsule, argv);
  }
  chmodSync(join(d, 'me.key'), 0o644);
  assert.equal(await call(kapsule, ['run', 'x.kapsule', '--key', 'me.key', '--db', 'u.db', '--json']), 1);
  assert.match(outputs.at(-2)!, /KEY_PERMISSIONS/);
  const secrets = ['me.key', 'p.key'].flatMap((f) => {
    const k = JSON.parse(readFileSync(join(d, f), 'utf8'));
    return [k.sig_secret, k.enc_secret];
  });
  const all = outputs.join('\n');
  for (const s of secrets) {
    assert.equal(all.includes(s), false, 'a secret key appears in CLI output');
    assert.equal(all.includes(Buffer.from(s, 'hex').toString('base64')), false);
  }
  assert.ok(all.length > 1000, 'the commands produced output to search');
  assert.ok(toHex(new Uint8Array([1])) === '01');
});
