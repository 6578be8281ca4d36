import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kit } from './_kit.ts';

function setup() {
  const k = new Kit('blocklist', 'owner');
  k.rt.store.transaction(() => {
    k.rt.store.setTrust(k.who('friend').sigPublic, 400_000n);
    k.rt.store.setTrust(k.who('chatty').sigPublic, 400_000n);
  });
  const post = k.capsule('owner', 'post', { title: 'thread' }, { logic: null });
  k.rt.ingest(post.bytes);
  const bad = k.capsule('friend', 'post', { title: 'blocked one' }, { logic: null });
  k.rt.ingest(bad.bytes);
  const policy = k.run(k.capsule('owner', 'policy', {
    blocked_authors: [k.key('troll')], blocked_capsules: [Buffer.from(bad.id).toString('hex')],
    banned_terms: ['spam', 'scam link'], min_trust: 100_000, rate_limit: { max: 2, window_ms: 600_000 },
  }));
  assert.equal(policy.policy, 'set');
  return { k, post, bad };
}

const say = (k: Kit, who: string, text: string, parents: Uint8Array[], at?: bigint) =>
  k.run(k.capsule(who, 'comment', { text }, { parents, ...(at !== undefined ? { at } : {}) }));

test('verdicts: allow, reject (author, content, banned term), hide (trust, rate)', () => {
  const { k, post, bad } = setup();
  assert.deepEqual([say(k, 'friend', 'great post', [post.id]).verdict, say(k, 'friend', 'great post', [post.id]).reason], ['allow', 'OK']);
  assert.equal(say(k, 'troll', 'hello', [post.id]).reason, 'BLOCKED_AUTHOR');
  assert.equal(say(k, 'friend', 'replying', [bad.id]).reason, 'BLOCKED_CONTENT');
  const t = say(k, 'friend', 'click this SCAM LINK', [post.id]);
  assert.deepEqual([t.verdict, t.reason, t.detail], ['reject', 'BANNED_TERM', 'scam link']);
  const low = say(k, 'stranger', 'hi', [post.id]);
  assert.deepEqual([low.verdict, low.reason], ['hide', 'LOW_TRUST']);
  k.rt.close();
});

test('banned terms survive evasions: case, width, diacritics, zero-width characters', () => {
  const { k, post } = setup();
  for (const evasion of ['SPAM', 'ｓｐａｍ', 'spâm', 'spa\u0301m', 's\u200bp\u200ca\u200dm', 'sp\ufeffam', 'Ｓ\u200bpÀm']) {
    const r = say(k, 'friend', `buy ${evasion} today`, [post.id]);
    assert.deepEqual([r.verdict, r.reason], ['reject', 'BANNED_TERM'], JSON.stringify(evasion));
  }
  k.rt.close();
});

test('rate limit per author over the DAG', () => {
  const { k, post } = setup();
  const t0 = 1_780_000_000_000n;
  const v = [0n, 1n, 2n, 3n].map((i) => say(k, 'chatty', `msg ${i}`, [post.id], t0 + i * 1000n));
  assert.deepEqual(v.map((r) => r.verdict), ['allow', 'allow', 'hide', 'hide']);
  // after the window, the author may comment again
  assert.equal(say(k, 'chatty', 'later', [post.id], t0 + 3_600_000n).verdict, 'allow');
  k.rt.close();
});

test('only the channel owner can change the policy; malformed input gives codes', () => {
  const { k } = setup();
  assert.equal(k.run(k.capsule('troll', 'policy', { banned_terms: [] })).code, 'NOT_CHANNEL_OWNER');
  assert.equal(k.run(k.capsule('owner', 'policy', { banned_terms: 'spam' })).code, 'BAD_PAYLOAD');
  assert.equal(k.run(k.capsule('friend', 'comment', 'not json')).code, 'BAD_PAYLOAD');
  assert.equal(k.run(k.capsule('friend', 'post', { x: 1 })).code, 'WRONG_KIND');
  k.rt.close();
});
