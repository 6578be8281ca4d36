/**
 * End-to-end ingest vs the crypto floor, one core, measured in the same run.
 *
 * Floor per capsule = the cryptography no implementation can skip: the native Ed25519 verify, and for a capsule
 * encrypted to this device also the X25519 of its stanza, the stanza unwrap (HKDF + ChaCha20-Poly1305) and the payload
 * open (HKDF, commitment HMAC, XChaCha20-Poly1305) — the envelope functions themselves, on pre-parsed capsules.
 * Ingest = `rt.ingestBatch` into a fresh SQLite file (one core: no precheck pool). Modes: public and encrypted posts
 * without logic (target ≥ 0.8× the floor), and the same posts with the `rank` module as their logic
 * (build/modules/rank.kmod; target ≥ 0.5×). "prechecked" is the same ingest with verification and decryption done
 * before the clock starts (fed in as prechecks): what the pipeline, the run and the store cost on their own.
 *
 * Method: `rounds` interleaved rounds (floor, ingest, prechecked ingest of the same bytes, in alternating order), the
 * median per capsule of each, as main-thread CPU time (bench/stats.ts threadCpuUs: the thread's own scheduler
 * account, so time other processes take on a shared machine does not count) and as wall time. Ratios are
 * floor ÷ ingest per capsule (= ingest rate ÷ floor rate), CPU and wall. Every ingest of the same bytes must give the
 * same audit root.
 *
 * Pools (`--pool`): ingestMany with a precheck pool of 1…cores worker threads vs the one-core ingest, and this machine's
 * ceiling (prechecks alone on all cores vs one), as before.
 *
 * Authors at scale (`runAuthorsBench`, `--authors`): 10,000 distinct authors, one public capsule each, then a second
 * capsule each ingested by a fresh process on the same store (empty key caches: only the store's admitted_keys
 * remember them), vs the same two passes by one author; target: second pass ≥ 0.9× the single-author rate.
 *
 * Usage: tsx bench/ingest.ts [--n 2000] [--rounds 5] [--pool] [--authors [count]]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBackend as b } from '../host/src/crypto/native.ts';
import { admissionCount } from '../host/src/crypto/_policy.ts';
import { generateIdentity, type SecretIdentity } from '../host/src/keys.ts';
import { buildCapsule } from '../capsule-packer/src/build.ts';
import { openRuntime } from '../host/src/node.ts';
import { pae, SIGNING_TYPES } from '../host/src/pae.ts';
import { parseCapsule, type ParsedCapsule } from '../host/src/parse/capsule.ts';
import { openPayload, unwrapCek } from '../host/src/decrypt/envelope.ts';
import { PrecheckPool } from '../host/src/verify/pool.ts';
import { fromHex, toHex } from '../host/src/bytes.ts';
import { precheckOne } from '../host/src/verify/pool-worker.ts';
import type { Precheck } from '../host/src/pipeline.ts';
import { DEV_NODE_ARGS } from '../scripts/dev-node-args.ts';
import { cpuClockName, median, perItemMedian, timed, timedAsync, type Timed } from './stats.ts';

export type IngestMode = 'public' | 'encrypted' | 'publicRank' | 'encryptedRank';
export const MODES: IngestMode[] = ['public', 'encrypted', 'publicRank', 'encryptedRank'];
export const MODE_LABEL: Record<IngestMode, string> = {
  public: 'public capsules', encrypted: 'encrypted capsules',
  publicRank: 'public posts with rank', encryptedRank: 'encrypted posts with rank',
};
export const TARGET: Record<IngestMode, number> = { public: 0.8, encrypted: 0.8, publicRank: 0.5, encryptedRank: 0.5 };

export interface PoolFigure { workers: number; perSec: number; vsOneCore: number }
export interface IngestModeResult {
  /** Per capsule, medians over the rounds. */
  floor: Timed; ingest: Timed; prechecked: Timed;
  /** floor ÷ ingest per capsule. */
  ratio: { cpu: number; wall: number };
  /** ingestMany with a precheck pool (only with `pool`), capsules/s by wall time vs the one-core ingest. */
  pool: PoolFigure[];
}
export interface IngestBenchResult {
  n: number; rounds: number; cores: number; cpuClock: string;
  modes: Record<IngestMode, IngestModeResult>;
  /** Prechecks alone on `cores` worker threads vs one (only with `pool`). */
  ceiling: Partial<Record<'public' | 'encrypted', number>>;
}

const RANK_KMOD = new URL('../build/modules/rank.kmod', import.meta.url);

/** Precheck-only throughput (verify + decrypt, nothing stored) on `workers` threads. */
async function precheckRate(caps: Uint8Array[], device: SecretIdentity, workers: number): Promise<number> {
  const pool = new PrecheckPool({ workers, enc: { encSecret: device.encSecret, encPublic: device.encPublic } });
  try {
    await pool.ready();
    await pool.check(caps.slice(0, 64));
    const t0 = performance.now();
    const parts: Promise<unknown>[] = [];
    for (let i = 0; i < caps.length; i += 16) parts.push(pool.check(caps.slice(i, i + 16)));
    await Promise.all(parts);
    return caps.length / ((performance.now() - t0) / 1000);
  } finally { await pool.close(); }
}

/**
 * One ingest of `caps` into a fresh database (module added first, not timed). `done`: prechecks computed ahead;
 * `workers`: a precheck pool of that many threads (ingestMany). Returns the timing and the audit root.
 */
async function ingestOnce(
  caps: Uint8Array[], device: SecretIdentity, rank: Uint8Array | null,
  how: { done?: (Precheck | null)[]; workers?: number } = {},
): Promise<{ t: Timed; root: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-bench-'));
  const rt = openRuntime({ db: join(dir, 'bench.db'), identity: device, backend: b });
  const workers = how.workers ?? 0;
  const pool = workers > 0 ? new PrecheckPool({ workers, enc: { encSecret: device.encSecret, encPublic: device.encPublic } }) : null;
  try {
    if (rank) rt.addModule(rank);
    await pool?.ready(); // thread start-up is not ingest
    await pool?.check(caps.slice(0, 64));
    let t: Timed;
    if (pool) t = await timedAsync(() => rt.ingestMany(caps, { precheck: (x) => pool.submit(x) }));
    else if (how.done) { const done = how.done; t = timed(() => { rt.ingestBatch(caps, undefined, { precheck: (_x, i) => done[i] }); }); }
    else t = timed(() => { rt.ingestBatch(caps); });
    return { t, root: toHex(rt.audit.root()) };
  } finally {
    await pool?.close();
    rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor: per capsule, the native verify, and for an encrypted one the stanza unwrap and the payload open. */
function floorPass(parsed: ParsedCapsule[], device: SecretIdentity): Timed {
  return timed(() => {
    for (const p of parsed) {
      if (!b.verify(p.core.sigAlg, p.core.author, pae(SIGNING_TYPES.capsule, p.body), p.signature)) throw new Error('bench: floor verify');
      const enc = p.core.encryption;
      if (enc.mode === 'public') continue;
      const cek = unwrapCek(b, enc.recipients, device.encSecret, device.encPublic);
      openPayload(b, cek, enc.nonce, p.coreBytes, p.commit!, p.payload);
    }
  });
}

export async function runIngestBench(opts: { n?: number; rounds?: number; pool?: boolean; modes?: IngestMode[] } = {}): Promise<IngestBenchResult> {
  const n = opts.n ?? 2000, rounds = opts.rounds ?? 5;
  const author = generateIdentity(b, 'ed25519', 'bench-author');
  const device = generateIdentity(b, 'ed25519', 'bench-device');
  const kmod = new Uint8Array(readFileSync(RANK_KMOD));
  const payload = new TextEncoder().encode(JSON.stringify({ title: 'benchmark post', body: 'x'.repeat(200) }));
  const out: IngestBenchResult = { n, rounds, cores: availableParallelism(), cpuClock: cpuClockName(), modes: {} as IngestBenchResult['modes'], ceiling: {} };
  const poolSizes = [...new Set([1, Math.max(1, out.cores - 1), out.cores])];
  // The rank module's id, for capsules that name it (from a throwaway store: the id is the manifest hash)
  const rankId = (() => {
    const dir = mkdtempSync(join(tmpdir(), 'kapsule-bench-'));
    const rt = openRuntime({ db: join(dir, 'id.db'), backend: b });
    try { return fromHex(rt.addModule(kmod).id); } finally { rt.close(); rmSync(dir, { recursive: true, force: true }); }
  })();
  for (const mode of opts.modes ?? MODES) {
    const encrypted = mode === 'encrypted' || mode === 'encryptedRank';
    const rank = mode === 'publicRank' || mode === 'encryptedRank';
    const caps = Array.from({ length: n }, (_, i) => buildCapsule(b, author, {
      kind: 'post', channel: 'bench', createdAt: 1_700_000_000_000n + BigInt(i), payload,
      to: encrypted ? [device.encPublic] : 'public', logic: rank ? rankId : null,
    }).bytes);
    const parsed = caps.map(parseCapsule);
    const enc = { encSecret: device.encSecret, encPublic: device.encPublic };
    const done = caps.map((c) => precheckOne(c, enc));
    floorPass(parsed.slice(0, 50), device); // warm-up: JIT, the author's key objects
    const samples: Record<'floor' | 'ingest' | 'prechecked', Timed[]> = { floor: [], ingest: [], prechecked: [] };
    const pool = new Map<number, number>();
    let root: string | null = null;
    const check = (r: { root: string }, what: string) => {
      if (root !== null && r.root !== root) throw new Error(`bench: ${what} produced a different audit root`);
      root = r.root;
    };
    for (let round = 0; round < rounds; round++) {
      const steps: (() => Promise<void>)[] = [
        async () => { samples.floor.push(floorPass(parsed, device)); },
        async () => { const r = await ingestOnce(caps, device, rank ? kmod : null); check(r, 'ingest'); samples.ingest.push(r.t); },
        async () => { const r = await ingestOnce(caps, device, rank ? kmod : null, { done }); check(r, 'prechecked ingest'); samples.prechecked.push(r.t); },
      ];
      for (const s of round % 2 ? steps.reverse() : steps) await s();
      if (opts.pool && !rank) {
        for (const w of poolSizes) {
          const r = await ingestOnce(caps, device, null, { workers: w });
          check(r, `ingest with ${w} workers`);
          pool.set(w, Math.max(pool.get(w) ?? 0, n / (r.t.wallUs / 1e6)));
        }
      }
    }
    const floor = perItemMedian(samples.floor, n), ingest = perItemMedian(samples.ingest, n);
    const oneCorePerSec = n / (median(samples.ingest.map((t) => t.wallUs)) / 1e6);
    out.modes[mode] = {
      floor, ingest, prechecked: perItemMedian(samples.prechecked, n),
      ratio: { cpu: floor.cpuUs / ingest.cpuUs, wall: floor.wallUs / ingest.wallUs },
      pool: poolSizes.filter((w) => pool.has(w)).map((w) => ({ workers: w, perSec: pool.get(w)!, vsOneCore: pool.get(w)! / oneCorePerSec })),
    };
    if (opts.pool && !rank) {
      let one = 0, all = 0;
      for (let round = 0; round < 3; round++) {
        one = Math.max(one, await precheckRate(caps, device, 1));
        all = Math.max(all, await precheckRate(caps, device, out.cores));
      }
      out.ceiling[encrypted ? 'encrypted' : 'public'] = all / one;
    }
  }
  return out;
}

export function formatIngestBench(r: IngestBenchResult): string {
  const f = (x: number, d = 0) => x.toFixed(d);
  const lines = [`ingest vs crypto floor, one core: ${r.n} capsules, ${r.rounds} interleaved rounds, medians per capsule; CPU = ${r.cpuClock}`];
  for (const mode of Object.keys(r.modes) as IngestMode[]) {
    const m = r.modes[mode];
    lines.push(`${MODE_LABEL[mode].padEnd(26)} floor ${f(m.floor.cpuUs)} µs CPU (${f(m.floor.wallUs)} wall)  ingest ${f(m.ingest.cpuUs)} µs CPU (${f(m.ingest.wallUs)} wall)  ` +
      `ratio ${f(m.ratio.cpu, 2)}× CPU, ${f(m.ratio.wall, 2)}× wall (target ≥ ${f(TARGET[mode], 2)}×)`);
    lines.push(`${''.padEnd(26)} beyond the floor ${f(m.ingest.cpuUs - m.floor.cpuUs)} µs CPU (allowed ${f(m.floor.cpuUs / TARGET[mode] - m.floor.cpuUs)}); ` +
      `ingest with verify + decrypt done ahead ${f(m.prechecked.cpuUs)} µs CPU (${f(m.prechecked.wallUs)} wall)`);
    for (const p of m.pool) lines.push(`${''.padEnd(26)} pool of ${p.workers}: ${f(p.perSec)}/s = ${f(p.vsOneCore, 2)}× one core (wall)`);
  }
  for (const [k, v] of Object.entries(r.ceiling)) lines.push(`ceiling (${k}): prechecks alone on ${r.cores} threads vs 1 = ${f(v, 2)}×`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Authors at scale

export interface AuthorsPassFigure {
  /** Per capsule, medians over the rounds. */
  t: Timed;
  /** Key admissions the process ran (medians; the second passes should run none). */
  admissions: number;
}
export interface AuthorsBenchResult {
  authors: number; rounds: number; cpuClock: string;
  single: { first: AuthorsPassFigure; second: AuthorsPassFigure };
  distinct: { first: AuthorsPassFigure; second: AuthorsPassFigure };
  /** single second pass ÷ distinct second pass per capsule (= distinct rate ÷ single rate), CPU and wall. */
  ratio: { cpu: number; wall: number };
  /** The first pass, the same way: what admitting every key costs. */
  firstRatio: { cpu: number; wall: number };
}

interface ChildReport { n: number; cpuUs: number; wallUs: number; admissions: { ed25519: number; p256: number }; statuses: Record<string, number> }

function writeCapsules(path: string, caps: Uint8Array[]): void {
  const len = caps.reduce((s, c) => s + 4 + c.length, 0);
  const buf = Buffer.alloc(len);
  let o = 0;
  for (const c of caps) { buf.writeUInt32LE(c.length, o); buf.set(c, o + 4); o += 4 + c.length; }
  writeFileSync(path, buf);
}

function readCapsules(path: string): Uint8Array[] {
  const buf = readFileSync(path);
  const out: Uint8Array[] = [];
  for (let o = 0; o < buf.length;) { const l = buf.readUInt32LE(o); out.push(new Uint8Array(buf.subarray(o + 4, o + 4 + l))); o += 4 + l; }
  return out;
}

const DEVICE_SEED = { sig: new Uint8Array(32).fill(7), enc: new Uint8Array(32).fill(9) };

/** In a child process (empty key caches): ingest one file of capsules into `db` on one core; report what it cost. */
function authorsChild(db: string, file: string): ChildReport {
  const caps = readCapsules(file);
  const device = generateIdentity(b, 'ed25519', 'bench-device', DEVICE_SEED);
  const rt = openRuntime({ db, identity: device, backend: b });
  try {
    const a0 = { ...admissionCount };
    let results: ReturnType<typeof rt.ingestBatch> = [];
    const t = timed(() => { results = rt.ingestBatch(caps); });
    const statuses: Record<string, number> = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return { n: caps.length, ...t, admissions: { ed25519: admissionCount.ed25519 - a0.ed25519, p256: admissionCount.p256 - a0.p256 }, statuses };
  } finally { rt.close(); }
}

function inChild(db: string, file: string): Promise<ChildReport> {
  const root = new URL('..', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...DEV_NODE_ARGS, fileURLToPath(import.meta.url), '--authors-child', db, file],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`authors child exited with ${code}`));
      try { resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildReport); } catch (e) { reject(e); }
    });
  });
}

/**
 * `authors` distinct authors, one public post each (first pass), then one more post each (second pass), each pass
 * ingested by its own fresh process on the same store; against the same two passes by one author. Interleaved
 * rounds, medians per capsule of the child's main-thread CPU and wall time around `ingestBatch`.
 */
export async function runAuthorsBench(opts: { authors?: number; rounds?: number } = {}): Promise<AuthorsBenchResult> {
  const count = opts.authors ?? 10_000, rounds = opts.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-authors-'));
  try {
    const payload = new TextEncoder().encode(JSON.stringify({ title: 'a post', body: 'x'.repeat(200) }));
    const authors = Array.from({ length: count }, (_, i) => generateIdentity(b, 'ed25519', `author-${i}`));
    const one = authors[0];
    const post = (a: SecretIdentity, i: number) => buildCapsule(b, a, { kind: 'post', channel: 'authors', createdAt: 1_700_000_000_000n + BigInt(i), payload, to: 'public' }).bytes;
    const files = {
      singleFirst: join(dir, 'single-1.bin'), singleSecond: join(dir, 'single-2.bin'),
      distinctFirst: join(dir, 'distinct-1.bin'), distinctSecond: join(dir, 'distinct-2.bin'),
    };
    writeCapsules(files.singleFirst, authors.map((_, i) => post(one, i)));
    writeCapsules(files.singleSecond, authors.map((_, i) => post(one, count + i)));
    writeCapsules(files.distinctFirst, authors.map((a, i) => post(a, i)));
    writeCapsules(files.distinctSecond, authors.map((a, i) => post(a, count + i)));
    const reports: Record<'singleFirst' | 'singleSecond' | 'distinctFirst' | 'distinctSecond', ChildReport[]> = { singleFirst: [], singleSecond: [], distinctFirst: [], distinctSecond: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? (['distinct', 'single'] as const) : (['single', 'distinct'] as const);
      for (const who of order) {
        const db = join(dir, `${who}-${round}.db`);
        for (const pass of ['First', 'Second'] as const) {
          const r = await inChild(db, files[`${who}${pass}`]);
          if ((r.statuses.stored ?? 0) !== r.n) throw new Error(`bench: ${who} ${pass} pass stored ${JSON.stringify(r.statuses)}`);
          reports[`${who}${pass}`].push(r);
        }
        rmSync(db, { force: true }); rmSync(`${db}-wal`, { force: true }); rmSync(`${db}-shm`, { force: true });
      }
    }
    const fig = (rs: ChildReport[]): AuthorsPassFigure => ({ t: perItemMedian(rs, count), admissions: median(rs.map((r) => r.admissions.ed25519)) });
    const single = { first: fig(reports.singleFirst), second: fig(reports.singleSecond) };
    const distinct = { first: fig(reports.distinctFirst), second: fig(reports.distinctSecond) };
    const ratio = (s: Timed, d: Timed) => ({ cpu: s.cpuUs / d.cpuUs, wall: s.wallUs / d.wallUs });
    return {
      authors: count, rounds, cpuClock: cpuClockName(), single, distinct,
      ratio: ratio(single.second.t, distinct.second.t), firstRatio: ratio(single.first.t, distinct.first.t),
    };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

export function formatAuthorsBench(r: AuthorsBenchResult): string {
  const f = (x: number, d = 0) => x.toFixed(d);
  const p = (x: AuthorsPassFigure) => `${f(x.t.cpuUs)} µs CPU (${f(x.t.wallUs)} wall), ${x.admissions} admissions`;
  return [
    `authors at scale: ${r.authors.toLocaleString('en')} authors, each pass in a fresh process on the same store, ${r.rounds} interleaved rounds, medians per capsule; CPU = ${r.cpuClock}`,
    `  first pass:  one author ${p(r.single.first)}; distinct authors ${p(r.distinct.first)} → ${f(r.firstRatio.cpu, 2)}× CPU, ${f(r.firstRatio.wall, 2)}× wall`,
    `  second pass: one author ${p(r.single.second)}; distinct authors ${p(r.distinct.second)} → ${f(r.ratio.cpu, 2)}× CPU, ${f(r.ratio.wall, 2)}× wall (target ≥ 0.90×)`,
  ].join('\n');
}

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--authors-child')) {
  const i = process.argv.indexOf('--authors-child');
  process.stdout.write(`${JSON.stringify(authorsChild(process.argv[i + 1], process.argv[i + 2]))}\n`);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--authors')) {
    const a = arg('--authors');
    console.log(formatAuthorsBench(await runAuthorsBench({ authors: a && /^\d+$/.test(a) ? Number(a) : undefined, rounds: arg('--rounds') ? Number(arg('--rounds')) : undefined })));
  } else {
    const modes = arg('--modes')?.split(',') as IngestMode[] | undefined;
    console.log(formatIngestBench(await runIngestBench({
      n: arg('--n') ? Number(arg('--n')) : undefined, rounds: arg('--rounds') ? Number(arg('--rounds')) : undefined,
      pool: process.argv.includes('--pool'), modes,
    })));
  }
}
