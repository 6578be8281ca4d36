/**
 * The precheck pool (verify + decrypt on worker threads, host/src/verify/pool.ts) changes how fast a batch is
 * ingested, never what is stored or logged: the demo's capsules — modules running, a tampered capsule, one for
 * another recipient — plus duplicates and out-of-order arrivals (orphans) give byte-identical results, statuses,
 * trust scores, balances and audit roots with and without the pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime, type Runtime } from '../../host/src/node.ts';
import { PrecheckPool } from '../../host/src/verify/pool.ts';
import { precheckOne } from '../../host/src/verify/pool-worker.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { buildCapsule, type CapsuleSpec } from '../../capsule-packer/src/build.ts';
import { demoScenario } from '../../scripts/demo-scenario.ts';
import type { IngestResult } from '../../host/src/pipeline.ts';
import { tempDir, testIdentity } from '../helpers/fixtures.ts';

const root = new URL('../..', import.meta.url).pathname;
const people = Object.fromEntries(['alice', 'bob', 'carol', 'dave', 'mallory', 'sybil1', 'sybil2'].map((n) => [n, testIdentity(b, `pool-${n}`)]));
const kmods = ['trust', 'rank', 'blocklist', 'transfer', 'agent_logic']
  .map((n) => join(root, 'build/modules', `${n}.kmod`)).filter(existsSync).map((f) => new Uint8Array(readFileSync(f)));

function scenario(moduleIds: Record<string, string>): Uint8Array[] {
  let clock = 1_767_225_600_000n;
  const caps: Uint8Array[] = [];
  const cap = (_label: string, who: string, spec: Omit<CapsuleSpec, 'createdAt' | 'channel'> & { channel?: string; at?: bigint }) => {
    clock += 60_000n;
    const c = buildCapsule(b, people[who], { channel: 'general', ...spec, createdAt: spec.at ?? clock });
    caps.push(c.bytes);
    return c;
  };
  const json = (o: unknown) => utf8.encode(JSON.stringify(o));
  demoScenario({ people, cap, json, hex: toHex, logicOf: (n) => (moduleIds[n] ? Buffer.from(moduleIds[n], 'hex') : null) });
  cap('for dave', 'alice', { kind: 'post', payload: json({ t: 'dave only' }), to: [people.dave.encPublic] });
  const t = cap('tampered', 'mallory', { kind: 'post', payload: json({ t: 'x' }), to: 'public' });
  t.bytes[t.bytes.length - 5] ^= 0x20;
  // out of order: a comment whose parent arrives later (orphan, resolved), duplicates, junk bytes
  const parent = buildCapsule(b, people.alice, { kind: 'post', channel: 'general', createdAt: clock + 1n, payload: json({ t: 'late parent' }), to: 'public' });
  const child = buildCapsule(b, people.carol, { kind: 'comment', channel: 'general', createdAt: clock + 2n, payload: json({ t: 'early child' }), parents: [parent.id], to: [people.bob.encPublic] });
  return [...caps, child.bytes, caps[0], parent.bytes, Uint8Array.of(1, 2, 3), caps[3]];
}

function snapshot(rt: Runtime, results: IngestResult[]) {
  return {
    results: results.map((r) => ({ status: r.status, id: r.id, code: r.error?.code, out: r.output ? toHex(r.output) : null, fuel: r.fuel, resolved: r.resolved?.map((x) => x.status) })),
    root: toHex(rt.audit.root()), size: rt.audit.size(),
    trust: rt.trustScores(), balances: rt.balances(), capsules: rt.query({}).map((c) => `${toHex(c.id)}:${c.status}`),
  };
}

async function ingestAll(workers: number | null, caps: Uint8Array[]): Promise<ReturnType<typeof snapshot>> {
  const d = tempDir();
  const rt = openRuntime({ db: join(d, 'bob.db'), identity: people.bob });
  for (const k of kmods) rt.addModule(k);
  let results: IngestResult[];
  if (workers === null) results = rt.ingestBatch(caps);
  else {
    const pool = new PrecheckPool({ workers, enc: { encSecret: people.bob.encSecret, encPublic: people.bob.encPublic } });
    try { results = await rt.ingestMany(caps, { precheck: (x) => pool.check(x), chunk: 8, batch: 3 }); } finally { await pool.close(); }
  }
  const s = snapshot(rt, results);
  rt.close();
  return s;
}

test('ingestMany with a precheck pool = ingestBatch: same results, store and audit root', async () => {
  // encryption is randomized: pack once, ingest the same bytes every time
  const ids: Record<string, string> = {};
  const first = openRuntime({ db: ':memory:', identity: null });
  for (const k of kmods) { const r = first.addModule(k); ids[r.name] = r.id; }
  first.close();
  const caps = scenario(ids);
  const plain = await ingestAll(null, caps);
  assert.ok(plain.results.some((r) => r.status === 'executed'), 'modules ran');
  assert.ok(plain.results.some((r) => r.code === 'SIGNATURE_INVALID'));
  assert.ok(plain.results.some((r) => r.status === 'not-recipient'));
  assert.ok(plain.results.some((r) => r.status === 'orphan'));
  assert.ok(plain.results.some((r) => r.status === 'duplicate'));
  for (const workers of [1, 2]) assert.deepEqual(await ingestAll(workers, caps), plain, `${workers} worker(s)`);
});

test('a precheck only skips work that succeeded, and only for the bytes it was computed on', () => {
  const enc = { encSecret: people.bob.encSecret, encPublic: people.bob.encPublic };
  const good = buildCapsule(b, people.alice, { kind: 'post', channel: 'c', createdAt: 1n, payload: utf8.encode('hi'), to: [enc.encPublic] });
  const pre = precheckOne(good.bytes, enc)!;
  assert.deepEqual(pre.id, good.id);
  assert.deepEqual(utf8.decode(pre.decrypted as Uint8Array), 'hi');
  assert.equal(precheckOne(good.bytes, { encSecret: people.dave.encSecret, encPublic: people.dave.encPublic })!.decrypted, 'not-recipient');
  const bad = good.bytes.slice();
  bad[bad.length - 1] ^= 1;
  assert.equal(precheckOne(bad, enc), null, 'a failure is left to the pipeline');

  // a precheck that does not belong to these bytes, or was decrypted with another key, is ignored
  const d = tempDir();
  const rt = openRuntime({ db: join(d, 'x.db'), identity: people.bob });
  const other = buildCapsule(b, people.alice, { kind: 'post', channel: 'c', createdAt: 2n, payload: utf8.encode('x'), to: 'public' });
  const forged = rt.ingest(bad, { precheck: { id: good.id, recipient: enc.encPublic, decrypted: utf8.encode('forged') } } as never);
  assert.equal(forged.status, 'rejected');
  assert.equal(forged.error?.code, 'SIGNATURE_INVALID');
  const wrongKey = rt.ingest(good.bytes, { precheck: { id: good.id, recipient: people.dave.encPublic, decrypted: 'not-recipient' } } as never);
  assert.equal(wrongKey.status, 'stored', 'decrypted with the device key, not the precheck\'s claim');
  assert.equal(rt.ingest(other.bytes, { precheck: { id: good.id } } as never).status, 'stored');
  rt.close();
});

test('a pool whose worker dies degrades to no precheck: same results, failure reported', async () => {
  const pool = new PrecheckPool({ workers: 1, enc: null });
  const caps = Array.from({ length: 5 }, (_, i) => buildCapsule(b, people.alice, { kind: 'post', channel: 'c', createdAt: BigInt(i), payload: utf8.encode(`p${i}`), to: 'public' }).bytes);
  assert.ok((await pool.check(caps.slice(0, 1)))[0]);
  await (pool as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0].terminate();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(pool.failure, 'the failure is reported');
  assert.deepEqual(await pool.check(caps), caps.map(() => null));
  const d = tempDir();
  const rt = openRuntime({ db: join(d, 'y.db'), identity: null });
  const rs = await rt.ingestMany(caps, { precheck: (x) => pool.check(x) });
  assert.deepEqual(rs.map((r) => r.status), caps.map(() => 'stored'));
  rt.close();
  await pool.close();
});

test('kapsule ingest --workers N gives the summary and audit root of a one-thread ingest', async () => {
  const { main: kapsule } = await import('../../host/src/cli/main.ts');
  const { captureIO } = await import('../helpers/fixtures.ts');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { saveIdentity } = await import('../../host/src/keys-node.ts');
  const d = tempDir();
  mkdirSync(join(d, 'in'));
  saveIdentity(people.bob, join(d, 'bob.key'));
  const caps = Array.from({ length: 40 }, (_, i) => buildCapsule(b, people[i % 2 ? 'alice' : 'carol'], {
    kind: 'post', channel: 'c', createdAt: BigInt(i), payload: utf8.encode(`p${i}`), to: i % 3 ? [people.bob.encPublic] : i % 5 ? 'public' : [people.dave.encPublic],
  }).bytes);
  caps[7][caps[7].length - 2] ^= 1;
  caps.forEach((c, i) => writeFileSync(join(d, 'in', `${String(i).padStart(3, '0')}.kapsule`), c));
  const run = async (db: string, extra: string[]) => {
    const io = captureIO(d);
    const code = await kapsule(['ingest', 'in', '--key', 'bob.key', '--db', db, '--json', ...extra], io);
    const audit = captureIO(d);
    await kapsule(['audit', 'verify', '--db', db, '--json'], audit);
    return { code, json: JSON.parse(io.stdout), root: JSON.parse(audit.stdout).root };
  };
  const one = await run('one.db', []);
  const two = await run('two.db', ['--workers', '2']);
  assert.equal(one.code, 1, 'one capsule was tampered');
  assert.equal(two.code, one.code);
  assert.equal(two.json.summary.workers, 2);
  assert.deepEqual(two.json.summary.counts, one.json.summary.counts);
  assert.deepEqual(two.json.capsules, one.json.capsules);
  assert.ok(one.root);
  assert.equal(two.root, one.root);
  const bad = captureIO(d);
  assert.equal(await kapsule(['ingest', 'in', '--db', 'x.db', '--workers', 'many'], bad), 2);
});

test('--backend noble holds for the precheck workers too (kapsule ingest --workers N --backend noble)', async () => {
  const { main: kapsule } = await import('../../host/src/cli/main.ts');
  const { captureIO } = await import('../helpers/fixtures.ts');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { saveIdentity } = await import('../../host/src/keys-node.ts');
  const d = tempDir();
  mkdirSync(join(d, 'in'));
  saveIdentity(people.bob, join(d, 'bob.key'));
  Array.from({ length: 6 }, (_, i) => buildCapsule(b, people.alice, {
    kind: 'post', channel: 'c', createdAt: BigInt(i), payload: utf8.encode(`p${i}`), to: i % 2 ? [people.bob.encPublic] : 'public',
  }).bytes).forEach((c, i) => writeFileSync(join(d, 'in', `${i}.kapsule`), c));
  const run = async (db: string, extra: string[]) => {
    const io = captureIO(d);
    assert.equal(await kapsule(['ingest', 'in', '--key', 'bob.key', '--db', db, '--json', ...extra], io), 0, io.stdout);
    return JSON.parse(io.stdout);
  };
  const noble = await run('noble.db', ['--workers', '1', '--backend', 'noble']);
  assert.equal(noble.summary.backend, 'noble');
  assert.deepEqual(noble.summary.worker_backends, ['noble'], 'the worker reports the backend it loaded');
  const native = await run('native.db', ['--workers', '1']);
  assert.deepEqual(native.summary.worker_backends, ['native']);
  assert.deepEqual(noble.capsules, native.capsules);
});
