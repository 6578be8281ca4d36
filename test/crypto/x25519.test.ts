/**
 * X25519 on BOTH backends: every Wycheproof case (518) gives the same output on both, equal to Wycheproof's
 * shared value, except an all-zero shared secret, which both return as null (our policy: refuse it).
 * Wycheproof's 'acceptable' cases (twist points, non-canonical u ≥ p, public keys with the top bit set, low-order
 * points) follow RFC 7748 exactly: u is reduced / masked and the ladder result returned when it is non-zero.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { fromHex, toHex } from '../../host/src/bytes.ts';
import type { CryptoBackend } from '../../host/src/crypto/types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const load = (f: string): Json => JSON.parse(readFileSync(new URL(`../vectors/crypto/${f}`, import.meta.url), 'utf8'));
const backends: CryptoBackend[] = [nativeBackend, nobleBackend];
const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : toHex(b));

test('Wycheproof X25519 (518): same output on both backends; expected shared value, null when all-zero', () => {
  const d = load('wycheproof_x25519_test.json');
  const seen: Record<string, number> = {};
  const bump = (k: string) => { seen[k] = (seen[k] ?? 0) + 1; };
  for (const g of d.testGroups) {
    assert.equal(g.curve, 'curve25519');
    for (const t of g.tests) {
      const sk = fromHex(t.private), pk = fromHex(t.public);
      const [a, b] = backends.map((x) => hexOrNull(x.x25519(sk, pk)));
      assert.equal(a, b, `tc ${t.tcId}: native ${a} vs noble ${b}`);
      const zero = /^(00)+$/.test(t.shared);
      assert.equal(a, zero ? null : t.shared, `tc ${t.tcId} (${t.result}) ${t.comment}`);
      bump(`${t.result}:${zero ? 'null' : 'shared'}`);
    }
  }
  assert.equal(Object.values(seen).reduce((x, y) => x + y, 0), d.numberOfTests);
  // Every 'valid' case yields its shared secret; of the 254 'acceptable' ones, 31 have an all-zero shared
  // secret (refused: null) and 223 are accepted with RFC 7748's value.
  assert.deepEqual(seen, { 'valid:shared': 264, 'acceptable:null': 31, 'acceptable:shared': 223 });
});

test('x25519PublicKey agrees across backends; DH is symmetric and cross-backend', () => {
  for (let i = 0; i < 16; i++) {
    const a = nobleBackend.randomBytes(32), b = nobleBackend.randomBytes(32);
    const A = nobleBackend.x25519PublicKey(a), B = nobleBackend.x25519PublicKey(b);
    assert.equal(toHex(nativeBackend.x25519PublicKey(a)), toHex(A));
    const ab = nativeBackend.x25519(a, B), ba = nobleBackend.x25519(b, A);
    assert.ok(ab && ba);
    assert.equal(toHex(ab), toHex(ba));
  }
  // RFC 7748 §6.1 Alice/Bob
  const aSk = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bPk = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  for (const x of backends) {
    assert.equal(toHex(x.x25519PublicKey(aSk)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(hexOrNull(x.x25519(aSk, bPk)), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  }
});

test('x25519: wrong-length or non-byte public key → null; bad secret key → TypeError without its bytes', () => {
  const sk = nobleBackend.randomBytes(32);
  for (const x of backends) {
    for (const pk of [new Uint8Array(31), new Uint8Array(33), null, 'k'] as unknown[]) assert.equal(x.x25519(sk, pk as Uint8Array), null);
    assert.equal(x.x25519(sk, new Uint8Array(32)), null, 'u = 0 (low order): all-zero shared secret');
    assert.throws(() => x.x25519(new Uint8Array(31), new Uint8Array(32)), /x25519 secret key: expected 32 bytes, got 31/);
    assert.throws(() => x.x25519PublicKey(new Uint8Array(16)), TypeError);
  }
});
