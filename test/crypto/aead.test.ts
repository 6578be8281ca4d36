/**
 * AEAD and hashing on BOTH backends. XChaCha20-Poly1305: all 315 Wycheproof cases (seal reproduces ct ‖ tag, open
 * returns the message; invalid cases — bad tag, wrong nonce length — open to null). ChaCha20-Poly1305: RFC 8439
 * §2.8.2, round trips and cross-backend equality. SHA-256, HMAC-SHA256 and HKDF-SHA256 against RFC vectors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { concatBytes, fromHex, toHex, utf8 } from '../../host/src/bytes.ts';
import type { CryptoBackend } from '../../host/src/crypto/types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const load = (f: string): Json => JSON.parse(readFileSync(new URL(`../vectors/crypto/${f}`, import.meta.url), 'utf8'));
const backends: CryptoBackend[] = [nativeBackend, nobleBackend];
const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : toHex(b));

test('Wycheproof XChaCha20-Poly1305 (315): seal and open on both backends', () => {
  const d = load('wycheproof_xchacha20_poly1305_test.json');
  const seen: Record<string, number> = {};
  const bump = (k: string) => { seen[k] = (seen[k] ?? 0) + 1; };
  for (const g of d.testGroups) for (const t of g.tests) {
    const key = fromHex(t.key), iv = fromHex(t.iv), aad = fromHex(t.aad), msg = fromHex(t.msg);
    const sealed = concatBytes(fromHex(t.ct), fromHex(t.tag));
    for (const b of backends) {
      const opened = hexOrNull(b.xchachaOpen(key, iv, aad, sealed));
      if (t.result === 'valid') {
        assert.equal(toHex(b.xchachaSeal(key, iv, aad, msg)), toHex(sealed), `tc ${t.tcId} seal on ${b.name}`);
        assert.equal(opened, t.msg, `tc ${t.tcId} open on ${b.name}`);
      } else {
        assert.equal(opened, null, `tc ${t.tcId} ${t.comment} on ${b.name}`);
        // the invalid cases with a nonce that is not 24 bytes: sealing with it is a caller error
        if (iv.length !== 24) assert.throws(() => b.xchachaSeal(key, iv, aad, msg), /aead nonce: expected 24 bytes/);
      }
    }
    bump(`${t.result}${iv.length !== 24 ? ':nonce' + iv.length : ''}`);
  }
  assert.equal(Object.values(seen).reduce((x, y) => x + y, 0), d.numberOfTests);
  assert.equal(seen.valid, 246);
  assert.equal(seen.invalid, 60); // bad tags etc. with a 24-byte nonce; plus 9 with other nonce lengths:
  assert.deepEqual(Object.keys(seen).filter((k) => k.includes(':nonce')).sort(),
    ['invalid:nonce0', 'invalid:nonce11', 'invalid:nonce12', 'invalid:nonce13', 'invalid:nonce14', 'invalid:nonce16', 'invalid:nonce20', 'invalid:nonce32', 'invalid:nonce8']);
});

test('ChaCha20-Poly1305: RFC 8439 §2.8.2 tag on both backends', () => {
  const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = fromHex('070000004041424344454647');
  const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const pt = utf8.encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  const [a, b] = backends.map((x) => x.chachaSeal(key, nonce, aad, pt));
  assert.equal(toHex(a), toHex(b));
  assert.equal(a.length, pt.length + 16);
  assert.equal(toHex(a.subarray(0, 16)), 'd31a8d34648e60db7b86afbc53ef7ec2');
  assert.equal(toHex(a.subarray(a.length - 16)), '1ae10b594f09e26a7e902ecbd0600691');
  for (const x of backends) assert.equal(hexOrNull(x.chachaOpen(key, nonce, aad, a)), toHex(pt));
});

test('ChaCha20-Poly1305 and XChaCha20-Poly1305: round trips, cross-backend equality, tampering → null', () => {
  for (let i = 0; i < 24; i++) {
    const key = nobleBackend.randomBytes(32), aad = nobleBackend.randomBytes(i % 5 === 0 ? 0 : i * 3);
    const pt = nobleBackend.randomBytes([0, 1, 15, 16, 17, 63, 64, 65, 1024, 4099][i % 10]);
    for (const [seal, open, nlen] of [['chachaSeal', 'chachaOpen', 12], ['xchachaSeal', 'xchachaOpen', 24]] as const) {
      const nonce = nobleBackend.randomBytes(nlen);
      const [a, b] = backends.map((x) => x[seal](key, nonce, aad, pt));
      assert.equal(toHex(a), toHex(b), `${seal} equal across backends`);
      for (const x of backends) {
        assert.equal(hexOrNull(x[open](key, nonce, aad, a)), toHex(pt), `${x.name} ${open}`);
        const ct2 = a.slice(); ct2[i % ct2.length] ^= 0x80;
        assert.equal(x[open](key, nonce, aad, ct2), null, 'tampered ciphertext/tag');
        const aad2 = concatBytes(aad, Uint8Array.of(0));
        assert.equal(x[open](key, nonce, aad2, a), null, 'other aad');
        const n2 = nonce.slice(); n2[nlen - 1] ^= 1;
        assert.equal(x[open](key, n2, aad, a), null, 'other nonce (tail byte: the native XChaCha nonce mapping)');
        const n3 = nonce.slice(); n3[0] ^= 1;
        assert.equal(x[open](key, n3, aad, a), null, 'other nonce (head byte: the HChaCha input)');
        assert.equal(x[open](key, nonce, aad, a.subarray(0, 15)), null, 'shorter than a tag');
        assert.equal(x[open](key, nonce.subarray(1), aad, a), null, 'wrong nonce length');
        assert.throws(() => x[seal](key.subarray(1), nonce, aad, pt), /aead key: expected 32 bytes, got 31/);
        assert.throws(() => x[open](key.subarray(1), nonce, aad, a), /aead key: expected 32 bytes, got 31/);
      }
    }
  }
});

test('SHA-256, HMAC-SHA256, HKDF-SHA256: RFC vectors on both backends, and agreement on random inputs', () => {
  // RFC 5869 test case 1 (PRK = HMAC-SHA256(salt, IKM)) and test case 3 (empty salt and info)
  const ikm = fromHex('0b'.repeat(22)), salt = fromHex('000102030405060708090a0b0c'), info = fromHex('f0f1f2f3f4f5f6f7f8f9');
  for (const b of backends) {
    assert.equal(toHex(b.hmacSha256(salt, ikm)), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    assert.equal(toHex(b.hkdfSha256(ikm, salt, info, 42)), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    assert.equal(toHex(b.hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42)), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
    assert.equal(toHex(b.sha256(utf8.encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(toHex(b.sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.throws(() => b.hkdfSha256(ikm, salt, info, 255 * 32 + 1), /hkdf length: expected an integer in 0\.\.8160/);
    assert.throws(() => b.sha256('abc' as unknown as Uint8Array), /sha256 input: expected Uint8Array/);
    assert.equal(b.randomBytes(33).length, 33);
  }
  for (let i = 0; i < 20; i++) {
    const m = nobleBackend.randomBytes(i * 13), k = nobleBackend.randomBytes(i * 5);
    assert.equal(toHex(nativeBackend.sha256(m)), toHex(nobleBackend.sha256(m)));
    assert.equal(toHex(nativeBackend.hmacSha256(k, m)), toHex(nobleBackend.hmacSha256(k, m)));
    assert.equal(toHex(nativeBackend.hkdfSha256(m, k, m, i * 11)), toHex(nobleBackend.hkdfSha256(m, k, m, i * 11)));
  }
});

test('outputs own their ArrayBuffer (no view into a shared Buffer pool that could expose other bytes)', () => {
  const key = nobleBackend.randomBytes(32), n12 = nobleBackend.randomBytes(12), n24 = nobleBackend.randomBytes(24);
  const pt = utf8.encode('pool'), sk = nobleBackend.randomBytes(32);
  for (const b of backends) {
    const sealed = b.chachaSeal(key, n12, pt, pt), xsealed = b.xchachaSeal(key, n24, pt, pt);
    const outs: Uint8Array[] = [
      sealed, xsealed, b.chachaOpen(key, n12, pt, sealed)!, b.xchachaOpen(key, n24, pt, xsealed)!,
      b.sha256(pt), b.hmacSha256(key, pt), b.hkdfSha256(key, pt, pt, 16), b.randomBytes(8),
      b.sign('ed25519', sk, pt), b.sign('p256', sk, pt), b.sigPublicKey('ed25519', sk), b.sigPublicKey('p256', sk),
      b.x25519PublicKey(sk), b.x25519(sk, nobleBackend.x25519PublicKey(key))!,
    ];
    outs.forEach((o, i) => assert.equal(o.buffer.byteLength, o.length, `${b.name} output ${i}`));
  }
});
