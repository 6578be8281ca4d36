/**
 * `npm test`: builds what the tests need (modules, golden inputs), then runs every TypeScript suite under
 * node's test runner and every AssemblyScript spec under as-pect. Exit status is non-zero if any fails.
 * Usage: tsx scripts/run-tests.ts [filter...]   (filters match test file paths)
 * TEST_TIMINGS=1 adds, on stderr, the time each test file spent in its tests, slowest first.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DEV_NODE_ARGS } from './dev-node-args.ts';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}


function run(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: process.env });
  return r.status ?? 1;
}

let failed = 0;
const build = run(process.execPath, [...DEV_NODE_ARGS, 'scripts/build.ts', '--quiet']);
if (build !== 0) process.exit(build);

const files = walk(join(root, 'test'))
  .map((p) => relative(root, p))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
  .sort();
if (files.length > 0) {
  const reporters = process.env.TEST_TIMINGS
    ? ['--test-reporter', process.stdout.isTTY ? 'spec' : 'tap', '--test-reporter-destination', 'stdout',
      '--test-reporter', './scripts/test-timings.mjs', '--test-reporter-destination', 'stderr']
    : [];
  failed |= run(process.execPath, [...DEV_NODE_ARGS, '--test', '--test-concurrency=2', ...reporters, ...files]);
}
if (filters.length === 0 || filters.some((f) => f.includes('spec') || f.includes('assembly'))) {
  failed |= run(process.execPath, ['node_modules/@as-pect/cli/bin/asp.js', '--config', 'as-pect.config.js']);
}
process.exit(failed ? 1 : 0);
