/**
 * Fuel used and wall time per run of each reference module at realistic sizes, next to the module's manifest
 * budget — the measurement the budgets in modules/<name>/module.json are justified by.
 * Usage: node --import tsx --import ./scripts/loader/register.mjs bench/modules.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../host/src/crypto/native.ts';
import { Kit } from '../test/modules/_kit.ts';
import { layTrustGraph, type Statement } from '../test/modules/_trust-layout.ts';
import { toHex, utf8 } from '../host/src/bytes.ts';

const root = new URL('..', import.meta.url).pathname;

export interface ModuleBenchRow { module: string; scenario: string; fuel: bigint; budget: bigint; ms: number; out?: unknown }

function budgetOf(name: string): bigint {
  return BigInt(JSON.parse(readFileSync(join(root, 'modules', name, 'module.json'), 'utf8')).fuel);
}

function timed(k: Kit, c: { bytes: Uint8Array }, now?: bigint): { fuel: bigint; ms: number; out: any } {
  const t0 = performance.now();
  const r = k.rt.ingest(c.bytes, now !== undefined ? { now } : {});
  const ms = performance.now() - t0;
  if (r.status !== 'executed') throw new Error(`bench run not executed: ${r.status} ${r.error?.code} ${r.error?.message}`);
  const out = JSON.parse(new TextDecoder().decode(r.output));
  if (out.ok === false) throw new Error(`bench run refused: ${out.code} ${out.reason}`);
  return { fuel: r.fuel!, ms, out };
}

export function runModulesBench(scale = 1): ModuleBenchRow[] {
  const rows: ModuleBenchRow[] = [];
  const hexKey = (i: number) => toHex(b.sha256(utf8.encode(`bench-node-${i}`)));

  { // trust: one statement into a 35,200-edge graph over 2,000 identities, all reachable from the owner
    const k = new Kit('trust', 'owner');
    const nodes = Math.max(50, Math.round(2_000 * scale)), edges = Math.round(35_200 * scale);
    const owner = k.key('owner');
    const st: Statement[] = [];
    for (let i = 0; i < 20; i++) st.push([owner, hexKey(i * 97 % nodes), 50 + i]);
    for (let i = 0; i < edges; i++) st.push([hexKey(i % nodes), hexKey((i * 7 + Math.floor(i / nodes) * 13 + 3) % nodes), (i % 9) * 10 + 10]);
    const total = layTrustGraph(k, st);
    const r = timed(k, k.capsule('owner', 'trust', { subject: hexKey(1), weight: 50 }));
    rows.push({ module: 'trust', scenario: `1 statement into a ${total}-edge graph (${r.out.edges} read)`, ...r, budget: budgetOf('trust') });
    k.rt.close();
  }
  { // trust: a reachable identity holding 500 statements states one more (replacing one)
    const k = new Kit('trust', 'owner');
    const st: Statement[] = [[k.key('owner'), k.key('wide'), 100]];
    for (let i = 0; i < 500; i++) st.push([k.key('wide'), hexKey(i), 100]);
    layTrustGraph(k, st.slice(1));
    k.run(k.capsule('owner', 'trust', { subject: k.key('wide'), weight: 100 })); // the owner's statement, run: 'wide' is scored
    const r = timed(k, k.capsule('wide', 'trust', { subject: hexKey(7), weight: 60 }));
    rows.push({ module: 'trust', scenario: `identity with 500 statements adds one (${r.out.scored} scored)`, ...r, budget: budgetOf('trust') });
    k.rt.close();
  }
  // trust at the supported maximum (graph.ts MAX_NODES / MAX_EDGES), adversarial shapes:
  //  most identities scored: 39 friends × 500 statements to distinct identities (19,540 scored);
  //  most statements read: 399 friends × 500 statements over the same 500 identities (199,899 read)
  for (const [friends, distinct] of [[39, true], [399, false]] as const) {
    const k = new Kit('trust', 'owner');
    const n = Math.max(2, Math.round(friends * scale));
    const st: Statement[] = [];
    for (let f = 0; f < n; f++) {
      st.push([k.key('owner'), hexKey(1_000_000 + f), 100]);
      for (let i = 0; i < 500; i++) st.push([hexKey(1_000_000 + f), hexKey(distinct ? f * 500 + i : i), 100]);
    }
    layTrustGraph(k, st);
    const r = timed(k, k.capsule('owner', 'trust', { subject: hexKey(1_000_000), weight: 90 }));
    rows.push({ module: 'trust', scenario: `${n} friends × 500 statements (${r.out.edges} read, ${r.out.scored} scored${r.out.truncated ? ', truncated' : ''})`, ...r, budget: budgetOf('trust') });
    k.rt.close();
  }
  { // rank: the trending view (its query) over 200 posts with 10 comments each, and one post with 1,000 commenters
    const k = new Kit('rank', 'owner');
    const n = Math.max(10, Math.round(200 * scale));
    const posts = Array.from({ length: n }, (_, i) => k.capsule(`a${i % 50}`, 'post', { title: i }, { at: 1_000_000n + BigInt(i) }));
    k.rt.ingestBatch(posts.map((p) => p.bytes));
    k.rt.store.transaction(() => { for (let i = 0; i < 50; i++) k.rt.store.setTrust(k.who(`a${i}`).sigPublic, 300_000n); for (let i = 0; i < 40; i++) k.rt.store.setTrust(k.who(`c${i}`).sigPublic, 100_000n); });
    k.rt.ingestBatch(posts.flatMap((p, i) => Array.from({ length: 10 }, (_, j) => k.capsule(`c${(i + j) % 40}`, 'comment', { text: 'x' }, { logic: null, parents: [p.id], at: 2_000_000n + BigInt(i * 10 + j) }).bytes)));
    const q = (input: unknown) => {
      const t0 = performance.now();
      const out = k.rt.queryModule(toHex(k.moduleId), utf8.encode(JSON.stringify(input)), { now: 3_600_000n * 24n });
      return { fuel: out.fuel, ms: performance.now() - t0 };
    };
    rows.push({ module: 'rank', scenario: `trending view: ${n} posts × 10 comments`, ...q({ op: 'trending', channel: 'c', window: n }), budget: budgetOf('rank') });
    const hot = k.capsule('a0', 'post', { title: 'hot' }, { channel: 'hot', at: 5_000_000n });
    k.rt.ingest(hot.bytes);
    const m = Math.round(1000 * scale);
    k.rt.ingestBatch(Array.from({ length: m }, (_, i) => k.capsule(`d${i}`, 'comment', { text: 'x' }, { logic: null, parents: [hot.id], channel: 'hot', at: 5_000_001n + BigInt(i) }).bytes));
    rows.push({ module: 'rank', scenario: `trending view: 1 post, ${m} distinct commenters`, ...q({ op: 'trending', channel: 'hot' }), budget: budgetOf('rank') });
    k.rt.close();
  }
  { // blocklist: a 1 KiB comment against 500 banned terms, 50 siblings for the rate limit
    const k = new Kit('blocklist', 'owner');
    const terms = Array.from({ length: Math.round(500 * scale) }, (_, i) => `term${i}x`);
    k.rt.ingest(k.capsule('owner', 'policy', { banned_terms: terms, rate_limit: { max: 100, window_ms: 3_600_000 } }).bytes);
    const post = k.capsule('owner', 'post', { t: 1 }, { logic: null });
    k.rt.ingest(post.bytes);
    k.rt.ingestBatch(Array.from({ length: 50 }, (_, i) => k.capsule('poster', 'comment', { text: `c${i}` }, { logic: null, parents: [post.id] }).bytes));
    const r = timed(k, k.capsule('poster', 'comment', { text: 'lorem ipsum dolor sit amet '.repeat(38) }, { parents: [post.id] }));
    rows.push({ module: 'blocklist', scenario: `1 KiB comment, ${terms.length} banned terms, 50 siblings`, ...r, budget: budgetOf('blocklist') });
    // the same comment once 750, then 1,000 logic-less siblings (a quarter by the commenter) are stored
    for (const n of [750, 1000]) {
      const have = n === 750 ? 50 : 750;
      k.rt.ingestBatch(Array.from({ length: n - have }, (_, i) => k.capsule(i % 4 === 0 ? 'poster' : `s${i % 300}`, 'comment', { text: `d${i}` }, { logic: null, parents: [post.id] }).bytes));
      const s = timed(k, k.capsule('other', 'comment', { text: 'lorem ipsum dolor sit amet '.repeat(38) }, { parents: [post.id] }));
      rows.push({ module: 'blocklist', scenario: `same, ${n} logic-less siblings (${s.out.verdict} ${s.out.reason})`, ...s, budget: budgetOf('blocklist') });
    }
    k.rt.close();
  }
  { // blocklist at its documented maxima: a policy of 1,000 terms, authors and ids; a 16 KiB comment of single
    // letters that keep matching term prefixes (the costliest text per byte)
    const k = new Kit('blocklist', 'owner');
    const n = Math.round(1000 * scale);
    const policy = {
      banned_terms: Array.from({ length: n }, (_, i) => `s${String.fromCharCode(97 + (i % 26))}${i} words here`),
      blocked_authors: Array.from({ length: n }, (_, i) => hexKey(i)), blocked_capsules: Array.from({ length: n }, (_, i) => hexKey(10_000 + i)),
      rate_limit: { max: 5, window_ms: 600_000 },
    };
    const p = timed(k, k.capsule('owner', 'policy', policy));
    rows.push({ module: 'blocklist', scenario: `policy: ${n} terms, ${n} authors, ${n} capsule ids`, ...p, budget: budgetOf('blocklist') });
    const post = k.capsule('owner', 'post', { t: 1 }, { logic: null });
    k.rt.ingest(post.bytes);
    const r = timed(k, k.capsule('poster', 'comment', { text: 's '.repeat(8_150) }, { parents: [post.id] }));
    rows.push({ module: 'blocklist', scenario: `16 KiB comment of single letters, ${n} terms (${r.out.verdict})`, ...r, budget: budgetOf('blocklist') });
    k.rt.close();
  }
  { // transfer: a transfer among 10k funded accounts (state size does not enter the run)
    const k = new Kit('transfer', 'bank');
    const g = k.capsule('bank', 'ledger', { op: 'genesis' });
    k.rt.ingest(g.bytes);
    const L = toHex(g.id);
    k.rt.ingest(k.capsule('shop', 'ledger', { op: 'open', ledger: L }).bytes);
    k.rt.ingest(k.capsule('bank', 'ledger', { op: 'mint', ledger: L, to: k.key('bank'), amount: '1000000' }).bytes);
    k.rt.store.transaction(() => { for (let i = 0; i < 10_000 * scale; i++) k.rt.store.setBalance(b.sha256(utf8.encode(`acct${i}`)), 10n); });
    const r = timed(k, k.capsule('bank', 'ledger', { op: 'transfer', ledger: L, from: k.key('bank'), to: k.key('shop'), amount: '99', nonce: 1 }));
    rows.push({ module: 'transfer', scenario: 'transfer with 10k funded accounts', ...r, budget: budgetOf('transfer') });
    k.rt.close();
  }
  { // agent_logic: three rules over 2 posts × 250 comments (and 32 posts × 1,000 comments: the most it reads)
    const k = new Kit('agent_logic', 'owner');
    const posts = [0, 1].map((i) => k.capsule(`p${i}`, 'post', { t: i }, { logic: null, flags: { tag: 'x' } }));
    k.rt.ingestBatch(posts.map((p) => p.bytes));
    const n = Math.round(250 * scale);
    for (const p of posts) k.rt.ingestBatch(Array.from({ length: n }, (_, i) => k.capsule(`u${i % 40}`, 'comment', { text: 'y' }, { logic: null, parents: [p.id] }).bytes));
    const r = timed(k, k.capsule('owner', 'agent', { rules: [{ type: 'pin', tag: 'x' }, { type: 'block', min_count: 5 }, { type: 'sweep', ledger: '00'.repeat(32), above: '0', to: k.key('s') }] }, { parents: posts.map((p) => p.id) }));
    rows.push({ module: 'agent_logic', scenario: `3 rules over 2 posts × ${n} comments`, ...r, budget: budgetOf('agent_logic') });
    // the most it reads: 32 named posts (the parent limit) × 1,000 comments each, by strangers
    const many = Array.from({ length: 32 }, (_, i) => k.capsule(`q${i}`, 'post', { t: i }, { logic: null, flags: { tag: 'x' } }));
    k.rt.ingestBatch(many.map((p) => p.bytes));
    const per = Math.round(1000 * scale);
    for (const p of many) k.rt.ingestBatch(Array.from({ length: per }, (_, i) => k.capsule(`s${i % 300}`, 'comment', { text: 'y' }, { logic: null, parents: [p.id] }).bytes));
    const big = timed(k, k.capsule('owner', 'agent', { rules: [{ type: 'pin', tag: 'x' }, { type: 'block', min_count: 5 }] }, { parents: many.map((p) => p.id) }));
    rows.push({ module: 'agent_logic', scenario: `2 rules over 32 posts × ${per} comments`, ...big, budget: budgetOf('agent_logic') });
    k.rt.close();
  }
  return rows;
}

export function formatModulesBench(rows: ModuleBenchRow[]): string {
  return rows.map((r) => `${r.module.padEnd(12)} ${r.scenario.padEnd(58)} fuel ${String(r.fuel).padStart(11)} = ${(Number(r.fuel) / Number(r.budget) * 100).toFixed(1).padStart(5)}% of budget ${r.budget}  ${r.ms.toFixed(1)} ms`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(formatModulesBench(runModulesBench()));
