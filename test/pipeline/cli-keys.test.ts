/**
 * Key files, as a user gets them wrong and as an attacker would plant them: errors say what is wrong first (a
 * public identity where the secret key is needed, a directory, a secret key where a public identity is needed),
 * never print a field's value (a key file with secret hex in a misplaced field), and keygen never writes through a
 * symlink planted at <out>.pub.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { encodeSecretIdentity, parsePublicIdentity, parseSecretIdentity } from '../../host/src/keys.ts';
import { saveIdentity } from '../../host/src/keys-node.ts';
import { toHex } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

async function run(cli: typeof kapsule, cwd: string, argv: string[]) {
  const io = captureIO(cwd);
  const code = await cli([...argv, '--json'], io);
  return { code, json: JSON.parse(io.stdout), out: io.stdout };
}

test('--key <public identity>: KEY_INVALID saying so, not chmod advice (before or after chmod); --key <dir>: a directory', async () => {
  const d = tempDir();
  const id = testIdentity(b, 'keys/bob');
  saveIdentity(id, join(d, 'test-only-bob.key'));
  writeFileSync(join(d, 'p.json'), '{}');
  assert.equal((await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'p.json', '--key', 'test-only-bob.key', '--public', '--out', 'p.kapsule'])).code, 0);
  for (const mode of [0o644, 0o600]) {
    chmodSync(join(d, 'test-only-bob.key.pub'), mode);
    for (const [cli, argv] of [
      [kapsule, ['run', 'p.kapsule', '--key', 'test-only-bob.key.pub', '--db', 'x.db']],
      [pack, ['capsule', '--kind', 'post', '--payload', 'p.json', '--key', 'test-only-bob.key.pub', '--public', '--out', 'q.kapsule']],
    ] as const) {
      const r = await run(cli, d, [...argv]);
      assert.equal(r.code, 1);
      assert.equal(r.json.error.code, 'KEY_INVALID', r.out);
      assert.match(r.json.error.message, /is a public identity .*not a secret key file/);
      assert.doesNotMatch(r.json.error.message, /chmod/);
    }
  }
  mkdirSync(join(d, 'somedir'));
  const r = await run(kapsule, d, ['run', 'p.kapsule', '--key', 'somedir', '--db', 'x.db']);
  assert.equal(r.json.error.code, 'KEY_INVALID');
  assert.match(r.json.error.message, /somedir is a directory, not a key file/);
  // a real permission problem is still reported as one
  chmodSync(join(d, 'test-only-bob.key'), 0o644);
  assert.equal((await run(kapsule, d, ['run', 'p.kapsule', '--key', 'test-only-bob.key', '--db', 'x.db'])).json.error.code, 'KEY_PERMISSIONS');
});

test('kapsule-pack capsule --to <secret key file>: refused, nothing written, the secret never shown', async () => {
  const d = tempDir();
  const alice = testIdentity(b, 'keys/alice');
  const frank = testIdentity(b, 'keys/frank');
  saveIdentity(alice, join(d, 'test-only-alice.key'));
  saveIdentity(frank, join(d, 'test-only-frank.key'));
  writeFileSync(join(d, 'p.json'), '{}');
  const r = await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'p.json', '--key', 'test-only-alice.key', '--to', 'test-only-frank.key', '--out', 'p.kapsule']);
  assert.equal(r.code, 1);
  assert.equal(r.json.error.code, 'KEY_INVALID');
  assert.match(r.json.error.message, /is a secret key file, not a public identity: give its public identity \(.*test-only-frank\.key\.pub\)/);
  for (const secret of [frank.sigSecret, frank.encSecret]) assert.ok(!r.out.includes(toHex(secret)));
  assert.equal(existsSync(join(d, 'p.kapsule')), false);
  // and the .pub works
  assert.equal((await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'p.json', '--key', 'test-only-alice.key', '--to', 'test-only-frank.key.pub', '--out', 'p.kapsule'])).code, 0);
});

test('a key file with secret hex in a misplaced field: the error never prints it', () => {
  const id = testIdentity(b, 'keys/misplaced');
  const good = JSON.parse(encodeSecretIdentity(id));
  const hex = toHex(id.sigSecret);
  for (const field of ['sig_alg', 'version']) {
    const text = JSON.stringify({ ...good, [field]: hex });
    for (const parse of [() => parseSecretIdentity(b, text), () => parsePublicIdentity(text)]) {
      assert.throws(parse, (e: unknown) => {
        assert.ok(e instanceof KapsuleError && e.code === 'KEY_INVALID');
        assert.ok(!e.message.includes(hex.slice(0, 16)), `${field}: ${e.message}`);
        assert.match(e.message, /a string of 64 characters/);
        return true;
      });
    }
  }
  // short, printable values are still shown: they help
  assert.throws(() => parsePublicIdentity(JSON.stringify({ ...good, sig_alg: 'ed448' })), /unknown sig_alg "ed448"/);
  assert.throws(() => parsePublicIdentity(JSON.stringify({ ...good, version: 2 })), /unsupported version 2/);
});

test('keygen never writes through a symlink planted at <out>.pub, and leaves no half identity', async () => {
  const d = tempDir();
  writeFileSync(join(d, 'victim.txt'), 'precious');
  symlinkSync(join(d, 'victim.txt'), join(d, 'test-only-k.key.pub'));
  const r = await run(pack, d, ['keygen', '--out', 'test-only-k.key']);
  assert.equal(r.code, 2);
  assert.match(r.json.error.message, /test-only-k\.key\.pub already exists/);
  assert.equal(readFileSync(join(d, 'victim.txt'), 'utf8'), 'precious');
  assert.equal(existsSync(join(d, 'test-only-k.key')), false, 'no secret key without its .pub');
  // a dangling symlink too (existsSync would say it does not exist)
  symlinkSync(join(d, 'nowhere.txt'), join(d, 'test-only-m.key.pub'));
  assert.equal((await run(pack, d, ['keygen', '--out', 'test-only-m.key'])).code, 2);
  assert.equal(existsSync(join(d, 'nowhere.txt')), false);
  // overwrite mode replaces the link itself
  const id = testIdentity(b, 'keys/overwrite');
  saveIdentity(id, join(d, 'test-only-k.key'), true);
  assert.equal(readFileSync(join(d, 'victim.txt'), 'utf8'), 'precious');
  assert.equal(parsePublicIdentity(readFileSync(join(d, 'test-only-k.key.pub'), 'utf8')).encPublic.length, 32);
});
