/**
 * The price of convergence (docs/CONVERGENCE.md §7), measured in one run against the ingest time per capsule of the
 * same store:
 *  - a late capsule at the start, the middle and the end of an N-capsule store (default 100,000): one `ingest` that
 *    rolls back the runs after it and re-executes them; reported per re-executed run (target ≤ 0.5× ingest);
 *  - a burst of 1,000 capsules dated before everything, as one batch: one rollback, one re-execution.
 * Every capsule runs an order-sensitive module (test/corpus/counter.wat: it bumps a kv counter and submits the new
 * value), so every re-executed run changes its result and writes an audit entry: the worst case for re-execution.
 * Half the capsules are encrypted, as in bench/scale.ts. Each measurement starts from a copy of the same store file.
 * Usage: tsx bench/convergence.ts [--n 100000]
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nativeBackend as b } from '../host/src/crypto/native.ts';
import { generateIdentity } from '../host/src/keys.ts';
import { buildCapsule, buildModulePackage } from '../capsule-packer/src/build.ts';
import { openRuntime } from '../host/src/node.ts';
import { utf8 } from '../host/src/bytes.ts';
import { decodeEntry } from '../host/src/audit/entry.ts';
import wabtInit from 'wabt';

export interface LateFigure { at: 'start' | 'middle' | 'end'; runs: number; ms: number; usPerRun: number; ratio: number; changed: number }
export interface ConvergenceBenchResult {
  n: number;
  ingestUsPerCapsule: number;
  late: LateFigure[];
  burst: { capsules: number; runs: number; ms: number; usPerRun: number; ratio: number; rollbacks: number };
}

const T0 = 1_767_225_600_000n;

export async function runConvergenceBench(opts: { n?: number; burst?: number } = {}): Promise<ConvergenceBenchResult> {
  const n = opts.n ?? 100_000;
  const burstN = opts.burst ?? 1000;
  const wabt = await wabtInit();
  const wat = readFileSync(new URL('../test/corpus/counter.wat', import.meta.url), 'utf8');
  const parsed = wabt.parseWat('counter.wat', wat);
  const wasm = new Uint8Array(parsed.toBinary({}).buffer);
  parsed.destroy();
  const device = generateIdentity(b, 'ed25519', 'bench device');
  const author = generateIdentity(b, 'ed25519', 'bench author');
  const mod = buildModulePackage(b, author, { name: 'counter', version: '1', wasm, hostcalls: ['kv_get', 'kv_set', 'submit_capsule_result'], fuel: 1_000_000n, memoryPages: 1, maxDepth: 16 });
  // capsules 1 ms apart from T0 + 10 s; late ones are placed between them (generation is not timed)
  const at = (i: number) => T0 + 10_000n + BigInt(i) * 10n;
  const make = (createdAt: bigint, i: number) => buildCapsule(b, author, {
    kind: 'post', channel: 'bench', createdAt, logic: mod.id, payload: utf8.encode(`{"i":${i}}`),
    to: i % 2 ? [device.encPublic] : 'public',
  }).bytes;
  const caps = Array.from({ length: n }, (_, i) => make(at(i), i));

  const dir = mkdtempSync(join(tmpdir(), 'kapsule-bench-conv-'));
  try {
    const base = join(dir, 'base.db');
    let rt = openRuntime({ db: base, identity: device });
    rt.addModule(mod.bytes);
    const t0 = performance.now();
    for (let i = 0; i < n; i += 256) rt.ingestBatch(caps.slice(i, i + 256));
    const ingestUsPerCapsule = ((performance.now() - t0) * 1000) / n;
    rt.close();

    const late: LateFigure[] = [];
    for (const [where, pos] of [['start', 0], ['middle', Math.floor(n / 2)], ['end', n - 1]] as const) {
      const db = join(dir, `${where}.db`);
      copyFileSync(base, db);
      rt = openRuntime({ db, identity: device });
      rt.modules.load(mod.id, 'post'); // compiling the module once per process is not re-execution
      const capsule = make(at(pos) - 5n, n + 1 + late.length); // just before capsule `pos`
      const t = performance.now();
      rt.ingest(capsule);
      const ms = performance.now() - t;
      const d = rt.lastDrain!;
      rt.close();
      const runs = d.reexecuted + d.executed;
      late.push({ at: where, runs, ms, usPerRun: (ms * 1000) / Math.max(1, runs), ratio: (ms * 1000) / Math.max(1, runs) / ingestUsPerCapsule, changed: d.changed.length });
    }

    const db = join(dir, 'burst.db');
    copyFileSync(base, db);
    rt = openRuntime({ db, identity: device });
    rt.modules.load(mod.id, 'post');
    const before = rt.audit.size();
    const burst = Array.from({ length: burstN }, (_, i) => make(T0 + BigInt(i), n + 100 + i));
    const t = performance.now();
    rt.ingestBatch(burst);
    const ms = performance.now() - t;
    const d = rt.lastDrain!;
    const rollbacks = rt.store.auditRange(before, rt.audit.size()).filter((r) => decodeEntry(r.entry).type === 'runs_rolled_back').length;
    rt.close();
    const runs = d.reexecuted + d.executed;
    return {
      n, ingestUsPerCapsule, late,
      burst: { capsules: burstN, runs, ms, usPerRun: (ms * 1000) / runs, ratio: (ms * 1000) / runs / ingestUsPerCapsule, rollbacks },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--n');
  const r = await runConvergenceBench({ n: i > 0 ? Number(process.argv[i + 1]) : undefined });
  console.log(JSON.stringify(r, null, 2));
}
