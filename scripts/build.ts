/**
 * The one build script (`npm run build`; `npm test` and `npm run demo` call it first):
 *  0. generates the blocklist's Unicode tables from Unicode's data files (scripts/gen-unicode.ts →
 *     build/generated/unicode/, skipped when current);
 *  1. compiles every reference module modules/<name>/assembly/index.ts with asc (target `module` of
 *     asconfig.json) into build/modules/<name>.wasm — skipped when the wasm is newer than every source;
 *  2. packs each into a signed build/modules/<name>.kmod from modules/<name>/module.json, signed with the
 *     local build key build/keys/modules-build.key (generated on first build, never committed).
 *  3. with --bundles, the esbuild bundles in dist/ (scripts/bundle.ts), printing each one's size.
 * Usage: tsx scripts/build.ts [--quiet] [--force] [--bundles]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeUnicodeTables } from './gen-unicode.ts';

const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');
const force = process.argv.includes('--force');
const log = (s: string) => { if (!quiet) console.log(s); };

export interface ModuleJson {
  name: string;
  version: string;
  hostcalls: string[];
  fuel: number | string;
  memoryPages: number;
  maxDepth: number;
  description?: string;
  /** asc --initialMemory for this module (default: asconfig.json's 1), e.g. when its static data is larger. */
  initialMemoryPages?: number;
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return t;
}

function moduleNames(): string[] {
  const dir = join(root, 'modules');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().filter((n) => existsSync(join(dir, n, 'assembly', 'index.ts')));
}

function compileModules(): string[] {
  const out = join(root, 'build', 'modules');
  mkdirSync(out, { recursive: true });
  const generated = join(root, 'build', 'generated');
  const sdkTime = Math.max(
    existsSync(generated) ? newestMtime(generated) : 0,
    existsSync(join(root, 'guest-sdk')) ? newestMtime(join(root, 'guest-sdk')) : 0,
    existsSync(join(root, 'modules', 'lib')) ? newestMtime(join(root, 'modules', 'lib')) : 0,
    statSync(join(root, 'asconfig.json')).mtimeMs,
  );
  const built: string[] = [];
  for (const name of moduleNames()) {
    const wasm = join(out, `${name}.wasm`);
    const srcTime = Math.max(sdkTime, newestMtime(join(root, 'modules', name)));
    if (!force && existsSync(wasm) && statSync(wasm).mtimeMs > srcTime) { built.push(name); continue; }
    const manifest = JSON.parse(readFileSync(join(root, 'modules', name, 'module.json'), 'utf8')) as ModuleJson;
    const r = spawnSync(process.execPath, [
      join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), join('modules', name, 'assembly', 'index.ts'),
      '--config', 'asconfig.json', '--target', 'module', '--outFile', wasm,
      ...(manifest.initialMemoryPages ? ['--initialMemory', String(manifest.initialMemoryPages)] : []),
    ], { stdio: 'inherit', cwd: root });
    if (r.status !== 0) throw new Error(`asc failed for module ${name}`);
    log(`built modules/${name} -> build/modules/${name}.wasm`);
    built.push(name);
  }
  return built;
}

async function packModules(names: string[]): Promise<void> {
  const { nativeBackend } = await import('../host/src/crypto/native.ts');
  const { generateIdentity } = await import('../host/src/keys.ts');
  const { loadSecretIdentity, saveIdentity } = await import('../host/src/keys-node.ts');
  const { buildModulePackage } = await import('../capsule-packer/src/build.ts');
  const keyDir = join(root, 'build', 'keys');
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const keyPath = join(keyDir, 'modules-build.key');
  if (!existsSync(keyPath)) saveIdentity(generateIdentity(nativeBackend, 'ed25519', 'local module build key'), keyPath);
  const key = loadSecretIdentity(nativeBackend, keyPath);
  for (const name of names) {
    const manifestPath = join(root, 'modules', name, 'module.json');
    if (!existsSync(manifestPath)) throw new Error(`modules/${name}/module.json is missing`);
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModuleJson;
    const wasm = new Uint8Array(readFileSync(join(root, 'build', 'modules', `${name}.wasm`)));
    const pkg = buildModulePackage(nativeBackend, key, {
      name: m.name, version: m.version, wasm, hostcalls: m.hostcalls, fuel: BigInt(m.fuel),
      memoryPages: m.memoryPages, maxDepth: m.maxDepth,
    });
    writeFileSync(join(root, 'build', 'modules', `${name}.kmod`), pkg.bytes);
    log(`packed build/modules/${name}.kmod  ${pkg.idHex}`);
  }
}

if (writeUnicodeTables()) log('generated build/generated/unicode (Unicode tables of the blocklist module)');
const names = compileModules();
await packModules(names);
if (process.argv.includes('--bundles')) {
  const { bundleAll, formatSizes } = await import('./bundle.ts');
  console.log(formatSizes(await bundleAll()));
}
