/**
 * Builds what the published `kapsule-rt` package ships (`npm run build:package`; `npm pack` and `npm publish` run it
 * as `prepack`, so a tarball never holds a stale build):
 *   lib/                         host/src and capsule-packer/src compiled by tsc (tsconfig.build.json): one .js and
 *                                one .d.ts per source file, relative imports rewritten from .ts to .js. The bins
 *                                (bin/*.js) and every worker thread (precheck pool, sandbox worker, CLI jobs) start
 *                                from these files with plain node.
 *   dist/kapsule-rt.browser.mjs  the portable core as one minified file: the `browser` condition of `.`
 * Then checks the dependencies against what lib/ and bin/ import (check-deps.ts): it fails on a runtime import of
 * a package that is not a dependency, or a dependency nothing imports.
 * Usage: tsx scripts/build-package.ts [--quiet]
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { bundleBrowser } from './bundle.ts';
import { checkDependencies, formatDependencyProblems } from './check-deps.ts';

const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');
const log = (s: string) => { if (!quiet) console.log(s); };

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out); else out.push(p);
  }
  return out;
}

/**
 * tsc rewrites `.ts` specifiers in the .js it emits but not in declaration files: rewrite them there too, so the
 * .d.ts read like the .js (and type-check with any TypeScript that resolves `./x.js` to `./x.d.ts`).
 */
export function rewriteDeclarationSpecifiers(text: string): string {
  return text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g, '$1$2.js$3');
}

export async function buildPackage(): Promise<{ files: number; seconds: number }> {
  const t0 = performance.now();
  const lib = join(root, 'lib');
  rmSync(lib, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  const files = walk(lib);
  for (const f of files.filter((x) => x.endsWith('.d.ts'))) {
    const text = readFileSync(f, 'utf8');
    const out = rewriteDeclarationSpecifiers(text);
    if (out !== text) writeFileSync(f, out);
  }
  await bundleBrowser(join(root, 'dist'));
  const problems = checkDependencies(root);
  if (problems.length) throw new Error(`package.json dependencies do not match what lib/ and bin/ import:\n${formatDependencyProblems(problems)}`);
  return { files: files.length, seconds: (performance.now() - t0) / 1000 };
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const { files, seconds } = await buildPackage();
  log(`built lib/ (${files} files) and dist/kapsule-rt.browser.mjs in ${seconds.toFixed(1)} s; dependencies match the imports`);
}
