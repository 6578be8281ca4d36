/**
 * Key admission caches: the per-process caches are LRU and bounded by a memory budget; a backend given the device's
 * admitted keys (`withAdmittedKeys`) gives the same verdict as the plain backend on every vector case, records only
 * keys that passed admission, and does not admit a recorded key again; a record is trusted exactly as far as
 * docs/SECURITY.md says (an Ed25519 record is the device's word; a P-256 record is checked against the key) and
 * never leaks into the verdicts of a backend without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import {
  admissionCount, admitEd25519Key, admitP256Key, bytesToBigLE, clearKeyCaches, ED25519_L, KEY_CACHE, keyCache,
} from '../../host/src/crypto/_policy.ts';
import { bytesKey, LruCache } from '../../host/src/lru.ts';
import { concatBytes, fromHex, toHex, utf8 } from '../../host/src/bytes.ts';
import type { AdmittedKeys, CryptoBackend, SigAlg } from '../../host/src/crypto/types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const load = (f: string): Json => JSON.parse(readFileSync(new URL(`../vectors/crypto/${f}`, import.meta.url), 'utf8'));

/** An `AdmittedKeys` on a plain Map, counting reads and writes. */
class MapKeys implements AdmittedKeys {
  readonly m = new Map<string, Uint8Array>();
  gets = 0;
  puts = 0;
  get(alg: SigAlg, pk: Uint8Array): Uint8Array | null { this.gets++; return this.m.get(`${alg}:${toHex(pk)}`) ?? null; }
  put(alg: SigAlg, pk: Uint8Array, record: Uint8Array): void { this.puts++; this.m.set(`${alg}:${toHex(pk)}`, record.slice()); }
}

interface Case { alg: SigAlg; pk: Uint8Array; msg: Uint8Array; sig: Uint8Array; what: string }

/** Every signature case of the vector files (Ed25519: speccheck, Wycheproof, CCTV, ZIP-215, RFC 8032; P-256 P1363). */
function vectorCases(): Case[] {
  const out: Case[] = [];
  load('speccheck_cases.json').forEach((r: Json, i: number) => out.push({ alg: 'ed25519', pk: fromHex(r.pub_key), msg: fromHex(r.message), sig: fromHex(r.signature), what: `speccheck ${i}` }));
  for (const g of load('wycheproof_ed25519_test.json').testGroups) for (const t of g.tests) {
    out.push({ alg: 'ed25519', pk: fromHex(g.publicKey.pk), msg: fromHex(t.msg), sig: fromHex(t.sig), what: `wycheproof ed25519 ${t.tcId}` });
  }
  for (const c of load('cctv_ed25519vectors.json')) out.push({ alg: 'ed25519', pk: fromHex(c.key), msg: utf8.encode(c.msg), sig: fromHex(c.sig), what: `cctv ${c.number}` });
  load('noble_zip215.json').forEach((c: Json, i: number) => out.push({ alg: 'ed25519', pk: fromHex(c.vk_bytes), msg: utf8.encode('Zcash'), sig: fromHex(c.sig_bytes), what: `zip215 ${i}` }));
  for (const c of load('noble_rfc8032-ed25519.json')) out.push({ alg: 'ed25519', pk: fromHex(c.pub), msg: fromHex(c.msg), sig: fromHex(c.sig), what: 'rfc8032' });
  for (const g of load('wycheproof_ecdsa_secp256r1_sha256_p1363_test.json').testGroups) {
    const pk = p256.Point.fromBytes(fromHex(g.publicKey.uncompressed)).toBytes(true);
    for (const t of g.tests) out.push({ alg: 'p256', pk, msg: fromHex(t.msg), sig: fromHex(t.sig), what: `wycheproof p256 ${t.tcId}` });
  }
  return out;
}

test('LruCache: the least recently used entry is evicted (a FIFO would evict the oldest insert); capacity from the budget', () => {
  const c = new LruCache<number>(3 * 100, 100);
  assert.equal(c.capacity, 3);
  c.set('a', 1); c.set('b', 2); c.set('c', 3);
  assert.equal(c.get('a'), 1); // a is now the most recently used
  c.set('d', 4);
  assert.deepEqual(c.keys(), ['c', 'a', 'd'], 'b (least recently used) went, a (oldest insert, used since) stayed');
  c.get('c'); c.get('c');
  c.set('e', 5);
  assert.deepEqual(c.keys(), ['d', 'c', 'e'], 'a went: c was used since');
  c.set('d', 40);
  assert.deepEqual(c.keys(), ['c', 'e', 'd'], 'replacing makes it the most recently used');
  assert.equal(c.size, 3);
  assert.equal(new LruCache(10, 100).capacity, 1);
  assert.throws(() => new LruCache(0, 100), RangeError);
  // the key caches' capacities follow their stated budgets
  for (const size of Object.values(KEY_CACHE)) assert.equal(keyCache(size).capacity, Math.floor(size.budgetBytes / size.entryBytes));
  assert.equal(bytesKey(Uint8Array.of(0, 255, 7)), '\u0000\u00ff\u0007');
});

test('withAdmittedKeys: same verdict as the plain backend on every vector case, cold and from records; only admitted keys recorded', () => {
  const cases = vectorCases();
  assert.ok(cases.length > 1500, `${cases.length} cases`);
  for (const plain of [nativeBackend, nobleBackend]) {
    const keys = new MapKeys();
    const withKeys = plain.withAdmittedKeys(keys);
    assert.equal(withKeys.name, plain.name);
    clearKeyCaches();
    const expected = cases.map((c) => plain.verify(c.alg, c.pk, c.msg, c.sig));
    clearKeyCaches();
    cases.forEach((c, i) => assert.equal(withKeys.verify(c.alg, c.pk, c.msg, c.sig), expected[i], `${plain.name} cold: ${c.what}`));
    assert.ok(keys.m.size > 0);
    // every recorded key is one the policy admits (checked without records) with an accepted signature, and every
    // accepted case's key is recorded
    for (const [k, record] of keys.m) {
      const [alg, hex] = k.split(':') as [SigAlg, string];
      assert.ok(cases.some((c, i) => expected[i] && c.alg === alg && toHex(c.pk) === hex), `${plain.name}: ${k} has an accepted signature`);
      if (alg === 'ed25519') {
        assert.notEqual(admitEd25519Key(fromHex(hex)), null, `${plain.name}: recorded ${k} passes admission`);
        assert.equal(record.length, 0);
      } else {
        assert.equal(toHex(admitP256Key(fromHex(hex))!.uncompressed), toHex(record), `${plain.name}: ${k}'s record is its point`);
      }
    }
    cases.forEach((c, i) => { if (expected[i]) assert.ok(keys.m.has(`${c.alg}:${toHex(c.pk)}`), `${plain.name}: ${c.what}'s key recorded`); });
    // a fresh process on the same records: same verdicts, and no recorded key goes through admission again
    clearKeyCaches();
    const before = { ...admissionCount };
    cases.forEach((c, i) => assert.equal(withKeys.verify(c.alg, c.pk, c.msg, c.sig), expected[i], `${plain.name} from records: ${c.what}`));
    const recorded = new Set(keys.m.keys());
    const unrecorded = (alg: SigAlg) => new Set(cases.filter((c) => c.alg === alg && !recorded.has(`${alg}:${toHex(c.pk)}`)).map((c) => toHex(c.pk))).size;
    assert.ok(admissionCount.ed25519 - before.ed25519 <= unrecorded('ed25519'), `${plain.name}: only Ed25519 keys without a record were admitted again`);
    assert.ok(admissionCount.p256 - before.p256 <= unrecorded('p256'), `${plain.name}: only P-256 keys without a record were decoded again`);
    assert.ok(recorded.size > 0 && [...recorded].some((k) => k.startsWith('p256:')));
  }
});

test('a recorded Ed25519 key is not admitted again; an unrecorded one is, once; a refused key is never recorded', () => {
  const keys = new MapKeys();
  const sk = nobleBackend.randomBytes(32);
  const pk = nobleBackend.sigPublicKey('ed25519', sk);
  const msg = utf8.encode('once per device');
  const sig = nobleBackend.sign('ed25519', sk, msg);
  for (const b of [nativeBackend, nobleBackend]) {
    clearKeyCaches();
    const n0 = admissionCount.ed25519;
    const kb = b.withAdmittedKeys(keys);
    assert.equal(kb.verify('ed25519', pk, msg, sig), true);
    assert.equal(admissionCount.ed25519 - n0, b === nativeBackend ? 1 : 0, `${b.name}: admitted once (noble: recorded by the native pass)`);
    assert.equal(kb.verify('ed25519', pk, msg, sig), true);
    clearKeyCaches();
    assert.equal(kb.verify('ed25519', pk, msg, sig), true);
    assert.equal(admissionCount.ed25519 - n0, b === nativeBackend ? 1 : 0, `${b.name}: not again from the record`);
    // without the record, a fresh process admits it again
    clearKeyCaches();
    assert.equal(b.verify('ed25519', pk, msg, sig), true);
    assert.equal(admissionCount.ed25519 - n0, b === nativeBackend ? 2 : 1, `${b.name}: the plain backend admits`);
  }
  // a small-order key with a signature OpenSSL accepts (R = identity, S = 0): refused, never recorded
  const small = fromHex(ED25519_TORSION_SUBGROUP[0]);
  const none = new MapKeys();
  for (const b of [nativeBackend, nobleBackend]) {
    clearKeyCaches();
    assert.equal(b.withAdmittedKeys(none).verify('ed25519', small, msg, concatBytes(ed25519.Point.ZERO.toBytes(), new Uint8Array(32))), false);
  }
  assert.equal(none.m.size, 0);
});

test('a key is recorded only once a signature under it verified: junk signatures under fresh valid keys record nothing', () => {
  const msg = utf8.encode('junk');
  for (const alg of ['ed25519', 'p256'] as const) {
    for (const b of [nativeBackend, nobleBackend]) {
      const keys = new MapKeys();
      const kb = b.withAdmittedKeys(keys);
      clearKeyCaches();
      for (let i = 0; i < 4; i++) {
        const sk = nobleBackend.randomBytes(32);
        const pk = nobleBackend.sigPublicKey(alg, sk);
        const sig = nobleBackend.sign(alg, sk, utf8.encode('another message'));
        assert.equal(kb.verify(alg, pk, msg, sig), false);
        assert.equal(kb.verify(alg, pk, msg, sig), false, 'again, from the process caches');
      }
      assert.equal(keys.puts, 0, `${b.name} ${alg}: nothing recorded`);
      const sk = nobleBackend.randomBytes(32);
      const pk = nobleBackend.sigPublicKey(alg, sk);
      assert.equal(kb.verify(alg, pk, msg, nobleBackend.sign(alg, sk, msg)), true);
      assert.equal(keys.m.size, 1, `${b.name} ${alg}: the key with a valid signature is recorded`);
    }
  }
});

/** A key A' = [a]B + T (T of order 2) and a signature the cofactorless equation accepts under it (k even). */
function torsionKeySignature(msg: Uint8Array): { pk: Uint8Array; sig: Uint8Array } {
  const { scalar: a, point } = ed25519.utils.getExtendedPublicKey(nobleBackend.randomBytes(32));
  const T = ED25519_TORSION_SUBGROUP.map((h) => ed25519.Point.fromHex(h)).find((t) => !t.is0() && t.double().is0())!;
  const pk = point.add(T).toBytes();
  for (let r = 1n; ; r++) {
    const R = ed25519.Point.BASE.multiply(r).toBytes();
    const k = bytesToBigLE(sha512(concatBytes(R, pk, msg))) % ED25519_L;
    if (k % 2n !== 0n) continue;
    let s = (r + k * a) % ED25519_L;
    const sig = new Uint8Array(64);
    sig.set(R);
    for (let i = 0; i < 32; i++) { sig[32 + i] = Number(s & 0xffn); s >>= 8n; }
    return { pk, sig };
  }
}

test('an Ed25519 record is the device\'s word (a tampered one admits a torsion key there); backends without it never see it', () => {
  const msg = utf8.encode('tampered admitted_keys row');
  const { pk, sig } = torsionKeySignature(msg);
  const tampered = new MapKeys();
  tampered.put('ed25519', pk, new Uint8Array(0));
  for (const b of [nativeBackend, nobleBackend] as CryptoBackend[]) {
    clearKeyCaches();
    assert.equal(b.verify('ed25519', pk, msg, sig), false, `${b.name}: the policy refuses the key`);
    clearKeyCaches();
    assert.equal(b.withAdmittedKeys(tampered).verify('ed25519', pk, msg, sig), true, `${b.name}: the record is trusted (docs/SECURITY.md)`);
    // the same process, a backend without the record (what `kapsule audit replay` uses): still refused
    assert.equal(b.verify('ed25519', pk, msg, sig), false, `${b.name}: the record did not leak into the process caches`);
    assert.equal(b.withAdmittedKeys(new MapKeys()).verify('ed25519', pk, msg, sig), false);
  }
});

test('a P-256 record is checked against the key: another point, the other y, junk or a wrong length change nothing', () => {
  const sk = nobleBackend.randomBytes(32);
  const pk = nobleBackend.sigPublicKey('p256', sk);
  const msg = utf8.encode('p256 record');
  const sig = nobleBackend.sign('p256', sk, msg);
  const P = p256.Point.fromBytes(pk);
  const other = p256.Point.BASE.multiply(12345n);
  const xy = P.toBytes(false);
  const flipped = P.negate().toBytes(false);
  const offCurve = xy.slice(); offCurve[64] ^= 2;
  // the attacker's own key under the victim's compressed bytes: its signature must not verify as the victim's
  const attackerSk = nobleBackend.randomBytes(32);
  const attacker = p256.Point.fromBytes(nobleBackend.sigPublicKey('p256', attackerSk)).toBytes(false);
  const attackerSig = nobleBackend.sign('p256', attackerSk, msg);
  for (const record of [other.toBytes(false), flipped, offCurve, attacker, xy.subarray(0, 64), new Uint8Array(65), P.toBytes(true)]) {
    for (const b of [nativeBackend, nobleBackend]) {
      const keys = new MapKeys();
      keys.m.set(`p256:${toHex(pk)}`, record);
      clearKeyCaches();
      const n0 = admissionCount.p256;
      const kb = b.withAdmittedKeys(keys);
      assert.equal(kb.verify('p256', pk, msg, attackerSig), false, `${b.name}: attacker signature under a bad record`);
      assert.equal(kb.verify('p256', pk, msg, sig), true, `${b.name}: the real signature still verifies`);
      assert.equal(admissionCount.p256 - n0, 1, `${b.name}: the bad record was ignored and the key decoded`);
      assert.equal(toHex(keys.m.get(`p256:${toHex(pk)}`)!), toHex(xy), `${b.name}: the record was replaced by the real point`);
    }
  }
  // the good record: no decompression in a fresh process
  for (const b of [nativeBackend, nobleBackend]) {
    const keys = new MapKeys();
    keys.put('p256', pk, xy);
    clearKeyCaches();
    const n0 = admissionCount.p256;
    assert.equal(b.withAdmittedKeys(keys).verify('p256', pk, msg, sig), true);
    assert.equal(admissionCount.p256, n0, `${b.name}: decoded from its record`);
  }
});
