import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kit } from './_kit.ts';

const HOUR = 3_600_000n;
const trust = (k: Kit, who: string, score: bigint) => k.rt.store.transaction(() => k.rt.store.setTrust(k.who(who).sigPublic, score));

/** Score of a post with `commenters` (names) after trust `t` is set; re-ranked at `now` via a final comment. */
function scenario(opts: { authorTrust: bigint; commenters: string[]; commenterTrust: bigint; ageHours?: bigint }) {
  const k = new Kit('rank', 'owner');
  trust(k, 'author', opts.authorTrust);
  for (const c of opts.commenters) trust(k, c, c.startsWith('sybil') ? 0n : opts.commenterTrust);
  const post = k.capsule('author', 'post', { title: 'x' }, { at: 10n * HOUR });
  const first = k.run(post);
  let last = first;
  for (const [i, c] of opts.commenters.entries()) {
    last = k.run(k.capsule(c, 'comment', { text: 'hi' }, { at: 10n * HOUR + BigInt(i + 1), parents: [post.id] }));
  }
  // re-rank at a later "now" (run context), through the last child when there is one
  if (opts.ageHours !== undefined) {
    const probe = k.capsule('author', 'reaction', { like: true }, { at: 10n * HOUR + 100n, parents: [post.id] });
    last = k.run(probe, 10n * HOUR + opts.ageHours * HOUR);
  }
  k.rt.close();
  return { first, last };
}

test('monotonic in the author\'s trust', () => {
  const lo = scenario({ authorTrust: 100_000n, commenters: [], commenterTrust: 0n }).first;
  const hi = scenario({ authorTrust: 600_000n, commenters: [], commenterTrust: 0n }).first;
  assert.ok(hi.score > lo.score, `${hi.score} > ${lo.score}`);
  assert.equal(lo.age_hours, 0);
});

test('monotonic in trusted engagement; each comment re-ranks the parent post', () => {
  const few = scenario({ authorTrust: 200_000n, commenters: ['c1'], commenterTrust: 300_000n }).last;
  const many = scenario({ authorTrust: 200_000n, commenters: ['c1', 'c2', 'c3'], commenterTrust: 300_000n }).last;
  assert.equal(many.engaged, 3);
  assert.ok(many.score > few.score);
  // one author commenting three times counts once
  const repeat = scenario({ authorTrust: 200_000n, commenters: ['c1', 'c1', 'c1'], commenterTrust: 300_000n }).last;
  assert.equal(repeat.engaged, 1);
  assert.equal(repeat.score, few.score);
});

test('decays with age (now from the run context)', () => {
  const fresh = scenario({ authorTrust: 500_000n, commenters: [], commenterTrust: 0n, ageHours: 1n }).last;
  const old = scenario({ authorTrust: 500_000n, commenters: [], commenterTrust: 0n, ageHours: 48n }).last;
  assert.equal(old.age_hours, 48);
  assert.ok(fresh.score > old.score);
});

test('sybil engagement does not promote', () => {
  const none = scenario({ authorTrust: 200_000n, commenters: [], commenterTrust: 0n }).last;
  const sybils = scenario({ authorTrust: 200_000n, commenters: ['sybil1', 'sybil2', 'sybil3', 'sybil4'], commenterTrust: 0n }).last;
  assert.equal(sybils.score, none.score);
  assert.equal(sybils.engaged, 0);
  assert.equal(sybils.ignored, 4);
});

test('a capsule with no post to rank gets a result code', () => {
  const k = new Kit('rank', 'owner');
  assert.equal(k.run(k.capsule('a', 'comment', { text: 'orphan-less' })).code, 'NO_POST');
  k.rt.close();
});
