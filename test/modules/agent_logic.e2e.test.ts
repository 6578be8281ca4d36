/**
 * agent_logic through the real pipeline: proposals are recorded, never applied; they are ones the owner would sign
 * (never against the owner or a trusted identity, never pinning an untrusted author, a sweep reads one named ledger),
 * and `kapsule agent proposals` turns them into payloads (the transfer carries the ledger and the next nonce, asked
 * of the ledger's module through its query).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Kit, kmodPath } from './_kit.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';
import { toHex } from '../../host/src/bytes.ts';
import { dirname } from 'node:path';

test('agent rules produce proposals the owner would sign, recorded, never applied; kapsule agent proposals lists them', async () => {
  const dbDir = tempDir();
  const k = new Kit('agent_logic', 'owner', `${dbDir}/agent.db`);
  const transferId = k.rt.addModule(new Uint8Array(readFileSync(kmodPath('transfer')))).id;
  const ledgerCap = (who: string, p: unknown) => k.capsule(who, 'ledger', p, { logic: Buffer.from(transferId, 'hex') });
  // the owner's ledger, with a balance of 1500 and one transfer already made (so the next nonce is 2)
  const g = ledgerCap('owner', { op: 'genesis' });
  k.rt.ingest(g.bytes);
  const L = toHex(g.id);
  for (const who of ['savings', 'friend']) k.rt.ingest(ledgerCap(who, { op: 'open', ledger: L }).bytes);
  k.rt.ingest(ledgerCap('owner', { op: 'mint', ledger: L, to: k.key('owner'), amount: '1600' }).bytes);
  k.rt.ingest(ledgerCap('owner', { op: 'transfer', ledger: L, from: k.key('owner'), to: k.key('friend'), amount: '100', nonce: 1 }).bytes);
  // a stranger's toy ledger where the owner holds a fortune: a sweep over the real ledger must not see it
  const toy = ledgerCap('stranger', { op: 'genesis' });
  k.rt.ingest(toy.bytes);
  k.rt.ingest(ledgerCap('owner', { op: 'open', ledger: toHex(toy.id) }).bytes);
  k.rt.ingest(ledgerCap('stranger', { op: 'mint', ledger: toHex(toy.id), to: k.key('owner'), amount: '1000000' }).bytes);

  // the channel's policy (channel "c" has no owner key in its name: the device owner's), with terms and limits
  const blocklistId = k.rt.addModule(new Uint8Array(readFileSync(kmodPath('blocklist')))).id;
  const policy = { banned_terms: ['spam'], min_trust: 50_000, rate_limit: { max: 5, window_ms: 60_000 }, blocked_authors: [k.key('mallory')] };
  k.rt.ingest(k.capsule('owner', 'policy', policy, { logic: Buffer.from(blocklistId, 'hex') }).bytes);
  k.rt.store.transaction(() => { k.rt.store.setTrust(k.who('alice').sigPublic, 500_000n); k.rt.store.setTrust(k.who('bob').sigPublic, 300_000n); });
  const rust = k.capsule('alice', 'post', { title: 'ownership' }, { logic: null, flags: { tag: 'rust' } });
  const spam = k.capsule('sybil', 'post', { title: 'buy now' }, { logic: null, flags: { tag: 'rust' } });
  k.rt.ingestBatch([rust.bytes, spam.bytes]);
  for (let i = 0; i < 3; i++) {
    for (const who of ['troll', 'owner', 'bob']) k.rt.ingest(k.capsule(who, 'comment', { text: `note ${i}` }, { logic: null, parents: [rust.id] }).bytes);
  }
  const before = k.rt.balances();
  const r = k.run(k.capsule('owner', 'agent', {
    rules: [{ type: 'pin', tag: 'rust' }, { type: 'block', min_count: 2 }, { type: 'sweep', ledger: L, above: '1000', to: k.key('savings') }],
  }, { parents: [rust.id, spam.id] }));
  assert.equal(r.ok, true);
  assert.deepEqual(r.proposals.map((p: any) => p.action), ['pin', 'block', 'transfer']);
  assert.equal(r.proposals[0].capsule, toHex(rust.id), 'the sybil\'s post is not pinned (default min_trust)');
  assert.equal(r.proposals[1].author, k.key('troll'), 'neither the owner nor bob (trusted) is proposed');
  assert.equal(r.proposals[1].channel, 'c');
  assert.equal(r.proposals[2].amount, '500', 'the sweep reads the named ledger only');
  assert.equal(r.proposals[2].ledger, L);
  assert.deepEqual(k.rt.balances(), before, 'nothing applied');
  assert.equal(k.run(k.capsule('alice', 'agent', { rules: [{ type: 'sweep', ledger: L, above: '0', to: k.key('alice') }] })).code, 'NOT_OWNER');
  assert.equal(k.run(k.capsule('owner', 'agent', { rules: [{ type: 'launch' }] })).code, 'BAD_RULE');
  assert.equal(k.run(k.capsule('owner', 'agent', { rules: [{ type: 'sweep', above: '0', to: k.key('alice') }] })).code, 'BAD_RULE', 'a sweep names its ledger');
  k.rt.close();

  const io = captureIO(dirname(`${dbDir}/agent.db`));
  assert.equal(await kapsule(['agent', 'proposals', '--db', `${dbDir}/agent.db`, '--json'], io), 0);
  const out = JSON.parse(io.stdout);
  assert.equal(out.proposals.length, 3);
  const t = out.proposals[2].to_capsule;
  assert.equal(t.kind, 'ledger');
  assert.deepEqual(t.payload, { op: 'transfer', ledger: L, from: k.key('owner'), to: k.key('savings'), amount: '500', nonce: 2 });
  // the block is the channel's current policy plus one author: terms and limits are kept (they were dropped before)
  const block = out.proposals[1].to_capsule;
  assert.equal(block.kind, 'policy');
  assert.deepEqual(block.payload.banned_terms, ['spam']);
  assert.equal(block.payload.min_trust, 50_000);
  assert.deepEqual(block.payload.rate_limit, { max: 5, window_ms: 60_000, per_parent: 20 });
  assert.deepEqual(block.payload.blocked_authors, [k.key('mallory'), k.key('troll')].sort());
});
