/**
 * The esbuild bundles (`npm run build:bundles`, or `scripts/build.ts --bundles`), each one ES module file:
 *   dist/kapsule.mjs, dist/kapsule-pack.mjs  the two CLIs for Node 20 (run with plain `node`, no tsx)
 *   dist/kapsule-rt.node.mjs                 the library for Node and Electron's main process: host/src/node.ts (the
 *                                            portable API plus openRuntime, SqliteStore, nativeBackend, Sandbox,
 *                                            key files, PrecheckPool), the same surface as the package's `./node`
 *   dist/kapsule-precheck-worker.mjs         worker thread of PrecheckPool (verify + decrypt ahead of the pipeline)
 *   dist/kapsule-rt.browser.mjs              the portable core only (host/src/index.ts), minified, platform browser
 * Node bundles keep `better-sqlite3` (native) and `binaryen` (15 MB of JS + wasm) external: both resolve from the
 * package's node_modules (binaryen through a dynamic import in execute/instrument.ts: only what instruments loads it,
 * so `kapsule inspect`, `verify` and `audit` start in ~0.15 s instead of ~0.9 s). The browser
 * bundle must not contain binaryen, better-sqlite3 or any `node:` builtin; the build fails if its metafile lists
 * one. Prints each bundle's size (raw and gzip).
 * Usage: tsx scripts/bundle.ts [--out dir]
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(new URL('..', import.meta.url).pathname);

/** Node bundles: ESM needs `require` for the few CommonJS paths esbuild may wrap. */
const NODE_BANNER = "import { createRequire as __kapsuleCreateRequire } from 'node:module'; const require = __kapsuleCreateRequire(import.meta.url);";
const NODE_EXTERNAL = ['better-sqlite3', 'binaryen'];

/** Inputs that must never reach the browser bundle. */
export const BROWSER_FORBIDDEN = /(^|\/)node:|node_modules\/(better-sqlite3|binaryen)\/|\bstore\/sqlite\.ts$|\bkeys-node\.ts$|\bcrypto\/native\.ts$|\bexecute\/instrument\.ts$/;

export interface BundleInfo { file: string; bytes: number; gzip: number; inputs: string[] }

async function one(name: string, opts: BuildOptions, outDir: string): Promise<BundleInfo> {
  const outfile = join(outDir, name);
  const r = await build({
    absWorkingDir: root, bundle: true, format: 'esm', outfile, metafile: true, logLevel: 'warning',
    legalComments: 'eof', charset: 'utf8', ...opts,
  });
  const meta = r.metafile as Metafile;
  writeFileSync(`${outfile}.meta.json`, JSON.stringify(meta));
  const bytes = readFileSync(outfile);
  return { file: outfile, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, inputs: Object.keys(meta.inputs) };
}

const cliEntry = (which: 'kapsule' | 'kapsule-pack') => ({
  contents: `import { runBin } from './host/src/cli/bin.ts';\nawait runBin('${which}');\n`,
  resolveDir: root, sourcefile: `${which}-entry.ts`, loader: 'ts' as const,
});

const nodeOpts: BuildOptions = { platform: 'node', target: 'node20', external: NODE_EXTERNAL, banner: { js: NODE_BANNER } };

/** The browser core bundle alone (the browser test builds it into a temp dir). Throws if a forbidden input got in. */
export async function bundleBrowser(outDir: string): Promise<BundleInfo> {
  mkdirSync(outDir, { recursive: true });
  const info = await one('kapsule-rt.browser.mjs', {
    entryPoints: [join(root, 'host/src/index.ts')], platform: 'browser', target: ['es2022', 'chrome111', 'firefox111', 'safari16.4'],
    minify: true, external: [],
  }, outDir);
  const bad = info.inputs.filter((i) => BROWSER_FORBIDDEN.test(i));
  if (bad.length > 0) throw new Error(`the browser bundle pulled in Node-only or binaryen inputs: ${bad.join(', ')}`);
  return info;
}

/** The `kapsule` CLI bundle alone (a test checks what it loads at startup). */
export async function bundleCli(outDir: string): Promise<BundleInfo> {
  mkdirSync(outDir, { recursive: true });
  return one('kapsule.mjs', { ...nodeOpts, stdin: cliEntry('kapsule'), banner: { js: `#!/usr/bin/env node\n${NODE_BANNER}` } }, outDir);
}

export async function bundleAll(outDir = join(root, 'dist')): Promise<BundleInfo[]> {
  mkdirSync(outDir, { recursive: true });
  const out: BundleInfo[] = [];
  out.push(await bundleCli(outDir));
  out.push(await one('kapsule-pack.mjs', { ...nodeOpts, stdin: cliEntry('kapsule-pack'), banner: { js: `#!/usr/bin/env node\n${NODE_BANNER}` } }, outDir));
  out.push(await one('kapsule-rt.node.mjs', {
    ...nodeOpts,
    entryPoints: [join(root, 'host/src/node.ts')],
  }, outDir));
  // the precheck pool's worker (`kapsule ingest --workers`, PrecheckPool): found beside the bundle that spawns it
  out.push(await one('kapsule-precheck-worker.mjs', { ...nodeOpts, entryPoints: [join(root, 'host/src/verify/pool-worker.ts')] }, outDir));
  out.push(await bundleBrowser(outDir));
  return out;
}

export function formatSizes(infos: BundleInfo[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return infos.map((i) => `${relative(root, i.file).padEnd(32)} ${kb(i.bytes).padStart(11)}  (gzip ${kb(i.gzip)})`).join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const i = process.argv.indexOf('--out');
  const infos = await bundleAll(i > 0 ? resolve(process.argv[i + 1]) : undefined);
  console.log(formatSizes(infos));
}
