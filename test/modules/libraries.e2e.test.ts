/**
 * Modules built on real registry libraries (test/corpus/modules: assemblyscript-json, as-bignum, patched
 * assemblyscript-regex), run through the real pipeline — signed .kmod from `npm run build`, signed and encrypted
 * capsules, canonical order, SQLite store — with every result checked against a JavaScript reference
 * (./_libraries.ts). Also: each fits its manifest, and arrival order does not change the results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kit, testKmodPath } from './_kit.ts';
import { LIBRARY_MODULES, libraryPayloads, libraryReference, type LibraryModule } from './_libraries.ts';
import { toHex } from '../../host/src/bytes.ts';

const root = new URL('../../', import.meta.url).pathname;
const manifest = (m: LibraryModule) => JSON.parse(readFileSync(join(root, 'test/corpus/modules', m, 'module.json'), 'utf8'));
const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array(0));
const N = 24;

for (const m of LIBRARY_MODULES) {
  test(`${m}: ${N} capsules of ~2.2 KiB through the pipeline give the JavaScript reference's results`, () => {
    const k = new Kit(m, 'owner', undefined, testKmodPath(m));
    const next = libraryPayloads(m, 19);
    const ref = libraryReference(m);
    let maxFuel = 0n;
    for (let i = 0; i < N; i++) {
      const payload = next();
      assert.ok(payload.length > 2_000 && payload.length < 2_600, `payload ${payload.length} bytes`);
      const r = k.rt.ingest(k.capsule(`author${i % 3}`, 'data', payload).bytes);
      assert.equal(r.status, 'executed', `${m} run ${i}: ${r.status} ${r.error?.code} ${r.error?.message}`);
      assert.equal(text(r.output), ref(payload), `${m} run ${i}`);
      if (r.fuel! > maxFuel) maxFuel = r.fuel!;
    }
    // the manifest's budget is sized from these runs (docs/ABI.md §Sizing a module): used, with headroom
    const budget = BigInt(manifest(m).fuel);
    assert.ok(maxFuel * 2n <= budget && maxFuel * 20n >= budget, `${m}: max fuel ${maxFuel} vs budget ${budget}`);
    k.rt.close();
  });
}

test('library modules: results are a function of the capsule set, not of arrival order', () => {
  for (const m of LIBRARY_MODULES) {
    const a = new Kit(m, 'owner', undefined, testKmodPath(m));
    const next = libraryPayloads(m, 7);
    const caps = Array.from({ length: 8 }, (_, i) => a.capsule('author', 'data', next(), { at: 1_767_225_600_000n + BigInt(i) * 1000n }));
    a.rt.ingestBatch(caps.map((c) => c.bytes));
    const b = new Kit(m, 'owner', undefined, testKmodPath(m));
    for (const c of [...caps].reverse()) b.rt.ingest(c.bytes);
    const ref = libraryReference(m);
    const again = libraryPayloads(m, 7);
    for (const c of caps) {
      const want = ref(again());
      assert.equal(text(a.rt.get(c.id)?.result?.output), want, `${m} ${toHex(c.id).slice(0, 8)} (batch)`);
      assert.equal(text(b.rt.get(c.id)?.result?.output), want, `${m} ${toHex(c.id).slice(0, 8)} (reversed)`);
    }
    a.rt.close(); b.rt.close();
  }
});

test('library modules: malformed input fails the run (typed, nothing kept), and later runs are unaffected', () => {
  const cases: [LibraryModule, string][] = [['json_stats', '{"station": "n", "readings": [1,'], ['json_stats', '{"station": "Bad Name", "readings": []}'], ['bigmath', '12 ^ 3'], ['bigmath', '340282366920938463463374607431768211456 + 1']];
  for (const [m, payload] of cases) {
    const k = new Kit(m, 'owner', undefined, testKmodPath(m));
    const r = k.rt.ingest(k.capsule('author', 'data', payload).bytes);
    assert.equal(r.status, 'failed', `${m} ${payload}`);
    assert.equal(r.error?.code, 'TRAP', `${m} ${payload}: ${r.error?.message}`);
    assert.equal(k.rt.kv(toHex(k.moduleId)).length, 0, 'a failed run keeps no state');
    const next = libraryPayloads(m, 3);
    const ok = next();
    const r2 = k.rt.ingest(k.capsule('author', 'data', ok).bytes);
    assert.equal(text(r2.output), libraryReference(m)(ok));
    k.rt.close();
  }
});
