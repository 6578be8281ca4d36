/**
 * `npm run fuzz`: the parser fuzzers and the hostcall-argument fuzzer at nightly size (FUZZ_RUNS, default
 * 1,000,000 inputs per property). `npm test` runs the same files with small bounds.
 */
import { spawnSync } from 'node:child_process';
import { DEV_NODE_ARGS } from './dev-node-args.ts';
const root = new URL('..', import.meta.url).pathname;
const runs = process.env.FUZZ_RUNS ?? '1000000';
const r = spawnSync(process.execPath, [...DEV_NODE_ARGS, '--test', 'test/robustness/fuzz-parsers.test.ts', 'test/robustness/fuzz-hostcall-args.test.ts'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: runs } });
process.exit(r.status ?? 1);
