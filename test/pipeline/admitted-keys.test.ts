/**
 * Authors at scale, end to end: a signing key admitted once on a device is not admitted again by a later runtime on
 * the same store (its `admitted_keys` table), for Ed25519 and P-256 authors, on SqliteStore and MemoryStore; and
 * `kapsule audit replay` does not depend on that table — a tampered row that let a torsion key in is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { admissionCount, bytesToBigLE, clearKeyCaches, ED25519_L } from '../../host/src/crypto/_policy.ts';
import { openRuntime } from '../../host/src/node.ts';
import { Runtime } from '../../host/src/runtime.ts';
import { MemoryStore } from '../../host/src/store/memory.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import { replayAuditLog } from '../../host/src/replay.ts';
import { verifyCapsule } from '../../host/src/verify/index.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { concatBytes } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import type { SecretIdentity } from '../../host/src/keys.ts';
import type { CryptoBackend } from '../../host/src/crypto/types.ts';
import { tempDir, testIdentity } from '../helpers/fixtures.ts';

const device = testIdentity(b, 'admitted-device');
const authors: SecretIdentity[] = [
  ...['a', 'b', 'c', 'd'].map((n) => testIdentity(b, `admitted-author-${n}`)),
  testIdentity(b, 'admitted-author-p', 'p256'),
];
let t = 1_700_000_000_000n;
const post = (author: SecretIdentity, to: 'public' | 'device' = 'public') => buildCapsule(b, author, {
  kind: 'post', channel: 'admitted', createdAt: t++, payload: new TextEncoder().encode(`by ${author.name}`),
  to: to === 'public' ? 'public' : [device.encPublic],
}).bytes;
const counts = () => ({ ...admissionCount });

test('SqliteStore: a later runtime on the same file admits no author again; a new author once', () => {
  const db = join(tempDir(), 'admitted.db');
  clearKeyCaches();
  let rt = openRuntime({ db, identity: device });
  const c0 = counts();
  for (const a of authors) assert.equal(rt.ingest(post(a, a === authors[0] ? 'device' : 'public')).status, 'stored');
  assert.deepEqual(counts(), { ed25519: c0.ed25519 + 4, p256: c0.p256 + 1 }, 'each author admitted once');
  rt.close();

  // a new process on the same store: nothing in memory, the table remembers
  clearKeyCaches();
  rt = openRuntime({ db, identity: device });
  const c1 = counts();
  const results = rt.ingestBatch(authors.flatMap((a) => [post(a), post(a, 'device')]));
  assert.deepEqual(results.map((r) => r.status), Array(authors.length * 2).fill('stored'));
  assert.deepEqual(counts(), c1, 'no key was admitted again');
  const fresh = testIdentity(b, 'admitted-author-new');
  assert.equal(rt.ingest(post(fresh)).status, 'stored');
  assert.deepEqual(counts(), { ...c1, ed25519: c1.ed25519 + 1 });
  rt.close();

  const s = new SqliteStore(db, { readonly: true });
  for (const a of [...authors, fresh]) assert.notEqual(s.getAdmittedKey(a.sigAlg, a.sigPublic), null, `${a.name} recorded`);
  assert.equal(s.getAdmittedKey('p256', authors[4].sigPublic)!.length, 65, 'the P-256 record is its decoded point');
  s.close();
});

test('MemoryStore: the same through the portable runtime (noble backend)', async () => {
  const { nobleBackend } = await import('../../host/src/crypto/noble.ts');
  const store = new MemoryStore();
  clearKeyCaches();
  let rt = new Runtime({ store, backend: nobleBackend, identity: null });
  for (const a of authors) assert.equal(rt.ingest(post(a)).status, 'stored');
  clearKeyCaches();
  rt = new Runtime({ store, backend: nobleBackend, identity: null });
  const c = counts();
  for (const a of authors) assert.equal(rt.ingest(post(a)).status, 'stored');
  assert.deepEqual(counts(), c);
});

/** A capsule by a key with a torsion component (A + T, T of order 2) whose signature the cofactorless equation accepts. */
function torsionAuthorCapsule(): { bytes: Uint8Array; pk: Uint8Array } {
  const { scalar: a, point } = ed25519.utils.getExtendedPublicKey(b.randomBytes(32));
  const T = ED25519_TORSION_SUBGROUP.map((h) => ed25519.Point.fromHex(h)).find((x) => !x.is0() && x.double().is0())!;
  const pk = point.add(T).toBytes();
  const sign = (msg: Uint8Array): Uint8Array => {
    for (let r = 1n; ; r++) {
      const R = ed25519.Point.BASE.multiply(r).toBytes();
      const k = bytesToBigLE(sha512(concatBytes(R, pk, msg))) % ED25519_L;
      if (k % 2n !== 0n) continue; // [k]T = O: the equation holds under A + T
      let s = (r + k * a) % ED25519_L;
      const sig = new Uint8Array(64);
      sig.set(R);
      for (let i = 0; i < 32; i++) { sig[32 + i] = Number(s & 0xffn); s >>= 8n; }
      return sig;
    }
  };
  const signer: CryptoBackend = { ...b, sign: (_alg, _sk, msg) => sign(msg) };
  const author = { ...device, name: 'torsion', sigPublic: pk } as SecretIdentity;
  return { bytes: buildCapsule(signer, author, { kind: 'post', channel: 'admitted', createdAt: t++, payload: new Uint8Array([1]), to: 'public' }).bytes, pk };
}

test('a tampered admitted_keys row is trusted on this device only; audit replay re-verifies without it and reports the capsule', () => {
  const db = join(tempDir(), 'tampered.db');
  const rt0 = openRuntime({ db, identity: device });
  assert.equal(rt0.ingest(post(authors[1])).status, 'stored');
  rt0.close();
  const bad = torsionAuthorCapsule();
  assert.throws(() => verifyCapsule(b, bad.bytes), (e: unknown) => e instanceof KapsuleError && e.code === 'SIGNATURE_INVALID');
  // without a row: rejected like everywhere else
  clearKeyCaches();
  let rt = openRuntime({ db: join(tempDir(), 'clean.db'), identity: device });
  assert.equal(rt.ingest(bad.bytes).status, 'rejected');
  rt.close();
  // someone with write access to the database adds the key to admitted_keys
  const raw = new Database(db);
  raw.prepare("INSERT INTO admitted_keys (alg, key, record) VALUES ('ed25519', ?, x'')").run(Buffer.from(bad.pk));
  raw.close();
  clearKeyCaches();
  rt = openRuntime({ db, identity: device });
  assert.equal(rt.ingest(bad.bytes).status, 'stored', 'the row is the device\'s word (docs/SECURITY.md "Admitted keys")');
  rt.close();
  // the same process: verification without the table still refuses it, and replay says so
  assert.throws(() => verifyCapsule(b, bad.bytes), (e: unknown) => e instanceof KapsuleError && e.code === 'SIGNATURE_INVALID');
  const source = new SqliteStore(db, { readonly: true });
  const freshPath = join(tempDir(), 'replay.db');
  try {
    const report = replayAuditLog(b, source, new SqliteStore(freshPath), device); // closes the fresh store
    assert.equal(report.ok, false);
    const problems = report.divergences.map((d) => d.problem);
    assert.ok(problems.some((p) => /stored capsule bytes no longer verify \(SIGNATURE_INVALID\)/.test(p)), problems.join('; '));
    assert.ok(problems.some((p) => /not accepted by the replay/.test(p)), problems.join('; '));
  } finally { source.close(); }
  const replayed = new SqliteStore(freshPath, { readonly: true });
  assert.equal(replayed.getAdmittedKey('ed25519', bad.pk), null, 'the replay admits keys on its own, in its own store');
  assert.notEqual(replayed.getAdmittedKey('ed25519', authors[1].sigPublic), null);
  replayed.close();
});
