/**
 * `npm run fuzz`: the fuzzers at nightly size (FUZZ_RUNS, default 1,000,000 inputs per property; CI: 100,000): the
 * parsers (capsule, module package, snapshot) and the hostcall ABI driven by a hostile guest through the real Sandbox;
 * and the golden capsules' exhaustive byte flips with every mask on both backends (npm test checks noble on one).
 */
import { spawnSync } from 'node:child_process';
import { DEV_NODE_ARGS } from './dev-node-args.ts';
const root = new URL('..', import.meta.url).pathname;
const runs = process.env.FUZZ_RUNS ?? '1000000';
const files = ['test/robustness/fuzz-parsers.test.ts', 'test/robustness/fuzz-hostcalls.test.ts', 'test/format/golden.test.ts'];
// the two files in parallel: each is single-threaded and at this size runs for tens of minutes
const r = spawnSync(process.execPath, [...DEV_NODE_ARGS, '--test', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: runs } });
process.exit(r.status ?? 1);
