/**
 * Audit log costs, as ratios measured in the same run:
 *  - appending one entry (encode + leaf hash + Merkle nodes, in SQLite) vs ingesting one public capsule;
 *  - appending to the Merkle log alone (leaf hash + completed nodes, in-memory node store);
 *  - inclusion proof generation at 10k vs 1M entries (logarithmic: the ratio should stay near log2(1M)/log2(10k) ≈ 1.5).
 * `--commit`: one entry in transactions of 256, interior nodes per entry vs per commit (`runAuditCommitBench`).
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { nativeBackend as b } from '../host/src/crypto/native.ts';
import { SqliteStore } from '../host/src/store/sqlite.ts';
import { AuditLog } from '../host/src/audit/log.ts';
import { leafHash, MemoryNodeStore, MerkleLog, MerkleTree } from '../host/src/audit/merkle.ts';
import { encodeEntry } from '../host/src/audit/entry.ts';
import { perItemMedian, timed, type Timed } from './stats.ts';
import { openRuntime } from '../host/src/node.ts';
import { generateIdentity } from '../host/src/keys.ts';
import { buildCapsule } from '../capsule-packer/src/build.ts';

export interface AuditBenchResult {
  appendUs: number; ingestUs: number; appendShareOfIngest: number;
  /** MerkleLog.append per entry, in-memory store, measured while building the 1M-entry log. */
  merkleAppendUs: number;
  proofUs10k: number; proofUs1M: number; proofRatio: number; bigSize: number;
}

export function runAuditBench(opts: { n?: number; bigSize?: number } = {}): AuditBenchResult {
  const n = opts.n ?? 3000;
  const bigSize = opts.bigSize ?? 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-audit-bench-'));
  try {
    // append alone, one transaction per entry like the pipeline
    const store = new SqliteStore(join(dir, 'a.db'));
    const log = new AuditLog(b, store, null, 'bench');
    const id = new Uint8Array(32);
    let t0 = performance.now();
    for (let i = 0; i < n; i++) {
      id[0] = i & 255; id[1] = i >> 8;
      store.transaction(() => log.record({ type: 'capsule_stored', capsuleId: id, status: 'stored' }));
    }
    const appendUs = (performance.now() - t0) * 1000 / n;
    store.close();
    // full ingest of public capsules (each also appends one entry)
    const author = generateIdentity(b, 'ed25519');
    const caps = Array.from({ length: n }, (_, i) => buildCapsule(b, author, { kind: 'post', channel: 'b', createdAt: BigInt(i + 1), payload: new Uint8Array([i & 255]), to: 'public' }).bytes);
    const rt = openRuntime({ db: join(dir, 'i.db') });
    t0 = performance.now();
    for (const c of caps) rt.ingest(c);
    const ingestUs = (performance.now() - t0) * 1000 / n;
    rt.close();
    // proofs at 10k vs 1M leaves (in-memory node store: isolates the algorithm from disk)
    const sha = (d: Uint8Array) => b.sha256(d);
    const build = (size: number) => {
      const log = new MerkleLog(sha, new MemoryNodeStore());
      const entry = new Uint8Array(8);
      const s = performance.now();
      for (let i = 0; i < size; i++) { entry[0] = i & 255; entry[1] = (i >> 8) & 255; entry[2] = i >> 16; log.append(entry); }
      return { log, us: (performance.now() - s) * 1000 / size };
    };
    const proofUs = (log: MerkleLog) => {
      const size = log.size();
      const k = 20_000;
      for (let i = 0; i < 2000; i++) log.inclusionProof((i * 7919) % size, size); // warm-up
      const s = performance.now();
      for (let i = 0; i < k; i++) log.inclusionProof((i * 7919 + 13) % size, size);
      return (performance.now() - s) * 1000 / k;
    };
    const proofUs10k = proofUs(build(10_000).log);
    const big = build(bigSize);
    const merkleAppendUs = big.us;
    const proofUs1M = proofUs(big.log);
    return { appendUs, ingestUs, appendShareOfIngest: appendUs / ingestUs, merkleAppendUs, proofUs10k, proofUs1M, proofRatio: proofUs1M / proofUs10k, bigSize };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

export interface AuditCommitBenchResult {
  entriesPerTransaction: number;
  /** Per entry: the log as it was (leaf and every completed node written as each entry is appended). */
  perEntry: Timed;
  /** Per entry: AuditLog.record now (leaf per entry, interior nodes once at the commit). */
  perCommit: Timed;
}

/**
 * One audit entry's cost in SQLite transactions of `perTx` entries (a chunk of ingest), interior Merkle nodes written
 * per entry (the previous AuditLog.record, reproduced with MerkleTree.append on the same store) vs once per commit
 * (AuditLog.record). Interleaved rounds into fresh files, medians, main-thread CPU and wall per entry.
 */
export function runAuditCommitBench(opts: { perTx?: number; transactions?: number; rounds?: number } = {}): AuditCommitBenchResult {
  const perTx = opts.perTx ?? 256, txs = opts.transactions ?? 40, rounds = opts.rounds ?? 7;
  const dir = mkdtempSync(join(tmpdir(), 'kapsule-audit-commit-'));
  const sha = (d: Uint8Array) => b.sha256(d);
  const samples: Record<'perEntry' | 'perCommit', Timed[]> = { perEntry: [], perCommit: [] };
  try {
    const once = (mode: 'perEntry' | 'perCommit', round: number): Timed => {
      const store = new SqliteStore(join(dir, `${mode}-${round}.db`));
      const log = new AuditLog(b, store, null, 'bench');
      const tree = new MerkleTree(sha, { get: (l, i) => store.merkleGet(l, i), put: (l, i, x) => store.merklePut(l, i, x) });
      const id = new Uint8Array(32);
      const event = (i: number) => { id[0] = i & 255; id[1] = (i >> 8) & 255; id[2] = i >> 16; return { type: 'capsule_stored' as const, capsuleId: id, status: 'stored' as const }; };
      const t = timed(() => {
        for (let x = 0; x < txs; x++) {
          store.transaction(() => {
            for (let k = 0; k < perTx; k++) {
              const i = x * perTx + k;
              if (mode === 'perCommit') { log.record(event(i)); continue; }
              const entry = encodeEntry(event(i));
              const leaf = leafHash(sha, entry);
              tree.append(store.appendAudit(entry, leaf), leaf);
            }
          });
        }
      });
      if (mode === 'perCommit' && toHexRoot(log.root()) !== toHexRoot(referenceRoot(sha, txs * perTx, event))) throw new Error('bench: per-commit root differs');
      store.close();
      return t;
    };
    for (let r = 0; r < rounds; r++) {
      for (const mode of r % 2 ? (['perCommit', 'perEntry'] as const) : (['perEntry', 'perCommit'] as const)) samples[mode].push(once(mode, r));
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  const n = perTx * txs;
  return { entriesPerTransaction: perTx, perEntry: perItemMedian(samples.perEntry, n), perCommit: perItemMedian(samples.perCommit, n) };
}

const toHexRoot = (r: Uint8Array) => Buffer.from(r).toString('hex');
function referenceRoot(sha: (d: Uint8Array) => Uint8Array, n: number, event: (i: number) => Parameters<typeof encodeEntry>[0]): Uint8Array {
  const log = new MerkleLog(sha, new MemoryNodeStore());
  for (let i = 0; i < n; i++) log.append(encodeEntry(event(i)));
  return log.root();
}

export function formatAuditCommitBench(r: AuditCommitBenchResult): string {
  const f = (t: Timed) => `${t.cpuUs.toFixed(2)} µs CPU (${t.wallUs.toFixed(2)} wall)`;
  return `audit record, ${r.entriesPerTransaction} entries per transaction: interior nodes per entry ${f(r.perEntry)}, per commit ${f(r.perCommit)} = ${(r.perCommit.cpuUs / r.perEntry.cpuUs).toFixed(2)}× CPU`;
}

export function formatAuditBench(r: AuditBenchResult): string {
  return [
    `audit append ${r.appendUs.toFixed(1)} µs/entry vs ingest ${r.ingestUs.toFixed(1)} µs/capsule → ${(r.appendShareOfIngest * 100).toFixed(1)}% of ingest`,
    `merkle append ${r.merkleAppendUs.toFixed(2)} µs/entry (in-memory node store, ${r.bigSize.toLocaleString('en')} entries)`,
    `inclusion proof ${r.proofUs10k.toFixed(1)} µs at 10k vs ${r.proofUs1M.toFixed(1)} µs at ${r.bigSize.toLocaleString('en')} entries → ratio ${r.proofRatio.toFixed(2)}× (log2 ratio ${(Math.log2(r.bigSize) / Math.log2(10_000)).toFixed(2)}×)`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(process.argv.includes('--commit') ? formatAuditCommitBench(runAuditCommitBench()) : formatAuditBench(runAuditBench()));
}
