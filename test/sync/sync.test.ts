import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import type { Runtime } from '../../host/src/runtime.ts';
import { toHex } from '../../host/src/bytes.ts';
import { buildCapsule, buildModulePackage } from '../../capsule-packer/src/build.ts';
import { exportSnapshot, importSnapshot, syncPair } from '../../host/src/sync/index.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { saveIdentity } from '../../host/src/keys-node.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';
import { wat2wasm } from '../execute/_helpers.ts';

const me = testIdentity(b, 'sync-owner');
const author = testIdentity(b, 'sync-author');
const echoWat = readFileSync(new URL('../corpus/guest-echo.wat', import.meta.url), 'utf8');

async function echoKmod(): Promise<{ bytes: Uint8Array; id: Uint8Array }> {
  const wasm = await wat2wasm(echoWat);
  const k = buildModulePackage(b, author, { name: 'echo', version: '1', wasm, hostcalls: ['get_payload', 'get_parent_count', 'submit_capsule_result', 'log', 'kv_get', 'kv_set'], fuel: 10000000n, memoryPages: 2, maxDepth: 64 });
  return { bytes: k.bytes, id: k.id };
}

let t = 10_000n;
function cap(parents: Uint8Array[], logic: Uint8Array | null, text: string, channel = 'c') {
  t += 1000n;
  return buildCapsule(b, author, { kind: 'post', channel, createdAt: t, parents, logic, payload: new TextEncoder().encode(text), to: [me.encPublic] });
}

function resultsOf(rt: Runtime): Map<string, string> {
  return new Map(rt.query({}).map((c) => {
    const r = rt.get(c.id)!.result;
    return [toHex(c.id), r ? `${r.outcome}/${r.fuel}/${toHex(r.output ?? new Uint8Array())}` : c.status];
  }));
}

test('two diverged stores with concurrent branches converge with the fewest transfers; results identical', async () => {
  const d = tempDir();
  const mod = await echoKmod();
  const A = openRuntime({ db: join(d, 'a.db'), identity: me });
  const B = openRuntime({ db: join(d, 'b.db'), identity: me });
  A.addModule(mod.bytes);
  B.addModule(mod.bytes);
  const root = cap([], mod.id, 'root');
  const c1 = cap([root.id], null, 'common');
  for (const rt of [A, B]) rt.ingestBatch([root.bytes, c1.bytes]);
  // concurrent branches
  const a1 = cap([c1.id], mod.id, 'a1'); const a2 = cap([a1.id], mod.id, 'a2'); const a3 = cap([c1.id], null, 'a3');
  const b1 = cap([c1.id], null, 'b1'); const b2 = cap([b1.id, a1.id], mod.id, 'b2-merges-a1');
  A.ingestBatch([a1.bytes, a2.bytes, a3.bytes]);
  B.ingestBatch([b1.bytes, b2.bytes]); // b2 waits for a1 (orphan)
  assert.equal(B.orphans().length, 1);
  const r = syncPair(A, B);
  assert.equal(r.aToB, 3, 'A sends a1, a2, a3 only');
  assert.equal(r.bToA, 2, 'B sends b1, b2 only (b2 was resolved when a1 arrived)');
  const ra = resultsOf(A), rb = resultsOf(B);
  assert.equal(ra.size, 7);
  assert.deepEqual([...ra.entries()].sort(), [...rb.entries()].sort());
  assert.deepEqual(A.heads(), B.heads());
  assert.deepEqual(syncPair(A, B), { aToB: 0, bToA: 0, modulesAToB: 0, modulesBToA: 0, questions: r.questions > 0 ? syncPair(A, B).questions : 0 });
  A.close(); B.close();
});

test('snapshot export → import into a fresh store, idempotent; --since exports only what is new', async () => {
  const d = tempDir();
  const mod = await echoKmod();
  const A = openRuntime({ db: join(d, 'a.db'), identity: me });
  A.addModule(mod.bytes);
  const caps = [cap([], mod.id, 'x')];
  for (let i = 0; i < 5; i++) caps.push(cap([caps[caps.length - 1].id], i % 2 ? mod.id : null, `n${i}`));
  A.ingestBatch(caps.map((c) => c.bytes));
  const snap = exportSnapshot(b, A.store);
  assert.equal(snap.manifest.capsules, 6);
  assert.equal(snap.manifest.modules, 1);
  const C = openRuntime({ db: join(d, 'c.db'), identity: me });
  const r1 = importSnapshot(C, b, snap.bytes);
  assert.deepEqual(r1.capsules, { executed: 3, stored: 3 });
  assert.equal(r1.modules.added, 1);
  assert.deepEqual(resultsOf(C), resultsOf(A));
  const r2 = importSnapshot(C, b, snap.bytes);
  assert.deepEqual(r2.capsules, { duplicate: 6 });
  const more = cap([caps[5].id], null, 'new');
  A.ingest(more.bytes);
  const inc = exportSnapshot(b, A.store, { since: C.store.heads().map((h) => h.id) });
  assert.equal(inc.manifest.capsules, 1);
  assert.deepEqual(importSnapshot(C, b, inc.bytes).capsules, { stored: 1 });
  A.close(); C.close();
});

test('a corrupted or truncated snapshot imports everything valid and reports the rest', async () => {
  const d = tempDir();
  const A = openRuntime({ db: join(d, 'a.db'), identity: me });
  const caps = [cap([], null, 'r')];
  for (let i = 0; i < 9; i++) caps.push(cap([caps[0].id], null, `leaf${i}`));
  A.ingestBatch(caps.map((c) => c.bytes));
  const snap = exportSnapshot(b, A.store).bytes;
  // corrupt a byte inside the 4th capsule record's payload, and truncate the last record
  const bad = snap.slice(0, snap.length - 20);
  const recAt: number[] = [];
  for (let i = 0; i + 4 <= bad.length; i++) if (bad[i] === 0x4b && bad[i + 1] === 0x52 && bad[i + 2] === 0x45 && bad[i + 3] === 0x43) recAt.push(i);
  bad[recAt[3] + 41 + 30] ^= 0xff;
  const C = openRuntime({ db: join(d, 'c.db'), identity: me });
  const r = importSnapshot(C, b, bad);
  assert.equal(r.problems.length, 2, JSON.stringify(r.problems));
  assert.ok(r.problems.every((p) => p.code === 'SNAPSHOT_INVALID'));
  assert.equal(r.capsules.stored, 8, 'root + 7 intact leaves: nothing valid lost');
  // the CLI reports it with a code and exit 1
  writeFileSync(join(d, 'bad.snap'), bad);
  saveIdentity(me, join(d, 'me.key'));
  const io = captureIO(d);
  assert.equal(await kapsule(['sync', 'import', 'bad.snap', '--db', 'cli.db', '--key', 'me.key', '--json'], io), 1);
  const j = JSON.parse(io.stdout);
  assert.equal(j.error.code, 'SNAPSHOT_INVALID');
  assert.equal(j.capsules.stored, 8);
  A.close(); C.close();
});

test('kapsule graph renders dot, mermaid and a self-contained html page', async () => {
  const d = tempDir();
  const A = openRuntime({ db: join(d, 'g.db'), identity: me });
  const r = cap([], null, 'root');
  A.ingestBatch([r.bytes, cap([r.id], null, 'child').bytes]);
  A.close();
  for (const f of ['dot', 'mermaid', 'html']) {
    const io = captureIO(d);
    assert.equal(await kapsule(['graph', '--db', 'g.db', '--format', f, '--out', `g.${f}`], io), 0, io.stderr);
    const text = readFileSync(join(d, `g.${f}`), 'utf8');
    assert.ok(text.includes(toHex(r.id).slice(0, 8)), f);
  }
  const html = readFileSync(join(d, 'g.html'), 'utf8');
  assert.ok(!/https?:\/\//.test(html.replace(/http-equiv/g, '')), 'no network references');
  const data = JSON.parse(html.match(/<script type="application\/json" id="kapsule-data">(.*?)<\/script>/s)![1]);
  assert.equal(data.id.length, 2);
  assert.deepEqual(data.edges, [0, 1]);
});

test('every single-byte flip and every truncation of a snapshot is reported, and nothing altered is imported', async () => {
  const { MemoryStore } = await import('../../host/src/store/memory.ts');
  const { Runtime } = await import('../../host/src/runtime.ts');
  const d = tempDir();
  const A = openRuntime({ db: join(d, 'a.db'), identity: me });
  const r0 = cap([], null, 'r');
  A.ingestBatch([r0.bytes, cap([r0.id], null, 'c').bytes]);
  const snap = exportSnapshot(b, A.store).bytes;
  const good = new Set(A.query({}).map((c) => toHex(c.id)));
  A.close();
  const check = (bytes: Uint8Array, what: string) => {
    const rt = new Runtime({ store: new MemoryStore(), backend: b, identity: me });
    const r = importSnapshot(rt, b, bytes);
    const stored = rt.query({}).map((c) => toHex(c.id));
    rt.close();
    assert.ok(r.problems.length + r.rejected.length > 0, `${what}: not reported`);
    assert.ok(r.problems.every((p) => p.code === 'SNAPSHOT_INVALID'), what);
    for (const id of stored) assert.ok(good.has(id), `${what}: imported an altered capsule`);
  };
  for (let i = 0; i < snap.length; i++) { const t = snap.slice(); t[i] ^= 0x01; check(t, `flip ${i}`); }
  for (let n = 0; n < snap.length; n += 7) check(snap.subarray(0, n), `truncated to ${n}`);
});
