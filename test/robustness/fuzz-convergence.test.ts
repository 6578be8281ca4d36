/**
 * The convergence property at size: a scenario of CONVERGENCE_SCALE × (≈ 80) capsules ingested in
 * CONVERGENCE_ORDERS random orders (permutations and topological orders, random batch sizes, one in four with an
 * offline split merged by sync pair) must give one state. `npm test` runs it small; `npm run fuzz` runs ≥ 1,000
 * capsules in ≥ 100 orders. A failure prints the seed and order number to replay it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import type { Runtime } from '../../host/src/runtime.ts';
import { compiledCacheKey } from '../../host/src/execute/sandbox.ts';
import { verifyModulePackage } from '../../host/src/verify/index.ts';
import { toHex } from '../../host/src/bytes.ts';
import { syncPair } from '../../host/src/sync/index.ts';
import { buildScenario, fingerprint, firstDifference, prng, shuffled, topologicalOrder, type ScenarioCapsule } from '../helpers/scenario.ts';

const ORDERS = Number(process.env.CONVERGENCE_ORDERS ?? 4);
const SCALE = Number(process.env.CONVERGENCE_SCALE ?? 2);
const SEED = Number(process.env.CONVERGENCE_SEED ?? 7);

test(`convergence fuzz: ${ORDERS} orders of a scale-${SCALE} scenario (seed ${SEED})`, () => {
  const S = buildScenario(SEED, SCALE);
  const compiled = new Map<string, Uint8Array>();
  const device = (): Runtime => {
    const rt = openRuntime({ db: ':memory:', identity: S.owner });
    for (const [k, v] of compiled) rt.store.putCompiled(k, v);
    for (const m of S.modules) {
      rt.addModule(m);
      const k = compiledCacheKey(toHex(verifyModulePackage(b, m).manifest.wasmHash));
      if (!compiled.has(k)) compiled.set(k, rt.store.getCompiled(k)!);
    }
    return rt;
  };
  const feed = (rt: Runtime, caps: readonly ScenarioCapsule[], rnd: () => number) => {
    for (let i = 0; i < caps.length;) {
      const n = rnd() < 0.2 ? 1 : 1 + Math.floor(rnd() * 64);
      const part = caps.slice(i, i + n);
      if (part.length === 1) rt.ingest(part[0].bytes); else rt.ingestBatch(part.map((c) => c.bytes));
      i += n;
    }
  };
  const ref = device();
  ref.ingestBatch(S.capsules.map((c) => c.bytes));
  const expected = fingerprint(ref);
  ref.close();
  const rnd = prng(SEED * 7919);
  for (let o = 0; o < ORDERS; o++) {
    const order = o % 2 ? topologicalOrder(S.capsules, rnd) : shuffled(S.capsules, rnd);
    if (o % 4 === 3) {
      const cut = Math.floor(order.length * rnd());
      const [a, c] = [device(), device()];
      feed(a, order.slice(0, cut), rnd);
      feed(c, order.slice(cut), rnd);
      syncPair(a, c);
      for (const [name, rt] of [['A', a], ['B', c]] as const) {
        const d = firstDifference(expected, fingerprint(rt));
        assert.equal(d, null, `seed ${SEED}, order ${o} (split at ${cut}, device ${name}): ${d}`);
        rt.close();
      }
      continue;
    }
    const rt = device();
    feed(rt, order, rnd);
    const d = firstDifference(expected, fingerprint(rt));
    assert.equal(d, null, `seed ${SEED}, order ${o}: ${d}`);
    rt.close();
  }
  assert.ok(S.capsules.length >= 80 * SCALE * 0.8, `${S.capsules.length} capsules`);
});
