/**
 * The convergence contract (docs/CONVERGENCE.md, issue 13): two devices holding the same capsules and modules reach
 * the same state — every capsule's status, result (outcome, output, fuel), trust scores, balances, module kv, DAG
 * heads and waiting capsules — whatever the arrival order, batch sizes, restarts, worker count or sync path.
 *
 * One scenario (test/helpers/scenario.ts: trust with distrust and updates, posts/comments/reactions, two policies,
 * a ledger with a replay and a double spend, a rival ledger, an agent) is ingested into fresh stores in 20 random
 * permutations, 20 random topological orders, the adversarial orders, offline splits merged by snapshot and by
 * `sync pair`, with restarts and with worker threads; each store must equal the reference exactly, and audit replay
 * must reproduce it. `npm run fuzz` runs a bigger version (scripts/fuzz.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import type { Runtime } from '../../host/src/runtime.ts';
import { compiledCacheKey } from '../../host/src/execute/sandbox.ts';
import { verifyModulePackage } from '../../host/src/verify/index.ts';
import { toHex } from '../../host/src/bytes.ts';
import { exportSnapshot, importSnapshot, syncPair } from '../../host/src/sync/index.ts';
import { replayAuditLog } from '../../host/src/replay.ts';
import { decodeEntry } from '../../host/src/audit/entry.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import { PrecheckPool } from '../../host/src/verify/pool.ts';
import { tempDir } from '../helpers/fixtures.ts';
import {
  buildScenario, fingerprint, firstDifference, prng, shuffled, topologicalOrder, type Fingerprint, type ScenarioCapsule,
} from '../helpers/scenario.ts';

const S = buildScenario(20261130);
const compiled = new Map<string, Uint8Array>();

/** A fresh device: modules added (instrumented once for the whole file, then from the compiled cache). */
function device(db = ':memory:', opts: { modules?: boolean } = {}): Runtime {
  const rt = openRuntime({ db, identity: S.owner });
  for (const [k, v] of compiled) rt.store.putCompiled(k, v);
  if (opts.modules !== false) for (const m of S.modules) rt.addModule(m);
  for (const m of S.modules) {
    const k = compiledCacheKey(toHex(verifyModulePackage(b, m).manifest.wasmHash));
    const v = rt.store.getCompiled(k);
    if (v && !compiled.has(k)) compiled.set(k, v);
  }
  return rt;
}

/** Ingests in random-sized pieces: single `ingest` calls and `ingestBatch`es of up to 30. */
function feed(rt: Runtime, caps: readonly ScenarioCapsule[], rnd: () => number): void {
  for (let i = 0; i < caps.length;) {
    const n = rnd() < 0.3 ? 1 : 1 + Math.floor(rnd() * 30);
    const part = caps.slice(i, i + n);
    if (part.length === 1) rt.ingest(part[0].bytes); else rt.ingestBatch(part.map((c) => c.bytes));
    i += n;
  }
}

const reference: Fingerprint = (() => {
  const rt = device();
  rt.ingestBatch(S.capsules.map((c) => c.bytes));
  const f = fingerprint(rt);
  rt.close();
  return f;
})();

function expectSame(f: Fingerprint, what: string): void {
  const d = firstDifference(reference, f);
  assert.equal(d, null, `${what}: ${d}`);
}

test('the scenario exercises every part of the contract', () => {
  assert.ok(S.capsules.length >= 80, `${S.capsules.length} capsules`);
  const statuses = new Set(reference.capsules.map((c) => c.split(' ')[1]));
  for (const s of ['executed', 'stored', 'not-recipient']) assert.ok(statuses.has(s), `a capsule with status ${s}: ${[...statuses]}`);
  assert.ok(reference.trust.length > 3 && reference.balances.length > 2 && reference.kv.length > 5);
});

test('20 random permutations, in random batch sizes: 0 differences', () => {
  const rnd = prng(1);
  for (let i = 0; i < 20; i++) {
    const rt = device();
    feed(rt, shuffled(S.capsules, rnd), rnd);
    expectSame(fingerprint(rt), `permutation ${i}`);
    rt.close();
  }
});

test('20 random topological orders (parents first, siblings in any order): 0 differences', () => {
  const rnd = prng(2);
  for (let i = 0; i < 20; i++) {
    const rt = device();
    feed(rt, topologicalOrder(S.capsules, rnd), rnd);
    expectSame(fingerprint(rt), `topological order ${i}`);
    rt.close();
  }
});

test('adversarial orders: reversed, trust last, policies last, ledger reversed, one capsule at a time', () => {
  const by = (g: string) => S.capsules.filter((c) => c.group === g);
  const others = (...gs: string[]) => S.capsules.filter((c) => !gs.includes(c.group));
  const orders: [string, ScenarioCapsule[]][] = [
    ['reversed', [...S.capsules].reverse()],
    ['trust last', [...others('trust'), ...by('trust')]],
    ['policies last', [...others('policy'), ...by('policy')]],
    ['ledger reversed', [...others('ledger'), ...by('ledger').reverse()]],
  ];
  for (const [name, order] of orders) {
    const rt = device();
    for (const c of order) rt.ingest(c.bytes);
    expectSame(fingerprint(rt), name);
    rt.close();
  }
});

test('modules arriving after the capsules that use them: the waiting runs take their canonical place', () => {
  const rt = device(':memory:', { modules: false });
  rt.ingestBatch(S.capsules.map((c) => c.bytes));
  assert.ok(rt.query({ status: 'awaiting-module' }).length > 10);
  for (const m of [...S.modules].reverse()) rt.addModule(m);
  expectSame(fingerprint(rt), 'modules last');
  rt.close();
});

test('offline splits merged by snapshot import and by sync pair reach the reference on both devices', () => {
  const rnd = prng(3);
  for (let i = 0; i < 3; i++) {
    const order = shuffled(S.capsules, rnd);
    const cut = Math.floor(order.length * (0.3 + 0.4 * rnd()));
    const [a1, b1] = [device(), device()];
    feed(a1, order.slice(0, cut), rnd);
    feed(b1, order.slice(cut), rnd);
    const fromA = exportSnapshot(b, a1.store), fromB = exportSnapshot(b, b1.store);
    importSnapshot(b1, b, fromA.bytes);
    importSnapshot(a1, b, fromB.bytes);
    expectSame(fingerprint(a1), `split ${i} via snapshot, device A`);
    expectSame(fingerprint(b1), `split ${i} via snapshot, device B`);
    a1.close(); b1.close();

    const [a2, b2] = [device(), device()];
    feed(a2, order.slice(0, cut), rnd);
    feed(b2, order.slice(cut), rnd);
    syncPair(a2, b2);
    expectSame(fingerprint(a2), `split ${i} via sync pair, device A`);
    expectSame(fingerprint(b2), `split ${i} via sync pair, device B`);
    a2.close(); b2.close();
  }
});

test('restarts between batches (a store on disk closed and reopened) and audit replay from scratch', () => {
  const rnd = prng(4);
  const db = join(tempDir(), 'restarts.db');
  const order = shuffled(S.capsules, rnd);
  let rt = device(db);
  for (let i = 0; i < order.length; i += 17) {
    rt.ingestBatch(order.slice(i, i + 17).map((c) => c.bytes));
    rt.close();
    rt = openRuntime({ db, identity: S.owner });
  }
  expectSame(fingerprint(rt), 'with restarts');
  rt.close();
  const source = new SqliteStore(db, { readonly: true });
  const fresh = new SqliteStore(':memory:');
  for (const [k, v] of compiled) fresh.putCompiled(k, v);
  const replay = replayAuditLog(b, source, fresh, S.owner);
  source.close();
  assert.equal(replay.ok, true, JSON.stringify(replay.divergences.slice(0, 3)));
  assert.ok(replay.executions > 50);
});

test('worker threads (precheck pool) change nothing', async () => {
  const rnd = prng(5);
  const rt = device();
  const pool = new PrecheckPool({ workers: 2, enc: { encSecret: S.owner.encSecret, encPublic: S.owner.encPublic } });
  try {
    await rt.ingestMany(shuffled(S.capsules, rnd).map((c) => c.bytes), { precheck: (x) => pool.submit(x), chunk: 16, batch: 4 });
  } finally { await pool.close(); }
  expectSame(fingerprint(rt), 'with 2 precheck workers');
  rt.close();
});

test('a late capsule re-executes the runs after it; a changed result is logged, counted, and shown by show', () => {
  const rt = device();
  const late = S.capsules.find((c) => c.label === 'trust owner→alice')!;
  rt.ingestBatch(S.capsules.filter((c) => c !== late).map((c) => c.bytes));
  const before = rt.audit.size();
  rt.ingest(late.bytes);
  const report = rt.lastDrain!;
  assert.ok(report.rolledBack > 20 && report.reexecuted === report.rolledBack, JSON.stringify(report));
  assert.ok(report.changed.length > 0, 'the owner trusting alice changes later results');
  expectSame(fingerprint(rt), 'late trust statement');
  const changed = rt.get(report.changed[0])!;
  assert.ok(changed.result!.changes >= 1);
  const types = rt.store.auditRange(before, rt.audit.size()).map((r) => decodeEntry(r.entry).type);
  assert.equal(types.filter((t) => t === 'runs_rolled_back').length, 1, 'one rollback for the late capsule');
  assert.equal(types.filter((t) => t === 'result_changed').length, report.changed.length);
  rt.close();
});
