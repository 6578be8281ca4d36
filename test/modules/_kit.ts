/** Shared kit for the reference-module end-to-end tests: built .kmod files, identities, a runtime, capsules. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import type { Runtime } from '../../host/src/runtime.ts';
import { buildCapsule, type CapsuleSpec } from '../../capsule-packer/src/build.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import type { SecretIdentity } from '../../host/src/keys.ts';
import { tempDir, testIdentity } from '../helpers/fixtures.ts';

const root = new URL('../../', import.meta.url).pathname;
export const kmodPath = (name: string) => join(root, 'build', 'modules', `${name}.kmod`);
/** A test-corpus module built on a registry library (test/corpus/modules/<name>, built into build/test-modules). */
export const testKmodPath = (name: string) => join(root, 'build', 'test-modules', `${name}.kmod`);

export class Kit {
  readonly rt: Runtime;
  readonly moduleId: Uint8Array;
  readonly people = new Map<string, SecretIdentity>();
  private t = 1_767_225_600_000n;

  constructor(readonly module: string, readonly owner = 'owner', db?: string, kmod = kmodPath(module)) {
    this.rt = openRuntime({ db: db ?? join(tempDir(), 'm.db'), identity: this.who(owner) });
    this.moduleId = Uint8Array.from(Buffer.from(this.rt.addModule(new Uint8Array(readFileSync(kmod))).id, 'hex'));
  }

  who(name: string): SecretIdentity {
    let p = this.people.get(name);
    if (!p) { p = testIdentity(b, `module-e2e/${name}`); this.people.set(name, p); }
    return p;
  }
  key(name: string): string { return toHex(this.who(name).sigPublic); }

  /** Packs a capsule (encrypted to the owner) referencing this kit's module. */
  capsule(author: string, kind: string, payload: unknown, extra: Partial<CapsuleSpec> & { at?: bigint } = {}) {
    this.t += 60_000n;
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return buildCapsule(b, this.who(author), {
      kind, channel: extra.channel ?? 'c', createdAt: extra.at ?? this.t, parents: extra.parents ?? [],
      flags: extra.flags, logic: extra.logic === undefined ? this.moduleId : extra.logic,
      payload: utf8.encode(text), to: [this.who(this.owner).encPublic],
    });
  }

  /** Ingests and returns the decoded JSON result (throws on a non-executed status). `now` is the device clock. */
  run(c: { bytes: Uint8Array }, now?: bigint): any {
    const r = this.rt.ingest(c.bytes, now !== undefined ? { now } : {});
    if (r.status !== 'executed') throw new Error(`status ${r.status} ${r.error?.code ?? ''} ${r.error?.message ?? ''}`);
    return JSON.parse(new TextDecoder().decode(r.output));
  }

  /** The module's read-only view at an explicit `now`, decoded. */
  query(input: unknown, now: bigint): any {
    const out = this.rt.queryModule(toHex(this.moduleId), utf8.encode(JSON.stringify(input)), { now });
    return JSON.parse(new TextDecoder().decode(out.output));
  }

  /** The stored result of a capsule, decoded (null when it has none). */
  result(c: { id: Uint8Array }): any {
    const r = this.rt.get(c.id)?.result;
    return r?.output ? JSON.parse(new TextDecoder().decode(r.output)) : null;
  }
}

/**
 * Everyday traffic of `n` capsules through each reference module, each in its own store: trust statements among 20
 * people, posts with comments and reactions and a trending view every 10, comments under a policy, transfers among
 * 10 accounts, an agent's proposals over 4 posts. bench/fuel.ts times the runs; test/execute/reset.test.ts runs each both ways (reset / fresh).
 */
export function referenceStreams(n: number): void {
  const key = (k: Kit, who: string) => k.key(who);
  { const k = new Kit('trust', 'owner');
    for (let i = 0; i < n; i++) k.rt.ingest(k.capsule(i < 5 ? 'owner' : `p${i % 20}`, 'trust', { subject: key(k, `p${(i * 7 + 3) % 20}`), weight: (i % 9) * 10 + 10 }).bytes);
    k.rt.close(); }
  { const k = new Kit('rank', 'owner');
    const posts: { id: Uint8Array }[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0 || posts.length === 0) posts.push(k.capsule(`a${i % 7}`, 'post', { title: `t${i}` }, { channel: `c${i % 3}` }));
      const p = posts[posts.length - 1] as { id: Uint8Array; bytes: Uint8Array };
      k.rt.ingest(i % 3 === 0 ? p.bytes : k.capsule(`b${i % 11}`, i % 2 ? 'comment' : 'reaction', { text: 'x' }, { parents: [p.id], channel: `c${(i - (i % 3)) / 3 % 3}` }).bytes);
      if (i % 10 === 9) k.query({ op: 'trending', channel: 'c0' }, 1_767_225_600_000n + 86_400_000n);
    }
    k.rt.close(); }
  { const k = new Kit('blocklist', 'owner');
    k.rt.ingest(k.capsule('owner', 'policy', { banned_terms: ['spam', 'scam link', 'free money'], min_trust: 0, rate_limit: { max: 50, window_ms: 600_000 } }).bytes);
    const post = k.capsule('owner', 'post', { t: 1 }, { logic: null });
    k.rt.ingest(post.bytes);
    for (let i = 0; i < n; i++) k.rt.ingest(k.capsule(`u${i % 13}`, 'comment', { text: i % 5 ? `a comment number ${i} about things` : 'get free money now' }, { parents: [post.id] }).bytes);
    k.rt.close(); }
  { const k = new Kit('transfer', 'bank');
    const g = k.capsule('bank', 'ledger', { op: 'genesis' });
    k.rt.ingest(g.bytes);
    const L = Buffer.from(g.id).toString('hex');
    const people = Array.from({ length: 10 }, (_, i) => `acct${i}`);
    for (const w of people) k.rt.ingest(k.capsule(w, 'ledger', { op: 'open', ledger: L }).bytes);
    k.rt.ingest(k.capsule('bank', 'ledger', { op: 'mint', ledger: L, to: key(k, 'bank'), amount: '1000000000' }).bytes);
    for (let i = 0; i < n; i++) k.rt.ingest(k.capsule('bank', 'ledger', { op: 'transfer', ledger: L, from: key(k, 'bank'), to: key(k, people[i % 10]), amount: String(1 + i), nonce: i + 1 }).bytes);
    k.rt.close(); }
  { const k = new Kit('agent_logic', 'owner');
    const posts = [0, 1, 2, 3].map((i) => k.capsule(`p${i}`, 'post', { t: i }, { logic: null, flags: { tag: 'x' } }));
    k.rt.ingestBatch(posts.map((p) => p.bytes));
    for (const p of posts) k.rt.ingestBatch(Array.from({ length: 30 }, (_, i) => k.capsule(`u${i % 9}`, 'comment', { text: 'y' }, { logic: null, parents: [p.id] }).bytes));
    for (let i = 0; i < Math.max(5, n / 5); i++) k.rt.ingest(k.capsule('owner', 'agent', { rules: [{ type: 'pin', tag: 'x' }, { type: 'block', min_count: 3 + (i % 3) }] }, { parents: posts.map((p) => p.id) }).bytes);
    k.rt.close(); }
}
