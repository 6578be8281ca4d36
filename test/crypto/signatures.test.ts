/**
 * Signature policy on BOTH backends, over every case of every public vector file in test/vectors/crypto/
 * (speccheck, Wycheproof Ed25519, CCTV, ZIP-215, RFC 8032, Wycheproof ECDSA P-256 P1363): the two backends give the
 * same verdict on each case, and that verdict is asserted exactly (Wycheproof's result, or the policy's expected
 * verdict derived from the vector's own flags). Deviations are named: high-S P-256 "valid" cases are rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { getBackend as portableGetBackend } from '../../host/src/crypto/index.ts';
import { defaultBackend, getBackend } from '../../host/src/crypto/node.ts';
import { admitEd25519Key, bytesToBigLE, ed25519SigShapeOk, ED25519_L, P256_N, p256SigShapeOk } from '../../host/src/crypto/_policy.ts';
import { concatBytes, fromHex, toHex, utf8 } from '../../host/src/bytes.ts';
import type { CryptoBackend, SigAlg } from '../../host/src/crypto/types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const load = (f: string): Json => JSON.parse(readFileSync(new URL(`../vectors/crypto/${f}`, import.meta.url), 'utf8'));
const backends: CryptoBackend[] = [nativeBackend, nobleBackend];

/** The verdict of both backends on one case; fails unless they agree. */
function verdict(alg: SigAlg, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array, what: string): boolean {
  const a = nativeBackend.verify(alg, pk, msg, sig);
  const b = nobleBackend.verify(alg, pk, msg, sig);
  assert.equal(typeof a, 'boolean', what);
  assert.equal(a, b, `${what}: native ${a} vs noble ${b}`);
  return a;
}

const leHex = (n: bigint): Uint8Array => { const o = new Uint8Array(32); for (let i = 0; i < 32; i++) { o[i] = Number(n & 0xffn); n >>= 8n; } return o; };
const beBytes = (n: bigint, len = 32): Uint8Array => fromHex(n.toString(16).padStart(len * 2, '0'));

test('speccheck: all 12 rows rejected by both backends', () => {
  const rows: Json[] = load('speccheck_cases.json');
  assert.equal(rows.length, 12);
  // Without the policy OpenSSL accepts rows 0-3 and 11, noble's strict verify rows 2-5 (vectors/SOURCES.txt).
  // Every row has a small-order or mixed-order key, a mixed-order R, S ≥ L or a non-canonical encoding, so the
  // policy rejects all twelve.
  const v = rows.map((r, i) => verdict('ed25519', fromHex(r.pub_key), fromHex(r.message), fromHex(r.signature), `speccheck ${i}`));
  assert.deepEqual(v, Array(12).fill(false));
});

test('Wycheproof Ed25519 (151): valid accepted, invalid rejected, on both backends', () => {
  const d = load('wycheproof_ed25519_test.json');
  const seen = { valid: 0, invalid: 0, acceptable: 0 } as Record<string, number>;
  for (const g of d.testGroups) for (const t of g.tests) {
    seen[t.result]++;
    const ok = verdict('ed25519', fromHex(g.publicKey.pk), fromHex(t.msg), fromHex(t.sig), `tc ${t.tcId}`);
    assert.equal(ok, t.result === 'valid', `tc ${t.tcId} (${t.result}) ${t.comment}`);
  }
  assert.deepEqual(seen, { valid: 88, invalid: 63, acceptable: 0 }); // no 'acceptable' cases in this file
  assert.equal(seen.valid + seen.invalid, d.numberOfTests);
});

test('CCTV Ed25519 (914): exactly the cases without a small-order or non-canonical flag are accepted', () => {
  const rows: Json[] = load('cctv_ed25519vectors.json');
  assert.equal(rows.length, 914);
  // Policy, from the vectors' own flags: refuse low_order_A / low_order_component_A / non_canonical_A (key
  // admission), non_canonical_R and low_order_component_R (cofactorless equation with R compared as bytes).
  // low_order_R alone (R = identity, which is in the prime-order subgroup) satisfies the cofactorless equation.
  // low_order_residue / reencoded_k only matter to cofactored verifiers and never occur without a refusing flag.
  let accepted = 0;
  for (const r of rows) {
    const flags: string[] = r.flags ?? [];
    const expected = flags.every((f) => f === 'low_order_R');
    const ok = verdict('ed25519', fromHex(r.key), utf8.encode(r.msg), fromHex(r.sig), `cctv ${r.number}`);
    assert.equal(ok, expected, `cctv ${r.number} flags=${flags.join(',') || 'none'}`);
    if (ok) accepted++;
  }
  assert.equal(accepted, 2);
});

test('ZIP-215 (196): every vector has a small-order component, so every one is rejected on both backends', () => {
  const rows: Json[] = load('noble_zip215.json');
  assert.equal(rows.length, 196);
  for (const [i, r] of rows.entries()) {
    assert.equal(verdict('ed25519', fromHex(r.vk_bytes), utf8.encode('Zcash'), fromHex(r.sig_bytes), `zip215 ${i}`), false, `zip215 ${i}`);
  }
  // Teeth: noble's own ZIP-215 verifier accepts all of them (and its strict mode the valid_legacy ones).
  assert.ok(rows.every((r) => ed25519.verify(fromHex(r.sig_bytes), utf8.encode('Zcash'), fromHex(r.vk_bytes), { zip215: true })));
});

test('RFC 8032: keys and signatures reproduce byte for byte on both backends and verify', () => {
  const rows: Json[] = load('noble_rfc8032-ed25519.json');
  assert.equal(rows.length, 4);
  for (const r of rows) {
    for (const b of backends) {
      assert.equal(toHex(b.sigPublicKey('ed25519', fromHex(r.priv))), r.pub, `${b.name} public key`);
      assert.equal(toHex(b.sign('ed25519', fromHex(r.priv), fromHex(r.msg))), r.sig, `${b.name} signature`);
    }
    assert.equal(verdict('ed25519', fromHex(r.pub), fromHex(r.msg), fromHex(r.sig), 'rfc8032'), true);
    const bad = fromHex(r.msg + '00');
    assert.equal(verdict('ed25519', fromHex(r.pub), bad, fromHex(r.sig), 'rfc8032 other message'), false);
  }
});

/**
 * Our API takes 33-byte compressed keys. Wycheproof gives (wx, wy): compress them; a key whose x does not fit in
 * 32 bytes cannot be represented, so its uncompressed form is passed instead, which the API refuses.
 */
function compressWycheproofKey(pk: Json): { key: Uint8Array; representable: boolean } {
  const x = BigInt('0x' + pk.wx), y = BigInt('0x' + pk.wy);
  if (x >= 1n << 256n) return { key: fromHex(pk.uncompressed), representable: false };
  return { key: concatBytes(Uint8Array.of(2 + Number(y & 1n)), beBytes(x)), representable: true };
}

test('Wycheproof ECDSA P-256 P1363 (262): expected results on both; high-S "valid" cases rejected (low-S policy)', () => {
  const d = load('wycheproof_ecdsa_secp256r1_sha256_p1363_test.json');
  const seen = { valid: 0, invalid: 0, acceptable: 0, highS: 0, unrepresentable: 0 } as Record<string, number>;
  for (const g of d.testGroups) {
    assert.equal(g.sha, 'SHA-256');
    const { key, representable } = compressWycheproofKey(g.publicKey);
    if (representable) {
      // the compressed form must be the same point as Wycheproof's uncompressed one
      assert.equal(p256.Point.fromBytes(key).toHex(false), g.publicKey.uncompressed.toLowerCase());
    } else seen.unrepresentable++;
    for (const t of g.tests) {
      seen[t.result]++;
      const sig = fromHex(t.sig);
      const ok = verdict('p256', key, fromHex(t.msg), sig, `tc ${t.tcId}`);
      const highS = sig.length === 64 && BigInt('0x' + toHex(sig.subarray(32))) > P256_N / 2n;
      if (t.result === 'valid' && highS) {
        // Documented deviation: Wycheproof calls these valid (ECDSA allows either s); our policy is low-S only.
        seen.highS++;
        assert.equal(ok, false, `tc ${t.tcId}: high-S must be rejected`);
      } else {
        assert.equal(ok, t.result === 'valid' && representable, `tc ${t.tcId} (${t.result}) ${t.comment}`);
      }
    }
  }
  assert.equal(seen.valid + seen.invalid + seen.acceptable, d.numberOfTests);
  assert.equal(seen.acceptable, 0); // no 'acceptable' cases in this file
  assert.equal(seen.unrepresentable, 0);
  assert.ok(seen.highS > 0, 'the file exercises the low-S deviation');
});

test('sign/verify round trips on both backends, cross-backend, and a one-bit flip rejected', () => {
  for (const alg of ['ed25519', 'p256'] as const) {
    for (let i = 0; i < 16; i++) {
      const sk = nobleBackend.randomBytes(32);
      const pk = nobleBackend.sigPublicKey(alg, sk);
      assert.equal(pk.length, alg === 'ed25519' ? 32 : 33);
      if (alg === 'p256') assert.ok(pk[0] === 2 || pk[0] === 3, 'compressed SEC1');
      assert.equal(toHex(nativeBackend.sigPublicKey(alg, sk)), toHex(pk), `${alg} public keys agree`);
      const msg = nobleBackend.randomBytes(i * 37);
      for (const signer of backends) {
        const sig = signer.sign(alg, sk, msg);
        assert.equal(sig.length, 64);
        // verdict() checks both verifiers: native-signed → noble-verified and vice versa
        assert.equal(verdict(alg, pk, msg, sig, `${alg} signed by ${signer.name}`), true);
        if (alg === 'p256') assert.ok(BigInt('0x' + toHex(sig.subarray(32))) <= P256_N / 2n, `${signer.name} signs low-S`);
        const bad = sig.slice(); bad[(i * 5) % 64] ^= 1 << (i % 8);
        assert.equal(verdict(alg, pk, msg, bad, 'flipped signature bit'), false);
        if (msg.length > 0) {
          const m2 = msg.slice(); m2[0] ^= 1;
          assert.equal(verdict(alg, pk, m2, sig, 'flipped message bit'), false);
        }
      }
    }
  }
});

test('signing determinism: Ed25519 identical across backends; P-256 RFC 6979 on noble, randomized on native', () => {
  const sk = nobleBackend.randomBytes(32), msg = utf8.encode('determinism');
  assert.equal(toHex(nativeBackend.sign('ed25519', sk, msg)), toHex(nobleBackend.sign('ed25519', sk, msg)));
  // RFC 6979 A.2.5 (P-256, SHA-256, message "sample"): the RFC's s is high, so we emit n − s (low-S policy).
  const rfcSk = fromHex('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721');
  const rfcSig = nobleBackend.sign('p256', rfcSk, utf8.encode('sample'));
  const rfcS = 0xf7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8n;
  assert.equal(toHex(rfcSig), 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716' + toHex(beBytes(P256_N - rfcS)));
  assert.equal(toHex(nobleBackend.sign('p256', sk, msg)), toHex(nobleBackend.sign('p256', sk, msg)));
  const n1 = nativeBackend.sign('p256', sk, msg), n2 = nativeBackend.sign('p256', sk, msg);
  assert.notEqual(toHex(n1), toHex(n2), 'native P-256 signing is randomized (OpenSSL k), documented');
  const pk = nobleBackend.sigPublicKey('p256', sk);
  assert.ok(verdict('p256', pk, msg, n1, 'n1') && verdict('p256', pk, msg, n2, 'n2'));
});

/**
 * An Ed25519 signature over `msg` for key bytes `A` (secret scalar `a`, or A' = A + T'), with R = [r]B + T, built
 * with noble's Point API: k = H(R ‖ A ‖ msg), S = r + k·a. It satisfies the cofactored equation whatever T and T'
 * are (the torsion terms vanish after multiplying by 8); the cofactorless one only when T = T' = identity.
 */
function craftSignature(a: bigint, A: Uint8Array, msg: Uint8Array, r: bigint, T = ed25519.Point.ZERO): Uint8Array {
  const R = ed25519.Point.BASE.multiply(r).add(T).toBytes();
  const k = bytesToBigLE(sha512(concatBytes(R, A, msg))) % ED25519_L;
  return concatBytes(R, leHex((r + k * a) % ED25519_L));
}

test('mixed-order R (R = [r]B + T, T of order 8): cofactored noble accepts, both backends reject', () => {
  const torsion = ED25519_TORSION_SUBGROUP.slice(1).map((h) => ed25519.Point.fromHex(h));
  assert.equal(torsion.length, 7);
  for (let i = 0; i < 4; i++) {
    const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(nobleBackend.randomBytes(32));
    const msg = utf8.encode(`mixed order ${i}`);
    const r = 12345n + BigInt(i);
    // control: the same construction with T = identity is an ordinary valid signature
    assert.equal(verdict('ed25519', A, msg, craftSignature(a, A, msg, r), 'control'), true);
    for (const T of torsion) {
      const forged = craftSignature(a, A, msg, r, T);
      assert.equal(ed25519.verify(forged, msg, A, { zip215: false }), true, 'teeth: cofactored verify accepts it');
      assert.equal(verdict('ed25519', A, msg, forged, 'mixed-order R'), false);
    }
  }
});

test('keys with a torsion component or of small order are refused even with a cofactored-valid signature', () => {
  const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(nobleBackend.randomBytes(32));
  const msg = utf8.encode('torsion key');
  const T = ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1]);
  const Aprime = ed25519.Point.fromBytes(A).add(T).toBytes();
  let refused = 0;
  for (let r = 1n; r < 40n; r++) {
    const sig = craftSignature(a, Aprime, msg, 1000n + r);
    assert.equal(ed25519.verify(sig, msg, Aprime, { zip215: false }), true, 'cofactored verify accepts');
    assert.equal(verdict('ed25519', Aprime, msg, sig, 'torsion-component key'), false);
    refused++;
  }
  assert.equal(refused, 39);
  // Small-order keys (the 8 torsion points, canonical encodings): refused whatever the signature.
  for (const h of ED25519_TORSION_SUBGROUP) {
    const sig = concatBytes(ed25519.Point.ZERO.toBytes(), new Uint8Array(32)); // R = identity, S = 0
    assert.equal(verdict('ed25519', fromHex(h), msg, sig, `small-order key ${h}`), false);
  }
});

test('non-canonical Ed25519 key encodings are refused (y ≥ p, and x = 0 with the sign bit set)', () => {
  const p = 2n ** 255n - 19n;
  let n = 0;
  for (let y = 0n; y < 19n; y++) for (const signBit of [0, 0x80]) {
    const enc = leHex(y + p); enc[31] |= signBit; // y + p < 2^255: the sign bit is free
    assert.equal(admitEd25519Key(enc), null, `y = p + ${y}, sign ${signBit}`);
    n++;
  }
  for (const y of [0n, 1n]) { // x = 0 points (y = 1 identity, y = p − 1 order 2) with the sign bit set
    const enc = leHex(y === 0n ? 1n : p - 1n); enc[31] |= 0x80;
    assert.equal(admitEd25519Key(enc), null, 'x = 0, sign bit set');
    n++;
  }
  assert.equal(n, 40);
  // Each decodes (leniently) to a point that is small-order or carries torsion, so the canonical check is also
  // backed by admission's other two checks — measured here, not assumed.
  for (let y = 0n; y < 19n; y++) {
    let P;
    try { P = ed25519.Point.fromBytes(leHex(y)); } catch { continue; }
    assert.ok(P.isSmallOrder() || !P.isTorsionFree(), `y = ${y}`);
  }
});

test('S ≥ L is rejected before any curve arithmetic (S + L would pass a verifier that reduces S)', () => {
  const sk = nobleBackend.randomBytes(32), msg = utf8.encode('S >= L');
  const pk = nobleBackend.sigPublicKey('ed25519', sk);
  const sig = nobleBackend.sign('ed25519', sk, msg);
  const S = bytesToBigLE(sig.subarray(32));
  const big = concatBytes(sig.subarray(0, 32), leHex(S + ED25519_L));
  assert.equal(verdict('ed25519', pk, msg, big, 'S + L'), false);
  assert.equal(verdict('ed25519', pk, msg, concatBytes(sig.subarray(0, 32), leHex(ED25519_L)), 'S = L'), false);
  assert.equal(verdict('ed25519', pk, msg, concatBytes(sig.subarray(0, 32), leHex(ED25519_L - 1n)), 'S = L-1, wrong'), false);
  // Both libraries also check S < L, so the shared check is defence in depth: test its boundary directly.
  const R = sig.subarray(0, 32);
  assert.equal(ed25519SigShapeOk(concatBytes(R, leHex(ED25519_L - 1n))), true);
  assert.equal(ed25519SigShapeOk(concatBytes(R, leHex(ED25519_L))), false);
  assert.equal(ed25519SigShapeOk(concatBytes(R, leHex((1n << 256n) - 1n))), false);
  assert.equal(ed25519SigShapeOk(concatBytes(R, leHex(0n))), true); // S = 0 is in range (the equation decides)
});

test('P-256: high-S twin, uncompressed key, r or s out of range — all rejected; noble lowS:false shows the teeth', () => {
  const sk = nobleBackend.randomBytes(32), msg = utf8.encode('p256 policy');
  const pk = nobleBackend.sigPublicKey('p256', sk);
  const sig = nobleBackend.sign('p256', sk, msg);
  const r = sig.subarray(0, 32), s = BigInt('0x' + toHex(sig.subarray(32)));
  const highS = concatBytes(r, beBytes(P256_N - s));
  assert.equal(p256.verify(highS, msg, pk, { lowS: false, prehash: true, format: 'compact' }), true, 'high-S is a valid ECDSA signature');
  assert.equal(verdict('p256', pk, msg, highS, 'high-S twin'), false);
  const uncompressed = p256.Point.fromBytes(pk).toBytes(false);
  assert.equal(p256.verify(sig, msg, uncompressed, { prehash: true, format: 'compact' }), true);
  assert.equal(verdict('p256', uncompressed, msg, sig, 'uncompressed key'), false);
  assert.equal(verdict('p256', pk, msg, concatBytes(new Uint8Array(32), sig.subarray(32)), 'r = 0'), false);
  assert.equal(verdict('p256', pk, msg, concatBytes(r, new Uint8Array(32)), 's = 0'), false);
  assert.equal(verdict('p256', pk, msg, concatBytes(beBytes(P256_N), sig.subarray(32)), 'r = n'), false);
  assert.equal(verdict('p256', pk, msg, concatBytes(new Uint8Array(32).fill(0xff), sig.subarray(32)), 'r = 2^256 - 1'), false);
  assert.equal(verdict('p256', pk, msg, concatBytes(r, beBytes(P256_N / 2n + 1n)), 's = n/2 + 1'), false);
  const one = beBytes(1n);
  assert.equal(p256SigShapeOk(concatBytes(one, beBytes(P256_N / 2n))), true, 's = floor(n/2) is low');
  assert.equal(p256SigShapeOk(concatBytes(one, beBytes(P256_N / 2n + 1n))), false);
  assert.equal(p256SigShapeOk(concatBytes(beBytes(P256_N - 1n), one)), true);
  assert.equal(p256SigShapeOk(concatBytes(beBytes(P256_N), one)), false);
  const notOnCurve = pk.slice(); notOnCurve[32] ^= 1;
  assert.equal(verdict('p256', notOnCurve, msg, sig, 'tweaked key'), false);
  assert.equal(verdict('p256', concatBytes(Uint8Array.of(2), beBytes((1n << 256n) - 1n)), msg, sig, 'x ≥ p'), false);
  assert.equal(verdict('p256', concatBytes(Uint8Array.of(4), pk.subarray(1)), msg, sig, 'bad prefix'), false);
});

test('verify never throws on malformed input, and returns false', () => {
  const sk = nobleBackend.randomBytes(32), msg = utf8.encode('m');
  for (const alg of ['ed25519', 'p256'] as const) {
    const pk = nobleBackend.sigPublicKey(alg, sk), sig = nobleBackend.sign(alg, sk, msg);
    const junk: unknown[] = [null, undefined, 'x', 42, {}, [], new Uint8Array(0), new Uint8Array(1000)];
    for (const b of backends) {
      for (const j of junk) {
        assert.equal(b.verify(alg, j as Uint8Array, msg, sig), false);
        assert.equal(b.verify(alg, pk, j as Uint8Array, sig), false);
        assert.equal(b.verify(alg, pk, msg, j as Uint8Array), false);
      }
      assert.equal(b.verify(alg, pk, msg, sig.subarray(0, 63)), false);
      assert.equal(b.verify(alg, pk, msg, concatBytes(sig, new Uint8Array(1))), false);
      assert.equal(b.verify(alg, pk.subarray(1), msg, sig), false);
      assert.equal(b.verify('rsa' as SigAlg, pk, msg, sig), false);
      assert.equal(b.verify(alg, pk, msg, sig), true);
    }
  }
});

test('bad secret keys throw TypeError naming the argument, without the key bytes', () => {
  const secrets = [new Uint8Array(32), beBytes(P256_N), new Uint8Array(32).fill(0xff)];
  for (const b of backends) {
    for (const sk of secrets) {
      for (const f of [() => b.sigPublicKey('p256', sk), () => b.sign('p256', sk, new Uint8Array(1))]) {
        assert.throws(f, (e: unknown) => e instanceof TypeError && /p256 secret key/.test(e.message) && !e.message.includes(toHex(sk).slice(0, 16)));
      }
    }
    assert.throws(() => b.sign('ed25519', new Uint8Array(31), new Uint8Array(1)), (e: unknown) => e instanceof TypeError && /ed25519 secret key: expected 32 bytes, got 31/.test(e.message));
    assert.throws(() => b.sign('dsa' as SigAlg, new Uint8Array(32), new Uint8Array(1)), TypeError);
  }
});

test('getBackend: portable entry has noble only; Node entry adds native and makes it the default', () => {
  assert.equal(portableGetBackend('noble'), nobleBackend);
  assert.throws(() => portableGetBackend('native'), /Node-only/);
  assert.throws(() => portableGetBackend('fast' as 'noble'), TypeError);
  assert.equal(getBackend('native'), nativeBackend);
  assert.equal(getBackend('noble'), nobleBackend);
  assert.equal(defaultBackend, nativeBackend);
});

test('the portable crypto files import nothing Node-only and never native.ts', () => {
  for (const f of ['index.ts', 'noble.ts', '_policy.ts', 'types.ts']) {
    const src = readFileSync(new URL(`../../host/src/crypto/${f}`, import.meta.url), 'utf8');
    const imports = [...src.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
    for (const spec of imports) {
      assert.ok(!spec.startsWith('node:') && !/native/.test(spec) && !/^(crypto|fs|buffer)$/.test(spec), `${f} imports ${spec}`);
    }
  }
});
