/**
 * Bounded fuzzing of every parser (the full run is `npm run fuzz`, FUZZ_RUNS=1000000): random bytes and
 * mutations of golden files. Only typed errors may come out: no other exception, no hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { KapsuleError } from '../../host/src/errors.ts';
import { parseCapsule } from '../../host/src/parse/capsule.ts';
import { parseModulePackage } from '../../host/src/parse/module.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { verifyParsedCapsule, verifyParsedModule } from '../../host/src/verify/index.ts';

export const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const golden = (f: string) => new Uint8Array(readFileSync(new URL(`../vectors/golden/${f}`, import.meta.url)));

function onlyTyped(f: () => unknown): boolean {
  try { f(); } catch (e) {
    if (!(e instanceof KapsuleError)) throw e;
  }
  return true;
}

/** A mutation: flip, overwrite, insert or delete bytes at random positions. */
export function mutated(seed: Uint8Array) {
  return fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
    .map((ops) => {
      let b = Array.from(seed);
      for (const [pos, op, v] of ops) {
        const i = b.length ? pos % b.length : 0;
        if (op === 0 && b.length) b[i] ^= 1 << (v & 7);
        else if (op === 1 && b.length) b[i] = v;
        else if (op === 2) b.splice(i, 0, v);
        else b.splice(i, 1);
      }
      return Uint8Array.from(b);
    });
}

const capsuleParser = (bytes: Uint8Array) => onlyTyped(() => verifyParsedCapsule(nobleBackend, parseCapsule(bytes)));
const moduleParser = (bytes: Uint8Array) => onlyTyped(() => verifyParsedModule(nobleBackend, parseModulePackage(bytes)));

test('capsule parser: random bytes give only typed errors', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), capsuleParser), { numRuns: RUNS });
});

test('capsule parser: mutated golden capsules give only typed errors', () => {
  for (const f of ['public-post.kapsule', 'encrypted-comment.kapsule', 'p256-trust.kapsule']) {
    fc.assert(fc.property(mutated(golden(f)), capsuleParser), { numRuns: Math.ceil(RUNS / 3) });
  }
});

test('module package parser: random and mutated inputs give only typed errors', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), moduleParser), { numRuns: RUNS });
  fc.assert(fc.property(mutated(golden('golden-empty.kmod')), moduleParser), { numRuns: RUNS });
});

test('a mutated golden capsule that still verifies must be byte-identical (no malleability)', () => {
  const seed = golden('public-post.kapsule');
  fc.assert(fc.property(mutated(seed), (b) => {
    try { verifyParsedCapsule(nobleBackend, parseCapsule(b)); } catch (e) {
      assert.ok(e instanceof KapsuleError);
      return true;
    }
    return Buffer.compare(Buffer.from(b), Buffer.from(seed)) === 0;
  }), { numRuns: RUNS });
});

test('snapshot decoder: random and mutated snapshots give problems or typed errors, never a crash', async () => {
  const { decodeSnapshot, encodeSnapshot } = await import('../../host/src/sync/snapshot.ts');
  const sha = (x: Uint8Array) => nobleBackend.sha256(x);
  const seed = encodeSnapshot({ format: 'kapsule-snapshot', version: 1, channel: null, heads: [], since: [], capsules: 2, modules: 1 },
    [{ type: 'module', bytes: golden('golden-empty.kmod') }, { type: 'capsule', bytes: golden('public-post.kapsule') }, { type: 'capsule', bytes: golden('encrypted-comment.kapsule') }], sha);
  const decode = (b: Uint8Array) => onlyTyped(() => {
    const r = decodeSnapshot(b, sha);
    for (const rec of r.records) assert.ok(rec.type === 'module' || rec.type === 'capsule');
  });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), decode), { numRuns: Math.ceil(RUNS / 3) });
  fc.assert(fc.property(mutated(seed), decode), { numRuns: Math.ceil(RUNS / 3) });
});
