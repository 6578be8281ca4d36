/**
 * Compares package.json `dependencies` with what the published files import (lib/ after `npm run build:package`,
 * and bin/): a package imported at run time must be a dependency (a devDependency is not installed for users), a
 * dependency must be imported by something (or provide the types of one the declarations import), and a package
 * whose types the .d.ts files import must bring them (its own, or `@types/<name>` as a dependency). Node builtins
 * are not packages; `@types/node` is the user's (documented in the README).
 * Usage: tsx scripts/check-deps.ts   (exit 1 and a list when they differ)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

export interface DependencyProblem {
  kind: 'missing' | 'dev-only' | 'unused' | 'no-types';
  pkg: string;
  /** Files (relative to the package root) that import it; empty for `unused`. */
  files: string[];
}

/** Static `import … from` / `export … from` / `import 'x'` at the start of a statement, and `import('x')` / `require('x')`. */
const SPECIFIERS = [
  /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const PACKAGE_SPECIFIER = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/;

/** Bare package specifiers in a JS or .d.ts text (not relative, not `node:`, not a builtin). */
export function importedPackages(text: string): string[] {
  const out = new Set<string>();
  for (const m of SPECIFIERS.flatMap((re) => [...text.matchAll(re)])) {
    const s = m[1];
    if (!PACKAGE_SPECIFIER.test(s)) continue;
    if (s.startsWith('.') || s.startsWith('/') || s.startsWith('node:') || /^[a-z]+:/.test(s)) continue;
    const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
    if (builtinModules.includes(name)) continue;
    out.add(name);
  }
  return [...out];
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out); else out.push(p);
  }
  return out;
}

function hasOwnTypes(root: string, pkg: string): boolean {
  const dir = join(root, 'node_modules', pkg);
  if (!existsSync(join(dir, 'package.json'))) return false;
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  return Boolean(pj.types || pj.typings || existsSync(join(dir, 'index.d.ts')) || JSON.stringify(pj.exports ?? '').includes('"types"'));
}

export function checkDependencies(root: string): DependencyProblem[] {
  const pj = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const deps = new Set(Object.keys({ ...pj.dependencies, ...pj.peerDependencies }));
  const dev = new Set(Object.keys(pj.devDependencies ?? {}));
  const files = [...walk(join(root, 'lib')), ...walk(join(root, 'bin'))];
  if (!files.some((f) => f.endsWith('.js') && f.includes(`${join(root, 'lib')}`))) throw new Error('lib/ is empty: run npm run build:package first');
  const runtime = new Map<string, string[]>();
  const types = new Map<string, string[]>();
  for (const f of files) {
    const target = f.endsWith('.d.ts') ? types : f.endsWith('.js') || f.endsWith('.mjs') ? runtime : null;
    if (!target) continue;
    for (const p of importedPackages(readFileSync(f, 'utf8'))) {
      if (!target.has(p)) target.set(p, []);
      target.get(p)!.push(relative(root, f));
    }
  }
  const problems: DependencyProblem[] = [];
  for (const [p, where] of runtime) {
    if (!deps.has(p)) problems.push({ kind: dev.has(p) ? 'dev-only' : 'missing', pkg: p, files: where });
  }
  const typeProviders = new Set<string>();
  for (const [p, where] of types) {
    if (!deps.has(p)) { problems.push({ kind: dev.has(p) ? 'dev-only' : 'missing', pkg: p, files: where }); continue; }
    const at = `@types/${p.startsWith('@') ? p.slice(1).replace('/', '__') : p}`;
    if (hasOwnTypes(root, p)) continue;
    if (deps.has(at)) typeProviders.add(at);
    else problems.push({ kind: 'no-types', pkg: p, files: where });
  }
  for (const d of deps) {
    if (!runtime.has(d) && !types.has(d) && !typeProviders.has(d)) problems.push({ kind: 'unused', pkg: d, files: [] });
  }
  return problems.sort((a, b) => (a.pkg < b.pkg ? -1 : a.pkg > b.pkg ? 1 : 0));
}

const WHY: Record<DependencyProblem['kind'], string> = {
  missing: 'imported by the published files but not a dependency',
  'dev-only': 'imported by the published files but only a devDependency (not installed for users)',
  unused: 'a dependency that nothing published imports',
  'no-types': 'its types are imported by the .d.ts files, but it has none and @types/<it> is not a dependency',
};

export function formatDependencyProblems(ps: DependencyProblem[]): string {
  return ps.map((p) => `  ${p.pkg}: ${WHY[p.kind]}${p.files.length ? ` (${p.files.slice(0, 3).join(', ')}${p.files.length > 3 ? ', ...' : ''})` : ''}`).join('\n');
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const root = new URL('..', import.meta.url).pathname;
  const ps = checkDependencies(root);
  if (ps.length) { console.error(`package.json dependencies do not match the imports of lib/ and bin/:\n${formatDependencyProblems(ps)}`); process.exitCode = 1; }
  else console.log('dependencies match the imports of lib/ and bin/');
}
