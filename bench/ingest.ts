/**
 * End-to-end ingest throughput vs the crypto floor, one core, measured in the same run.
 * Floor per capsule = native Ed25519 verify (+ one X25519 unwrap for an encrypted capsule): the work no
 * implementation can skip. Target: ingest ≥ 0.8× the floor rate for public and for encrypted capsules.
 * Usage: tsx bench/ingest.ts [--n 2000]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../host/src/crypto/native.ts';
import { generateIdentity } from '../host/src/keys.ts';
import { buildCapsule } from '../capsule-packer/src/build.ts';
import { openRuntime } from '../host/src/node.ts';
import { pae, SIGNING_TYPES } from '../host/src/pae.ts';
import { parseCapsule } from '../host/src/parse/capsule.ts';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';

export interface IngestBenchResult {
  n: number;
  public: { floorPerSec: number; ingestPerSec: number; ratio: number };
  encrypted: { floorPerSec: number; ingestPerSec: number; ratio: number };
}

function rate(n: number, f: () => void): number {
  const t0 = performance.now();
  f();
  return n / ((performance.now() - t0) / 1000);
}

export function runIngestBench(n = 2000): IngestBenchResult {
  const author = generateIdentity(b, 'ed25519', 'bench-author');
  const device = generateIdentity(b, 'ed25519', 'bench-device');
  const payload = new TextEncoder().encode(JSON.stringify({ title: 'benchmark post', body: 'x'.repeat(200) }));
  const make = (to: 'public' | 'enc') => Array.from({ length: n }, (_, i) => buildCapsule(b, author, {
    kind: 'post', channel: 'bench', createdAt: 1_700_000_000_000n + BigInt(i), payload,
    to: to === 'public' ? 'public' : [device.encPublic],
  }).bytes);
  const out = {} as IngestBenchResult;
  out.n = n;
  for (const mode of ['public', 'enc'] as const) {
    const caps = make(mode);
    // Floor: the unavoidable native crypto of each capsule (fresh key objects are cached per author, as ingest does).
    const parsed = caps.map(parseCapsule);
    const floor = rate(n, () => {
      for (const p of parsed) {
        b.verify(p.core.sigAlg, p.core.author, pae(SIGNING_TYPES.capsule, p.body), p.signature);
        if (p.core.encryption.mode !== 'public') b.x25519(device.encSecret, p.core.encryption.recipients[0].ephemeral);
      }
    });
    const dir = mkdtempSync(join(tmpdir(), 'kapsule-bench-'));
    const rt = openRuntime({ db: join(dir, 'bench.db'), identity: device, backend: b });
    const ingest = rate(n, () => { rt.ingestBatch(caps); });
    rt.close();
    rmSync(dir, { recursive: true, force: true });
    out[mode === 'public' ? 'public' : 'encrypted'] = { floorPerSec: floor, ingestPerSec: ingest, ratio: ingest / floor };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--n');
  const r = runIngestBench(i > 0 ? Number(process.argv[i + 1]) : 2000);
  for (const k of ['public', 'encrypted'] as const) {
    console.log(`${k.padEnd(10)} floor ${r[k].floorPerSec.toFixed(0)}/s  ingest ${r[k].ingestPerSec.toFixed(0)}/s  ratio ${r[k].ratio.toFixed(2)}× (target ≥ 0.80×)`);
  }
}
