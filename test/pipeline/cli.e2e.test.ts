/** The pipeline driven exactly as a user drives it: kapsule-pack → kapsule run/ingest → ls/show → audit verify. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';

async function run(cli: typeof kapsule, cwd: string, argv: string[]): Promise<{ code: number; json: any; stderr: string }> {
  const io = captureIO(cwd);
  const code = await cli([...argv, '--json'], io);
  let json: any = null;
  try { json = JSON.parse(io.stdout); } catch { /* not JSON */ }
  return { code, json, stderr: io.stderr };
}

test('pack → run → ls/show → rejections → audit verify', async () => {
  const d = tempDir();
  for (const who of ['alice', 'bob', 'dave']) assert.equal((await run(pack, d, ['keygen', '--out', `${who}.key`])).code, 0);
  writeFileSync(join(d, 'post.json'), '{"title":"hello"}');

  // a public post and an encrypted reply to bob
  const p1 = await run(pack, d, ['capsule', '--kind', 'post', '--channel', 'general', '--payload', 'post.json', '--key', 'alice.key', '--public', '--created-at', '1767225600000', '--out', 'p1.kapsule']);
  assert.equal(p1.code, 0);
  const id1 = p1.json.capsule_id;
  const p2 = await run(pack, d, ['capsule', '--kind', 'comment', '--channel', 'general', '--payload', 'post.json', '--key', 'alice.key', '--to', 'bob.key.pub', '--parent', id1, '--created-at', '1767225601000', '--out', 'p2.kapsule']);
  assert.equal(p2.code, 0);
  // one only dave can read
  const p3 = await run(pack, d, ['capsule', '--kind', 'post', '--channel', 'general', '--payload', 'post.json', '--key', 'alice.key', '--to', 'dave.key.pub', '--created-at', '1767225602000', '--out', 'p3.kapsule']);

  let r = await run(kapsule, d, ['run', 'p1.kapsule', '--key', 'bob.key', '--db', 'bob.db']);
  assert.equal(r.code, 0);
  assert.equal(r.json.status, 'stored');
  r = await run(kapsule, d, ['run', 'p2.kapsule', '--key', 'bob.key', '--db', 'bob.db']);
  assert.equal(r.json.status, 'stored');
  r = await run(kapsule, d, ['run', 'p3.kapsule', '--key', 'bob.key', '--db', 'bob.db']);
  assert.equal(r.code, 0);
  assert.equal(r.json.status, 'not-recipient');
  r = await run(kapsule, d, ['run', 'p1.kapsule', '--key', 'bob.key', '--db', 'bob.db']);
  assert.equal(r.json.status, 'duplicate');

  // tampered: rejected with its code, exit 1, nothing stored
  const bytes = readFileSync(join(d, 'p1.kapsule'));
  bytes[bytes.length - 3] ^= 1;
  writeFileSync(join(d, 'bad.kapsule'), bytes);
  r = await run(kapsule, d, ['run', 'bad.kapsule', '--key', 'bob.key', '--db', 'bob.db']);
  assert.equal(r.code, 1);
  assert.equal(r.json.ok, false);
  assert.equal(r.json.error.code, 'SIGNATURE_INVALID');

  // logic reference to a module that is not in the registry: kept in the DAG, runs when the module arrives
  const p4 = await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'post.json', '--key', 'alice.key', '--public', '--logic', 'ab'.repeat(32), '--out', 'p4.kapsule']);
  r = await run(kapsule, d, ['run', 'p4.kapsule', '--key', 'bob.key', '--db', 'bob.db']);
  assert.equal(r.code, 0);
  assert.equal(r.json.status, 'awaiting-module');
  assert.ok(p4.json.capsule_id);

  const ls = await run(kapsule, d, ['ls', '--db', 'bob.db']);
  assert.equal(ls.code, 0);
  assert.deepEqual(ls.json.capsules.map((c: any) => c.status).sort(), ['awaiting-module', 'not-recipient', 'stored', 'stored']);
  const show = await run(kapsule, d, ['show', id1, '--db', 'bob.db']);
  assert.equal(show.json.id, id1);
  assert.deepEqual(show.json.children, [p2.json.capsule_id]);

  const audit = await run(kapsule, d, ['audit', 'verify', '--db', 'bob.db']);
  assert.equal(audit.code, 0, JSON.stringify(audit.json));
  assert.equal(audit.json.valid, true);
  const shown = await run(kapsule, d, ['audit', 'show', '--db', 'bob.db']);
  const types = shown.json.entries.map((e: any) => e.type);
  // a duplicate changes nothing and is not logged (resending cannot grow the log)
  assert.deepEqual(types, ['capsule_stored', 'capsule_stored', 'capsule_stored', 'capsule_rejected', 'capsule_stored']);
  assert.equal(shown.json.entries[3].code, 'SIGNATURE_INVALID');
  assert.equal(shown.json.entries[4].status, 'awaiting-module');
  const proof = await run(kapsule, d, ['audit', 'prove', '2', '--db', 'bob.db']);
  assert.equal(proof.code, 0);
  assert.equal(proof.json.verified, true);
  assert.ok(proof.json.proof.length >= 2);
  assert.equal((await run(kapsule, d, ['audit', 'prove', '99', '--db', 'bob.db'])).code, 2);
});

test('orphans wait for their parents and are released (reported in canonical order)', async () => {
  const d = tempDir();
  await run(pack, d, ['keygen', '--out', 'a.key']);
  writeFileSync(join(d, 'x.json'), '{}');
  const root = (await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'x.json', '--key', 'a.key', '--public', '--created-at', '1000', '--out', 'root.kapsule'])).json.capsule_id;
  const c1 = (await run(pack, d, ['capsule', '--kind', 'comment', '--payload', 'x.json', '--key', 'a.key', '--public', '--parent', root, '--created-at', '3000', '--out', 'c1.kapsule'])).json.capsule_id;
  const c2 = (await run(pack, d, ['capsule', '--kind', 'comment', '--payload', 'x.json', '--key', 'a.key', '--public', '--parent', root, '--created-at', '2000', '--out', 'c2.kapsule'])).json.capsule_id;
  const gc = (await run(pack, d, ['capsule', '--kind', 'comment', '--payload', 'x.json', '--key', 'a.key', '--public', '--parent', c1, '--created-at', '4000', '--out', 'gc.kapsule'])).json.capsule_id;
  mkdirSync(join(d, 'in'));
  for (const [f, to] of [['gc', '1'], ['c1', '2'], ['c2', '3']]) writeFileSync(join(d, 'in', `${to}.kapsule`), readFileSync(join(d, `${f}.kapsule`)));
  let r = await run(kapsule, d, ['ingest', 'in', '--key', 'a.key', '--db', 's.db']);
  assert.equal(r.code, 0);
  assert.equal(r.json.summary.counts.orphan, 3);
  const o = await run(kapsule, d, ['orphans', '--db', 's.db']);
  assert.equal(o.json.orphans.length, 3);
  r = await run(kapsule, d, ['run', 'root.kapsule', '--key', 'a.key', '--db', 's.db']);
  assert.equal(r.json.status, 'stored');
  // c2 (created 2000) before c1 (3000); c1 released its own child
  assert.deepEqual(r.json.resolved.map((x: any) => x.id), [c2, c1]);
  assert.deepEqual(r.json.resolved[1].resolved.map((x: any) => x.id), [gc]);
  assert.equal((await run(kapsule, d, ['orphans', '--db', 's.db'])).json.orphans.length, 0);
  const heads = await run(kapsule, d, ['heads', '--db', 's.db']);
  assert.deepEqual(heads.json.heads.map((h: any) => h.id).sort(), [c2, gc].sort());
  assert.equal((await run(kapsule, d, ['audit', 'verify', '--db', 's.db'])).code, 0);
});

test('usage errors exit 2 with a typed JSON error', async () => {
  const d = tempDir();
  let r = await run(kapsule, d, ['ls']);
  assert.equal(r.code, 2);
  assert.equal(r.json.error.code, 'USAGE');
  r = await run(kapsule, d, ['nope']);
  assert.equal(r.code, 2);
  r = await run(pack, d, ['capsule', '--kind', 'post']);
  assert.equal(r.code, 2);
});

test('kapsule-pack never dates a reply before the parent it is given as a file (the time rule)', async () => {
  const d = tempDir();
  await run(pack, d, ['keygen', '--out', 'a.key']);
  writeFileSync(join(d, 'x.json'), '{}');
  const parent = await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'x.json', '--key', 'a.key', '--public', '--created-at', '4102444800000', '--out', 'p.kapsule']);
  assert.equal(parent.code, 0);
  // an explicit date before the parent's is a usage error, not a capsule every device would reject
  const bad = await run(pack, d, ['capsule', '--kind', 'comment', '--payload', 'x.json', '--key', 'a.key', '--public', '--parent', 'p.kapsule', '--created-at', '1000', '--out', 'c.kapsule']);
  assert.equal(bad.code, 2);
  assert.match(bad.json.error.message, /before a parent/);
  // without --created-at the clock (now) is behind this parent: the reply is dated at the parent's time
  const ok = await run(pack, d, ['capsule', '--kind', 'comment', '--payload', 'x.json', '--key', 'a.key', '--public', '--parent', 'p.kapsule', '--out', 'c.kapsule']);
  assert.equal(ok.code, 0);
  const insp = await run(kapsule, d, ['inspect', 'c.kapsule']);
  assert.equal(String(insp.json.created_at), '4102444800000');
  assert.deepEqual(insp.json.parents, [parent.json.capsule_id]);
});
