/** Capsules whose logic runs: a hand-written WAT guest through the CLI, writes applied, traps, and replay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';
import { wat2wasm } from '../execute/_helpers.ts';

async function run(cli: typeof kapsule, cwd: string, argv: string[]): Promise<{ code: number; json: any }> {
  const io = captureIO(cwd);
  const code = await cli([...argv, '--json'], io);
  return { code, json: JSON.parse(io.stdout) };
}

const corpus = (f: string) => readFileSync(new URL(`../corpus/${f}`, import.meta.url), 'utf8');

test('a WAT guest runs through the pipeline; state persists; traps are stored as failed runs; replay is identical', async () => {
  const d = tempDir();
  writeFileSync(join(d, 'echo.wasm'), await wat2wasm(corpus('guest-echo.wat')));
  writeFileSync(join(d, 'loop.wasm'), await wat2wasm(corpus('infinite-loop.wat')));
  await run(pack, d, ['keygen', '--out', 'dev.key']);
  await run(pack, d, ['keygen', '--out', 'author.key']);
  const echo = await run(pack, d, ['module', 'echo.wasm', '--key', 'author.key', '--hostcalls', 'get_payload,get_parent_count,submit_capsule_result,log,kv_get,kv_set', '--fuel', '10000000', '--memory-pages', '2', '--out', 'echo.kmod']);
  assert.equal(echo.code, 0, JSON.stringify(echo.json));
  const loop = await run(pack, d, ['module', 'loop.wasm', '--key', 'author.key', '--hostcalls', 'submit_capsule_result', '--fuel', '1000000', '--memory-pages', '2', '--out', 'loop.kmod']);
  assert.equal(loop.code, 0, JSON.stringify(loop.json));
  const added = await run(kapsule, d, ['module', 'add', 'echo.kmod', 'loop.kmod', '--db', 'dev.db']);
  assert.equal(added.code, 0, JSON.stringify(added.json));

  writeFileSync(join(d, 'hi.txt'), 'hi');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'hi.txt', '--key', 'author.key', '--to', 'dev.key.pub', '--logic', 'echo.kmod', '--created-at', String(1000 + i), '--out', `e${i}.kapsule`]);
    ids.push(c.json.capsule_id);
    const r = await run(kapsule, d, ['run', `e${i}.kapsule`, '--key', 'dev.key', '--db', 'dev.db']);
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.equal(r.json.status, 'executed');
    assert.equal(r.json.result_encoding, 'hex'); // a NUL byte: not displayable text
    assert.equal(Buffer.from(r.json.result, 'hex').toString('latin1'), 'echo:hi\u0000');
    assert.deepEqual(r.json.logs, ['hello from wat']);
    assert.ok(r.json.fuel > 0);
  }
  // identical input (payload, parents) and state-dependent kv counter: fuel is the same each time
  const show = await run(kapsule, d, ['show', ids[2], '--db', 'dev.db']);
  assert.equal(show.json.result.outcome, 'ok');

  const lc = await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'hi.txt', '--key', 'author.key', '--public', '--logic', loop.json.module_id, '--out', 'loop.kapsule']);
  const lr = await run(kapsule, d, ['run', 'loop.kapsule', '--key', 'dev.key', '--db', 'dev.db']);
  assert.equal(lr.code, 1);
  assert.equal(lr.json.error.code, 'OUT_OF_FUEL');
  assert.equal(lr.json.status, 'failed');
  // a trapped run is a deterministic outcome: the capsule stays in the DAG (its children are not orphaned)
  const failed = await run(kapsule, d, ['show', lc.json.capsule_id, '--db', 'dev.db']);
  assert.equal(failed.code, 0);
  assert.equal(failed.json.status, 'failed');
  assert.equal(failed.json.result.outcome, 'OUT_OF_FUEL');

  const replay = await run(kapsule, d, ['audit', 'replay', '--db', 'dev.db', '--key', 'dev.key']);
  assert.equal(replay.code, 0, JSON.stringify(replay.json));
  assert.equal(replay.json.executions, 4);
  assert.deepEqual(replay.json.divergences, []);
  // without the key, the plaintexts the device kept stand in for decryption (and the owner recorded in the store)
  const noKey = await run(kapsule, d, ['audit', 'replay', '--db', 'dev.db']);
  assert.equal(noKey.code, 0, JSON.stringify(noKey.json));
  assert.equal(noKey.json.skipped.length, 0);
  assert.equal(noKey.json.executions, 4);
  assert.equal((await run(kapsule, d, ['audit', 'verify', '--db', 'dev.db'])).code, 0);
});
