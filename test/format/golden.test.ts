import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { parseCapsule } from '../../host/src/parse/capsule.ts';
import { verifyCapsule, verifyModulePackage } from '../../host/src/verify/index.ts';
import { decryptCapsule } from '../../host/src/decrypt/index.ts';
import { main } from '../../host/src/cli/main.ts';
import { goldenCases } from '../helpers/golden.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

const dir = new URL('../vectors/golden/', import.meta.url).pathname;
const cases = goldenCases();
const backends = [nativeBackend, nobleBackend];

test('golden vectors re-derive byte for byte', () => {
  for (const c of cases) {
    const committed = new Uint8Array(readFileSync(join(dir, c.file)));
    assert.equal(toHex(c.bytes), toHex(committed), `${c.file} differs from its recipe (run scripts/make-golden.ts only if the format changed on purpose)`);
  }
});

test('golden capsules parse and verify on both backends; ids match', () => {
  for (const c of cases.filter((x) => x.file.endsWith('.kapsule'))) {
    for (const b of backends) {
      const v = verifyCapsule(b, c.bytes);
      assert.equal(v.idHex, c.id);
    }
  }
  const kmod = cases.find((x) => x.file.endsWith('.kmod'))!;
  for (const b of backends) assert.equal(verifyModulePackage(b, kmod.bytes).idHex, kmod.id);
});

test('encrypted golden capsule opens for each recipient and nobody else', () => {
  const enc = cases.find((x) => x.file === 'encrypted-comment.kapsule')!;
  for (const b of backends) {
    for (const who of ['bob', 'carol']) {
      const id = testIdentity(b, who);
      const d = decryptCapsule(b, verifyCapsule(b, enc.bytes), { encSecret: id.encSecret, encPublic: id.encPublic });
      assert.equal(utf8.decode(d.plaintext), '{"text":"only bob and carol can read this"}');
    }
    const alice = testIdentity(b, 'alice');
    assert.throws(() => decryptCapsule(b, verifyCapsule(b, enc.bytes), { encSecret: alice.encSecret, encPublic: alice.encPublic }),
      (e: unknown) => e instanceof KapsuleError && e.code === 'NOT_RECIPIENT');
  }
});

test('golden capsule fields', () => {
  const p = parseCapsule(cases.find((x) => x.file === 'encrypted-comment.kapsule')!.bytes);
  assert.equal(p.core.kind, 'comment');
  assert.deepEqual(p.core.flags, [['cw', 'spoilers'], ['ttl', '86400']]);
  assert.equal(p.core.parents.length, 1);
  assert.equal(p.core.encryption.mode, 'x25519-xchacha20poly1305');
  const p2 = parseCapsule(cases.find((x) => x.file === 'p256-trust.kapsule')!.bytes);
  assert.equal(p2.core.sigAlg, 'p256');
  assert.equal(p2.core.author.length, 33);
});

function expectRejected(bytes: Uint8Array, what: string, on = backends): void {
  for (const b of on) {
    let code: string | null = null;
    try { verifyCapsule(b, bytes); } catch (e) {
      assert.ok(e instanceof KapsuleError, `${what}: threw a non-KapsuleError ${String(e)}`);
      code = e.code;
    }
    assert.ok(code === 'FORMAT_INVALID' || code === 'SIGNATURE_INVALID', `${what} on ${b.name}: accepted (code ${code})`);
  }
}

/**
 * Flips: every byte, three masks, on the native backend; on noble (portable, ~30× slower to verify) mask 0x01 only in
 * `npm test` — `npm run fuzz` (which sets FUZZ_RUNS, and runs in CI) checks every mask on both.
 */
const ALL_MASKS_ON_BOTH = process.env.FUZZ_RUNS !== undefined;

test('every single-byte flip and every truncation of every golden capsule is rejected', () => {
  for (const c of cases.filter((x) => x.file.endsWith('.kapsule'))) {
    for (let i = 0; i < c.bytes.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const t = c.bytes.slice();
        t[i] ^= mask;
        expectRejected(t, `${c.file} byte ${i} ^ ${mask}`, mask === 0x01 || ALL_MASKS_ON_BOTH ? backends : [nativeBackend]);
      }
    }
    for (let n = 0; n < c.bytes.length; n++) expectRejected(c.bytes.subarray(0, n), `${c.file} truncated to ${n}`);
    const extended = new Uint8Array(c.bytes.length + 1);
    extended.set(c.bytes);
    expectRejected(extended, `${c.file} with a trailing byte`);
  }
});

test('kapsule verify CLI exits 1 on every single-byte flip of a golden capsule, 0 on the original', async () => {
  const tmp = tempDir();
  const c = cases.find((x) => x.file === 'public-post.kapsule')!;
  const f = join(tmp, 'x.kapsule');
  writeFileSync(f, c.bytes);
  const io0 = captureIO(tmp);
  assert.equal(await main(['verify', f, '--json'], io0), 0);
  assert.equal(JSON.parse(io0.stdout).valid, true);
  for (let i = 0; i < c.bytes.length; i++) {
    const t = c.bytes.slice();
    t[i] ^= 0x01;
    writeFileSync(f, t);
    const io = captureIO(tmp);
    assert.equal(await main(['verify', f, '--json'], io), 1, `byte ${i}`);
    const j = JSON.parse(io.stdout);
    assert.equal(j.ok, false);
    assert.ok(['FORMAT_INVALID', 'SIGNATURE_INVALID'].includes(j.error.code), `byte ${i}: ${j.error.code}`);
  }
});

test('every single-byte flip of the golden module package is rejected', () => {
  const c = cases.find((x) => x.file.endsWith('.kmod'))!;
  for (let i = 0; i < c.bytes.length; i++) {
    const t = c.bytes.slice();
    t[i] ^= 0x01;
    for (const b of backends) {
      assert.throws(() => verifyModulePackage(b, t), (e: unknown) => e instanceof KapsuleError && ['FORMAT_INVALID', 'SIGNATURE_INVALID'].includes(e.code), `byte ${i}`);
    }
  }
});
