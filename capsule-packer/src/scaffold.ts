/**
 * `kapsule-pack new <name>`: writes a standalone module project from capsule-packer/template/ (shipped in the
 * kapsule-rt package): package.json depending on kapsule-rt and kapsule-guest-sdk, asconfig.json, a module with
 * run() and query(), an as-pect spec on the spec world, module.json, examples for `kapsule dev run`. `npm run build`
 * and `npm test` work there outside this repository. Placeholders `{{name}}`, `{{rtRange}}`, `{{sdkRange}}` and the
 * tool versions are filled from kapsule-rt's own package.json, so a scaffold asks for the versions it was made with.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KapsuleError } from '../../host/src/errors.ts';
import { ABI_VERSION } from '../../host/src/execute/hostcalls/table.ts';
import { MODULE_NAME_PATTERN } from '../../host/src/parse/limits.ts';

/** The kapsule-rt package root: the nearest folder above this file whose package.json is kapsule-rt's (sources, lib/, dist/). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let d = dirname(from); ; d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'kapsule-rt') return d;
    if (dirname(d) === d) throw new KapsuleError('IO_ERROR', 'pack', `cannot find the kapsule-rt package above ${from}`);
  }
}

/** Files whose name in the template differs from the project's (npm never packs a file named .gitignore). */
const RENAME: Record<string, string> = { gitignore: '.gitignore' };

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out); else out.push(p);
  }
  return out;
}

export interface ScaffoldResult { dir: string; files: string[]; values: Record<string, string> }

/** The values the template's placeholders take. */
export function templateValues(name: string, root = packageRoot()): Record<string, string> {
  const pj = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; devDependencies?: Record<string, string> };
  const dev = pj.devDependencies ?? {};
  const need = (k: string) => {
    if (!dev[k]) throw new KapsuleError('IO_ERROR', 'pack', `kapsule-rt's package.json names no ${k} version for the template`);
    return dev[k];
  };
  return {
    name, rtRange: `^${pj.version}`, sdkRange: `^${ABI_VERSION}.0.0`,
    assemblyscriptVersion: need('assemblyscript'), aspectVersion: need('@as-pect/cli'), loaderVersion: need('@assemblyscript/loader'),
  };
}

/** Writes the project into `dir` (which must not exist, or be empty). */
export function scaffold(name: string, dir: string): ScaffoldResult {
  if (!MODULE_NAME_PATTERN.test(name)) {
    throw new KapsuleError('USAGE', 'pack', `module name "${name}" must match ${MODULE_NAME_PATTERN} (lowercase letters, digits, _ and -, starting with a letter)`);
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new KapsuleError('USAGE', 'pack', `${dir} already exists and is not an empty folder; refusing to write into it`);
  }
  const root = packageRoot();
  const template = join(root, 'capsule-packer', 'template');
  const values = templateValues(name, root);
  const fill = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (m, k: string) => {
    if (!(k in values)) throw new KapsuleError('IO_ERROR', 'pack', `template placeholder ${m} has no value`);
    return values[k];
  });
  const files: string[] = [];
  for (const src of walk(template)) {
    const rel = relative(template, src);
    const target = join(dir, dirname(rel), RENAME[relative(dirname(src), src)] ?? relative(dirname(src), src));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, fill(readFileSync(src, 'utf8')), { flag: 'wx' });
    files.push(relative(dir, target));
  }
  return { dir, files, values };
}
