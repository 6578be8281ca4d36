/**
 * HKDF-SHA256 on both backends: RFC 5869's SHA-256 test cases (test/vectors/crypto/rfc5869_hkdf_sha256.json), the
 * extract step through `hmacSha256`, every output length at the block boundaries and at the 255·32 limit, and
 * agreement with the noble backend (and with node:crypto's own `hkdfSync`, a third implementation) on random inputs —
 * including an info longer than 1,024 bytes, which `hkdfSync` refuses and RFC 5869 and noble accept: both backends
 * must take exactly the same inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hkdfSync } from 'node:crypto';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { fromHex, toHex } from '../../host/src/bytes.ts';
import type { CryptoBackend } from '../../host/src/crypto/types.ts';

const backends: CryptoBackend[] = [nativeBackend, nobleBackend];
interface Rfc5869Case { tc: number; comment: string; ikm: string; salt: string; info: string; L: number; prk: string; okm: string }
const rfc = JSON.parse(readFileSync(new URL('../vectors/crypto/rfc5869_hkdf_sha256.json', import.meta.url), 'utf8')) as { cases: Rfc5869Case[] };

test('RFC 5869 test cases 1–3 (SHA-256): PRK and OKM on both backends', () => {
  assert.deepEqual(rfc.cases.map((c) => c.tc), [1, 2, 3]);
  for (const c of rfc.cases) {
    const ikm = fromHex(c.ikm), salt = fromHex(c.salt), info = fromHex(c.info);
    for (const b of backends) {
      // extract is HMAC(salt, IKM); an empty salt is HashLen zeros, which HMAC's key padding makes the same key
      assert.equal(toHex(b.hmacSha256(salt.length ? salt : new Uint8Array(32), ikm)), c.prk, `tc ${c.tc} PRK on ${b.name}`);
      assert.equal(toHex(b.hkdfSha256(ikm, salt, info, c.L)), c.okm, `tc ${c.tc} OKM on ${b.name}`);
      // any prefix of the output is the output for that length (T(i) does not depend on L)
      assert.equal(toHex(b.hkdfSha256(ikm, salt, info, 33)), c.okm.slice(0, 66), `tc ${c.tc} L=33 on ${b.name}`);
    }
  }
});

test('every length at the block boundaries and the limit: same bytes on both backends; 8161 is refused by both', () => {
  const ikm = nobleBackend.randomBytes(32), salt = nobleBackend.randomBytes(24), info = nobleBackend.randomBytes(25);
  for (const L of [0, 1, 31, 32, 33, 63, 64, 65, 96, 97, 1000, 255 * 32 - 1, 255 * 32]) {
    const [a, b] = backends.map((x) => x.hkdfSha256(ikm, salt, info, L));
    assert.equal(a.length, L);
    assert.equal(toHex(a), toHex(b), `L = ${L}`);
    if (L > 0) assert.equal(toHex(a), toHex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, L))), `L = ${L} vs hkdfSync`);
  }
  for (const b of backends) {
    for (const bad of [255 * 32 + 1, -1, 1.5, Number.NaN, '32']) {
      assert.throws(() => b.hkdfSha256(ikm, salt, info, bad as number), (e: unknown) => e instanceof TypeError && /^hkdf length: expected an integer in 0\.\.8160/.test((e as Error).message), `${b.name} length ${String(bad)}`);
    }
    for (const [what, args] of [
      ['ikm', [null, salt, info]], ['salt', [ikm, 'salt', info]], ['info', [ikm, salt, [1, 2]]],
    ] as const) {
      assert.throws(() => b.hkdfSha256(...(args as unknown as [Uint8Array, Uint8Array, Uint8Array]), 32),
        (e: unknown) => e instanceof TypeError && (e as Error).message.startsWith(`hkdf ${what}: expected Uint8Array`), `${b.name} ${what}`);
    }
  }
});

test('random inputs (empty, short, block-sized, long; info up to 4 KiB): native equals noble', () => {
  const sizes = [0, 1, 16, 31, 32, 33, 64, 65, 100, 1024, 1025, 4096];
  let overLimit = 0;
  for (let i = 0; i < 120; i++) {
    const pick = () => sizes[Math.floor(Math.random() * sizes.length)];
    const ikm = nobleBackend.randomBytes(pick()), salt = nobleBackend.randomBytes(pick()), info = nobleBackend.randomBytes(i < 4 ? 1025 + i : pick());
    const L = i < 12 ? [0, 1, 32, 64, 65, 8160][i % 6] : 1 + Math.floor(Math.random() * 200);
    const a = nativeBackend.hkdfSha256(ikm, salt, info, L);
    assert.equal(toHex(a), toHex(nobleBackend.hkdfSha256(ikm, salt, info, L)), `ikm ${ikm.length} salt ${salt.length} info ${info.length} L ${L}`);
    if (info.length > 1024) overLimit++;
    // byte-identical to node's hkdfSync wherever it accepts the input
    else if (L > 0) assert.equal(toHex(a), toHex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, L))));
  }
  assert.ok(overLimit >= 4, 'infos longer than hkdfSync accepts were exercised');
});

test('inputs are not modified, and the output is a fresh array', () => {
  const ikm = nobleBackend.randomBytes(32), salt = nobleBackend.randomBytes(32), info = nobleBackend.randomBytes(10);
  const copies = [ikm, salt, info].map((x) => x.slice());
  for (const b of backends) {
    const out = b.hkdfSha256(ikm, salt, info, 64);
    assert.deepEqual([ikm, salt, info], copies, `${b.name} left its inputs alone`);
    out.fill(0);
    assert.notEqual(toHex(b.hkdfSha256(ikm, salt, info, 64)), toHex(out), `${b.name} output is not shared state`);
  }
});
