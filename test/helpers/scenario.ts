/**
 * Realistic capsule sets for the convergence tests (test/convergence/, `npm run fuzz`, bench/): several identities,
 * trust with distrust and updates, posts, comments and reactions (some without logic, some for others only), a
 * channel policy and a rival's, a ledger with genesis, mints, transfers, a replay and a double spend on two branches,
 * a rival ledger, and the owner's agent. Built once from a seed; the tests then ingest the SAME bytes in many orders
 * and compare the resulting state (`fingerprint`).
 *
 * Keys are TEST-ONLY (test/helpers/fixtures.ts). created_at never runs backwards along an edge (as kapsule-pack
 * guarantees); timestamps repeat on purpose so that ties are broken by depth and id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { verifyModulePackage } from '../../host/src/verify/index.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import type { SecretIdentity } from '../../host/src/keys.ts';
import type { Runtime } from '../../host/src/runtime.ts';
import { testIdentity } from './fixtures.ts';

export type Group = 'trust' | 'post' | 'comment' | 'reaction' | 'policy' | 'ledger' | 'agent' | 'other';
export interface ScenarioCapsule { label: string; group: Group; bytes: Uint8Array; id: Uint8Array; parents: Uint8Array[]; createdAt: bigint }
export interface Scenario { owner: SecretIdentity; modules: Uint8Array[]; capsules: ScenarioCapsule[] }

export const MODULE_NAMES = ['trust', 'rank', 'blocklist', 'transfer', 'agent_logic'] as const;
const root = new URL('../../', import.meta.url).pathname;

export function builtModules(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const n of MODULE_NAMES) {
    const f = join(root, 'build/modules', `${n}.kmod`);
    if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build (npm test does)`);
    out[n] = new Uint8Array(readFileSync(f));
  }
  return out;
}

/** A small deterministic PRNG (mulberry32) so a failing seed can be replayed exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildScenario(seed: number, scale = 1): Scenario {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const mods = builtModules();
  const id = (n: string) => verifyModulePackage(b, mods[n]).id;
  const names = ['owner', 'alice', 'bob', 'carol', 'dave', 'mallory', 'sybil1', 'sybil2', 'issuer', 'rival'];
  const P = Object.fromEntries(names.map((n) => [n, testIdentity(b, `scenario/${n}`)])) as Record<string, SecretIdentity>;
  const key = (n: string) => toHex(P[n].sigPublic);
  const capsules: ScenarioCapsule[] = [];
  let clock = 1_767_225_600_000n;
  const tick = () => { clock += BigInt(rnd() < 0.15 ? 0 : 1 + Math.floor(rnd() * 120_000)); return clock; };
  const readers = [P.owner.encPublic, P.alice.encPublic, P.bob.encPublic];
  function cap(label: string, group: Group, who: string, o: { kind: string; logic?: string | null; payload: unknown; parents?: ScenarioCapsule[]; channel?: string; to?: 'public' | 'others' | 'owner' }) {
    const parents = o.parents ?? [];
    const at = tick();
    const floor = parents.reduce((m, p) => (p.createdAt > m ? p.createdAt : m), 0n);
    const createdAt = at < floor ? floor : at;
    const to = o.to ?? (rnd() < 0.3 ? 'public' : 'owner');
    const built = buildCapsule(b, P[who], {
      kind: o.kind, channel: o.channel ?? 'general', createdAt, parents: parents.map((p) => p.id),
      logic: o.logic === undefined || o.logic === null ? null : id(o.logic),
      payload: utf8.encode(typeof o.payload === 'string' ? o.payload : JSON.stringify(o.payload)),
      to: to === 'public' ? 'public' : to === 'others' ? [P.dave.encPublic] : readers,
    });
    const c: ScenarioCapsule = { label, group, bytes: built.bytes, id: built.id, parents: parents.map((p) => p.id), createdAt };
    capsules.push(c);
    return c;
  }

  // trust: the owner's web, a sybil ring, distrust, and updates of earlier statements
  const edges: [string, string, number][] = [
    ['owner', 'alice', 90], ['owner', 'bob', 70], ['alice', 'carol', 60], ['bob', 'dave', 50], ['carol', 'mallory', 40],
    ['sybil1', 'sybil2', 100], ['sybil2', 'sybil1', 100], ['sybil1', 'mallory', 100], ['owner', 'mallory', -100],
    ['dave', 'carol', 30], ['alice', 'issuer', 80],
  ];
  for (let r = 0; r < scale; r++) {
    for (const [f, t, w] of edges) cap(`trust ${f}→${t}`, 'trust', f, { kind: 'trust', logic: 'trust', payload: { subject: key(t), weight: r === 0 ? w : Math.max(-100, Math.min(100, w - 20 + Math.floor(rnd() * 40))) } });
  }
  cap('trust update alice→carol', 'trust', 'alice', { kind: 'trust', logic: 'trust', payload: { subject: key('carol'), weight: -20 } });

  // moderation: the owner's policy, and a rival's later-dated one
  cap('policy owner', 'policy', 'owner', { kind: 'policy', logic: 'blocklist', payload: { banned_terms: ['spam', 'scam link'], min_trust: 50_000, rate_limit: { max: 2, window_ms: 600_000 } } });

  // posts with comments, nested replies, reactions; some without logic, some unreadable here
  const posts: ScenarioCapsule[] = [];
  const comments: ScenarioCapsule[] = [];
  const speakers = ['alice', 'bob', 'carol', 'dave', 'mallory', 'sybil1', 'sybil2', 'owner'];
  const texts = ['great post', 'buy spam now', 'hello', 'a s.c.a.m link', 'thanks!', 'totally spamalot'];
  for (let i = 0; i < 10 * scale; i++) {
    posts.push(cap(`post ${i}`, 'post', pick(speakers), { kind: 'post', logic: 'rank', payload: { title: `post ${i}` } }));
    for (let j = 0; j < 4; j++) {
      const parent = rnd() < 0.3 && comments.length ? pick(comments) : pick(posts);
      const logic = rnd() < 0.15 ? null : 'blocklist';
      comments.push(cap(`comment ${i}.${j}`, 'comment', pick(speakers), { kind: 'comment', logic, payload: { text: pick(texts) }, parents: [parent], to: rnd() < 0.1 ? 'others' : undefined }));
    }
    cap(`reaction ${i}`, 'reaction', pick(speakers), { kind: 'reaction', logic: 'rank', payload: { like: true }, parents: [pick(posts)] });
  }
  cap('policy rival', 'policy', 'rival', { kind: 'policy', logic: 'blocklist', payload: { banned_terms: [], min_trust: 0 } });

  // the ledger: genesis, accounts, mints, a chain of transfers, a replay, a double spend on two branches; a rival
  // ledger that mints a billion and tries to pay it into the real one
  const genesis = cap('ledger genesis', 'ledger', 'issuer', { kind: 'ledger', logic: 'transfer', payload: { op: 'genesis' } });
  const L = toHex(genesis.id);
  const rivalGenesis = cap('ledger rival genesis', 'ledger', 'rival', { kind: 'ledger', logic: 'transfer', payload: { op: 'genesis' } });
  const R = toHex(rivalGenesis.id);
  cap('ledger rival mint', 'ledger', 'rival', { kind: 'ledger', logic: 'transfer', payload: { op: 'mint', ledger: R, to: key('rival'), amount: '1000000000' }, parents: [rivalGenesis] });
  for (const who of ['alice', 'bob', 'carol', 'dave', 'rival']) {
    cap(`ledger open ${who}`, 'ledger', who, { kind: 'ledger', logic: 'transfer', payload: { op: 'open', ledger: L }, parents: rnd() < 0.5 ? [genesis] : [] });
  }
  cap('ledger rival pays in', 'ledger', 'rival', { kind: 'ledger', logic: 'transfer', payload: { op: 'transfer', ledger: L, from: key('rival'), to: key('alice'), amount: '1000', nonce: 1 } });
  let last = cap('ledger mint alice', 'ledger', 'issuer', { kind: 'ledger', logic: 'transfer', payload: { op: 'mint', ledger: L, to: key('alice'), amount: '1000' }, parents: [genesis] });
  cap('ledger mint bob', 'ledger', 'issuer', { kind: 'ledger', logic: 'transfer', payload: { op: 'mint', ledger: L, to: key('bob'), amount: '500' } });
  const nonce: Record<string, number> = {};
  for (let i = 0; i < 5 * scale; i++) {
    const from = pick(['alice', 'bob']);
    const to = pick(['carol', 'dave', from === 'alice' ? 'bob' : 'alice']);
    nonce[from] = (nonce[from] ?? 0) + 1;
    last = cap(`ledger ${from}→${to} #${nonce[from]}`, 'ledger', from, { kind: 'ledger', logic: 'transfer', payload: { op: 'transfer', ledger: L, from: key(from), to: key(to), amount: String(1 + Math.floor(rnd() * 60)), nonce: nonce[from] }, parents: [last] });
  }
  cap('ledger replay', 'ledger', 'alice', { kind: 'ledger', logic: 'transfer', payload: { op: 'transfer', ledger: L, from: key('alice'), to: key('carol'), amount: '1', nonce: 1 }, parents: [last] });
  const next = (nonce.alice ?? 0) + 1;
  cap('ledger double spend A', 'ledger', 'alice', { kind: 'ledger', logic: 'transfer', payload: { op: 'transfer', ledger: L, from: key('alice'), to: key('carol'), amount: '5', nonce: next }, parents: [last] });
  cap('ledger double spend B', 'ledger', 'alice', { kind: 'ledger', logic: 'transfer', payload: { op: 'transfer', ledger: L, from: key('alice'), to: key('dave'), amount: '5', nonce: next }, parents: [last] });

  // the owner's agent over the posts it names
  cap('agent', 'agent', 'owner', {
    kind: 'agent', logic: 'agent_logic', parents: posts.slice(0, 3),
    payload: { rules: [{ type: 'pin', tag: 'x', min_trust: 50_000 }, { type: 'block', min_count: 2 }, { type: 'sweep', above: '100', to: key('carol') }] },
  });
  return { owner: P.owner, modules: MODULE_NAMES.map((n) => mods[n]), capsules };
}

/** Everything a device's state consists of, as comparable strings. */
export interface Fingerprint {
  capsules: string[];
  trust: string[];
  balances: string[];
  kv: string[];
  heads: string[];
  waiting: string[];
}

export function fingerprint(rt: Runtime): Fingerprint {
  const s = rt.store;
  const hash = (x: Uint8Array | null) => (x ? toHex(x).slice(0, 16) : '-');
  return {
    capsules: s.findCapsules({ order: 'asc' }).map((c) => {
      const r = s.getResult(c.id);
      return `${toHex(c.id)} ${c.status}${r ? ` ${r.outcome} ${hash(r.outputHash)} ${r.fuel}` : ''}`;
    }).sort(),
    trust: s.allTrust().map((t) => `${toHex(t.subject)}=${t.score}`),
    balances: s.allBalances().map((t) => `${toHex(t.account)}=${t.amount}`),
    kv: s.allKv().map((e) => `${e.moduleId.slice(0, 12)}/${toHex(e.key)}=${toHex(e.value).slice(0, 64)}:${e.value.length}`),
    heads: s.heads().map((h) => `${h.channel}/${toHex(h.id)}`),
    waiting: s.listOrphans().map((o) => toHex(o.id)).sort(),
  };
}

/** The first difference between two fingerprints, readable. */
export function firstDifference(a: Fingerprint, b: Fingerprint): string | null {
  for (const k of Object.keys(a) as (keyof Fingerprint)[]) {
    const x = a[k], y = b[k];
    const n = Math.max(x.length, y.length);
    for (let i = 0; i < n; i++) if (x[i] !== y[i]) return `${k}[${i}]: ${x[i] ?? '(none)'}  vs  ${y[i] ?? '(none)'}`;
  }
  return null;
}

/** Orders of a capsule set: permutations, topological orders, adversarial ones. */
export function shuffled<T>(xs: readonly T[], rnd: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; }
  return a;
}

export function topologicalOrder(cs: readonly ScenarioCapsule[], rnd: () => number): ScenarioCapsule[] {
  const byId = new Map(cs.map((c) => [toHex(c.id), c]));
  const done = new Set<string>();
  const out: ScenarioCapsule[] = [];
  let ready = cs.filter((c) => c.parents.every((p) => !byId.has(toHex(p))));
  while (ready.length) {
    const i = Math.floor(rnd() * ready.length);
    const c = ready.splice(i, 1)[0];
    out.push(c);
    done.add(toHex(c.id));
    for (const k of cs) {
      if (done.has(toHex(k.id)) || ready.includes(k)) continue;
      if (k.parents.every((p) => done.has(toHex(p)) || !byId.has(toHex(p)))) ready.push(k);
    }
  }
  return out;
}
