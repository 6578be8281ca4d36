import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kit } from './_kit.ts';

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

test('transitive trust decays per hop; scores are bounded', () => {
  const s = scoresAfter(base);
  assert.ok(s.get('alice')! > s.get('bob')!, 'one hop beats two');
  assert.ok(s.get('bob')! > s.get('dan')!, 'two hops beat three');
  assert.ok(s.get('dan')! > 0n);
  let total = 0n;
  for (const v of s.values()) { assert.ok(v > 0n && v <= 1_000_000n); total += v; }
  assert.ok(total <= 1_000_000n, `total ${total} ≤ the source's energy`);
});

test('sybil resistance: a cluster nobody trusted trusts scores 0, however dense', () => {
  const s = scoresAfter(base);
  for (const x of ['s1', 's2', 's3', 's4']) assert.equal(s.get(x) ?? 0n, 0n, x);
  // a sybil vouching for alice does not raise her score
  const without = scoresAfter(base.filter(([f, t]) => !(f === 's1' && t === 'alice')));
  assert.equal(s.get('alice'), without.get('alice'));
});

test('distrust lowers its target but is not transitive', () => {
  const withDistrust = scoresAfter([...base, ['carol', 'alice', -50]]);
  const s = scoresAfter(base);
  assert.ok(withDistrust.get('alice')! < s.get('alice')!, 'alice loses trust');
  assert.equal(withDistrust.get('bob'), s.get('bob'), 'bob, trusted through alice, is not penalised');
  assert.equal(withDistrust.get('dan'), s.get('dan'));
  // distrust from an untrusted identity counts for nothing
  assert.deepEqual(scoresAfter([...base, ['s1', 'carol', -100]]), s);
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

test('malformed statements give result codes, never traps', () => {
  const k = new Kit('trust', 'owner');
  for (const [p, code] of [['{', 'BAD_PAYLOAD'], [{ subject: 'xyz', weight: 1 }, 'BAD_PAYLOAD'], [{ subject: k.key('a'), weight: 101 }, 'BAD_PAYLOAD'],
    [{ subject: k.key('a'), weight: 5, topic: 'has space' }, 'BAD_PAYLOAD'], [{ subject: k.key('owner'), weight: 5 }, 'SELF_TRUST']] as const) {
    assert.equal(k.run(k.capsule('owner', 'trust', p)).code, code, JSON.stringify(p));
  }
  k.rt.close();
});
