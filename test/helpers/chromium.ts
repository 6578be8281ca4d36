/**
 * TEST-ONLY: the headless Chromium of the browser tests, installed by `npm ci` like any other dependency: the
 * `@sparticuz/chromium` devDependency ships a Chromium (headless shell) binary inside the package, brotli-compressed,
 * with the NSS libraries and a font it needs. On first use it is unpacked into
 * node_modules/.cache/kapsule-chromium/<package version>/ (once; concurrent test files race safely: each unpacks into
 * its own folder and renames it into place). It needs nothing from the system but glibc (checked on Debian 12 with no
 * Chromium package installed), so the README's `npm ci && npm test` is enough on a fresh machine.
 *
 * Only the package's binary files are used, never its JavaScript (which declares Node >= 22: `npm ci` on Node 20 prints
 * an EBADENGINE warning for it, harmless here).
 *
 * KAPSULE_CHROMIUM=<path> uses another browser instead (e.g. Debian's /usr/bin/chromium). Elsewhere than Linux x64
 * (the packaged binary's platform), /usr/bin/chromium is used if present.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

const root = new URL('../..', import.meta.url).pathname;
const PKG = join(root, 'node_modules/@sparticuz/chromium');
const SYSTEM = '/usr/bin/chromium';

/** Unpacks a (plain, ustar) tar archive: regular files and directories, which is all these archives hold. */
function untar(tar: Uint8Array, into: string): void {
  const text = (o: number, n: number) => Buffer.from(tar.subarray(o, o + n)).toString('latin1').replace(/\0.*$/s, '');
  for (let o = 0; o + 512 <= tar.length;) {
    const name = text(o, 100);
    if (name === '') break;
    const prefix = text(o + 345, 155);
    const size = parseInt(text(o + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[o + 156]);
    const path = join(into, prefix ? `${prefix}/${name}` : name);
    if (!path.startsWith(into)) throw new Error(`tar entry outside the target: ${name}`);
    if (type === '5') mkdirSync(path, { recursive: true });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, tar.subarray(o + 512, o + 512 + size));
      chmodSync(path, parseInt(text(o + 100, 8).trim() || '644', 8) & 0o755);
    } else throw new Error(`unexpected tar entry type ${JSON.stringify(type)} for ${name}`);
    o += 512 + Math.ceil(size / 512) * 512;
  }
}

/** The packaged Chromium, unpacked into the cache (the first call unpacks it: ~2–4 s, 215 MB). */
function packaged(cacheRoot = process.env.KAPSULE_CHROMIUM_CACHE ?? join(root, 'node_modules/.cache/kapsule-chromium')): { executablePath: string; env: Record<string, string> } {
  const version = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(cacheRoot, version);
  if (!existsSync(join(dir, 'chromium'))) {
    mkdirSync(cacheRoot, { recursive: true });
    const tmp = mkdtempSync(join(cacheRoot, `.unpack-${process.pid}-`));
    try {
      const bin = (f: string) => brotliDecompressSync(readFileSync(join(PKG, 'bin', f)));
      untar(bin('al2023.tar.br'), tmp); // lib/: NSS, NSPR, expat
      untar(bin('fonts.tar.br'), tmp); // fonts/: Open Sans
      writeFileSync(join(tmp, 'fonts.conf'), `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${dir}/fonts</dir><cachedir>${dir}/fonts-cache</cachedir></fontconfig>\n`);
      writeFileSync(join(tmp, 'chromium'), bin('chromium.br'), { mode: 0o755 });
      try { renameSync(tmp, dir); } catch (e) {
        if (!existsSync(join(dir, 'chromium'))) throw e; // another test file got there first
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return {
    executablePath: join(dir, 'chromium'),
    env: { LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), FONTCONFIG_PATH: dir },
  };
}

/** Which browser the tests use, and the environment it needs. */
export function browserExecutable(): { executablePath: string; env: Record<string, string>; source: 'KAPSULE_CHROMIUM' | 'package' | 'system' } {
  const chosen = process.env.KAPSULE_CHROMIUM;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`KAPSULE_CHROMIUM=${chosen} does not exist`);
    return { executablePath: chosen, env: {}, source: 'KAPSULE_CHROMIUM' };
  }
  if (process.platform === 'linux' && process.arch === 'x64' && existsSync(join(PKG, 'bin/chromium.br'))) return { ...packaged(), source: 'package' };
  if (existsSync(SYSTEM)) return { executablePath: SYSTEM, env: {}, source: 'system' };
  throw new Error(`no headless Chromium: the @sparticuz/chromium package ships one for Linux x64 only (${process.platform}/${process.arch} here); install chromium (${SYSTEM}) or set KAPSULE_CHROMIUM`);
}

export async function launchChromium(): Promise<Browser> {
  const { executablePath, env } = browserExecutable();
  return chromium.launch({
    executablePath, headless: true, env: { ...process.env, ...env } as Record<string, string>,
    args: ['--no-sandbox', '--no-zygote', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
