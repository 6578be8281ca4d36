/**
 * SIGKILL in the middle of a re-execution: a late capsule at the start of a store makes every later run pending, and
 * the drain that re-executes them commits in chunks. Killing the process anywhere in it must leave a store that
 * verifies, and a rerun (which resumes the drain on open) must reach exactly the state of a device that received
 * everything in order — same statuses, results, kv — with an audit log that verifies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule, buildModulePackage } from '../../capsule-packer/src/build.ts';
import { saveIdentity } from '../../host/src/keys-node.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import { verifyAuditLog } from '../../host/src/audit/verify.ts';
import { utf8 } from '../../host/src/bytes.ts';
import { DEV_NODE_ARGS, tempDir, testIdentity } from '../helpers/fixtures.ts';
import { wat2wasm } from '../execute/_helpers.ts';
import { fingerprint, firstDifference } from '../helpers/scenario.ts';

const root = new URL('../..', import.meta.url).pathname;
const N = 1000;
/** Bounded here; `npm run faults` runs more (CRASH_POINTS). */
const KILLS = Math.min(Number(process.env.CRASH_POINTS ?? 2), 12);

function child(file: string, db: string, key: string, killAfterMs: number | null): Promise<{ lines: string[]; killed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...DEV_NODE_ARGS, join(root, 'test/helpers/reexec-child.ts'), file, db, key], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let killed = false;
    let ready = 0;
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!ready && out.startsWith('ready\n')) ready = performance.now();
      if (killAfterMs !== null && ready && !killed) {
        killed = true;
        setTimeout(() => { if (c.exitCode === null) c.kill('SIGKILL'); else killed = false; }, killAfterMs);
      }
    });
    c.on('error', reject);
    c.on('exit', () => resolve({ lines: out.split('\n').filter(Boolean), killed: killed && !out.includes('done'), ms: performance.now() - ready }));
  });
}

test(`SIGKILL during a re-execution of ${N} runs, ${KILLS} times: the rerun converges and the audit log verifies`, async () => {
  const d = tempDir();
  const device = testIdentity(b, 'reexec/device');
  const author = testIdentity(b, 'reexec/author');
  const keyPath = join(d, 'device.key');
  saveIdentity(device, keyPath);
  const wasm = await wat2wasm(readFileSync(join(root, 'test/corpus/counter.wat'), 'utf8'));
  const m = buildModulePackage(b, author, { name: 'counter', version: '1', wasm, hostcalls: ['kv_get', 'kv_set', 'submit_capsule_result'], fuel: 10_000_000n, memoryPages: 1, maxDepth: 16 });
  const T = 1_767_225_600_000n;
  const caps = Array.from({ length: N }, (_, i) => buildCapsule(b, author, { kind: 'post', channel: 'c', createdAt: T + BigInt(1000 + i), logic: m.id, payload: utf8.encode(String(i)), to: 'public' }));
  const late = buildCapsule(b, author, { kind: 'post', channel: 'c', createdAt: T, logic: m.id, payload: utf8.encode('late'), to: 'public' });
  const lateFile = join(d, 'late.kapsule');
  writeFileSync(lateFile, late.bytes);

  // the reference: a device that received the late capsule first; and a base store without it
  const ref = openRuntime({ db: ':memory:', identity: device });
  ref.addModule(m.bytes);
  ref.ingestBatch([late.bytes, ...caps.map((c) => c.bytes)]);
  const expected = fingerprint(ref);
  ref.close();
  const base = join(d, 'base.db');
  const setup = openRuntime({ db: base, identity: device });
  setup.addModule(m.bytes);
  setup.ingestBatch(caps.map((c) => c.bytes));
  setup.close();

  // how long the whole re-execution takes here, uninterrupted: kills are spread over it
  const timed = join(d, 'timed.db');
  writeFileSync(timed, readFileSync(base));
  const full = await child(lateFile, timed, keyPath, null);
  const span = full.ms;
  assert.equal(full.lines.at(-1), 'done');

  // Kills at 30–80% of that span. On a loaded machine the drain may go faster than in the timed run and finish
  // before a kill lands: then the kill points move earlier (halved) and more attempts are made, up to KILLS + 6.
  let interrupted = 0;
  let scale = 1;
  for (let k = 0; k < KILLS || (interrupted === 0 && k < KILLS + 6); k++) {
    const db = join(d, `kill${k}.db`);
    writeFileSync(db, readFileSync(base));
    const first = await child(lateFile, db, keyPath, Math.floor(span * scale * (0.3 + 0.5 * (((k % KILLS) + 0.5) / KILLS))));
    const s = new SqliteStore(db);
    const report = verifyAuditLog(b, s, {});
    assert.ok(report.ok, `after the kill: ${JSON.stringify(report.first)}`);
    if (first.killed && s.pendingRuns(1).length > 0) interrupted++;
    else scale /= 2;
    s.close();
    const second = await child(lateFile, db, keyPath, null);
    assert.equal(second.lines.at(-1), 'done');
    const rt = openRuntime({ db, identity: device });
    assert.equal(firstDifference(expected, fingerprint(rt)), null, `kill ${k}`);
    assert.equal(rt.store.pendingRuns(1).length, 0);
    rt.close();
    const after = new SqliteStore(db, { readonly: true });
    assert.ok(verifyAuditLog(b, after, { signer: { alg: 'ed25519', pub: device.sigPublic } }).ok);
    after.close();
  }
  assert.ok(interrupted >= 1, `at least one kill landed in the middle of the drain (span ${span.toFixed(0)} ms)`);
});
