/**
 * The wall-clock backstop in the pipeline (issue 18: "a wall-clock backstop that ends a run as TIMEOUT (not stored,
 * retried) in every path that executes modules"). A host that lifts the fuel ceiling and a module that never ends:
 * the chunk is interrupted and rolled back, its runs are retried one by one, the one that overruns stays pending
 * with TIMEOUT, runs before it are kept, runs after it wait, the store and the audit log stay consistent, and the
 * next drain retries it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule, buildModulePackage } from '../../capsule-packer/src/build.ts';
import { utf8 } from '../../host/src/bytes.ts';
import { verifyAuditLog } from '../../host/src/audit/verify.ts';
import { tempDir, testIdentity } from '../helpers/fixtures.ts';
import { wat2wasm } from '../execute/_helpers.ts';

const corpus = (f: string) => readFileSync(new URL(`../corpus/${f}`, import.meta.url), 'utf8');

test('a run that never ends is TIMEOUT, stays pending and blocks only the runs after it; the store stays consistent', async () => {
  const me = testIdentity(b, 'deadline/device');
  const author = testIdentity(b, 'deadline/author');
  const loop = buildModulePackage(b, author, { name: 'loop', version: '1', wasm: await wat2wasm(corpus('infinite-loop.wat')), hostcalls: ['submit_capsule_result'], fuel: 1n << 62n, memoryPages: 1, maxDepth: 16 });
  const counter = buildModulePackage(b, author, { name: 'counter', version: '1', wasm: await wat2wasm(corpus('counter.wat')), hostcalls: ['kv_get', 'kv_set', 'submit_capsule_result'], fuel: 10_000_000n, memoryPages: 1, maxDepth: 16 });
  const T = 1_767_225_600_000n;
  const cap = (at: bigint, logic: Uint8Array) => buildCapsule(b, author, { kind: 'post', channel: 'c', createdAt: at, logic, payload: utf8.encode(String(at)), to: 'public' });
  const before = cap(T, counter.id), stuck = cap(T + 10n, loop.id), after = cap(T + 20n, counter.id), early = cap(T + 5n, counter.id);
  const db = join(tempDir(), 'd.db');
  // the host lifts the fuel ceiling (its policy), so only the wall clock can end the loop
  const rt = openRuntime({ db, identity: me, policy: { maxFuel: 1n << 62n }, runDeadlineMs: 300 });
  rt.addModule(loop.bytes);
  rt.addModule(counter.bytes);
  const t0 = performance.now();
  const rs = rt.ingestBatch([after.bytes, stuck.bytes, before.bytes]);
  assert.ok(performance.now() - t0 < 20_000, 'the backstop ended it');
  const [ra, rstuck, rb] = rs;
  assert.equal(rb.status, 'executed', 'the run before the stuck one is kept');
  assert.equal(rstuck.status, 'pending');
  assert.equal(rstuck.error?.code, 'TIMEOUT');
  assert.equal(ra.status, 'pending', 'runs after it wait for it');
  assert.equal(rt.lastDrain!.stopped?.code, 'TIMEOUT');
  // a capsule that sorts before the stuck run still runs; the stuck one is retried, and times out again
  const re = rt.ingest(early.bytes);
  assert.equal(re.status, 'executed');
  assert.equal(rt.get(stuck.id)!.status, 'pending');
  assert.equal(rt.get(after.id)!.status, 'pending');
  rt.close();
  // nothing half-written: the log verifies, the counter saw exactly the two runs that completed
  const again = openRuntime({ db, identity: me, runDeadlineMs: 300, policy: { maxFuel: 1n << 62n } });
  const kv = again.kv(counter.idHex);
  assert.equal(kv.length, 1);
  assert.equal(new DataView(kv[0].value.buffer, kv[0].value.byteOffset).getUint32(0, true), 2);
  assert.ok(verifyAuditLog(b, again.store, {}).ok);
  again.close();
});
