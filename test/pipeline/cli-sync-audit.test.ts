/**
 * `audit prove` prints hashes in hex like every other command (the proof still verifies); `sync export` prints one
 * head per line; `sync pair` compares heads first, so two stores already in sync ask no have/want question at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { fromHex, utf8 } from '../../host/src/bytes.ts';
import { verifyInclusion } from '../../host/src/audit/merkle.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

const me = testIdentity(b, 'sync-audit/device');

async function call(cwd: string, argv: string[]) {
  const io = captureIO(cwd);
  const code = await kapsule(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

/** `n` independent posts (n heads) over 3 channels. */
function posts(n: number, from = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => buildCapsule(b, me, { kind: 'post', channel: `c${(from + i) % 3}`, createdAt: BigInt(1000 + from + i), payload: utf8.encode(`{"i":${from + i}}`), to: 'public' }).bytes);
}

test('audit prove: leaf, root and proof in hex, and they verify', async () => {
  const d = tempDir();
  const rt = openRuntime({ db: join(d, 'a.db'), identity: me });
  rt.ingestBatch(posts(9));
  rt.close();
  const j = JSON.parse((await call(d, ['audit', 'prove', '5', '--db', 'a.db', '--json'])).out);
  for (const h of [j.leaf_hash, j.root, ...j.proof]) assert.match(h, /^[0-9a-f]{64}$/);
  assert.ok(j.proof.length >= 3);
  assert.equal(verifyInclusion((x) => b.sha256(x), 5, j.tree_size, fromHex(j.leaf_hash), j.proof.map(fromHex), fromHex(j.root)), true);
  const t = await call(d, ['audit', 'prove', '5', '--db', 'a.db']);
  assert.match(t.out, new RegExp(`^root  ${j.root}$`, 'm'));
  assert.match(t.out, new RegExp(`^proof\\[0\\] ${j.proof[0]}$`, 'm'));
  assert.doesNotMatch(t.out, /[+/=]/, 'no base64 anywhere');
});

test('sync export: one head per line, full ids', async () => {
  const d = tempDir();
  const rt = openRuntime({ db: join(d, 'a.db'), identity: me });
  rt.ingestBatch(posts(5));
  const heads = rt.heads();
  rt.close();
  const r = await call(d, ['sync', 'export', '--db', 'a.db', '--out', 's.ksnap']);
  assert.equal(r.code, 0);
  const lines = r.out.trim().split('\n');
  assert.equal(lines[1], 'heads:');
  assert.deepEqual(lines.slice(2), heads.map((h) => `#${h.channel}  ${h.id}`));
});

test('sync pair with nothing to do asks no have/want question; a new capsule costs a question or two', async () => {
  const d = tempDir();
  const all = posts(200);
  for (const f of ['a.db', 'b.db']) {
    const rt = openRuntime({ db: join(d, f), identity: me });
    rt.ingestBatch(all);
    rt.close();
  }
  const same = JSON.parse((await call(d, ['sync', 'pair', '--db', 'a.db', '--peer', 'b.db', '--json'])).out);
  assert.deepEqual({ aToB: same.aToB, bToA: same.bToA, questions: same.questions }, { aToB: 0, bToA: 0, questions: 0 });
  const rt = openRuntime({ db: join(d, 'a.db'), identity: me });
  rt.ingestBatch(posts(1, 500));
  rt.close();
  const one = JSON.parse((await call(d, ['sync', 'pair', '--db', 'a.db', '--peer', 'b.db', '--json'])).out);
  assert.equal(one.aToB, 1);
  assert.equal(one.bToA, 0);
  assert.ok(one.questions <= 2, `${one.questions} questions for one new capsule`);
  assert.equal(JSON.parse((await call(d, ['sync', 'pair', '--db', 'a.db', '--peer', 'b.db', '--json'])).out).questions, 0);
});
