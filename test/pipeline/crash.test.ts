/**
 * SIGKILL during ingest at random points never leaves a half-stored capsule: afterwards the store and the audit
 * log verify, every stored capsule has exactly its audit entry, and a rerun completes idempotently.
 * Bounded here (CRASH_POINTS, default 3: one kill in each third of the run, at a random point within it); `npm run
 * faults` (and CI) runs 50.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { saveIdentity } from '../../host/src/keys-node.ts';
import { SqliteStore } from '../../host/src/store/sqlite.ts';
import { verifyAuditLog } from '../../host/src/audit/verify.ts';
import { decodeEntry } from '../../host/src/audit/entry.ts';
import { DEV_NODE_ARGS, tempDir, testIdentity } from '../helpers/fixtures.ts';

const POINTS = Number(process.env.CRASH_POINTS ?? 3);
const N = 120;
const root = new URL('../..', import.meta.url).pathname;

function runChild(dir: string, db: string, key: string, killAfterLines: number | null): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...DEV_NODE_ARGS, join(root, 'test/helpers/ingest-child.ts'), dir, db, key], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buf = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (killAfterLines !== null && lines.length - 1 >= killAfterLines && !killed) { killed = true; child.kill('SIGKILL'); }
      }
    });
    child.on('error', reject);
    child.on('exit', () => resolve({ lines, killed }));
  });
}

function checkStore(db: string, device: { alg: 'ed25519'; pub: Uint8Array }): { stored: number } {
  const s = new SqliteStore(db);
  try {
    const report = verifyAuditLog(b, s, { signer: { alg: device.alg, pub: device.pub } });
    assert.ok(report.ok, JSON.stringify(report.first));
    const entries = s.auditRange(0, s.auditSize()).map((r) => decodeEntry(r.entry));
    const storedIds = new Set(entries.filter((e) => e.type === 'capsule_stored').map((e) => Buffer.from((e as { capsuleId: Uint8Array }).capsuleId).toString('hex')));
    const rows = s.findCapsules({});
    assert.equal(rows.length, storedIds.size, 'every stored capsule has exactly one capsule_stored entry');
    for (const r of rows) assert.ok(storedIds.has(Buffer.from(r.id).toString('hex')));
    return { stored: rows.length };
  } finally { s.close(); }
}

test(`SIGKILL at ${POINTS} random points during ingest, then rerun`, async () => {
  const d = tempDir();
  const inbox = join(d, 'in');
  mkdirSync(inbox);
  const device = testIdentity(b, 'crash-device');
  const author = testIdentity(b, 'crash-author');
  const keyPath = join(d, 'device.key');
  saveIdentity(device, keyPath);
  let prev: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    const c = buildCapsule(b, author, {
      kind: 'post', channel: 'crash', createdAt: BigInt(1000 + i), parents: prev, payload: new Uint8Array([i & 255]),
      to: i % 2 ? [device.encPublic] : 'public',
    });
    prev = i % 7 === 0 ? [] : [c.id];
    writeFileSync(join(inbox, `${String(i).padStart(4, '0')}.kapsule`), c.bytes);
  }
  const signer = { alg: 'ed25519' as const, pub: device.sigPublic };
  for (let p = 0; p < POINTS; p++) {
    const db = join(d, `s${p}.db`);
    // stratified: point p falls in the p-th slice of the run, so few points still cover early, middle and late kills
    const killAt = 1 + Math.floor(((p + Math.random()) / POINTS) * (N - 2));
    const first = await runChild(inbox, db, keyPath, killAt);
    assert.ok(first.killed, 'the child was killed mid-run');
    const mid = checkStore(db, signer);
    assert.ok(mid.stored >= killAt - 1, `stored ${mid.stored} of at least ${killAt - 1} acknowledged`);
    const second = await runChild(inbox, db, keyPath, null);
    assert.equal(second.lines.at(-1), 'done');
    const end = checkStore(db, signer);
    assert.equal(end.stored, N);
    assert.ok(second.lines.filter((l) => l === 'duplicate').length >= mid.stored - 1);
  }
});
