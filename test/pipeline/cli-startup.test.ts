/**
 * Commands that never run a module must not load binaryen (~0.5 s of a ~0.9 s start). The single-file CLI bundle
 * is where this can break (esbuild hoists every static import of an external package to the top of the file), so
 * the bundle is built and run in a child process whose module resolver refuses `binaryen`: --help, inspect,
 * verify and audit verify must succeed; a command that opens a runtime (which may instrument) must hit the
 * refusal — the control that shows the refusal works. The bundle also serves as the worker of long jobs (sync import).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli } from '../../scripts/bundle.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { main as kapsuleInProcess } from '../../host/src/cli/main.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';

const root = new URL('../..', import.meta.url).pathname;
const REFUSE_BINARYEN = 'data:text/javascript,' + encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(
  'export async function resolve(s, c, next) { if (s === "binaryen") throw new Error("binaryen was loaded"); return next(s, c); }'));
`);

test('the CLI bundle runs --help, inspect, verify and audit verify without loading binaryen; run needs it', async () => {
  // inside the package, so the bundle's external imports (better-sqlite3, binaryen) resolve from node_modules
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const out = mkdtempSync(join(root, 'node_modules/.cache/kapsule-cli-test-'));
  try {
    const cli = (await bundleCli(out)).file;
    const kapsule = (cwd: string, args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', REFUSE_BINARYEN, cli, ...args], { cwd, encoding: 'utf8' });
      return { code: r.status, out: r.stdout + r.stderr };
    };
    const d = tempDir();
    assert.equal(await pack(['keygen', '--out', 'test-only-alice.key'], captureIO(d)), 0);
    writeFileSync(join(d, 'post.json'), '{"title":"hello"}');
    assert.equal(await pack(['capsule', '--kind', 'post', '--channel', 'general', '--payload', 'post.json', '--key', 'test-only-alice.key',
      '--public', '--out', 'p.kapsule'], captureIO(d)), 0);
    assert.equal(await kapsuleInProcess(['run', 'p.kapsule', '--key', 'test-only-alice.key', '--db', 'a.db'], captureIO(d)), 0);
    for (const args of [['--help'], ['inspect', 'p.kapsule'], ['verify', 'p.kapsule'], ['audit', 'verify', '--db', 'a.db']]) {
      const r = kapsule(d, args);
      assert.equal(r.code, 0, `kapsule ${args.join(' ')}: ${r.out}`);
    }
    const run = kapsule(d, ['run', 'p.kapsule', '--key', 'test-only-alice.key', '--db', 'b.db']);
    assert.notEqual(run.code, 0);
    assert.match(run.out, /binaryen was loaded/);
    // the bundle is also its own job worker (cli/jobs.ts): sync import runs there when run as a process
    assert.equal(await kapsuleInProcess(['sync', 'export', '--db', 'a.db', '--out', 's.ksnap'], captureIO(d)), 0);
    const imp = spawnSync(process.execPath, [cli, 'sync', 'import', 's.ksnap', '--db', 'c.db', '--json'], { cwd: d, encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stdout + imp.stderr);
    assert.deepEqual(JSON.parse(imp.stdout).capsules, { stored: 1 });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
