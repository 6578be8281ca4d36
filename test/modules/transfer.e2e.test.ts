import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Kit, kmodPath } from './_kit.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';

test('transfer through kapsule run: genesis, mint, transfer, replayed nonce refused', async () => {
  const d = tempDir();
  const io = () => captureIO(d);
  for (const w of ['bank', 'ann']) await pack(['keygen', '--out', `${w}.key`], io());
  const pub = (w: string) => JSON.parse(readFileSync(join(d, `${w}.key.pub`), 'utf8')).sig_public;
  const steps: [string, unknown][] = [
    ['bank', { op: 'genesis' }],
    ['bank', { op: 'mint', to: pub('bank'), amount: '1000' }],
    ['bank', { op: 'transfer', from: pub('bank'), to: pub('ann'), amount: '250', nonce: 1 }],
    ['bank', { op: 'transfer', from: pub('bank'), to: pub('ann'), amount: '250', nonce: 1 }],
  ];
  const results: any[] = [];
  for (const [i, [who, p]] of steps.entries()) {
    writeFileSync(join(d, `p${i}.json`), JSON.stringify(p));
    const o = io();
    assert.equal(await pack(['capsule', '--kind', 'ledger', '--payload', `p${i}.json`, '--key', `${who}.key`, '--to', 'bank.key.pub', '--logic', kmodPath('transfer'), '--created-at', String(1000 + i), '--out', `c${i}.kapsule`, '--json'], o), 0, o.stdout);
    const r = io();
    const code = await kapsule(['run', `c${i}.kapsule`, '--key', 'bank.key', '--db', 'bank.db', '--modules', join(kmodPath('transfer'), '..'), '--json'], r);
    assert.equal(code, 0, r.stdout);
    results.push(JSON.parse(r.stdout).result);
  }
  assert.equal(results[0].issuer, pub('bank'));
  assert.equal(results[1].to_balance, '1000');
  assert.deepEqual([results[2].from_balance, results[2].to_balance], ['750', '250']);
  assert.equal(results[3].code, 'BAD_NONCE');
  const show = io();
  await kapsule(['ls', '--db', 'bank.db', '--kind', 'ledger', '--json'], show);
  assert.equal(JSON.parse(show.stdout).capsules.length, 4);
});

test('malformed payloads give result codes, never traps', () => {
  const k = new Kit('transfer', 'bank');
  for (const [p, code] of [['not json', 'BAD_PAYLOAD'], [{ op: 'steal' }, 'BAD_PAYLOAD'], [{ op: 'mint', to: 'zz', amount: '1' }, 'BAD_PAYLOAD'],
    [{ op: 'mint', to: k.key('bank'), amount: '1.5' }, 'BAD_PAYLOAD'], [{ op: 'mint', to: k.key('bank'), amount: '5' }, 'NOT_ISSUER'],
    [{ op: 'transfer', from: k.key('bank'), to: k.key('x'), amount: '5', nonce: 1 }, 'INSUFFICIENT_FUNDS']] as const) {
    assert.equal(k.run(k.capsule('bank', 'ledger', p)).code, code, JSON.stringify(p));
  }
  assert.equal(k.run(k.capsule('eve', 'ledger', { op: 'transfer', from: k.key('bank'), to: k.key('eve'), amount: '1', nonce: 1 })).code, 'NOT_SIGNER');
  k.rt.close();
});

test('property: total supply is conserved across any sequence of transfers', () => {
  const names = ['a', 'b', 'c', 'd'];
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.bigInt({ min: 0n, max: 400n }), fc.boolean()), { maxLength: 25 }), (ops) => {
    const k = new Kit('transfer', 'a');
    k.run(k.capsule('a', 'ledger', { op: 'genesis' }));
    for (const n of names) k.run(k.capsule('a', 'ledger', { op: 'mint', to: k.key(n), amount: '500' }));
    const nonce = new Map<string, number>();
    for (const [f, t, amt, replay] of ops) {
      const from = names[f];
      const n = (nonce.get(from) ?? 0) + (replay ? 0 : 1);
      const r = k.run(k.capsule(from, 'ledger', { op: 'transfer', from: k.key(from), to: k.key(names[t]), amount: amt.toString(), nonce: n }));
      if (r.ok) nonce.set(from, n);
    }
    const total = k.rt.balances().reduce((s, x) => s + x.amount, 0n);
    k.rt.close();
    return total === 2000n;
  }), { numRuns: 12 });
});

test('two conflicting transfers on different DAG branches: exactly one wins, the same one in any arrival order', () => {
  const outcome = (order: 'xy' | 'yx') => {
    const k = new Kit('transfer', 'a');
    const g = k.capsule('a', 'ledger', { op: 'genesis' }, { at: 1000n });
    const m = k.capsule('a', 'ledger', { op: 'mint', to: k.key('a'), amount: '100' }, { at: 2000n, parents: [g.id] });
    // same nonce, both spend 80 of 100: siblings on two branches of m
    const x = k.capsule('a', 'ledger', { op: 'transfer', from: k.key('a'), to: k.key('x'), amount: '80', nonce: 1 }, { at: 3000n, parents: [m.id] });
    const y = k.capsule('a', 'ledger', { op: 'transfer', from: k.key('a'), to: k.key('y'), amount: '80', nonce: 1 }, { at: 3001n, parents: [m.id] });
    // both branches arrive before their common parent (as after a partition): the pipeline resolves the
    // orphans in (created_at, id) order, whatever order they arrived in
    for (const c of order === 'xy' ? [x, y] : [y, x]) assert.equal(k.rt.ingest(c.bytes).status, 'orphan');
    k.rt.ingest(g.bytes);
    k.rt.ingest(m.bytes);
    const res = [x, y].map((c) => JSON.parse(new TextDecoder().decode(k.rt.get(c.id)!.result!.output!)));
    const bal = Object.fromEntries(k.rt.balances().map((b) => [b.account, b.amount]));
    k.rt.close();
    return { res: res.map((r) => r.ok ? 'ok' : r.code), x: bal[k.key('x')] ?? 0n, y: bal[k.key('y')] ?? 0n };
  };
  const a = outcome('xy'), b = outcome('yx');
  assert.deepEqual(a, b);
  assert.deepEqual(a.res, ['ok', 'BAD_NONCE']);
  assert.deepEqual([a.x, a.y], [80n, 0n]);
});
