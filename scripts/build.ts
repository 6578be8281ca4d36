/**
 * The one build script (`npm run build`; `npm test` and `npm run demo` call it first):
 *  0. generates the blocklist's Unicode tables from Unicode's data files (scripts/gen-unicode.ts →
 *     build/generated/unicode/, skipped when current);
 *  1. compiles every reference module modules/<name>/assembly/index.ts with asc (target `module` of
 *     asconfig.json, or of the module's own asconfig.json extending it) into build/modules/<name>.wasm — skipped
 *     when the wasm is newer than every source — and likewise the test corpus's library modules
 *     test/corpus/modules/<name> into build/test-modules/, after applying patches/*.json to the libraries;
 *  2. packs each into a signed <name>.kmod from its module.json (checked as `kapsule-pack module --manifest` checks
 *     it: every import declared, valid module), signed with the local build key build/keys/modules-build.key
 *     (generated on first build, never committed).
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

/** <module dir>/module.json, parsed as kapsule-pack parses it (capsule-packer/src/manifest.ts). */
function readModuleJson(dir: string): ModuleJson {
  const where = join(dir, 'module.json');
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

/** Where modules live: the reference modules, and the test corpus's modules built on registry libraries. */
const ROOTS = [
  { src: 'modules', out: join('build', 'modules') },
  { src: join('test', 'corpus', 'modules'), out: join('build', 'test-modules') },
];

interface ModuleDir { name: string; src: string; out: string }

function moduleDirs(): ModuleDir[] {
  const out: ModuleDir[] = [];
  for (const r of ROOTS) {
    const dir = join(root, r.src);
    if (!existsSync(dir)) continue;
    for (const n of readdirSync(dir).sort()) if (existsSync(join(dir, n, 'assembly', 'index.ts'))) out.push({ name: n, src: join(r.src, n), out: r.out });
  }
  return out;
}

/**
 * Library fixes a module needs that its published version lacks (patches/<package>@<version>.json: exact text
 * replacements in node_modules, like patch-package's). Applied before compiling, idempotent, and refused loudly
 * when the installed file is neither the expected original nor already patched (another version).
 */
function applyLibraryPatches(): void {
  const dir = join(root, 'patches');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const spec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { package: string; version: string; edits: { file: string; from: string; to: string }[] };
    const pkgDir = join(root, 'node_modules', spec.package);
    const installed = existsSync(join(pkgDir, 'package.json')) ? JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version : null;
    if (installed !== spec.version) throw new Error(`patches/${f} is for ${spec.package}@${spec.version}, installed: ${installed ?? 'none'}`);
    for (const e of spec.edits) {
      const path = join(pkgDir, e.file);
      const text = readFileSync(path, 'utf8');
      if (text.includes(e.to)) continue;
      if (text.split(e.from).length !== 2) throw new Error(`patches/${f}: "${e.from}" does not occur exactly once in ${spec.package}/${e.file}`);
      writeFileSync(path, text.replace(e.from, e.to));
      log(`patched ${spec.package}/${e.file}`);
    }
  }
}

function compileModules(): ModuleDir[] {
  const generated = join(root, 'build', 'generated');
  const sdkTime = Math.max(
    existsSync(generated) ? newestMtime(generated) : 0,
    existsSync(join(root, 'guest-sdk')) ? newestMtime(join(root, 'guest-sdk')) : 0,
    existsSync(join(root, 'patches')) ? newestMtime(join(root, 'patches')) : 0,
    statSync(join(root, 'asconfig.json')).mtimeMs,
  );
  const built: ModuleDir[] = [];
  for (const m of moduleDirs()) {
    mkdirSync(join(root, m.out), { recursive: true });
    const wasm = join(root, m.out, `${m.name}.wasm`);
    const srcTime = Math.max(sdkTime, newestMtime(join(root, m.src)));
    if (!force && existsSync(wasm) && statSync(wasm).mtimeMs > srcTime) { built.push(m); continue; }
    const manifest = readModuleJson(m.src);
    // a module's own asconfig.json (extending the shared one) sets its runtime, transforms or memory
    const own = join(m.src, 'asconfig.json');
    const r = spawnSync(process.execPath, [
      join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), join(m.src, 'assembly', 'index.ts'),
      '--config', existsSync(join(root, own)) ? own : 'asconfig.json', '--target', 'module', '--outFile', wasm,
      ...(manifest.initialMemoryPages ? ['--initialMemory', String(manifest.initialMemoryPages)] : []),
    ], { stdio: 'inherit', cwd: root });
    if (r.status !== 0) throw new Error(`asc failed for module ${m.src}`);
    log(`built ${m.src} -> ${join(m.out, `${m.name}.wasm`)}`);
    built.push(m);
  }
  return built;
}

async function packModules(mods: ModuleDir[]): Promise<void> {
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
  for (const mod of mods) {
    const m = readModuleJson(mod.src);
    const wasm = new Uint8Array(readFileSync(join(root, mod.out, `${mod.name}.wasm`)));
    const spec = { name: m.name, version: m.version, wasm, hostcalls: m.hostcalls, fuel: m.fuel, memoryPages: m.memoryPages, maxDepth: m.maxDepth };
    checkModule(wasm, spec, { label: mod.src }); // what kapsule-pack module refuses (imports vs hostcalls, validation)
    const pkg = buildModulePackage(nativeBackend, key, spec);
    writeFileSync(join(root, mod.out, `${mod.name}.kmod`), pkg.bytes);
    log(`packed ${join(mod.out, `${mod.name}.kmod`)}  ${pkg.idHex}`);
  }
}

if (writeUnicodeTables()) log('generated build/generated/unicode (Unicode tables of the blocklist module)');
applyLibraryPatches();
await packModules(compileModules());
if (process.argv.includes('--bundles')) {
  const { bundleAll, formatSizes } = await import('./bundle.ts');
  console.log(formatSizes(await bundleAll()));
}
