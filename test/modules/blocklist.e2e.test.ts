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

test('a comment claiming another channel than its post is rejected, and so is the reply to it', () => {
  const { k, post } = setup();
  const escape = k.capsule('friend', 'comment', { text: 'buy spam' }, { parents: [post.id], channel: 'elsewhere' });
  const r = k.run(escape);
  assert.deepEqual([r.verdict, r.reason], ['reject', 'CHANNEL_MISMATCH']);
  assert.equal(k.run(k.capsule('friend', 'comment', { text: 'me too' }, { parents: [escape.id], channel: 'elsewhere' })).reason, 'BLOCKED_THREAD');
  assert.equal(say(k, 'friend', 'me too', [escape.id]).reason, 'CHANNEL_MISMATCH');
  k.rt.close();
});

test('a rival cannot take the channel over, whatever its date or arrival; the owner\'s latest policy is in force', () => {
  const k = new Kit('blocklist', 'owner');
  assert.equal(k.run(k.capsule('rival', 'policy', { banned_terms: ['hello'] }, { at: 1n })).code, 'NOT_CHANNEL_OWNER');
  assert.equal(k.run(k.capsule('owner', 'policy', { banned_terms: ['spam'] })).policy, 'set');
  assert.equal(k.run(k.capsule('rival', 'policy', { banned_terms: [] })).code, 'NOT_CHANNEL_OWNER');
  const post = k.capsule('owner', 'post', { t: 1 }, { logic: null });
  k.rt.ingest(post.bytes);
  assert.equal(say(k, 'friend', 'hello', [post.id]).verdict, 'allow');
  assert.equal(say(k, 'friend', 'spam', [post.id]).verdict, 'reject');
  // a channel named after a key belongs to that key, not to the device owner
  const ch = `news@${k.key('mod').slice(0, 32)}`;
  assert.equal(k.run(k.capsule('owner', 'policy', { banned_terms: ['x'] }, { channel: ch })).code, 'NOT_CHANNEL_OWNER');
  assert.equal(k.run(k.capsule('mod', 'policy', { banned_terms: ['x'] }, { channel: ch })).policy, 'set');
  k.rt.close();
});

test('blocking is transitive down the thread; the owner is never hidden', () => {
  const { k, post } = setup();
  const bad = k.capsule('friend', 'comment', { text: 'spam' }, { parents: [post.id] });
  assert.equal(k.run(bad).reason, 'BANNED_TERM');
  const reply = k.capsule('friend', 'comment', { text: 'ok' }, { parents: [bad.id] });
  assert.equal(k.run(reply).reason, 'BLOCKED_THREAD');
  assert.equal(say(k, 'friend', 'ok', [reply.id]).reason, 'BLOCKED_THREAD');
  // min_trust 0.1 and the owner has no trust score of its own: still allowed, and never rate limited
  for (let i = 0; i < 4; i++) assert.deepEqual([say(k, 'owner', `note ${i}`, [post.id]).verdict], ['allow']);
  k.rt.close();
});

test('whole words: "spamalot" and "idiotically" pass, look-alikes of banned words do not', () => {
  const { k, post } = setup();
  assert.equal(say(k, 'friend', 'spamalot is a musical, idiotically good', [post.id]).verdict, 'allow');
  for (const evasion of ['ѕраm', 's p a m', 's.p.a.m', '5p4m', 'ꜱᴘᴀᴍ', '𝐬𝐩𝐚𝐦', 'ⓢⓟⓐⓜ', 'sp\u202eam', 'sp\u{e0061}am', 'șpam', 'scam\u00a0link', 'scam\nlink', 'scam-link']) {
    assert.equal(say(k, 'friend', `look: ${evasion}`, [post.id]).reason, 'BANNED_TERM', JSON.stringify(evasion));
  }
  k.rt.close();
});

test('750 and 1,000 logic-less siblings: no MEMORY_LIMIT, and the per-parent cap counts them', () => {
  const { k, post } = setup();
  for (const n of [750, 250]) {
    k.rt.ingestBatch(Array.from({ length: n }, (_, i) => k.capsule(i % 10 === 0 ? 'chatty' : `s${i % 97}`, 'comment', { text: `c${i}` }, { logic: null, parents: [post.id] }).bytes));
    const r = k.rt.ingest(k.capsule('friend', 'comment', { text: 'still judged' }, { parents: [post.id] }).bytes);
    assert.equal(r.status, 'executed', `${r.status} ${r.error?.code}`);
    assert.equal(JSON.parse(new TextDecoder().decode(r.output)).verdict, 'allow');
  }
  assert.deepEqual([say(k, 'chatty', 'one more', [post.id]).reason], ['RATE_LIMITED']);
  k.rt.close();
});

test('hostile comments end in verdicts or codes, never traps', () => {
  const { k, post } = setup();
  const escapes = '\\n'.repeat(8_000);
  const r = k.rt.ingest(k.capsule('friend', 'comment', `{"text":"${escapes}"}`, { parents: [post.id] }).bytes);
  assert.equal(r.status, 'executed', `${r.status} ${r.error?.code} ${r.error?.message}`);
  assert.equal(say(k, 'friend', 's '.repeat(8_000), [post.id]).verdict, 'allow');
  assert.equal(say(k, 'friend', 'x'.repeat(17_000), [post.id]).reason, 'TOO_LONG');
  k.rt.close();
});
