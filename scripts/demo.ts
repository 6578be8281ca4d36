/**
 * `npm run demo`: the main job end to end on an embedded SQLite file (./demo.db).
 * Builds the modules, makes identities for a few people and a channel, packs a realistic set of capsules
 * (posts, comments, trust statements, ledger transfers, an agent's rules, one tampered capsule, one for another
 * recipient), ingests them as Bob's device, prints what each module decided, and ends with the audit check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../host/src/crypto/native.ts';
import { generateIdentity, type SecretIdentity } from '../host/src/keys.ts';
import { saveIdentity } from '../host/src/keys-node.ts';
import { openRuntime } from '../host/src/node.ts';
import { toHex, utf8 } from '../host/src/bytes.ts';
import { buildCapsule, type CapsuleSpec } from '../capsule-packer/src/build.ts';
import { decodeForDisplay } from '../host/src/cli/describe.ts';
import { verifyAuditLog } from '../host/src/audit/verify.ts';
import { replayAuditLog } from '../host/src/replay.ts';
import { instrument } from '../host/src/execute/instrument.ts';
import { SqliteStore } from '../host/src/store/sqlite.ts';
import type { IngestResult } from '../host/src/pipeline.ts';
import { demoScenario, summarize } from './demo-scenario.ts';
import { DEV_NODE_ARGS } from './dev-node-args.ts';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'demo-out');
const dbPath = join(root, 'demo.db');
const t0 = performance.now();
const say = (s = '') => console.log(s);

say('== kapsule-rt demo ==');
say('building modules (asc → build/modules/*.wasm, signed build/modules/*.kmod)…');
const build = spawnSync(process.execPath, [...DEV_NODE_ARGS, join(root, 'scripts/build.ts'), '--quiet'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);

for (const p of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, `${dbPath}.witness`, out]) rmSync(p, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// People. Each gets a key file (0600) + .pub; the device running the demo is Bob's laptop.
const people: Record<string, SecretIdentity> = {};
for (const name of ['alice', 'bob', 'carol', 'dave', 'mallory', 'sybil1', 'sybil2']) {
  people[name] = generateIdentity(b, 'ed25519', name);
  saveIdentity(people[name], join(out, `${name}.key`));
}
say(`identities: ${Object.keys(people).join(', ')} (keys in demo-out/, Bob's device ingests)`);

const modules: Record<string, { id: string; kmod: Uint8Array }> = {};
const modDir = join(root, 'build', 'modules');
for (const name of ['trust', 'rank', 'blocklist', 'transfer', 'agent_logic']) {
  const f = join(modDir, `${name}.kmod`);
  if (existsSync(f)) {
    const kmod = new Uint8Array(readFileSync(f));
    modules[name] = { id: '', kmod }; // id set by addModule below
  }
}

const rt = openRuntime({ db: dbPath, identity: people.bob });
for (const [name, m] of Object.entries(modules)) {
  const r = rt.addModule(m.kmod);
  m.id = r.id;
  say(`module ${name.padEnd(12)} ${r.id.slice(0, 16)}…  added`);
}

let clock = 1_767_225_600_000n; // 2026-01-01T00:00:00Z, as data
const files: { label: string; bytes: Uint8Array }[] = [];
function cap(label: string, who: string, spec: Omit<CapsuleSpec, 'createdAt' | 'channel'> & { channel?: string; at?: bigint }): { id: Uint8Array; bytes: Uint8Array } {
  clock += 60_000n;
  const c = buildCapsule(b, people[who], { channel: 'general', ...spec, createdAt: spec.at ?? clock });
  files.push({ label, bytes: c.bytes });
  writeFileSync(join(out, `${String(files.length).padStart(2, '0')}-${label.replace(/[^a-z0-9]+/gi, '-')}.kapsule`), c.bytes);
  return c;
}
const json = (o: unknown) => utf8.encode(JSON.stringify(o));
const logicOf = (name: string) => (modules[name] ? Uint8Array.from(Buffer.from(modules[name].id, 'hex')) : null);

demoScenario({ people, cap, json, logicOf, hex: toHex });

// Generic capsules every build can show: an encrypted post for another recipient and a tampered one.
cap('post for dave only', 'alice', { kind: 'post', payload: json({ title: 'for Dave only' }), to: [people.dave.encPublic] });
const t = cap('tampered post', 'mallory', { kind: 'post', payload: json({ title: 'harmless' }), to: 'public' });
t.bytes[t.bytes.length - 5] ^= 0x20; // flipped after signing: the signature no longer covers it
writeFileSync(join(out, `${String(files.length).padStart(2, '0')}-tampered-post.kapsule`), t.bytes); // the file shows it too
files[files.length - 1].bytes = t.bytes;

say(`\npacked ${files.length} capsules into demo-out/; ingesting as Bob's device into demo.db…\n`);
const names = new Map(Object.entries(people).map(([n, p]) => [toHex(p.sigPublic), n]));
const nameOf = (hex: string) => names.get(hex) ?? `${hex.slice(0, 8)}…`;
const show = (label: string, r: IngestResult) => {
  let line = `${label.padEnd(36)} ${r.status.padEnd(13)}`;
  if (r.error) line += ` ${r.error.code}`;
  if (r.output) {
    const d = decodeForDisplay(r.output);
    line += ` ${d.encoding === 'json' ? summarize(d.value as Record<string, unknown>, nameOf) : String(d.value)}`;
  }
  say(line);
  for (const x of r.resolved ?? []) show(`  ↳ resolved orphan ${x.id?.slice(0, 8)}`, x);
};
rt.ingestBatch(files.map((f) => f.bytes), (r, i) => show(files[i].label, r));

const trust = rt.trustScores();
if (trust.length) {
  say('\ntrust scores from Bob\'s perspective (1.0 = 1000000; sybils and Mallory get none):');
  for (const s of trust.sort((a, c) => Number(c.score - a.score))) say(`  ${nameOf(s.subject).padEnd(10)} ${s.score}`);
}
if (modules.rank) {
  // "trending" depends on when you ask: a read-only query at an explicit now, never a stored result
  const at = 1_767_225_600_000n + 6n * 3_600_000n;
  const view = JSON.parse(new TextDecoder().decode(rt.queryModule(modules.rank.id, utf8.encode(JSON.stringify({ op: 'trending', channel: 'general' })), { now: at }).output));
  say(`\ntrending in #general at ${new Date(Number(at)).toISOString()} (rank's query, computed now from the DAG and trust):`);
  for (const p of view.posts) say(`  ${p.post.slice(0, 8)}… by ${nameOf(p.author).padEnd(8)} score ${String(p.score).padStart(9)}  (${p.engaged} trusted engager(s), ${p.ignored} ignored, ${p.age_hours} h old)`);
}
const balances = rt.balances();
if (balances.length) {
  say('\nbalances per ledger (account = ledger id ‖ key; supply = the sum):');
  for (const s of balances) say(`  ledger ${s.account.slice(0, 8)}…  ${nameOf(s.account.slice(64)).padEnd(10)} ${s.amount}`);
}
rt.close();

const store = new SqliteStore(dbPath, { readonly: true });
const report = verifyAuditLog(b, store, { signer: { alg: 'ed25519', pub: people.bob.sigPublic } });
say(`\naudit: ${report.size} entries, ${report.checkpoints} signed checkpoint(s), root ${report.root?.slice(0, 16)}… → ${report.ok ? 'VERIFIED' : `INVALID at ${report.first?.index}: ${report.first?.problem}`}`);
const replay = replayAuditLog(b, store, new SqliteStore(':memory:'), people.bob, { instrumenter: instrument });
store.close();
say(`replay: ${replay.executions} recorded executions re-run from scratch → ${replay.ok ? 'identical outputs and fuel' : `${replay.divergences.length} DIVERGENCE(S), first at entry ${replay.divergences[0].index}`}`);
say(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s. Explore: npx kapsule ls --db demo.db · npx kapsule audit show --db demo.db`);
if (!report.ok || !replay.ok) process.exitCode = 1;
