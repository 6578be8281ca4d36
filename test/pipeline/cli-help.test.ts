/**
 * Help, for a new user: every command and subcommand group of both binaries answers `--help` and `-h` (exit 0,
 * stdout) with its options and an example; `kapsule help <command>` prints the same; a bare group or binary is a
 * usage error (exit 2) that still shows what to type, on stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main as kapsule, COMMANDS as K } from '../../host/src/cli/main.ts';
import { main as pack, COMMANDS as P } from '../../capsule-packer/src/cli.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';

const d = tempDir();
async function call(cli: typeof kapsule, argv: string[]) {
  const io = captureIO(d);
  const code = await cli(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

test('kapsule <command> --help / -h / help <command>: options and an example, exit 0 on stdout', async () => {
  for (const [name, spec] of Object.entries(K)) {
    const words = name.split(' ');
    const long = await call(kapsule, [...words, '--help']);
    assert.equal(long.code, 0, `kapsule ${name} --help: ${long.err}`);
    assert.equal(long.err, '');
    assert.match(long.out, new RegExp(`^kapsule ${name} — `));
    assert.match(long.out, /\nusage:\n {2}kapsule /);
    for (const flag of Object.keys(spec.options)) assert.ok(long.out.includes(`--${flag}`), `kapsule ${name} --help lists --${flag}`);
    assert.ok(long.out.includes('--json') && long.out.includes('--backend'), 'and the common options');
    assert.match(long.out, /\nexamples?:\n {2}kapsule /);
    // -h, help <command>, and --help after other arguments give the same text
    assert.deepEqual(await call(kapsule, [...words, '-h']), long);
    assert.deepEqual(await call(kapsule, ['help', ...words]), long);
    assert.deepEqual(await call(kapsule, [...words, '--db', 'x.db', '--help']), long);
  }
});

test('subcommand groups: audit, sync, module, agent', async () => {
  for (const group of ['audit', 'sync', 'module', 'agent']) {
    const subs = Object.keys(K).filter((n) => n.startsWith(`${group} `));
    assert.ok(subs.length > 0);
    for (const argv of [[group, '--help'], [group, '-h'], ['help', group]]) {
      const r = await call(kapsule, argv);
      assert.equal(r.code, 0, `kapsule ${argv.join(' ')}`);
      for (const s of subs) assert.ok(r.out.includes(`kapsule ${s}`), `kapsule ${argv.join(' ')} lists ${s}`);
    }
    const bare = await call(kapsule, [group]);
    assert.equal(bare.code, 2, 'a group without a subcommand is a usage error');
    assert.equal(bare.out, '');
    assert.ok(bare.err.includes(`kapsule ${subs[0]}`), 'that shows the subcommands on stderr');
    const unknown = await call(kapsule, [group, 'frobnicate', '--json']);
    assert.equal(unknown.code, 2);
    assert.equal(JSON.parse(unknown.out).error.code, 'USAGE');
    assert.match(JSON.parse(unknown.out).error.message, new RegExp(`kapsule ${group} --help`));
  }
});

test('kapsule --help, -h, help: exit 0 on stdout; no arguments: exit 2 on stderr; help <unknown>: exit 2', async () => {
  const h = await call(kapsule, ['--help']);
  assert.equal(h.code, 0);
  for (const name of Object.keys(K)) assert.ok(h.out.includes(`kapsule ${name}`), `overview lists ${name}`);
  assert.deepEqual(await call(kapsule, ['-h']), h);
  assert.deepEqual(await call(kapsule, ['help']), h);
  const none = await call(kapsule, []);
  assert.equal(none.code, 2);
  assert.equal(none.out, '');
  assert.equal(none.err, h.out);
  assert.equal((await call(kapsule, ['help', 'nope'])).code, 2);
  // an option after `--` is a positional, not a request for help
  const r = await call(kapsule, ['verify', '--', '--help']);
  assert.equal(r.code, 1, 'verify tried to read a file named --help');
  assert.match(r.err, /IO_ERROR/);
});

test('kapsule-pack <command> --help / -h / help <command>', async () => {
  for (const [name, spec] of Object.entries(P)) {
    const long = await call(pack, [name, '--help']);
    assert.equal(long.code, 0, `kapsule-pack ${name} --help: ${long.err}`);
    assert.match(long.out, new RegExp(`^kapsule-pack ${name} — `));
    for (const flag of Object.keys(spec.options)) assert.ok(long.out.includes(`--${flag}`), `kapsule-pack ${name} --help lists --${flag}`);
    assert.match(long.out, /\nexamples?:\n {2}(kapsule-pack|echo) /);
    assert.deepEqual(await call(pack, [name, '-h']), long);
    assert.deepEqual(await call(pack, ['help', name]), long);
    assert.deepEqual(await call(pack, [name, '--out', 'x', '-h']), long);
  }
  const h = await call(pack, ['--help']);
  assert.equal(h.code, 0);
  for (const name of Object.keys(P)) assert.ok(h.out.includes(`kapsule-pack ${name}`));
  assert.equal((await call(pack, [])).code, 2);
});
