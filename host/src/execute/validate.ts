/**
 * Static validation of a module's ORIGINAL bytes, before any instrumentation. Portable.
 *
 * A small reader of the wasm binary's sections (not of function bodies: the instrumenter walks every
 * expression and rejects any kind it does not handle, which is how SIMD, atomics, exceptions, tail calls and
 * reference-type instructions are refused). Everything refused here is MODULE_INVALID with a message naming the
 * offending import, section or feature.
 */
import { KapsuleError } from '../errors.ts';
import { CODE_CAPS, scanCode, type CodeStats } from './code.ts';
import { ENV_IMPORTS, HOSTCALL_BY_NAME, HOSTCALL_NAMESPACE, MEMORY_IMPORT, signatureOf, type WasmValType } from './hostcalls/table.ts';

/** Structural caps (docs/ABI.md §Module limits). */
export const MODULE_CAPS = {
  maxTypes: 1024,
  maxImports: 64,
  maxFunctions: 10_000,
  /** Params + declared locals of one function. */
  maxLocals: 1024,
  maxGlobals: 1024,
  maxTableElements: 65_536,
  maxExports: 256,
  maxElementSegments: 1024,
  maxDataSegments: 1024,
  maxDataBytes: 4 * 1024 * 1024,
  /** Code: function and code size, nesting, expression depth, stack height, br_table, optimiser weight (code.ts). */
  ...CODE_CAPS,
} as const;

/** Names the instrumenter adds; a guest may not export or import anything starting with it. */
export const RESERVED_PREFIX = '__kapsule';

export interface ValidatedModule {
  /** Imported `env.memory` limits (the pooled path), or null. */
  importedMemory: { initial: number; maximum: number | null } | null;
  /** A memory the module defines itself, or null. */
  ownMemory: { initial: number; maximum: number } | null;
  /** Function index of the start function, or null. */
  start: number | null;
  /** [offset, end) of the start section in the original bytes, to strip it before instrumentation. */
  startSection: [number, number] | null;
  /**
   * [offset, end) of every section the instrumenter must not see: the start section and every custom section
   * (names, producers, anything else). Binaryen parses some custom sections (a truncated `name` section makes it
   * throw its own error) and none of them has a meaning here, so they never reach it.
   */
  stripSections: [number, number][];
  /** What the code reader measured (CODE_CAPS are enforced by then). */
  code: CodeStats | null;
  /** Imported function names (namespace.name) in import order. */
  functionImports: string[];
  functionCount: number;
  /** Whether the module exports the read-only entry point `query: () -> i32`. */
  hasQuery: boolean;
  /**
   * Whether the module has a passive data segment. `data.drop` on one changes the instance for good (a dropped
   * segment cannot be restored), so such a module runs in a fresh instance every time instead of a reset one.
   */
  passiveData: boolean;
}

export interface ValidateOptions {
  /** Hostcall names the module may import (manifest ∩ host policy). */
  allowed: ReadonlySet<string>;
  /** Memory cap in 64 KiB pages (manifest ∩ host policy). */
  memoryPages: number;
}

const VALTYPES: Record<number, WasmValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };
const FEATURE_OF_VALTYPE: Record<number, string> = { 0x7b: 'SIMD (v128)', 0x70: 'reference types (funcref value)', 0x6f: 'reference types (externref)' };

function invalid(message: string, details?: Record<string, unknown>): never {
  throw new KapsuleError('MODULE_INVALID', 'execute', message, details);
}

class R {
  o = 0;
  constructor(readonly b: Uint8Array, readonly end = b.length) {}
  u8(): number {
    if (this.o >= this.end) invalid('module bytes end early');
    return this.b[this.o++];
  }
  u32(): number {
    let r = 0, shift = 0, byte: number;
    do {
      byte = this.u8();
      if (shift === 28 && (byte & 0x70) !== 0) invalid('malformed LEB128');
      r |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    if (byte & 0x80) invalid('malformed LEB128');
    return r >>> 0;
  }
  skipLeb(): void { while (this.u8() & 0x80) { /* continuation */ } }
  bytes(n: number): Uint8Array {
    if (this.o + n > this.end) invalid('module bytes end early');
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  name(): string {
    const n = this.u32();
    try { return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(n)); } catch { return invalid('a name is not valid UTF-8'); }
  }
  valtype(where: string): WasmValType {
    const t = this.u8();
    const v = VALTYPES[t];
    if (!v) invalid(`${where}: ${FEATURE_OF_VALTYPE[t] ?? `value type 0x${t.toString(16)}`} is not supported`, { feature: FEATURE_OF_VALTYPE[t] ?? t });
    return v;
  }
  limits(where: string): { min: number; max: number | null } {
    const flags = this.u8();
    if (flags & 0x02) invalid(`${where}: shared memory (threads) is not supported`, { feature: 'threads' });
    if (flags & 0x04) invalid(`${where}: memory64 is not supported`, { feature: 'memory64' });
    if (flags & ~0x01) invalid(`${where}: unsupported limits flags 0x${flags.toString(16)}`);
    const min = this.u32();
    const max = flags & 1 ? this.u32() : null;
    return { min, max };
  }
  /** A constant expression: MVP forms only (i32/i64/f32/f64.const, global.get), ending with `end`. */
  constExpr(where: string): void {
    const op = this.u8();
    if (op === 0x41 || op === 0x42) this.skipLeb();
    else if (op === 0x43) this.bytes(4);
    else if (op === 0x44) this.bytes(8);
    else if (op === 0x23) this.u32();
    else invalid(`${where}: unsupported constant expression opcode 0x${op.toString(16)}`);
    if (this.u8() !== 0x0b) invalid(`${where}: extended constant expressions are not supported`, { feature: 'extended-const' });
  }
}

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];

export function validateModule(bytes: Uint8Array, opts: ValidateOptions): ValidatedModule {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('validateModule expects a Uint8Array');
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) invalid('not a WebAssembly module (bad magic)');
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) invalid('unsupported WebAssembly binary version (components are not supported)');
  const r = new R(bytes);
  r.o = 8;
  const types: { params: WasmValType[]; results: WasmValType[] }[] = [];
  const funcTypes: number[] = [];
  const functionImports: string[] = [];
  let importedMemory: ValidatedModule['importedMemory'] = null;
  let ownMemory: ValidatedModule['ownMemory'] = null;
  let memories = 0;
  let start: number | null = null;
  let startSection: [number, number] | null = null;
  const stripSections: [number, number][] = [];
  let passiveData = false;
  let code: CodeStats | null = null;
  let runType: number | null = null;
  /** The optional read-only entry point (docs/ABI.md §Queries). */
  let queryType: number | null = null;
  let definedFuncs = 0;
  let lastId = 0;
  /** Every function import that is refused: reported together, so a module is fixed in one round. */
  const refusedImports: RefusedImport[] = [];

  while (r.o < bytes.length) {
    const sectionStart = r.o;
    const id = r.u8();
    const size = r.u32();
    const end = r.o + size;
    if (end > bytes.length) invalid('a section runs past the end of the module');
    const s = new R(bytes, end);
    s.o = r.o;
    const sname = SECTION_NAMES[id] ?? `#${id}`;
    if (id !== 0) {
      if (id === 13) invalid('exception handling (tag section) is not supported', { feature: 'exceptions' });
      if (id > 12) invalid(`unknown section ${sname}`);
      lastId = id;
    }
    switch (id) {
      case 1: { // type
        const n = s.u32();
        if (n > MODULE_CAPS.maxTypes) invalid(`${n} types exceed the cap of ${MODULE_CAPS.maxTypes}`);
        for (let i = 0; i < n; i++) {
          const form = s.u8();
          if (form !== 0x60) invalid(`type ${i}: only function types are supported (GC / rec groups are not)`, { feature: 'gc' });
          const np = s.u32();
          const params: WasmValType[] = [];
          for (let j = 0; j < np; j++) params.push(s.valtype(`type ${i} param ${j}`));
          const nr = s.u32();
          if (nr > 1) invalid(`type ${i}: multiple results (multi-value) are not supported`, { feature: 'multi-value' });
          const results: WasmValType[] = [];
          for (let j = 0; j < nr; j++) results.push(s.valtype(`type ${i} result`));
          types.push({ params, results });
        }
        break;
      }
      case 2: { // import
        const n = s.u32();
        if (n > MODULE_CAPS.maxImports) invalid(`${n} imports exceed the cap of ${MODULE_CAPS.maxImports}`);
        for (let i = 0; i < n; i++) {
          const mod = s.name();
          const name = s.name();
          const kind = s.u8();
          const full = `${mod}.${name}`;
          if (kind === 0) {
            const t = s.u32();
            const ty = types[t];
            if (!ty) invalid(`import ${full}: unknown type index ${t}`);
            const refused = checkFunctionImport(mod, name, ty, opts.allowed);
            if (refused) refusedImports.push(refused);
            funcTypes.push(t);
            functionImports.push(full);
          } else if (kind === 2) {
            const lim = s.limits(`import ${full}`);
            if (mod !== MEMORY_IMPORT.module || name !== MEMORY_IMPORT.name) invalid(`import ${full}: a memory may only be imported as ${MEMORY_IMPORT.module}.${MEMORY_IMPORT.name}`, { import: full });
            memories++;
            importedMemory = { initial: lim.min, maximum: lim.max };
          } else if (kind === 1) {
            invalid(`import ${full}: table imports are not supported`, { import: full });
          } else if (kind === 3) {
            invalid(`import ${full}: global imports are not supported`, { import: full });
          } else if (kind === 4) {
            invalid(`import ${full}: tag imports (exception handling) are not supported`, { import: full, feature: 'exceptions' });
          } else {
            invalid(`import ${full}: unknown import kind ${kind}`, { import: full });
          }
        }
        refuseImports(refusedImports);
        break;
      }
      case 3: { // function
        const n = s.u32();
        if (n + funcTypes.length > MODULE_CAPS.maxFunctions) invalid(`${n + funcTypes.length} functions exceed the cap of ${MODULE_CAPS.maxFunctions}`);
        for (let i = 0; i < n; i++) funcTypes.push(s.u32());
        definedFuncs = n;
        break;
      }
      case 4: { // table
        const n = s.u32();
        if (n > 1) invalid(`${n} tables: multiple tables (reference types) are not supported`, { feature: 'reference-types' });
        for (let i = 0; i < n; i++) {
          const et = s.u8();
          if (et !== 0x70) invalid(`table ${i}: only funcref tables are supported`, { feature: 'reference-types' });
          const lim = s.limits(`table ${i}`);
          if (lim.min > MODULE_CAPS.maxTableElements || (lim.max !== null && lim.max > MODULE_CAPS.maxTableElements)) {
            invalid(`table ${i}: size ${lim.max ?? lim.min} exceeds the cap of ${MODULE_CAPS.maxTableElements} elements`, { table: i });
          }
        }
        break;
      }
      case 5: { // memory
        const n = s.u32();
        memories += n;
        for (let i = 0; i < n; i++) {
          const lim = s.limits(`memory ${i}`);
          if (lim.max === null) invalid(`memory ${i} declares no maximum: declare one <= ${opts.memoryPages} pages or import ${MEMORY_IMPORT.module}.${MEMORY_IMPORT.name} (asc --importMemory)`, { feature: 'memory-maximum' });
          ownMemory = { initial: lim.min, maximum: lim.max };
        }
        break;
      }
      case 6: { // global
        const n = s.u32();
        if (n > MODULE_CAPS.maxGlobals) invalid(`${n} globals exceed the cap of ${MODULE_CAPS.maxGlobals}`);
        for (let i = 0; i < n; i++) {
          s.valtype(`global ${i}`);
          s.u8();
          s.constExpr(`global ${i}`);
        }
        break;
      }
      case 7: { // export
        const n = s.u32();
        if (n > MODULE_CAPS.maxExports) invalid(`${n} exports exceed the cap of ${MODULE_CAPS.maxExports}`);
        for (let i = 0; i < n; i++) {
          const name = s.name();
          const kind = s.u8();
          const idx = s.u32();
          if (name.startsWith(RESERVED_PREFIX)) invalid(`export "${name}": names starting with ${RESERVED_PREFIX} are reserved`, { export: name });
          if (name === 'run' || name === 'query') {
            if (kind !== 0) invalid(`export "${name}" is not a function`, { export: name });
            if (name === 'run') runType = funcTypes[idx] ?? null;
            else queryType = funcTypes[idx] ?? null;
          }
        }
        break;
      }
      case 8: { // start
        start = s.u32();
        startSection = [sectionStart, end];
        break;
      }
      case 9: { // element
        const n = s.u32();
        if (n > MODULE_CAPS.maxElementSegments) invalid(`${n} element segments exceed the cap of ${MODULE_CAPS.maxElementSegments}`);
        for (let i = 0; i < n; i++) {
          const flags = s.u32();
          if (flags !== 0) invalid(`element segment ${i}: only MVP active segments are supported (flags ${flags})`, { feature: 'reference-types / bulk table ops' });
          s.constExpr(`element segment ${i}`);
          const k = s.u32();
          if (k > MODULE_CAPS.maxTableElements) invalid(`element segment ${i}: ${k} entries exceed the cap of ${MODULE_CAPS.maxTableElements}`);
          for (let j = 0; j < k; j++) s.u32();
        }
        break;
      }
      case 10: { // code: every body is read (caps, refused features, frame sizes); see code.ts
        code = scanCode(bytes, s.o, end, {
          types, funcTypes, importedFunctions: functionImports.length, maxLocals: MODULE_CAPS.maxLocals, enforce: true,
        });
        s.o = end;
        break;
      }
      case 11: { // data
        const n = s.u32();
        if (n > MODULE_CAPS.maxDataSegments) invalid(`${n} data segments exceed the cap of ${MODULE_CAPS.maxDataSegments}`);
        let total = 0;
        for (let i = 0; i < n; i++) {
          const flags = s.u32();
          if (flags === 0) s.constExpr(`data segment ${i}`);
          else if (flags === 2) {
            if (s.u32() !== 0) invalid(`data segment ${i}: multiple memories are not supported`, { feature: 'multi-memory' });
            s.constExpr(`data segment ${i}`);
          } else if (flags === 1) passiveData = true;
          else invalid(`data segment ${i}: unknown flags ${flags}`);
          const len = s.u32();
          total += len;
          if (total > MODULE_CAPS.maxDataBytes) invalid(`data segments exceed the cap of ${MODULE_CAPS.maxDataBytes} bytes`);
          s.bytes(len);
        }
        break;
      }
      case 0: // custom: its name must be readable; its content means nothing here and is stripped
        s.name();
        stripSections.push([sectionStart, end]);
        break;
      default:
        break; // datacount
    }
    r.o = end;
  }
  void lastId;

  // Named feature checks above come first so the message says what is refused; then the engine's full check.
  if (memories > 1) invalid(`${memories} memories: multiple memories are not supported`, { feature: 'multi-memory' });
  const cap = opts.memoryPages;
  if (importedMemory) {
    if (importedMemory.initial > cap) invalid(`imported memory needs ${importedMemory.initial} initial pages, cap is ${cap}`, { feature: 'memory-maximum' });
  }
  if (ownMemory) {
    if (ownMemory.maximum > cap) invalid(`memory maximum ${ownMemory.maximum} pages exceeds the cap of ${cap}`, { feature: 'memory-maximum' });
    if (ownMemory.initial > ownMemory.maximum) invalid('memory initial size exceeds its maximum');
  }
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) invalid('not a valid WebAssembly module (the engine rejects it)');
  if (runType === null) invalid('the module does not export a function "run"', { export: 'run' });
  for (const [name, t] of [['run', runType], ['query', queryType]] as const) {
    if (t === null) continue;
    const ft = types[t];
    if (!ft || signatureOf(ft.params, ft.results) !== '()->(i32)') {
      invalid(`export "${name}" must have signature ()->(i32), has ${ft ? signatureOf(ft.params, ft.results) : '?'}`, { export: name });
    }
  }
  return {
    importedMemory, ownMemory, start, startSection, stripSections: startSection ? [...stripSections, startSection].sort((a, b) => a[0] - b[0]) : stripSections,
    code, functionImports,
    functionCount: functionImports.length + definedFuncs, hasQuery: queryType !== null, passiveData,
  };
}

const FORBIDDEN_ENV = new Map<string, string>([
  ['seed', 'randomness (Math.random) is nondeterministic'],
  ['Date.now', 'the clock is nondeterministic: use the run context `now`'],
  ['performance.now', 'the clock is nondeterministic'],
]);

/** Why a function import is refused (`details.refused[].reason` of MODULE_INVALID). */
export type ImportRefusal =
  | 'unknown-hostcall' | 'not-allowed' | 'signature' | 'env-forbidden' | 'env-unknown' | 'env-needs-hostcall' | 'wasi' | 'namespace';

export interface RefusedImport {
  /** `namespace.name`. */
  import: string;
  reason: ImportRefusal;
  message: string;
  /** For `signature`: the signature the host expects and the one the module declares. */
  expected?: string;
  got?: string;
}

function checkFunctionImport(mod: string, name: string, ty: { params: WasmValType[]; results: WasmValType[] }, allowed: ReadonlySet<string>): RefusedImport | null {
  const full = `${mod}.${name}`;
  const refuse = (reason: ImportRefusal, why: string, more: { expected?: string; got?: string } = {}): RefusedImport =>
    ({ import: full, reason, message: `import ${full}: ${why}`, ...more });
  const sig = signatureOf(ty.params, ty.results);
  if (mod === HOSTCALL_NAMESPACE) {
    const spec = HOSTCALL_BY_NAME.get(name);
    if (!spec) return refuse('unknown-hostcall', `no such hostcall in ${HOSTCALL_NAMESPACE}`);
    if (!allowed.has(name)) return refuse('not-allowed', "not in the module's allowed hostcalls (manifest ∩ host policy)");
    const want = signatureOf(spec.params.map((x) => x.type), spec.results);
    if (sig !== want) return refuse('signature', `signature ${sig} does not match the hostcall's ${want}`, { expected: want, got: sig });
    return null;
  }
  if (mod === 'env') {
    const why = FORBIDDEN_ENV.get(name);
    if (why) return refuse('env-forbidden', why);
    const spec = ENV_IMPORTS.find((e) => e.name === name);
    if (!spec) return refuse('env-unknown', 'not provided by the host');
    if (spec.requires !== null && !allowed.has(spec.requires)) return refuse('env-needs-hostcall', `needs hostcall "${spec.requires}" in the allowlist`);
    const want = signatureOf(spec.params, spec.results);
    if (sig !== want) return refuse('signature', `signature ${sig} does not match ${want}`, { expected: want, got: sig });
    return null;
  }
  if (mod.startsWith('wasi')) return refuse('wasi', 'WASI is not supported (no I/O, clock or randomness)');
  return refuse('namespace', `namespace "${mod}" is not provided (only ${HOSTCALL_NAMESPACE} and env)`);
}

/**
 * One MODULE_INVALID for all refused imports. `details.import` is the first (as before), `details.refused` lists
 * every one with its reason; one refused import keeps its own message, several are listed in the message.
 */
function refuseImports(refused: RefusedImport[]): void {
  if (refused.length === 0) return;
  const list = refused.map(({ import: i, reason, expected, got }) => ({ import: i, reason, ...(expected ? { expected, got } : {}) }));
  const first = refused[0];
  if (refused.length === 1) invalid(first.message, { import: first.import, ...(first.expected ? { expected: first.expected, got: first.got } : {}), refused: list });
  invalid(`${refused.length} imports are refused: ${refused.map((r) => r.message).join('; ')}`, { import: first.import, refused: list });
}
