/** Shared helpers for the sandbox tests: SHA-256, WAT compilation (wabt npm), corpus headers, asc builds. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

export const root = new URL('../../', import.meta.url).pathname;
export const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

type Wabt = {
  parseWat(name: string, text: string, features?: Record<string, boolean>): {
    resolveNames(): void; toBinary(o: object): { buffer: Uint8Array }; destroy(): void;
  };
};
let wabtP: Promise<Wabt> | null = null;
function wabt(): Promise<Wabt> {
  const req = createRequire(import.meta.url);
  return (wabtP ??= (req('wabt') as () => Promise<Wabt>)());
}

export async function wat2wasm(text: string, features: string[] = [], name = "module.wat"): Promise<Uint8Array<ArrayBuffer>> {
  const w = await wabt();
  const m = w.parseWat(name, text, Object.fromEntries(features.map((f) => [f, true])));
  try {
    m.resolveNames();
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

export interface CorpusEntry {
  file: string;
  text: string;
  expect: string;
  hostcalls: string[];
  fuel: bigint;
  depth: number;
  pages: number;
  features: string[];
  detail: string | null;
}

export function readCorpus(file: string): CorpusEntry {
  const text = readFileSync(join(root, 'test/corpus', file), 'utf8');
  const h = (k: string) => text.match(new RegExp(`^;; ${k}: (.*)$`, 'm'))?.[1].trim() ?? null;
  const expect = h('expect');
  if (!expect) throw new Error(`${file}: no ";; expect:" header`);
  return {
    file, text, expect,
    hostcalls: h('hostcalls')?.split(',').map((s) => s.trim()).filter(Boolean) ?? [],
    fuel: BigInt(h('fuel') ?? '1000000'),
    depth: Number(h('depth') ?? '200'),
    pages: Number(h('pages') ?? '4'),
    features: h('features')?.split(',').map((s) => s.trim()) ?? [],
    detail: h('detail'),
  };
}

/**
 * Compiles an AssemblyScript entry with the repo's asconfig `module` target (plus extra flags) into bytes.
 * asc -O3 takes seconds, so outputs are cached under build/test-asc/ by a hash of every input.
 */
export function ascBuild(entry: string, extra: string[] = []): Uint8Array {
  const sdk = join(root, 'guest-sdk/assembly');
  const inputs = [readFileSync(join(root, entry)), readFileSync(join(root, 'asconfig.json')),
    ...readdirSync(sdk).filter((f) => f.endsWith('.ts')).sort().map((f) => readFileSync(join(sdk, f))),
    new TextEncoder().encode(JSON.stringify(extra))];
  const h = createHash('sha256');
  for (const i of inputs) h.update(i);
  const dir = join(root, 'build/test-asc');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${h.digest('hex').slice(0, 32)}.wasm`);
  if (existsSync(out)) return new Uint8Array(readFileSync(out));
  const tmp = `${out}.${process.pid}.tmp.wasm`;
  const r = spawnSync(process.execPath, [
    join(root, 'node_modules/assemblyscript/bin/asc.js'), entry, '--config', join(root, 'asconfig.json'),
    '--target', 'module', '--outFile', tmp, ...extra,
  ], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`asc failed for ${entry}:\n${r.stderr}${r.stdout}`);
  renameSync(tmp, out);
  return new Uint8Array(readFileSync(out));
}
