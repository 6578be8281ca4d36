/** The golden vectors' recipe: TEST-ONLY keys, fixed randomness, fixed payloads. Built on the noble backend. */
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { utf8 } from '../../host/src/bytes.ts';
import { buildCapsule, buildModulePackage } from '../../capsule-packer/src/build.ts';
import { testIdentity, testSeed } from './fixtures.ts';

/** The smallest valid wasm module: magic + version, no sections. */
export const EMPTY_WASM = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
export const GOLDEN_TIME = 1767225600000n; // 2026-01-01T00:00:00Z

export interface GoldenCase { file: string; bytes: Uint8Array; id: string }

export function goldenCases(): GoldenCase[] {
  const b = nobleBackend;
  const alice = testIdentity(b, 'alice');
  const bob = testIdentity(b, 'bob');
  const carol = testIdentity(b, 'carol');
  const dave = testIdentity(b, 'dave', 'p256');
  const mod = buildModulePackage(b, alice, {
    name: 'golden-empty', version: '1.0.0', wasm: EMPTY_WASM, hostcalls: ['get_payload', 'submit_capsule_result'],
    fuel: 1_000_000n, memoryPages: 2, maxDepth: 256,
  });
  const pub = buildCapsule(b, alice, {
    kind: 'post', channel: 'golden', createdAt: GOLDEN_TIME, flags: { lang: 'en' },
    payload: utf8.encode('{"title":"hello, capsules"}'), to: 'public',
  });
  const enc = buildCapsule(b, alice, {
    kind: 'comment', channel: 'golden', createdAt: GOLDEN_TIME + 1000n, parents: [pub.id],
    flags: { cw: 'spoilers', ttl: '86400' }, logic: mod.id,
    payload: utf8.encode('{"text":"only bob and carol can read this"}'), to: [bob.encPublic, carol.encPublic],
  }, { cek: testSeed('golden/cek'), nonce: testSeed('golden/nonce').subarray(0, 24), ephemeralSecrets: [testSeed('golden/eph0'), testSeed('golden/eph1')] });
  const p256 = buildCapsule(b, dave, {
    kind: 'trust', channel: 'golden', createdAt: GOLDEN_TIME + 2000n, parents: [enc.id],
    payload: utf8.encode('{"subject":"alice","weight":0.8}'), to: [alice.encPublic],
  }, { cek: testSeed('golden/cek2'), nonce: testSeed('golden/nonce2').subarray(0, 24), ephemeralSecrets: [testSeed('golden/eph2')] });
  return [
    { file: 'golden-empty.kmod', bytes: mod.bytes, id: mod.idHex },
    { file: 'public-post.kapsule', bytes: pub.bytes, id: pub.idHex },
    { file: 'encrypted-comment.kapsule', bytes: enc.bytes, id: enc.idHex },
    { file: 'p256-trust.kapsule', bytes: p256.bytes, id: p256.idHex },
  ];
}
