import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kit } from './_kit.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';
import { dirname } from 'node:path';

test('agent rules produce proposals that are recorded, never applied; kapsule agent proposals lists them', async () => {
  const dbDir = tempDir();
  const k = new Kit('agent_logic', 'owner', `${dbDir}/agent.db`);
  k.rt.store.transaction(() => {
    k.rt.store.setTrust(k.who('alice').sigPublic, 500_000n);
    k.rt.store.setBalance(k.who('owner').sigPublic, 1500n);
  });
  const rust = k.capsule('alice', 'post', { title: 'ownership' }, { logic: null, flags: { tag: 'rust' } });
  const other = k.capsule('bob', 'post', { title: 'unsafe everywhere' }, { logic: null, flags: { tag: 'rust' } });
  k.rt.ingestBatch([rust.bytes, other.bytes]);
  for (let i = 0; i < 3; i++) k.rt.ingest(k.capsule('troll', 'comment', { text: `noise ${i}` }, { logic: null, parents: [rust.id] }).bytes);
  const before = k.rt.balances();
  const r = k.run(k.capsule('owner', 'agent', {
    rules: [{ type: 'pin', tag: 'rust', min_trust: 300_000 }, { type: 'block', min_count: 3 }, { type: 'sweep', above: '1000', to: k.key('savings') }],
  }, { parents: [rust.id, other.id] }));
  assert.equal(r.ok, true);
  assert.deepEqual(r.proposals.map((p: any) => p.action), ['pin', 'block', 'transfer']);
  assert.equal(r.proposals[0].capsule, Buffer.from(rust.id).toString('hex'));
  assert.equal(r.proposals[1].author, k.key('troll'));
  assert.equal(r.proposals[2].amount, '500');
  assert.deepEqual(k.rt.balances(), before, 'nothing applied');
  assert.equal(k.run(k.capsule('alice', 'agent', { rules: [{ type: 'sweep', above: '0', to: k.key('alice') }] })).code, 'NOT_OWNER');
  assert.equal(k.run(k.capsule('owner', 'agent', { rules: [{ type: 'launch' }] })).code, 'BAD_RULE');
  k.rt.close();

  const io = captureIO(dirname(`${dbDir}/agent.db`));
  assert.equal(await kapsule(['agent', 'proposals', '--db', `${dbDir}/agent.db`, '--json'], io), 0);
  const out = JSON.parse(io.stdout);
  assert.equal(out.proposals.length, 3);
  assert.equal(out.proposals[2].to_capsule.kind, 'ledger');
  assert.equal(out.proposals[2].to_capsule.payload.amount, '500');
});
