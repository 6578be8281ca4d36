/**
 * The one build script. Today: compiles every reference module under modules/<name>/ with asc (targets
 * from asconfig.json) into build/modules/<name>.wasm. Later steps (signed .kmod, bundles) are added here,
 * never as shell one-liners in package.json.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');
const log = (s: string) => { if (!quiet) console.log(s); };

function buildModules(): void {
  const dir = join(root, 'modules');
  if (!existsSync(dir)) return;
  const out = join(root, 'build', 'modules');
  mkdirSync(out, { recursive: true });
  for (const name of readdirSync(dir).sort()) {
    const entry = join(dir, name, 'assembly', 'index.ts');
    if (!existsSync(entry)) continue;
    const r = spawnSync(process.execPath, [
      join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), entry,
      '--config', join(root, 'asconfig.json'), '--target', 'module',
      '--outFile', join(out, `${name}.wasm`),
    ], { stdio: 'inherit', cwd: root });
    if (r.status !== 0) throw new Error(`asc failed for module ${name}`);
    log(`built modules/${name} -> build/modules/${name}.wasm`);
  }
}

buildModules();
