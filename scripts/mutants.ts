/**
 * `npm run mutants [-- <module>...]`: plants each bug listed in modules/<name>/mutants.json into the module's source,
 * one at a time, runs that module's specs and end-to-end tests, and reports whether they caught it (a test failed).
 * The source is always restored. A mutant that no test catches is a gap in the tests, not in the module.
 *
 *   mutants.json = [{ "file": "assembly/hot.ts", "from": "exact text (must occur once)", "to": "the bug", "why": "…" }]
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DEV_NODE_ARGS } from './dev-node-args.ts';

interface Mutant { file: string; from: string; to: string; why: string }
const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const modules = readdirSync(join(root, 'modules')).filter((m) => existsSync(join(root, 'modules', m, 'mutants.json')) && (wanted.length === 0 || wanted.includes(m))).sort();

function testsCatch(module: string): boolean {
  const build = spawnSync(process.execPath, [...DEV_NODE_ARGS, 'scripts/build.ts', '--quiet'], { cwd: root, stdio: 'pipe' });
  if (build.status !== 0) return true; // a mutant that does not compile is caught by the build
  // every spec file runs (as-pect has no file filter); only this module's source changed
  const specs = spawnSync(process.execPath, ['node_modules/@as-pect/cli/bin/asp.js', '--config', 'as-pect.config.js'], { cwd: root, stdio: 'pipe' });
  if (specs.status !== 0) return true;
  const e2e = join('test', 'modules', `${module}.e2e.test.ts`);
  if (!existsSync(join(root, e2e))) return false;
  const t = spawnSync(process.execPath, [...DEV_NODE_ARGS, '--test', e2e], { cwd: root, stdio: 'pipe' });
  return t.status !== 0;
}

const rows: string[] = [];
let missed = 0;
try {
  for (const m of modules) {
    const list = JSON.parse(readFileSync(join(root, 'modules', m, 'mutants.json'), 'utf8')) as Mutant[];
    for (const mu of list) {
      const path = join(root, 'modules', m, mu.file);
      const original = readFileSync(path, 'utf8');
      const at = original.indexOf(mu.from);
      if (at < 0 || original.indexOf(mu.from, at + 1) >= 0) throw new Error(`${m}/${mu.file}: "${mu.from}" must occur exactly once`);
      writeFileSync(path, original.slice(0, at) + mu.to + original.slice(at + mu.from.length));
      let caught: boolean;
      try { caught = testsCatch(m); } finally { writeFileSync(path, original); }
      if (!caught) missed++;
      rows.push(`| ${m} | ${mu.why} | ${caught ? 'caught' : '**missed**'} |`);
      console.error(`${caught ? 'caught ' : 'MISSED '} ${m}: ${mu.why}`);
    }
  }
} finally {
  // leave build/ as the real sources build it, whatever happened above
  spawnSync(process.execPath, [...DEV_NODE_ARGS, 'scripts/build.ts', '--quiet', '--force'], { cwd: root, stdio: 'inherit' });
}
console.log(['| module | planted bug | tests |', '|---|---|---|', ...rows].join('\n'));
process.exit(missed ? 1 : 0);
