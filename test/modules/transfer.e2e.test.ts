/**
 * transfer through the real pipeline: ledgers named by their genesis capsule, per-ledger balances, nonces and
 * supply; double spends, replays, late geneses and races decided by the canonical order, the same on every device.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Kit, kmodPath } from './_kit.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { toHex } from '../../host/src/bytes.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';

const hex = (c: { id: Uint8Array }) => toHex(c.id);

/** A ledger with accounts opened and `mints` minted; returns the kit and the genesis. */
function ledger(k: Kit, issuer: string, accounts: string[], mints: Record<string, string> = {}) {
  const g = k.capsule(issuer, 'ledger', { op: 'genesis' });
  assert.equal(k.run(g).issuer, k.key(issuer));
  const L = hex(g);
  for (const a of accounts) if (a !== issuer) assert.equal(k.run(k.capsule(a, 'ledger', { op: 'open', ledger: L })).ok, true);
  for (const [to, amount] of Object.entries(mints)) assert.equal(k.run(k.capsule(issuer, 'ledger', { op: 'mint', ledger: L, to: k.key(to), amount })).ok, true);
  return { g, L };
}

/** Balance of `who` in ledger L (the host balance table, account = ledger id ‖ key). */
const bal = (k: Kit, L: string, who: string) => k.rt.balances().find((b) => b.account === L + k.key(who))?.amount ?? 0n;
const supply = (k: Kit, L: string) => {
  const e = k.rt.kv(toHex(k.moduleId)).find((x) => new TextDecoder().decode(x.key) === `supply:${L}`);
  return e ? BigInt(new TextDecoder().decode(e.value)) : null;
};

test('through kapsule run: genesis, open, mint, transfer, replayed nonce refused', async () => {
  const d = tempDir();
  const io = () => captureIO(d);
  for (const w of ['bank', 'ann']) await pack(['keygen', '--out', `${w}.key`], io());
  const pub = (w: string) => JSON.parse(readFileSync(join(d, `${w}.key.pub`), 'utf8')).sig_public;
  const results: any[] = [];
  let L = '';
  const step = async (i: number, who: string, p: unknown) => {
    writeFileSync(join(d, `p${i}.json`), JSON.stringify(p));
    const o = io();
    assert.equal(await pack(['capsule', '--kind', 'ledger', '--payload', `p${i}.json`, '--key', `${who}.key`, '--to', 'bank.key.pub', '--logic', kmodPath('transfer'), '--created-at', String(1000 + i), '--out', `c${i}.kapsule`, '--json'], o), 0, o.stdout);
    const r = io();
    const code = await kapsule(['run', `c${i}.kapsule`, '--key', 'bank.key', '--db', 'bank.db', '--modules', join(kmodPath('transfer'), '..'), '--json'], r);
    assert.equal(code, 0, r.stdout);
    results.push(JSON.parse(r.stdout).result);
  };
  await step(0, 'bank', { op: 'genesis' });
  L = results[0].ledger;
  await step(1, 'ann', { op: 'open', ledger: L });
  await step(2, 'bank', { op: 'mint', ledger: L, to: pub('bank'), amount: '1000' });
  await step(3, 'bank', { op: 'transfer', ledger: L, from: pub('bank'), to: pub('ann'), amount: '250', nonce: 1 });
  await step(4, 'bank', { op: 'transfer', ledger: L, from: pub('bank'), to: pub('ann'), amount: '250', nonce: 1 });
  assert.equal(results[0].issuer, pub('bank'));
  assert.equal(results[2].to_balance, '1000');
  assert.deepEqual([results[3].from_balance, results[3].to_balance], ['750', '250']);
  assert.equal(results[4].code, 'BAD_NONCE');
});

test('malformed and hostile payloads give result codes, never traps', () => {
  const k = new Kit('transfer', 'bank');
  const { L } = ledger(k, 'bank', ['bank', 'x'], { bank: '100' });
  const cases: [unknown, string, string?][] = [
    ['not json', 'BAD_PAYLOAD'], [{ op: 'steal', ledger: L }, 'BAD_PAYLOAD'], [{ op: 'mint', ledger: L, to: 'zz', amount: '1' }, 'BAD_PAYLOAD'],
    [{ op: 'mint', ledger: L, to: k.key('bank'), amount: '1.5' }, 'BAD_PAYLOAD'], [{ op: 'mint', ledger: L, to: k.key('bank'), amount: '5' }, 'NOT_ISSUER', 'eve'],
    [{ op: 'mint', ledger: 'ab'.repeat(32), to: k.key('bank'), amount: '5' }, 'NO_LEDGER'],
    [{ op: 'mint', to: k.key('bank'), amount: '5' }, 'BAD_PAYLOAD'],
    // 2^63 and above: a code, not a trap in set_balance (HOSTCALL_FAULT before)
    [{ op: 'mint', ledger: L, to: k.key('bank'), amount: '9223372036854775808' }, 'OVERFLOW'],
    [{ op: 'mint', ledger: L, to: k.key('bank'), amount: '18446744073709551615' }, 'OVERFLOW'],
    // 2^64 − 100 onto a balance of 100: refused, not wrapped to 0 with supply 0
    [{ op: 'mint', ledger: L, to: k.key('bank'), amount: '18446744073709551516' }, 'OVERFLOW'],
    [{ op: 'mint', ledger: L, to: k.key('bank'), amount: '0' }, 'ZERO_AMOUNT'],
    // duplicate keys: refused, not "last one wins"
    ['{"op":"mint","ledger":"' + L + '","to":"' + k.key('x') + '","to":"' + k.key('bank') + '","amount":"1"}', 'BAD_PAYLOAD'],
    [{ op: 'mint', ledger: L, to: k.key('bank'), amount: '1', extra: true }, 'BAD_PAYLOAD'],
    // an account that never proved it holds its key cannot receive (value would burn silently)
    [{ op: 'mint', ledger: L, to: 'ff'.repeat(32), amount: '1' }, 'UNKNOWN_ACCOUNT'],
    [{ op: 'transfer', ledger: L, from: k.key('bank'), to: 'ee'.repeat(32), amount: '1', nonce: 1 }, 'UNKNOWN_ACCOUNT'],
    [{ op: 'transfer', ledger: L, from: k.key('bank'), to: k.key('x'), amount: '500', nonce: 1 }, 'INSUFFICIENT_FUNDS'],
    [{ op: 'transfer', ledger: L, from: k.key('bank'), to: k.key('x'), amount: '9223372036854775808', nonce: 1 }, 'OVERFLOW'],
    [{ op: 'transfer', ledger: L, from: k.key('bank'), to: k.key('eve'), amount: '1', nonce: 1 }, 'NOT_SIGNER', 'eve'],
    [{ op: 'open', ledger: L }, 'ALREADY_OPEN', 'x'],
  ];
  for (const [p, code, who] of cases) assert.equal(k.run(k.capsule(who ?? 'bank', 'ledger', p)).code, code, JSON.stringify(p));
  assert.equal(bal(k, L, 'bank'), 100n);
  assert.equal(supply(k, L), 100n);
  k.rt.close();
});

test('balances, nonces and supply are per ledger: a rival ledger\'s mint cannot be paid into the real one', () => {
  const k = new Kit('transfer', 'bank');
  const real = ledger(k, 'bank', ['bank', 'ann', 'mallory'], { ann: '50' });
  const fake = ledger(k, 'mallory', ['mallory'], { mallory: '1000000000' });
  assert.equal(bal(k, fake.L, 'mallory'), 1_000_000_000n);
  assert.equal(bal(k, real.L, 'mallory'), 0n);
  // mallory tries to spend her fake billion in the real ledger
  assert.equal(k.run(k.capsule('mallory', 'ledger', { op: 'transfer', ledger: real.L, from: k.key('mallory'), to: k.key('ann'), amount: '1000', nonce: 1 })).code, 'INSUFFICIENT_FUNDS');
  // a second genesis by anyone is another ledger, never a takeover of this one
  assert.notEqual(real.L, fake.L);
  assert.equal(k.run(k.capsule('mallory', 'ledger', { op: 'mint', ledger: real.L, to: k.key('mallory'), amount: '5' })).code, 'NOT_ISSUER');
  for (const l of [real.L, fake.L]) {
    const sum = k.rt.balances().filter((b) => b.account.startsWith(l)).reduce((s, b) => s + b.amount, 0n);
    assert.equal(supply(k, l), sum, 'supply equals the sum of the ledger\'s balances');
  }
  k.rt.close();
});

test('property: per ledger, supply equals the sum of balances after any sequence of transfers and replays', () => {
  const names = ['a', 'b', 'c', 'd'];
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.bigInt({ min: 0n, max: 400n }), fc.boolean()), { maxLength: 20 }), (ops) => {
    const k = new Kit('transfer', 'a');
    const { L } = ledger(k, 'a', names, { a: '500', b: '500', c: '500', d: '500' });
    const nonce = new Map<string, number>();
    for (const [f, t, amt, replay] of ops) {
      const from = names[f];
      const n = (nonce.get(from) ?? 0) + (replay ? 0 : 1);
      const r = k.run(k.capsule(from, 'ledger', { op: 'transfer', ledger: L, from: k.key(from), to: k.key(names[t]), amount: amt.toString(), nonce: n }));
      if (r.ok) nonce.set(from, n);
    }
    const total = k.rt.balances().filter((b) => b.account.startsWith(L)).reduce((s, x) => s + x.amount, 0n);
    const ok = total === 2000n && supply(k, L) === 2000n;
    k.rt.close();
    return ok;
  }), { numRuns: 10 });
});

/** Builds the capsules of a scenario once, then ingests them into fresh devices in the given orders. */
function converge(build: (k: Kit) => { caps: { bytes: Uint8Array; id: Uint8Array }[]; L: () => string }, orders: number[][]) {
  const packer = new Kit('transfer', 'a');
  const s = build(packer);
  packer.rt.close();
  return orders.map((order) => {
    const k = new Kit('transfer', 'a');
    for (const i of order) k.rt.ingest(s.caps[i].bytes);
    const out = {
      results: s.caps.map((c) => { const r = k.result(c); return r ? (r.ok ? `ok ${r.op}` : r.code) : k.rt.get(c.id)?.status ?? 'absent'; }),
      balances: k.rt.balances().map((b) => `${b.account.slice(64, 72)}=${b.amount}`).sort(),
    };
    k.rt.close();
    return out;
  });
}

test('a double spend on two branches: one deterministic winner on every device, in every arrival order', () => {
  const [first, ...rest] = converge((k) => {
    const g = k.capsule('a', 'ledger', { op: 'genesis' }, { at: 1000n });
    const L = hex(g);
    const ox = k.capsule('x', 'ledger', { op: 'open', ledger: L }, { at: 1500n, parents: [g.id] });
    const oy = k.capsule('y', 'ledger', { op: 'open', ledger: L }, { at: 1500n, parents: [g.id] });
    const m = k.capsule('a', 'ledger', { op: 'mint', ledger: L, to: k.key('a'), amount: '100' }, { at: 2000n, parents: [g.id] });
    const x = k.capsule('a', 'ledger', { op: 'transfer', ledger: L, from: k.key('a'), to: k.key('x'), amount: '80', nonce: 1 }, { at: 3000n, parents: [m.id] });
    const y = k.capsule('a', 'ledger', { op: 'transfer', ledger: L, from: k.key('a'), to: k.key('y'), amount: '80', nonce: 1 }, { at: 3001n, parents: [m.id] });
    return { caps: [g, ox, oy, m, x, y], L: () => L };
  }, [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [0, 1, 2, 3, 5, 4], [3, 5, 0, 4, 2, 1]]);
  for (const r of rest) assert.deepEqual(r, first);
  assert.deepEqual(first.results.slice(4), ['ok transfer', 'BAD_NONCE'], 'the earlier transfer in canonical order wins');
});

test('nonce n+1 before n, mint before genesis: the state converges once the missing capsule arrives', () => {
  const [first, ...rest] = converge((k) => {
    const g = k.capsule('a', 'ledger', { op: 'genesis' }, { at: 1000n });
    const L = hex(g);
    const ob = k.capsule('b', 'ledger', { op: 'open', ledger: L }, { at: 1100n });
    const m = k.capsule('a', 'ledger', { op: 'mint', ledger: L, to: k.key('a'), amount: '100' }, { at: 2000n }); // no DAG edge to the genesis
    const t1 = k.capsule('a', 'ledger', { op: 'transfer', ledger: L, from: k.key('a'), to: k.key('b'), amount: '10', nonce: 1 }, { at: 3000n });
    const t2 = k.capsule('a', 'ledger', { op: 'transfer', ledger: L, from: k.key('a'), to: k.key('b'), amount: '20', nonce: 2 }, { at: 4000n });
    return { caps: [g, ob, m, t1, t2], L: () => L };
  }, [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 1, 3, 0], [1, 2, 3, 4, 0]]);
  for (const r of rest) assert.deepEqual(r, first);
  assert.deepEqual(first.results, ['ok genesis', 'ok open', 'ok mint', 'ok transfer', 'ok transfer']);
  assert.deepEqual(first.balances.map((x) => x.split('=')[1]).sort(), ['30', '70']);
});
