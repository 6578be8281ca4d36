/** Shared helpers for the sandbox tests: SHA-256, WAT compilation (wabt npm), corpus headers, asc builds. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

export const root = new URL('../../', import.meta.url).pathname;
export const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
/** node:crypto's incremental SHA-256, as Sandbox's `sha256Stream`. */
export const sha256Stream = () => {
  const h = createHash('sha256');
  return { update: (d: Uint8Array) => h.update(d), digest: () => new Uint8Array(h.digest()) };
};

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
  /** `;; nest: <export> <n>`: wrap that function's body in n nested blocks (wabt cannot parse such depth). */
  nest: { export: string; n: number } | null;
  /** `;; append: <hex>`: raw bytes appended to the binary (e.g. a truncated custom section). */
  append: Uint8Array | null;
  /** `;; repeat NAME: <token> <n>` (any number): the text `(; NAME ;)` in the module becomes n copies of <token>. */
  repeat: { name: string; token: string; n: number }[];
  /** `;; details: k=v, ...`: values the error's details must have (numbers compare as numbers or bigints). */
  details: Record<string, string>;
  /** `;; fuel-used: <n>`: the fuel an `ok` run must report. */
  fuelUsed: bigint | null;
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
    nest: (() => { const v = h('nest')?.split(/\s+/); return v ? { export: v[0], n: Number(v[1]) } : null; })(),
    append: (() => { const v = h('append'); return v ? new Uint8Array(v.split(/\s+/).map((x) => parseInt(x, 16))) : null; })(),
    repeat: [...text.matchAll(/^;; repeat (\w+): (.*)\s+(\d+)$/gm)].map((m) => ({ name: m[1], token: m[2], n: Number(m[3]) })),
    details: Object.fromEntries((h('details') ?? '').split(',').map((x) => x.trim()).filter(Boolean).map((kv) => kv.split('=').map((y) => y.trim()) as [string, string])),
    fuelUsed: h('fuel-used') === null ? null : BigInt(h('fuel-used')!),
  };
}

/** The binary of a corpus entry: wabt, then the `repeat` / `nest` / `append` transformations its headers ask for. */
export async function corpusWasm(c: CorpusEntry): Promise<Uint8Array<ArrayBuffer>> {
  let text = c.text;
  for (const r of c.repeat) text = text.replace(`(; ${r.name} ;)`, `${r.token} `.repeat(r.n));
  let wasm = await wat2wasm(text, c.features, c.file);
  if (c.nest) wasm = nestBody(wasm, c.nest.export, c.nest.n);
  if (c.append) {
    const out = new Uint8Array(wasm.length + c.append.length);
    out.set(wasm);
    out.set(c.append, wasm.length);
    wasm = out;
  }
  return wasm;
}

function leb(v: number): number[] {
  const out: number[] = [];
  do { let x = v & 0x7f; v >>>= 7; if (v) x |= 0x80; out.push(x); } while (v);
  return out;
}

/**
 * Wraps the body of the exported function `name` in `n` nested empty blocks (`block … end` n times), or in n
 * copies of another opening/closing byte sequence, rewriting the code section. wabt's text parser recurses and
 * gives up at a few hundred levels, so deep nesting is built here.
 */
export function nestBody(wasm: Uint8Array, name: string, n: number, open: readonly number[] = [0x02, 0x40], close: readonly number[] = [0x0b]): Uint8Array<ArrayBuffer> {
  let o = 8;
  const u32 = (): number => { let r = 0, s = 0, x: number; do { x = wasm[o++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  let imported = 0, target = -1;
  const sections: { id: number; start: number; end: number; body: number }[] = [];
  while (o < wasm.length) {
    const start = o;
    const id = wasm[o++];
    const size = u32();
    const body = o;
    sections.push({ id, start, end: o + size, body });
    if (id === 2) {
      for (let k = u32(), i = 0; i < k; i++) {
        o += u32(); o += u32();
        const kind = wasm[o++];
        if (kind === 0) { u32(); imported++; } else if (kind === 2) { const f = wasm[o++]; u32(); if (f & 1) u32(); } else throw new Error('nestBody: unsupported import');
      }
    } else if (id === 7) {
      for (let k = u32(), i = 0; i < k; i++) {
        const len = u32();
        const nm = new TextDecoder().decode(wasm.subarray(o, o + len)); o += len;
        const kind = wasm[o++];
        const idx = u32();
        if (kind === 0 && nm === name) target = idx;
      }
    }
    o = body + size;
  }
  if (target < 0) throw new Error(`nestBody: no exported function ${name}`);
  const code = sections.find((x) => x.id === 10)!;
  o = code.body;
  const count = u32();
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const size = u32();
    let b = wasm.subarray(o, o + size);
    o += size;
    if (i === target - imported) {
      let p = 0;
      const r = (): number => { let v = 0, s = 0, x: number; do { x = b[p++]; v |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return v >>> 0; };
      for (let g = r(), j = 0; j < g; j++) { r(); p++; }
      const out = new Uint8Array(b.length + (open.length + close.length) * n);
      out.set(b.subarray(0, p));
      for (let j = 0; j < n; j++) out.set(open, p + open.length * j);
      out.set(b.subarray(p, b.length - 1), p + open.length * n);
      for (let j = 0; j < n; j++) out.set(close, b.length - 1 + open.length * n + close.length * j);
      out[out.length - 1] = 0x0b;
      b = out;
    }
    bodies.push(new Uint8Array([...leb(b.length)]), b);
  }
  const payload = [new Uint8Array(leb(count)), ...bodies];
  const plen = payload.reduce((a, x) => a + x.length, 0);
  const parts = [wasm.subarray(0, code.start), new Uint8Array([10, ...leb(plen)]), ...payload, wasm.subarray(code.end)];
  const out = new Uint8Array(parts.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of parts) { out.set(x, at); at += x.length; }
  return out;
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
