/**
 * `npm run faults`: the fault suites at full size — SIGKILL at 50 random points during ingest and 12 during a
 * re-execution, store faults, and the whole hostile corpus through the CLI (including the slow modules: 2^30 fuel of a
 * loop, a 64 MiB transcript).
 */
import { spawnSync } from 'node:child_process';
import { DEV_NODE_ARGS } from './dev-node-args.ts';
const root = new URL('..', import.meta.url).pathname;
const r = spawnSync(process.execPath, [...DEV_NODE_ARGS, '--test', '--test-concurrency=1',
  'test/pipeline/crash.test.ts', 'test/convergence/crash-reexec.test.ts', 'test/robustness/faults.test.ts', 'test/robustness/corpus-cli.test.ts'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, CRASH_POINTS: process.env.CRASH_POINTS ?? '50', CORPUS_CLI: 'all' } });
process.exit(r.status ?? 1);
