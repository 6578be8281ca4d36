/**
 * Crypto backend throughput: native (node:crypto) vs portable (noble), measured in the same run — Ed25519 and
 * P-256 verify (cached key, and first sight of a key: admission included), X25519 shared secret, XChaCha20-Poly1305
 * open of 1 KiB — plus raw node:crypto Ed25519/P-256 verify, so the cost of our policy layer on the native path
 * shows. Each figure is the best of `rounds` interleaved rounds (the machine may be shared).
 *
 * `--hkdf`: HKDF-SHA256 per call instead (`runHkdfBench`): node:crypto `hkdfSync` (the native backend before it
 * composed HKDF from HMAC), the native backend and noble, medians of interleaved rounds, main-thread CPU and wall.
 *
 *   npx tsx bench/crypto-verify.ts [--ms 400] [--rounds 3] [--json] [--hkdf]
 */
import { createPublicKey, hkdfSync, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { p256 } from '@noble/curves/nist.js';
import { nativeBackend } from '../host/src/crypto/native.ts';
import { nobleBackend } from '../host/src/crypto/noble.ts';
import type { CryptoBackend, SigAlg } from '../host/src/crypto/types.ts';
import { perItemMedian, timed, type Timed } from './stats.ts';

export interface CryptoBenchOptions {
  /** Minimum duration of one measurement, ms (default 400). */
  minMs?: number;
  /** Interleaved rounds per figure; the best is kept (default 3). */
  rounds?: number;
  /** Distinct keys for the first-sight rows (default 64 per backend per round). */
  freshKeys?: number;
}

export interface CryptoBenchRow {
  op: string;
  nativePerSec: number;
  noblePerSec: number;
  /** nativePerSec / noblePerSec, from this run. */
  ratio: number;
}

export interface CryptoBenchResult {
  rows: CryptoBenchRow[];
  /** Raw node:crypto verify (no policy checks) and our native backend's share of it (1 = no overhead). */
  baseline: { op: string; rawPerSec: number; nativePerSec: number; nativeShare: number }[];
  node: string;
  openssl: string;
}

export interface HkdfBenchRow {
  /** Output length (32: a stanza's wrap key; 64: a capsule's commitment + payload keys). */
  length: number;
  /** Per call, medians over interleaved rounds. `hkdfSync` is what the native backend used before (OpenSSL's KDF). */
  hkdfSync: Timed; native: Timed; noble: Timed;
}

/**
 * HKDF-SHA256 per call, the shapes the envelope derives (docs/FORMAT.md): node:crypto `hkdfSync` (the native
 * backend before), the native backend (two HMAC steps on node:crypto), noble. `rounds` interleaved rounds of `calls`
 * calls each; medians of wall and main-thread CPU time per call.
 */
export function runHkdfBench(opts: { rounds?: number; calls?: number } = {}): HkdfBenchRow[] {
  const rounds = opts.rounds ?? 9, calls = opts.calls ?? 4000;
  const shapes = [
    { length: 32, ikm: nobleBackend.randomBytes(32), salt: nobleBackend.randomBytes(64), info: new TextEncoder().encode('kapsule.v2/x25519') },
    { length: 64, ikm: nobleBackend.randomBytes(32), salt: nobleBackend.randomBytes(24), info: new TextEncoder().encode('kapsule.v2/commit+payload') },
  ];
  return shapes.map(({ length, ikm, salt, info }) => {
    const variants: [keyof Omit<HkdfBenchRow, 'length'>, () => void][] = [
      ['hkdfSync', () => { hkdfSync('sha256', ikm, salt, info, length); }],
      ['native', () => { nativeBackend.hkdfSha256(ikm, salt, info, length); }],
      ['noble', () => { nobleBackend.hkdfSha256(ikm, salt, info, length); }],
    ];
    const samples = new Map<string, Timed[]>(variants.map(([k]) => [k, []]));
    for (const [, f] of variants) for (let i = 0; i < 500; i++) f(); // JIT warm-up
    for (let r = 0; r < rounds; r++) {
      for (const [k, f] of r % 2 ? [...variants].reverse() : variants) {
        samples.get(k)!.push(timed(() => { for (let i = 0; i < calls; i++) f(); }));
      }
    }
    const m = (k: string) => perItemMedian(samples.get(k)!, calls);
    return { length, hkdfSync: m('hkdfSync'), native: m('native'), noble: m('noble') };
  });
}

export function formatHkdfBench(rows: HkdfBenchRow[]): string {
  const f = (t: Timed) => `${t.cpuUs.toFixed(2)} µs CPU (${t.wallUs.toFixed(2)} wall)`;
  return rows.map((r) => `  hkdf-sha256 L=${r.length}: hkdfSync ${f(r.hkdfSync)}; native ${f(r.native)} = ${(r.native.cpuUs / r.hkdfSync.cpuUs).toFixed(2)}× hkdfSync CPU; noble ${f(r.noble)}`).join('\n');
}

function perSec(f: () => void, minMs: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) { for (let i = 0; i < 16; i++) f(); n += 16; t = performance.now(); }
  return n / ((t - t0) / 1000);
}

/** ops/s of one pass over `items` (each used once). */
function onePass<T>(items: T[], f: (x: T) => void): number {
  const t0 = performance.now();
  for (const x of items) f(x);
  return items.length / ((performance.now() - t0) / 1000);
}

function mustVerify(b: CryptoBackend, alg: SigAlg, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): void {
  if (!b.verify(alg, pk, msg, sig)) throw new Error(`bench: ${b.name} ${alg} signature must verify`);
}

export function runCryptoBench(opts: CryptoBenchOptions = {}): CryptoBenchResult {
  const minMs = opts.minMs ?? 400, rounds = opts.rounds ?? 3, fresh = opts.freshKeys ?? 64;
  const best = new Map<string, { native: number; noble: number }>();
  const keep = (op: string, native: number, noble: number) => {
    const b = best.get(op) ?? { native: 0, noble: 0 };
    best.set(op, { native: Math.max(b.native, native), noble: Math.max(b.noble, noble) });
  };
  const raw = new Map<string, number>();
  const msg = nobleBackend.randomBytes(300);

  const fixtures = (['ed25519', 'p256'] as SigAlg[]).map((alg) => {
    const sk = nobleBackend.randomBytes(32);
    const pk = nobleBackend.sigPublicKey(alg, sk);
    const sig = nobleBackend.sign(alg, sk, msg);
    const ko: KeyObject = alg === 'ed25519'
      ? createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk]), format: 'der', type: 'spki' })
      : createPublicKey({ key: spkiP256(pk), format: 'der', type: 'spki' });
    return { alg, sk, pk, sig, ko };
  });
  const xa = nobleBackend.randomBytes(32), xB = nobleBackend.x25519PublicKey(nobleBackend.randomBytes(32));
  const key = nobleBackend.randomBytes(32), nonce = nobleBackend.randomBytes(24), aad = nobleBackend.randomBytes(32);
  const ct = nobleBackend.xchachaSeal(key, nonce, aad, nobleBackend.randomBytes(1024));

  // Warm up: key admission, KeyObject caches, JIT.
  for (const f of fixtures) for (const b of [nativeBackend, nobleBackend]) mustVerify(b, f.alg, f.pk, msg, f.sig);

  for (let r = 0; r < rounds; r++) {
    for (const f of fixtures) {
      const n = perSec(() => mustVerify(nativeBackend, f.alg, f.pk, msg, f.sig), minMs);
      const m = perSec(() => mustVerify(nobleBackend, f.alg, f.pk, msg, f.sig), minMs);
      keep(`${f.alg} verify (cached key)`, n, m);
      const dsa = f.alg === 'ed25519' ? null : 'sha256';
      const opts = f.alg === 'ed25519' ? f.ko : { key: f.ko, dsaEncoding: 'ieee-p1363' as const };
      const rw = perSec(() => { if (!nodeVerify(dsa, msg, opts, f.sig)) throw new Error('raw verify'); }, minMs);
      raw.set(f.alg, Math.max(raw.get(f.alg) ?? 0, rw));

      // First sight of each key: admission (decode, small-order/torsion checks, KeyObject) included.
      const mk = (signer: CryptoBackend) => Array.from({ length: fresh }, () => {
        const sk = nobleBackend.randomBytes(32);
        return { pk: signer.sigPublicKey(f.alg, sk), sig: signer.sign(f.alg, sk, msg) };
      });
      const nf = onePass(mk(nativeBackend), (x) => mustVerify(nativeBackend, f.alg, x.pk, msg, x.sig));
      const mf = onePass(mk(nativeBackend), (x) => mustVerify(nobleBackend, f.alg, x.pk, msg, x.sig));
      keep(`${f.alg} verify (new key)`, nf, mf);
    }
    keep('x25519 shared secret',
      perSec(() => { nativeBackend.x25519(xa, xB); }, minMs), perSec(() => { nobleBackend.x25519(xa, xB); }, minMs));
    const open = (b: CryptoBackend) => () => { if (!b.xchachaOpen(key, nonce, aad, ct)) throw new Error('bench: must open'); };
    keep('xchacha20-poly1305 open 1 KiB', perSec(open(nativeBackend), minMs), perSec(open(nobleBackend), minMs));
  }

  const rows = [...best].map(([op, v]) => ({ op, nativePerSec: v.native, noblePerSec: v.noble, ratio: v.native / v.noble }));
  const baseline = (['ed25519', 'p256'] as const).map((alg) => {
    const nativePerSec = best.get(`${alg} verify (cached key)`)!.native, rawPerSec = raw.get(alg)!;
    return { op: `${alg} verify`, rawPerSec, nativePerSec, nativeShare: nativePerSec / rawPerSec };
  });
  return { rows, baseline, node: process.version, openssl: process.versions.openssl ?? '?' };
}

/** SPKI DER of an uncompressed P-256 key, for the raw node:crypto baseline. */
function spkiP256(pk: Uint8Array): Buffer {
  const prefix = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
  return Buffer.concat([prefix, p256.Point.fromBytes(pk).toBytes(false)]);
}

export function formatCryptoBench(res: CryptoBenchResult): string {
  const k = (n: number) => n.toFixed(0).padStart(8);
  const lines = [`crypto backends — Node ${res.node}, OpenSSL ${res.openssl} (best of interleaved rounds, ops/s)`];
  for (const r of res.rows) lines.push(`  ${r.op.padEnd(30)} native ${k(r.nativePerSec)}  noble ${k(r.noblePerSec)}  native/noble ${r.ratio.toFixed(1)}×`);
  for (const b of res.baseline) {
    lines.push(`  ${(b.op + ', raw node:crypto').padEnd(30)} raw    ${k(b.rawPerSec)}  ours  ${k(b.nativePerSec)}  ours/raw ${(b.nativeShare * 100).toFixed(0)}%`);
  }
  return lines.join('\n');
}

function argValue(argv: string[], name: string): number | undefined {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : undefined;
}

export function main(argv: string[]): void {
  if (argv.includes('--hkdf')) {
    const rows = runHkdfBench({ rounds: argValue(argv, '--rounds') });
    console.log(argv.includes('--json') ? JSON.stringify(rows, null, 2) : formatHkdfBench(rows));
    return;
  }
  const res = runCryptoBench({ minMs: argValue(argv, '--ms'), rounds: argValue(argv, '--rounds') });
  console.log(argv.includes('--json') ? JSON.stringify(res, null, 2) : formatCryptoBench(res));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
