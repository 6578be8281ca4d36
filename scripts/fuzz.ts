/**
 * `npm run fuzz`: the fuzzers at nightly size (FUZZ_RUNS, default 1,000,000 inputs per property; CI: 100,000): the
 * parsers (capsule, module package, snapshot) and the hostcall ABI driven by a hostile guest through the real Sandbox;
 * the golden capsules' exhaustive byte flips with every mask on both backends (npm test checks noble on one); and the
 * convergence property on a scenario of ≥ 1,000 capsules in 100 orders (CONVERGENCE_SCALE, CONVERGENCE_ORDERS).
 */
import { spawnSync } from 'node:child_process';
import { DEV_NODE_ARGS } from './dev-node-args.ts';
const root = new URL('..', import.meta.url).pathname;
const runs = process.env.FUZZ_RUNS ?? '1000000';
const files = ['test/robustness/fuzz-parsers.test.ts', 'test/robustness/fuzz-hostcalls.test.ts', 'test/format/golden.test.ts', 'test/robustness/fuzz-convergence.test.ts'];
// two files at a time: each is single-threaded and at this size runs for minutes to tens of minutes
const r = spawnSync(process.execPath, [...DEV_NODE_ARGS, '--test', '--test-concurrency=2', ...files],
  {
    cwd: root, stdio: 'inherit',
    env: { CONVERGENCE_SCALE: '14', CONVERGENCE_ORDERS: '100', ...process.env, FUZZ_RUNS: runs },
  });
process.exit(r.status ?? 1);
