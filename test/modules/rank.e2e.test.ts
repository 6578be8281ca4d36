/**
 * rank through the real pipeline: runs index posts (time-free facts); "trending" is the module's query at an explicit
 * `now`, over the DAG and trust as they stand — so arrival order, backdated reactions and far-future posts cannot
 * move it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kit } from './_kit.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { utf8 } from '../../host/src/bytes.ts';

const HOUR = 3_600_000n;
const T0 = 10n * HOUR;
const trust = (k: Kit, who: string, score: bigint) => k.rt.store.transaction(() => k.rt.store.setTrust(k.who(who).sigPublic, score));

/** A post and comments by `commenters`; returns the post's entry in the trending view `ageHours` after it. */
function scenario(opts: { authorTrust: bigint; commenters: string[]; commenterTrust: bigint; ageHours?: bigint }) {
  const k = new Kit('rank', 'owner');
  trust(k, 'author', opts.authorTrust);
  for (const c of opts.commenters) if (c !== 'author') trust(k, c, c.startsWith('sybil') ? 0n : opts.commenterTrust);
  const post = k.capsule('author', 'post', { title: 'x' }, { at: T0 });
  assert.equal(k.run(post).index, 0);
  for (const [i, c] of opts.commenters.entries()) {
    k.run(k.capsule(c, 'comment', { text: 'hi' }, { at: T0 + BigInt(i + 1), parents: [post.id] }));
  }
  const view = k.query({ op: 'trending', channel: 'c' }, T0 + (opts.ageHours ?? 0n) * HOUR);
  k.rt.close();
  assert.equal(view.ok, true);
  return view.posts[0];
}

test('monotonic in the author\'s trust', () => {
  const lo = scenario({ authorTrust: 100_000n, commenters: [], commenterTrust: 0n });
  const hi = scenario({ authorTrust: 600_000n, commenters: [], commenterTrust: 0n });
  assert.ok(hi.score > lo.score, `${hi.score} > ${lo.score}`);
  assert.equal(lo.age_hours, 0);
});

test('monotonic in trusted engagement; one author counts once, the post author not at all', () => {
  const few = scenario({ authorTrust: 200_000n, commenters: ['c1'], commenterTrust: 300_000n });
  const many = scenario({ authorTrust: 200_000n, commenters: ['c1', 'c2', 'c3'], commenterTrust: 300_000n });
  assert.equal(many.engaged, 3);
  assert.ok(many.score > few.score);
  const repeat = scenario({ authorTrust: 200_000n, commenters: ['c1', 'c1', 'c1', 'author'], commenterTrust: 300_000n });
  assert.equal(repeat.engaged, 1);
  assert.equal(repeat.score, few.score);
});

test('decays with the age at the query\'s now', () => {
  const fresh = scenario({ authorTrust: 500_000n, commenters: [], commenterTrust: 0n, ageHours: 1n });
  const old = scenario({ authorTrust: 500_000n, commenters: [], commenterTrust: 0n, ageHours: 48n });
  assert.equal(old.age_hours, 48);
  assert.ok(fresh.score > old.score);
});

test('sybil engagement does not promote', () => {
  const none = scenario({ authorTrust: 200_000n, commenters: [], commenterTrust: 0n });
  const sybils = scenario({ authorTrust: 200_000n, commenters: ['sybil1', 'sybil2', 'sybil3', 'sybil4'], commenterTrust: 0n });
  assert.equal(sybils.score, none.score);
  assert.equal(sybils.engaged, 0);
  assert.equal(sybils.ignored, 4);
});

test('engagement from comments run by another module (or none) counts: the view reads the DAG', () => {
  const k = new Kit('rank', 'owner');
  trust(k, 'author', 200_000n);
  trust(k, 'fan', 400_000n);
  const post = k.capsule('author', 'post', { title: 'x' }, { at: T0 });
  k.run(post);
  k.rt.ingest(k.capsule('fan', 'comment', { text: 'no logic' }, { at: T0 + 1n, parents: [post.id], logic: null }).bytes);
  const v = k.query({ op: 'score', channel: 'c', post: Buffer.from(post.id).toString('hex') }, T0);
  assert.equal(v.post.engaged, 1);
  assert.equal(v.post.engagement, 400_000);
  k.rt.close();
});

test('stored results and the view do not depend on the order reactions arrive in (was 1.2M vs 9.6M)', () => {
  const packer = new Kit('rank', 'owner');
  const post = packer.capsule('author', 'post', { title: 'x' }, { at: T0 });
  const reactions = ['r0', 'r1', 'r2'].map((who, i) => packer.capsule(who, 'reaction', { like: true }, { at: T0 + BigInt(i + 1) * HOUR, parents: [post.id] }));
  packer.rt.close();
  const views: unknown[] = [];
  for (const order of [[0, 1, 2], [2, 1, 0], [1, 0, 2]]) {
    const k = new Kit('rank', 'owner');
    trust(k, 'author', 300_000n);
    for (const who of ['r0', 'r1', 'r2']) trust(k, who, 500_000n);
    for (const i of order) k.rt.ingest(reactions[i].bytes); // the reactions first: orphans until the post arrives
    k.rt.ingest(post.bytes);
    views.push({ results: [post, ...reactions].map((c) => k.result(c)), view: k.query({ op: 'trending', channel: 'c' }, T0 + 5n * HOUR) });
    k.rt.close();
  }
  assert.deepEqual(views[1], views[0]);
  assert.deepEqual(views[2], views[0]);
});

test('a reaction backdated to an old post\'s created_at does not make it fresh; a far-future post is held', () => {
  const k = new Kit('rank', 'owner');
  trust(k, 'author', 500_000n);
  trust(k, 'bot', 500_000n);
  const old = k.capsule('author', 'post', { title: 'old' }, { at: T0 });
  k.run(old);
  const before = k.query({ op: 'trending', channel: 'c' }, T0 + 100n * HOUR).posts[0];
  k.run(k.capsule('bot', 'reaction', { like: true }, { at: T0, parents: [old.id] }));
  const after = k.query({ op: 'trending', channel: 'c' }, T0 + 100n * HOUR).posts[0];
  assert.equal(after.age_hours, 100, 'age is measured at the query\'s now, not at the newest child');
  // twice the points at the same age (a fresh post would score (100+2)^1.5 / 2^1.5 ≈ 364 times more)
  assert.ok(after.score < 3 * before.score, 'one more engaged identity of equal trust, not a fresh post');
  // a post dated a year ahead of the device clock waits; it never enters the view early
  const future = buildCapsule(b, k.who('author'), {
    kind: 'post', channel: 'c', createdAt: BigInt(Date.now()) + 365n * 24n * HOUR, logic: k.moduleId, payload: utf8.encode('{}'), to: 'public',
  });
  assert.equal(k.rt.ingest(future.bytes).status, 'held');
  assert.equal(k.query({ op: 'trending', channel: 'c' }, BigInt(Date.now())).considered, 1);
  k.rt.close();
});

test('the view lists posts by score, highest first (ties by id), at most `limit`', () => {
  const k = new Kit('rank', 'owner');
  const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
  names.forEach((n, i) => trust(k, n, BigInt(100_000 + ((i * 37) % 6) * 100_000)));
  k.rt.ingestBatch(names.map((n, i) => k.capsule(n, 'post', { title: n }, { at: T0 + BigInt(i) }).bytes));
  const v = k.query({ op: 'trending', channel: 'c', limit: 4 }, T0 + HOUR);
  assert.equal(v.posts.length, 4);
  const scores = v.posts.map((p: any) => p.score);
  assert.deepEqual(scores, [...scores].sort((a: number, b: number) => b - a));
  assert.equal(v.posts[0].author_trust, 600_000);
  k.rt.close();
});

test('a view at a given now leaves out posts dated after it (a post cannot trend before it exists)', () => {
  const k = new Kit('rank', 'owner');
  trust(k, 'author', 500_000n);
  const early = k.capsule('author', 'post', { title: 'early' }, { at: T0 });
  const later = k.capsule('author', 'post', { title: 'later' }, { at: T0 + 2n * HOUR });
  k.rt.ingestBatch([early.bytes, later.bytes]);
  const v = k.query({ op: 'trending', channel: 'c' }, T0 + HOUR);
  assert.deepEqual([v.considered, v.not_yet], [1, 1]);
  assert.deepEqual(v.posts.map((p: any) => p.post), [Buffer.from(early.id).toString('hex')]);
  assert.equal(k.query({ op: 'trending', channel: 'c' }, T0 + 3n * HOUR).considered, 2);
  k.rt.close();
});

test('1,000 distinct commenters: the view stays within its fuel (was OUT_OF_FUEL in a quadratic check)', () => {
  const k = new Kit('rank', 'owner');
  trust(k, 'author', 200_000n);
  const post = k.capsule('author', 'post', { title: 'x' }, { at: T0 });
  k.run(post);
  k.rt.ingestBatch(Array.from({ length: 1000 }, (_, i) => k.capsule(`c${i}`, 'comment', { text: 'hi' }, { at: T0 + BigInt(i + 1), parents: [post.id], logic: null }).bytes));
  const v = k.query({ op: 'trending', channel: 'c' }, T0);
  assert.equal(v.posts[0].ignored, 1000);
  k.rt.close();
});

test('codes, never traps: no post to rank, bad queries', () => {
  const k = new Kit('rank', 'owner');
  assert.equal(k.run(k.capsule('a', 'comment', { text: 'orphan-less' })).code, 'NO_POST');
  assert.equal(k.query({ op: 'trending' }, T0).code, 'BAD_QUERY');
  assert.equal(k.query({ op: 'trending', channel: 'c', limit: 0 }, T0).code, 'BAD_QUERY');
  assert.equal(k.query({ op: 'nope' }, T0).code, 'BAD_QUERY');
  assert.equal(k.query({ op: 'score', channel: 'c', post: '00'.repeat(32) }, T0).code, 'NO_POST');
  k.rt.close();
});
