/**
 * The demo's story, module by module. Everything is packed as data (created_at fixed by the authors); Bob's device
 * ingests it, and each module's decision is printed. Capsules go to Bob (and friends) encrypted, or public.
 */
import type { SecretIdentity } from '../host/src/keys.ts';
import type { CapsuleSpec } from '../capsule-packer/src/build.ts';

export interface DemoKit {
  people: Record<string, SecretIdentity>;
  cap(label: string, who: string, spec: Omit<CapsuleSpec, 'createdAt' | 'channel'> & { channel?: string; at?: bigint }): { id: Uint8Array; bytes: Uint8Array };
  json(o: unknown): Uint8Array;
  logicOf(name: string): Uint8Array | null;
  hex(b: Uint8Array): string;
}

/** One line a person can read for a module's JSON result. */
export function summarize(r: Record<string, any>, names: (hex: string) => string): string {
  if (r.ok === false) return `refused: ${r.code}${r.reason ? ` (${r.reason})` : ''}`;
  if (typeof r.verdict === 'string') return `${r.verdict.toUpperCase()} ${r.reason}${r.detail ? ` (${r.detail})` : ''}`;
  if (r.policy === 'set') return `policy set for #${r.channel}: ${r.banned_terms} banned terms`;
  if (typeof r.index === 'number') return `post indexed in #${r.channel} (trending is a query, below)`;
  if (typeof r.engagement === 'boolean') return r.engagement ? 'engagement on the post (counted by the trending view)' : 'the author\'s own reaction (not engagement)';
  if (r.op === 'genesis') return `ledger ${String(r.ledger).slice(0, 8)}… created, issuer ${names(r.issuer)}`;
  if (r.op === 'open') return `${names(r.account)} opened an account in ledger ${String(r.ledger).slice(0, 8)}…`;
  if (r.op === 'mint') return `minted ${r.amount} to ${names(r.to)} (supply ${r.supply})`;
  if (r.op === 'transfer') return `moved ${r.amount} (nonce ${r.nonce}): balances ${r.from_balance} / ${r.to_balance}`;
  if (Array.isArray(r.proposals)) {
    return `${r.proposals.length} proposal(s), none applied: ` + r.proposals.map((p: any) =>
      p.action === 'pin' ? `pin ${p.capsule.slice(0, 8)}` : p.action === 'block' ? `block ${names(p.author)}` : `move ${p.amount} to ${names(p.to)}`).join(', ');
  }
  if (typeof r.subject === 'string') {
    return r.recomputed === false ? `kept; nothing to recompute (the author has no score): ${names(r.subject)} scores ${r.subject_score}`
      : `${names(r.subject)} now scores ${r.subject_score} (${r.edges} statements read, ${r.scored} identities scored)`;
  }
  return JSON.stringify(r);
}

export function demoScenario(k: DemoKit): void {
  const { people: P, cap, json, logicOf, hex } = k;
  const key = (who: string) => hex(P[who].sigPublic);
  const toBob = [P.bob.encPublic];
  const friends = [P.bob.encPublic, P.carol.encPublic, P.alice.encPublic];

  // trust: Bob's web of trust; a sybil pair vouches for Mallory; Carol distrusts Mallory
  const trust = logicOf('trust');
  for (const [from, to, weight] of [['bob', 'alice', 90], ['bob', 'carol', 60], ['alice', 'dave', 70], ['sybil1', 'sybil2', 100],
    ['sybil2', 'sybil1', 100], ['sybil1', 'mallory', 100], ['carol', 'mallory', -80]] as const) {
    cap(`trust: ${from} → ${to} (${weight})`, from, { kind: 'trust', logic: trust, payload: json({ subject: key(to), weight }), to: toBob });
  }

  // blocklist: Bob owns #general and sets its policy
  const blocklist = logicOf('blocklist');
  cap('policy: bob moderates #general', 'bob', {
    kind: 'policy', logic: blocklist, to: toBob,
    payload: json({ blocked_authors: [], banned_terms: ['spam', 'crypto giveaway'], min_trust: 50_000, rate_limit: { max: 3, window_ms: 600_000 } }),
  });

  // rank: posts
  const rank = logicOf('rank');
  const post = cap('post: alice "Welcome"', 'alice', { kind: 'post', logic: rank, flags: { lang: 'en', tag: 'capsules' }, to: friends,
    payload: json({ title: 'Welcome to #general', body: 'Capsules are signed and end-to-end encrypted.' }) });
  const spamPost = cap('post: sybil1 "Free coins"', 'sybil1', { kind: 'post', logic: rank, flags: { tag: 'capsules' }, to: 'public',
    payload: json({ title: 'Free coins', body: 'trust me' }) });

  // comments judged by the blocklist (children of the post: they count as engagement for rank)
  cap('comment: carol "Great write-up"', 'carol', { kind: 'comment', logic: blocklist, parents: [post.id], to: friends, payload: json({ text: 'Great write-up!' }) });
  cap('comment: dave evades a banned term', 'dave', { kind: 'comment', logic: blocklist, parents: [post.id], to: toBob, payload: json({ text: 'ｓ\u200bｐａｍ: big crypto GIVEAWAY' }) });
  cap('comment: sybil2 (untrusted)', 'sybil2', { kind: 'comment', logic: blocklist, parents: [post.id], to: 'public', payload: json({ text: 'me too' }) });
  cap('comment: sybil2 on sybil1\'s post', 'sybil2', { kind: 'comment', logic: blocklist, parents: [spamPost.id], to: 'public', payload: json({ text: 'so true' }) });
  // a reaction to the post, three hours later (rank's trending view counts distinct trusted engagers)
  cap('reaction: bob likes the post', 'bob', { kind: 'reaction', logic: rank, parents: [post.id], to: toBob, payload: json({ like: true }), at: 1_767_225_600_000n + 3n * 3_600_000n });

  // transfer: a ledger is named by its genesis capsule (its author issues); accounts open before they receive
  const transfer = logicOf('transfer');
  const ledger = (label: string, who: string, p: unknown) => cap(label, who, { kind: 'ledger', logic: transfer, payload: json(p), to: toBob });
  const L = hex(ledger('ledger: bob opens a ledger', 'bob', { op: 'genesis' }).id);
  ledger('ledger: alice opens an account', 'alice', { op: 'open', ledger: L });
  ledger('ledger: carol opens an account', 'carol', { op: 'open', ledger: L });
  ledger('ledger: bob mints 1000', 'bob', { op: 'mint', ledger: L, to: key('bob'), amount: '1000' });
  ledger('ledger: bob pays alice 250', 'bob', { op: 'transfer', ledger: L, from: key('bob'), to: key('alice'), amount: '250', nonce: 1 });
  ledger('ledger: replay of that transfer', 'bob', { op: 'transfer', ledger: L, from: key('bob'), to: key('alice'), amount: '250', nonce: 1 });
  ledger('ledger: mallory spends bob\'s money', 'mallory', { op: 'transfer', ledger: L, from: key('bob'), to: key('mallory'), amount: '500', nonce: 2 });
  ledger('ledger: mallory\'s own ledger', 'mallory', { op: 'genesis' });
  ledger('ledger: alice pays carol 100', 'alice', { op: 'transfer', ledger: L, from: key('alice'), to: key('carol'), amount: '100', nonce: 1 });

  // agent_logic: Bob's goals, evaluated over the posts he points it at; it only proposes
  cap('agent: bob\'s rules', 'bob', {
    kind: 'agent', logic: logicOf('agent_logic'), parents: [post.id, spamPost.id], to: toBob,
    payload: json({ rules: [{ type: 'pin', tag: 'capsules', min_trust: 50_000 }, { type: 'block', min_count: 1 }, { type: 'sweep', ledger: L, above: '500', to: key('carol') }] }),
  });
}
