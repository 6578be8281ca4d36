/**
 * The one build script (`npm run build`; `npm test` and `npm run demo` call it first):
 *  0. generates the blocklist's Unicode tables from Unicode's data files (scripts/gen-unicode.ts →
 *     build/generated/unicode/, skipped when current);
 *  1. compiles every reference module modules/<name>/assembly/index.ts with asc (target `module` of
 *     asconfig.json) into build/modules/<name>.wasm — skipped when the wasm is newer than every source;
 *  2. packs each into a signed build/modules/<name>.kmod from modules/<name>/module.json (checked as
 *     `kapsule-pack module --manifest` checks it: every import declared, valid module), signed with the local build
 *     key build/keys/modules-build.key (generated on first build, never committed).
 *  3. with --bundles, the esbuild bundles in dist/ (scripts/bundle.ts), printing each one's size.
 * Usage: tsx scripts/build.ts [--quiet] [--force] [--bundles]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeUnicodeTables } from './gen-unicode.ts';
import { parseModuleJson, requireComplete, type ModuleJson } from '../capsule-packer/src/manifest.ts';

const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');
const force = process.argv.includes('--force');
const log = (s: string) => { if (!quiet) console.log(s); };

/** modules/<name>/module.json, parsed as kapsule-pack parses it (capsule-packer/src/manifest.ts). */
function readModuleJson(name: string): ModuleJson {
  const where = `modules/${name}/module.json`;
  return requireComplete(parseModuleJson(readFileSync(join(root, where), 'utf8'), where), where);
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
    statSync(join(root, 'asconfig.json')).mtimeMs,
  );
  const built: string[] = [];
  for (const name of moduleNames()) {
    const wasm = join(out, `${name}.wasm`);
    const srcTime = Math.max(sdkTime, newestMtime(join(root, 'modules', name)));
    if (!force && existsSync(wasm) && statSync(wasm).mtimeMs > srcTime) { built.push(name); continue; }
    const manifest = readModuleJson(name);
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
  const { checkModule } = await import('../capsule-packer/src/check.ts');
  const keyDir = join(root, 'build', 'keys');
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const keyPath = join(keyDir, 'modules-build.key');
  if (!existsSync(keyPath)) saveIdentity(generateIdentity(nativeBackend, 'ed25519', 'local module build key'), keyPath);
  const key = loadSecretIdentity(keyPath, nativeBackend);
  for (const name of names) {
    const manifestPath = join(root, 'modules', name, 'module.json');
    if (!existsSync(manifestPath)) throw new Error(`modules/${name}/module.json is missing`);
    const m = readModuleJson(name);
    const wasm = new Uint8Array(readFileSync(join(root, 'build', 'modules', `${name}.wasm`)));
    const spec = { name: m.name, version: m.version, wasm, hostcalls: m.hostcalls, fuel: m.fuel, memoryPages: m.memoryPages, maxDepth: m.maxDepth };
    checkModule(wasm, spec, { label: `modules/${name}` }); // what kapsule-pack module refuses (imports vs hostcalls, validation)
    const pkg = buildModulePackage(nativeBackend, key, spec);
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
