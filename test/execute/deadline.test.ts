/**
 * runWithDeadline (deadline.ts): interrupts a hostile run on the calling thread with TIMEOUT, leaves the sandbox
 * reusable (no run state left set, pooled memory returned), passes results and errors through unchanged; and what
 * an interruption does to a better-sqlite3 transaction that was open around the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Sandbox, runWithDeadline, deadlineInterrupts } from '../../host/src/execute/index.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { sha256, wat2wasm } from './_helpers.ts';

const unbounded = { maxFuel: 1n << 62n }; // a policy without a fuel ceiling: only the deadline can stop the loop
const lim = { hostcalls: [], fuel: 1n << 62n, memoryPages: 1, maxDepth: 10 };
const loopWat = '(module (import "env" "memory" (memory 1)) (func (export "run") (result i32) (loop $l (br $l)) (i32.const 0)))';
const okWat = `(module (import "env" "memory" (memory 1))
  (func (export "run") (result i32) (if (i32.load (i32.const 0)) (then (return (i32.const 9)))) (i32.store (i32.const 0) (i32.const 1)) (i32.const 0)))`;

function timedOut(fn: () => unknown): KapsuleError {
  try { fn(); } catch (e) { if (e instanceof KapsuleError) return e; throw e; }
  assert.fail('no TIMEOUT');
}

test('Node interrupts: an infinite loop under a 100 ms deadline is TIMEOUT; the sandbox runs again right after', async () => {
  assert.equal(deadlineInterrupts, true);
  const sb = new Sandbox({ sha256, policy: unbounded, reuseInstances: false }); // the pool's part; kept instances below
  const loop = sb.load(await wat2wasm(loopWat), lim);
  const ok = sb.load(await wat2wasm(okWat), lim);
  sb.run(ok, fixtureInput()); // puts one 1-page memory into the pool
  assert.deepEqual(sb.poolStats(), { created: 1, reused: 0 });
  const e = timedOut(() => runWithDeadline(() => sb.run(loop, fixtureInput()), 100));
  assert.equal(e.code, 'TIMEOUT');
  assert.equal(e.stage, 'execute');
  assert.equal(e.details?.timeoutMs, 100);
  // the interrupted run had taken the pooled memory: it is back, wiped, and reused; no run state was left set
  assert.deepEqual(sb.poolStats(), { created: 1, reused: 1 });
  assert.equal(sb.run(ok, fixtureInput()).ok, true, 'memory wiped and the sandbox not stuck "in a run"');
  assert.deepEqual(sb.poolStats(), { created: 1, reused: 2 });
  // again, several times: nothing accumulates
  for (let i = 0; i < 3; i++) assert.equal(timedOut(() => runWithDeadline(() => sb.run(loop, fixtureInput()), 50)).code, 'TIMEOUT');
  assert.equal(runWithDeadline(() => sb.run(ok, fixtureInput()).ok, 10_000), true);
  assert.deepEqual(sb.poolStats(), { created: 1, reused: 6 });
});

test('Node interrupts a run on a kept instance: that instance is dropped, the next run gets a fresh state', async () => {
  const sb = new Sandbox({ sha256, policy: unbounded });
  const loop = sb.load(await wat2wasm(loopWat), lim);
  const ok = sb.load(await wat2wasm(okWat), lim);
  for (let i = 0; i < 2; i++) assert.equal(sb.run(ok, fixtureInput()).ok, true);
  assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [1, 1]);
  for (let i = 0; i < 2; i++) assert.equal(timedOut(() => runWithDeadline(() => sb.run(loop, fixtureInput()), 50)).code, 'TIMEOUT');
  assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [3, 1], 'an interrupted instance is never kept');
  assert.equal(sb.run(ok, fixtureInput()).ok, true);
  assert.deepEqual([sb.stats.instancesCreated, sb.stats.instancesReused], [3, 2]);
});

test('results and errors pass through; a chunk of runs shares one deadline', async () => {
  const sb = new Sandbox({ sha256 });
  const ok = sb.load(await wat2wasm(okWat), lim);
  assert.deepEqual(runWithDeadline(() => Array.from({ length: 50 }, () => sb.run(ok, fixtureInput()).fuelUsed), 10_000), Array(50).fill(sb.run(ok, fixtureInput()).fuelUsed));
  const trap = sb.load(await wat2wasm('(module (func (export "run") (result i32) (unreachable)))'), lim);
  const e = timedOut(() => runWithDeadline(() => sb.run(trap, fixtureInput()), 10_000));
  assert.equal(e.code, 'TRAP');
  assert.throws(() => runWithDeadline(() => { throw new RangeError('mine'); }, 1000), (x: unknown) => x instanceof RangeError && x.message === 'mine');
  assert.throws(() => runWithDeadline(() => 1, 0), RangeError);
  assert.throws(() => runWithDeadline(() => runWithDeadline(() => 1, 100), 100), (x: unknown) => x instanceof KapsuleError && x.code === 'USAGE');
  assert.equal(runWithDeadline(() => 'after', 100), 'after', 'a refused nested call leaves the deadline usable');
});

test('better-sqlite3: a deadline inside db.transaction() leaves BEGIN open (no ROLLBACK runs); onInterrupt must roll back', async () => {
  const sb = new Sandbox({ sha256, policy: unbounded });
  const loop = sb.load(await wat2wasm(loopWat), lim);
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x INTEGER)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  const count = () => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  const ingest = db.transaction((x: number) => { insert.run(x); sb.run(loop, fixtureInput()); });

  // what happens without repair: the transaction wrapper's catch (ROLLBACK) never runs
  assert.equal(timedOut(() => runWithDeadline(() => ingest(1), 100)).code, 'TIMEOUT');
  assert.equal(db.inTransaction, true, 'BEGIN is still open after the interruption');
  assert.equal(count(), 1, 'the half-done insert is visible on this connection');
  // the next db.transaction() call nests as a SAVEPOINT inside the stale transaction: its "commit" commits nothing
  db.transaction(() => insert.run(2))();
  assert.equal(db.inTransaction, true, 'still inside the stale transaction after a later transaction "committed"');
  db.exec('ROLLBACK');
  assert.equal(count(), 0, 'rolling back the stale transaction loses the later, acknowledged write too');

  // with the repair: onInterrupt rolls the open transaction back, and the connection is clean
  const e = timedOut(() => runWithDeadline(() => ingest(3), 100, { onInterrupt: () => { if (db.inTransaction) db.exec('ROLLBACK'); } }));
  assert.equal(e.code, 'TIMEOUT');
  assert.equal(db.inTransaction, false);
  assert.equal(count(), 0);
  db.transaction(() => insert.run(4))();
  assert.equal(db.inTransaction, false);
  assert.equal(count(), 1);
  db.close();
});
