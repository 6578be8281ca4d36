import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Kit } from './_kit.ts';
import { layTrustGraph, type Statement } from './_trust-layout.ts';

type Stmt = [string, string, number, string?];

function scoresAfter(stmts: Stmt[], order?: number[]): Map<string, bigint> {
  const k = new Kit('trust', 'owner');
  const caps = stmts.map(([from, to, w, topic], i) => k.capsule(from, 'trust', { subject: k.key(to), weight: w, ...(topic ? { topic } : {}) }, { at: 1_000_000n + BigInt(i) }));
  for (const i of order ?? caps.map((_, j) => j)) k.run(caps[i]);
  const names = new Map([...k.people].map(([n, p]) => [Buffer.from(p.sigPublic).toString('hex'), n]));
  const out = new Map(k.rt.trustScores().filter((s) => s.score > 0n).map((s) => [names.get(s.subject) ?? s.subject, s.score]));
  k.rt.close();
  return out;
}

const base: Stmt[] = [
  ['owner', 'alice', 90], ['owner', 'carol', 60], ['alice', 'bob', 80], ['bob', 'dan', 70], ['carol', 'bob', 40],
  // a sybil ring: they trust each other heavily, nobody trusted trusts them
  ['s1', 's2', 100], ['s2', 's3', 100], ['s3', 's1', 100], ['s1', 'alice', 100], ['s2', 's4', 100], ['s4', 's1', 100],
];

test('scale: the owner is 1.0, a direct friend weight/100; trust decays per hop; scores are bounded', () => {
  const s = scoresAfter(base);
  assert.equal(s.get('owner'), 1_000_000n);
  assert.equal(s.get('alice'), 900_000n);
  assert.equal(s.get('carol'), 600_000n);
  assert.ok(s.get('alice')! > s.get('bob')!, 'one hop beats two');
  assert.ok(s.get('bob')! > s.get('dan')!, 'two hops beat three');
  assert.ok(s.get('dan')! > 0n);
  for (const v of s.values()) assert.ok(v > 0n && v <= 1_000_000n);
  // an owner with 20 friends at equal weight sees each of them fully trusted (not 1/20 of the mass each)
  const many = scoresAfter(Array.from({ length: 20 }, (_, i): Stmt => ['owner', `f${i}`, 100]));
  for (let i = 0; i < 20; i++) assert.equal(many.get(`f${i}`), 1_000_000n, `f${i}`);
});

test('sybil resistance: a cluster nobody trusted trusts scores 0, however dense', () => {
  const s = scoresAfter(base);
  for (const x of ['s1', 's2', 's3', 's4']) assert.equal(s.get(x) ?? 0n, 0n, x);
  // a sybil vouching for alice does not raise her score
  const without = scoresAfter(base.filter(([f, t]) => !(f === 's1' && t === 'alice')));
  assert.equal(s.get('alice'), without.get('alice'));
});

test('distrust lowers a farther identity but is not transitive; it never outweighs the owner', () => {
  const s = scoresAfter(base);
  const withDistrust = scoresAfter([...base, ['carol', 'bob', -30]]);
  assert.ok(withDistrust.get('bob')! < s.get('bob')!, 'bob loses trust');
  assert.ok(withDistrust.get('dan')! < s.get('dan')!, 'dan, trusted through bob, receives less');
  // a friend's (or a friend-of-friend's) distrust of someone the owner trusts directly counts for nothing
  assert.deepEqual(scoresAfter([...base, ['carol', 'alice', -100], ['bob', 'carol', -100]]), s);
  // distrust from an untrusted identity counts for nothing
  assert.deepEqual(scoresAfter([...base, ['s1', 'carol', -100]]), s);
});

test('the owner\'s distrust dominates: the distrusted identity scores 0 and lifts nobody', () => {
  const s = scoresAfter([['owner', 'alice', 90], ['owner', 'mallory', -100], ['alice', 'mallory', 100], ['mallory', 'sybil', 100], ['mallory', 'alice', -100]]);
  assert.equal(s.get('mallory') ?? 0n, 0n);
  assert.equal(s.get('sybil') ?? 0n, 0n);
  assert.equal(s.get('alice'), 900_000n);
});

test('the result is independent of the arrival order of an equivalent set of statements', () => {
  const stmts: Stmt[] = [...base, ['alice', 'bob', 20], ['carol', 'erin', 90, 'cooking']];
  const ref = scoresAfter(stmts);
  for (const order of [[...stmts.keys()].reverse(), [5, 2, 9, 0, 11, 7, 1, 12, 3, 10, 4, 8, 6]]) {
    assert.deepEqual(scoresAfter(stmts, order), ref);
  }
  // the newer statement (alice→bob 20) replaced the older one (80): bob got less than in `base`
  assert.ok(ref.get('bob')! < scoresAfter(base).get('bob')!);
  assert.equal(ref.get('erin') ?? 0n, 0n, 'topic statements do not feed global scores');
});

test('a 35,200-edge graph is scored through the real pipeline (no MEMORY_LIMIT); 500 statements per identity, then a code', () => {
  const k = new Kit('trust', 'owner');
  const hex = (i: number) => createHash('sha256').update(`e2e-node-${i}`).digest('hex');
  const st: Statement[] = [];
  for (let i = 0; i < 20; i++) st.push([k.key('owner'), hex(i * 97 % 2000), 50 + i]);
  for (let i = 0; i < 35_200; i++) st.push([hex(i % 2000), hex((i * 7 + Math.floor(i / 2000) * 13 + 3) % 2000), (i % 9) * 10 + 10]);
  layTrustGraph(k, st);
  const r = k.run(k.capsule('owner', 'trust', { subject: hex(1), weight: 50 }));
  assert.equal(r.ok, true);
  assert.ok(r.edges > 35_000 && r.scored > 1_900 && r.truncated === false, JSON.stringify(r));
  // an identity with 500 statements: the 501st is a code, and it is still read in full
  for (let i = 0; i < 500; i++) st.push([k.key('wide'), hex(10_000 + i), 100]);
  layTrustGraph(k, st.slice(-500));
  assert.equal(k.run(k.capsule('wide', 'trust', { subject: hex(20_000), weight: 5 })).code, 'TOO_MANY_STATEMENTS');
  const w = k.run(k.capsule('owner', 'trust', { subject: k.key('wide'), weight: 100 }));
  assert.equal(w.ok, true);
  assert.equal(k.rt.trustScores().find((x) => x.subject === hex(10_000))?.score, 850_000n / 500n);
  k.rt.close();
});

test('malformed statements give result codes, never traps', () => {
  const k = new Kit('trust', 'owner');
  for (const [p, code] of [['{', 'BAD_PAYLOAD'], [{ subject: 'xyz', weight: 1 }, 'BAD_PAYLOAD'], [{ subject: k.key('a'), weight: 101 }, 'BAD_PAYLOAD'],
    [{ subject: k.key('a'), weight: 5, topic: 'has space' }, 'BAD_PAYLOAD'], [{ subject: k.key('owner'), weight: 5 }, 'SELF_TRUST']] as const) {
    assert.equal(k.run(k.capsule('owner', 'trust', p)).code, code, JSON.stringify(p));
  }
  k.rt.close();
});
