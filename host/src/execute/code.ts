/**
 * A single-pass reader of function bodies (the code section). Portable, no recursion, linear in the bytes.
 *
 * It runs twice per module:
 *  - on the ORIGINAL bytes (validate.ts), before binaryen or the engine compiles anything, to enforce the
 *    structural caps that bound what compiling the module costs — nesting depth, expression depth, operand-stack
 *    height, function and code size, br_table targets, and the engine's optimising-tier cost drivers — and to
 *    refuse features outside the deterministic subset by name (SIMD, atomics, exceptions, tail calls, reference
 *    types, multi-value blocks);
 *  - on the INSTRUMENTED bytes (instrument.ts), to size the largest native stack frame a function of the module
 *    can need: (params + locals + maximum operand-stack height) slots. sandbox.ts clamps the call depth so that
 *    depth × that frame fits the stack budget on every engine (docs/ABI.md §Stack).
 *
 * Every refusal is MODULE_INVALID. Malformed bytes never throw anything else: the reader is bounds-checked, and
 * control frames and stack heights are clamped, so an invalid body ends in a typed refusal (or in the engine's
 * own validation, which validate.ts runs as well).
 */
import { KapsuleError } from '../errors.ts';

/** Caps on code (docs/ABI.md §Loading and rejection), each chosen from a measurement (bench/compile.ts). */
export const CODE_CAPS = {
  /** Bytes of one function body (locals + instructions). */
  maxFunctionBytes: 128 * 1024,
  /** Bytes of the whole code section (instrumenting 1 MiB of hostile code took 5 s here; 512 KiB about half). */
  maxCodeBytes: 512 * 1024,
  /** Nesting of block / loop / if. */
  maxNesting: 512,
  /** Depth of one value's expression tree (a chain of unary operations counts one per operation). */
  maxExpressionDepth: 512,
  /** Operand-stack height inside one function. */
  maxStackHeight: 512,
  /** Targets of one br_table (its default included). */
  maxBrTableTargets: 4096,
  /**
   * Optimising-tier weight of one module: Σ over functions of 16 × control points + control points × locals +
   * 2 × loops × locals (control points: block, loop, if, else, end, br, br_if, return and each br_table target).
   * V8's TurboFan builds a merge for every branch edge (with a phi input per local) and phis for the locals at
   * every loop header; measured on this machine (bench/compile.ts), its time and memory follow this weight at about
   * 0.25 µs and 120 bytes per unit, so the cap bounds a module's optimising compile to about 0.5 s and 250 MB.
   */
  maxOptimizingWeight: 2 * 1024 * 1024,
} as const;

/** Bytes of native stack per slot (param, local or operand) in the frame estimate: V8's slot size on 64-bit. */
export const STACK_SLOT_BYTES = 8;

export interface CodeStats {
  /** Bytes of the code section's function bodies. */
  codeBytes: number;
  /** Largest (params + locals + max operand-stack height) of any defined function. */
  maxFrameSlots: number;
  /** Index (in the function index space) of that function. */
  maxFrameFunction: number;
  optimizingWeight: number;
  /** The weight's terms, summed over functions: Σ control points × locals, Σ br_table targets, Σ loops × locals. */
  terms: { controlLocals: number; controlPoints: number; brTargets: number; loopLocals: number };
}

export interface CodeContext {
  types: readonly { params: readonly unknown[]; results: readonly unknown[] }[];
  /** Type index of every function (imports first). */
  funcTypes: readonly number[];
  importedFunctions: number;
  /** Params + declared locals allowed per function. */
  maxLocals: number;
  /** Enforce CODE_CAPS (original bytes) or only measure (instrumented bytes, produced by the instrumenter). */
  enforce: boolean;
}

function invalid(message: string, details?: Record<string, unknown>): never {
  throw new KapsuleError('MODULE_INVALID', 'execute', message, details);
}

function refuse(feature: string, fn: number, op: string): never {
  invalid(`${feature} is not supported (function ${fn}: ${op})`, { feature, function: fn });
}

/** Value types a local or block may have, by code. */
const NUM_TYPE = new Set([0x7f, 0x7e, 0x7d, 0x7c]);

interface Frame { base: number; results: number; unreachable: boolean; loop: boolean; maxInner: number }

/**
 * Scans the code section [start, end) of `bytes`. Returns the stats; throws MODULE_INVALID on a cap or a refused
 * feature (when ctx.enforce) or on bytes it cannot read.
 */
export function scanCode(bytes: Uint8Array, start: number, end: number, ctx: CodeContext): CodeStats {
  let o = start;
  const u8 = (): number => {
    if (o >= end) invalid('code section ends early');
    return bytes[o++];
  };
  const u32 = (): number => {
    let r = 0, shift = 0, byte: number;
    do {
      byte = u8();
      if (shift === 28 && (byte & 0x70) !== 0) invalid('malformed LEB128 in code');
      r |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    if (byte & 0x80) invalid('malformed LEB128 in code');
    return r >>> 0;
  };
  const skipLeb = (maxBytes: number): void => {
    for (let i = 0; i < maxBytes; i++) if (!(u8() & 0x80)) return;
    invalid('malformed LEB128 in code');
  };
  const caps = CODE_CAPS;
  const enforce = ctx.enforce;
  const codeBytes = end - start;
  if (enforce && codeBytes > caps.maxCodeBytes) {
    invalid(`the code section is ${codeBytes} bytes, more than the cap of ${caps.maxCodeBytes}`, { cap: 'maxCodeBytes' });
  }
  const n = u32();
  if (n + ctx.importedFunctions !== ctx.funcTypes.length) invalid(`the code section has ${n} bodies for ${ctx.funcTypes.length - ctx.importedFunctions} functions`);
  let maxFrameSlots = 0, maxFrameFunction = -1, weight = 0;
  const terms = { controlLocals: 0, controlPoints: 0, brTargets: 0, loopLocals: 0 };
  // Reused across functions: operand-stack expression depths and control frames.
  const depth: number[] = [];
  const frames: Frame[] = [];

  for (let i = 0; i < n; i++) {
    const fn = ctx.importedFunctions + i;
    const size = u32();
    const bodyEnd = o + size;
    if (bodyEnd > end) invalid(`function ${fn}: body runs past the code section`);
    if (enforce && size > caps.maxFunctionBytes) {
      invalid(`function ${fn}: body of ${size} bytes exceeds the cap of ${caps.maxFunctionBytes}`, { function: fn, cap: 'maxFunctionBytes' });
    }
    const ty = ctx.types[ctx.funcTypes[fn]];
    if (!ty) invalid(`function ${fn}: unknown type`);
    let locals = ty.params.length;
    const groups = u32();
    for (let g = 0; g < groups; g++) {
      const count = u32();
      const t = u8();
      if (t === 0x7b) refuse('SIMD (v128)', fn, 'local');
      if (!NUM_TYPE.has(t)) refuse(`reference types or value type 0x${t.toString(16)}`, fn, 'local');
      locals += count;
      if (locals > ctx.maxLocals) invalid(`function ${fn}: more than ${ctx.maxLocals} locals`, { function: fn });
    }

    // Operand stack (height h, with each value's expression depth) and control frames.
    let h = 0, maxH = 0, controlPoints = 0, loops = 0, brTargets = 0;
    depth.length = 0;
    frames.length = 0;
    frames.push({ base: 0, results: ty.results.length, unreachable: false, loop: false, maxInner: 0 });
    let top = frames[0];
    /** Pops k values and returns the deepest of their expression depths. */
    const pop = (k: number): number => {
      let d = 0;
      for (let j = 0; j < k; j++) {
        if (h > top.base) { h--; if (depth[h] > d) d = depth[h]; }
        // below the frame base: only in unreachable code (else the engine's validation refuses the module)
      }
      return d;
    };
    const push = (d: number): void => {
      depth[h++] = d;
      if (h > maxH) {
        maxH = h;
        if (enforce && maxH > caps.maxStackHeight) {
          invalid(`function ${fn}: operand stack deeper than the cap of ${caps.maxStackHeight}`, { function: fn, cap: 'maxStackHeight' });
        }
      }
      if (enforce && d > caps.maxExpressionDepth) {
        invalid(`function ${fn}: an expression nests deeper than the cap of ${caps.maxExpressionDepth}`, { function: fn, cap: 'maxExpressionDepth' });
      }
    };
    /** An instruction popping k values and pushing r (0 or 1). */
    const op = (k: number, r: number): void => {
      const d = pop(k) + 1;
      if (r) push(d);
      else if (d > top.maxInner) top.maxInner = d;
    };
    const blockType = (name: string): number => {
      if (o >= bodyEnd) invalid(`function ${fn}: body ends early`);
      const b = bytes[o];
      if (b === 0x40) { o++; return 0; }
      if (NUM_TYPE.has(b)) { o++; return 1; }
      if (b === 0x7b) refuse('SIMD (v128)', fn, `${name} result`);
      if (b === 0x70 || b === 0x6f || b === 0x64 || b === 0x63) refuse('reference types', fn, `${name} result`);
      // a type index (s33, non-negative): multi-value block types
      const t = u32();
      const bt = ctx.types[t];
      if (!bt) invalid(`function ${fn}: ${name} has unknown type ${t}`);
      if (bt.params.length > 0 || bt.results.length > 1) {
        refuse('multi-value (block parameters or results)', fn, `${name} with type ${t}`);
      }
      return bt.results.length;
    };
    const enter = (results: number, loop: boolean): void => {
      controlPoints++;
      frames.push({ base: h, results, unreachable: false, loop, maxInner: 0 });
      top = frames[frames.length - 1];
      if (enforce && frames.length - 1 > caps.maxNesting) {
        invalid(`function ${fn}: blocks nest deeper than the cap of ${caps.maxNesting}`, { function: fn, cap: 'maxNesting' });
      }
    };
    const setUnreachable = (): void => { h = top.base; top.unreachable = true; };

    let ended = false;
    while (o < bodyEnd) {
      const c = bytes[o++];
      if (ended) invalid(`function ${fn}: code after the final end`);
      switch (c) {
        case 0x00: setUnreachable(); break; // unreachable
        case 0x01: break; // nop
        case 0x02: case 0x03: { // block, loop
          const r = blockType(c === 0x02 ? 'block' : 'loop');
          enter(r, c === 0x03);
          if (c === 0x03) loops++;
          break;
        }
        case 0x04: { // if
          const r = blockType('if');
          const d = pop(1);
          enter(r, false);
          top.maxInner = d + 1;
          break;
        }
        case 0x05: // else
          controlPoints++;
          h = top.base;
          top.unreachable = false;
          break;
        case 0x0b: { // end
          const f = frames.pop()!;
          if (frames.length === 0) { ended = true; break; }
          controlPoints++;
          top = frames[frames.length - 1];
          h = f.base;
          const d = f.maxInner + 1;
          if (f.results) push(d);
          else if (d > top.maxInner) top.maxInner = d;
          break;
        }
        case 0x0c: u32(); controlPoints++; pop(h - top.base); setUnreachable(); break; // br
        case 0x0d: u32(); controlPoints++; op(1, 0); break; // br_if: pops the condition (a value it carries stays)
        case 0x0e: { // br_table
          const k = u32();
          if (enforce && k + 1 > caps.maxBrTableTargets) {
            invalid(`function ${fn}: br_table with ${k + 1} targets exceeds the cap of ${caps.maxBrTableTargets}`, { function: fn, cap: 'maxBrTableTargets' });
          }
          for (let j = 0; j <= k; j++) u32();
          controlPoints += k + 1;
          brTargets += k + 1;
          pop(h - top.base);
          setUnreachable();
          break;
        }
        case 0x0f: controlPoints++; pop(h - top.base); setUnreachable(); break; // return
        case 0x10: { // call
          const f = u32();
          const t = ctx.types[ctx.funcTypes[f]];
          if (!t) invalid(`function ${fn}: call to unknown function ${f}`);
          op(t.params.length, t.results.length);
          break;
        }
        case 0x11: { // call_indirect
          const t = ctx.types[u32()];
          const table = u8();
          if (table !== 0) refuse('reference types (multiple tables)', fn, 'call_indirect');
          if (!t) invalid(`function ${fn}: call_indirect of unknown type`);
          op(t.params.length + 1, t.results.length);
          break;
        }
        case 0x1a: op(1, 0); break; // drop
        case 0x1b: op(3, 1); break; // select
        case 0x20: u32(); push(1); break; // local.get
        case 0x21: u32(); op(1, 0); break; // local.set
        case 0x22: u32(); op(1, 1); break; // local.tee
        case 0x23: u32(); push(1); break; // global.get
        case 0x24: u32(); op(1, 0); break; // global.set
        case 0x3f: case 0x40: // memory.size, memory.grow
          if (u8() !== 0) refuse('multi-memory', fn, c === 0x3f ? 'memory.size' : 'memory.grow');
          op(c === 0x3f ? 0 : 1, 1);
          break;
        case 0x41: skipLeb(5); push(1); break; // i32.const
        case 0x42: skipLeb(10); push(1); break; // i64.const
        case 0x43: o += 4; push(1); break; // f32.const
        case 0x44: o += 8; push(1); break; // f64.const
        case 0xfc: { // prefixed: saturating truncation, bulk memory
          const sub = u32();
          if (sub <= 7) op(1, 1);
          else if (sub === 8) { u32(); if (u8() !== 0) refuse('multi-memory', fn, 'memory.init'); op(3, 0); } // memory.init
          else if (sub === 9) { u32(); } // data.drop
          else if (sub === 10) { if (u8() !== 0 || u8() !== 0) refuse('multi-memory', fn, 'memory.copy'); op(3, 0); }
          else if (sub === 11) { if (u8() !== 0) refuse('multi-memory', fn, 'memory.fill'); op(3, 0); }
          else refuse('reference types / table instructions', fn, `0xfc ${sub}`);
          break;
        }
        default:
          if (c >= 0x28 && c <= 0x3e) { // loads and stores: memarg
            const align = u32();
            if (align & 0x40) refuse('multi-memory', fn, 'memory access');
            u32();
            if (c <= 0x35) op(1, 1); else op(2, 0);
          } else if (c === 0x45 || c === 0x50 || (c >= 0x67 && c <= 0x69) || (c >= 0x79 && c <= 0x7b)
            || (c >= 0x8b && c <= 0x91) || (c >= 0x99 && c <= 0x9f) || (c >= 0xa7 && c <= 0xc4)) {
            op(1, 1); // unary: eqz, clz/ctz/popcnt, float unary, conversions, sign extension
          } else if ((c >= 0x46 && c <= 0x4f) || (c >= 0x51 && c <= 0x66) || (c >= 0x6a && c <= 0x78)
            || (c >= 0x7c && c <= 0x8a) || (c >= 0x92 && c <= 0x98) || (c >= 0xa0 && c <= 0xa6)) {
            op(2, 1); // comparisons and binary arithmetic
          } else {
            refuseOpcode(c, fn);
          }
      }
      if (o > bodyEnd) invalid(`function ${fn}: an instruction runs past the body`);
    }
    if (!ended) invalid(`function ${fn}: body does not end with end`);
    o = bodyEnd;

    const slots = locals + maxH;
    if (slots > maxFrameSlots) { maxFrameSlots = slots; maxFrameFunction = fn; }
    weight += 16 * controlPoints + controlPoints * locals + 2 * loops * locals;
    terms.controlLocals += controlPoints * locals;
    terms.controlPoints += controlPoints;
    terms.brTargets += brTargets;
    terms.loopLocals += loops * locals;
    if (enforce && weight > caps.maxOptimizingWeight) {
      invalid(`function ${fn}: the module's optimising-compiler weight (control points × locals) exceeds the cap of ${caps.maxOptimizingWeight}: too many branches × locals for a bounded compile`, { function: fn, cap: 'maxOptimizingWeight' });
    }
  }
  if (o !== end) invalid('the code section has trailing bytes');
  return { codeBytes, maxFrameSlots, maxFrameFunction, optimizingWeight: weight, terms };
}

function refuseOpcode(c: number, fn: number): never {
  const hex = `0x${c.toString(16)}`;
  if (c === 0xfd) refuse('SIMD', fn, hex);
  if (c === 0xfe) refuse('atomics (threads)', fn, hex);
  if (c === 0x12 || c === 0x13 || c === 0x15) refuse('tail call (return_call)', fn, hex);
  if ((c >= 0x06 && c <= 0x0a) || c === 0x18 || c === 0x19 || c === 0x1f) refuse('exception handling', fn, hex);
  if (c === 0x14) refuse('typed function references (call_ref)', fn, hex);
  if (c === 0x1c || c === 0x25 || c === 0x26 || (c >= 0xd0 && c <= 0xd6)) refuse('reference types', fn, hex);
  if (c === 0xfb) refuse('GC', fn, hex);
  invalid(`function ${fn}: unknown or unsupported opcode ${hex}`, { function: fn, feature: hex });
}

/** Custom section the instrumenter appends to its output: u8 version (1) ‖ u32 LEB max frame slots. */
export const FRAME_SECTION = 'kapsule.frame';

/**
 * Frame stats of an INSTRUMENTED module (binaryen's output): reads its type, import, function and code sections.
 * The caps are not enforced here (they were, on the original bytes).
 */
export function measureFrames(bytes: Uint8Array): CodeStats {
  let o = 8;
  const u8 = (): number => { if (o >= bytes.length) invalid('instrumented module ends early'); return bytes[o++]; };
  const u32 = (): number => {
    let r = 0, shift = 0, byte: number;
    do { byte = u8(); r |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80 && shift < 35);
    return r >>> 0;
  };
  const skipName = (): void => { const n = u32(); o += n; };
  const types: { params: number[]; results: number[] }[] = [];
  const funcTypes: number[] = [];
  let imported = 0;
  let stats: CodeStats | null = null;
  while (o < bytes.length) {
    const id = u8();
    const size = u32();
    const end = o + size;
    if (id === 1) {
      for (let n = u32(), i = 0; i < n; i++) {
        if (u8() !== 0x60) invalid('instrumented module: unexpected type form');
        const params: number[] = []; for (let k = u32(), j = 0; j < k; j++) params.push(u8());
        const results: number[] = []; for (let k = u32(), j = 0; j < k; j++) results.push(u8());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(), i = 0; i < n; i++) {
        skipName(); skipName();
        const kind = u8();
        if (kind === 0) { funcTypes.push(u32()); imported++; } else if (kind === 2) { const f = u8(); u32(); if (f & 1) u32(); } else invalid(`instrumented module: unexpected import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = u32(), i = 0; i < n; i++) funcTypes.push(u32());
    } else if (id === 10) {
      stats = scanCode(bytes, o, end, { types, funcTypes, importedFunctions: imported, maxLocals: 1 << 20, enforce: false });
    }
    o = end;
  }
  return stats ?? { codeBytes: 0, maxFrameSlots: 0, maxFrameFunction: -1, optimizingWeight: 0, terms: { controlLocals: 0, controlPoints: 0, brTargets: 0, loopLocals: 0 } };
}

/** `bytes` with a custom section appended (custom sections may follow every other section). */
export function withCustomSection(bytes: Uint8Array, sectionName: string, payload: readonly number[]): Uint8Array {
  const name = new TextEncoder().encode(sectionName);
  const body = [...uleb(name.length), ...name, ...payload];
  const section = [0, ...uleb(body.length), ...body];
  const out = new Uint8Array(bytes.length + section.length);
  out.set(bytes);
  out.set(section, bytes.length);
  return out;
}

export const uleb = (v: number): number[] => { const out: number[] = []; do { let x = v & 0x7f; v >>>= 7; if (v) x |= 0x80; out.push(x); } while (v); return out; };

/** `bytes` with a FRAME_SECTION appended. */
export function withFrameSection(bytes: Uint8Array, maxFrameSlots: number): Uint8Array {
  return withCustomSection(bytes, FRAME_SECTION, [1, ...uleb(maxFrameSlots)]);
}

/** A version-1 custom section `u8 1 ‖ u32 LEB` of a compiled module: the number, or null when missing or malformed. */
function versionedU32Section(module: WebAssembly.Module, sectionName: string): number | null {
  const s = WebAssembly.Module.customSections(module, sectionName);
  if (s.length !== 1) return null;
  const b = new Uint8Array(s[0]);
  if (b[0] !== 1) return null;
  let r = 0, shift = 0, i = 1;
  for (; i < b.length && i < 6; i++) { r |= (b[i] & 0x7f) << shift; shift += 7; if (!(b[i] & 0x80)) break; }
  if (i !== b.length - 1) return null;
  return r >>> 0;
}

/** Reads FRAME_SECTION from a compiled module; null when it is missing or malformed. */
export function frameSlotsOf(module: WebAssembly.Module): number | null {
  return versionedU32Section(module, FRAME_SECTION);
}

/**
 * Custom section the instrumenter appends: u8 version (1) ‖ u32 LEB count of the mutable globals it exported as
 * `EXPORT_GLOBAL_PREFIX<index>` (every mutable global of the module, its own counters included), so that a kept
 * instance can be reset to a fresh one's state (sandbox.ts). A module without it (instrumented before the section
 * existed) runs in a fresh instance every time.
 */
export const RESET_SECTION = 'kapsule.reset';

export function resetGlobalCountOf(module: WebAssembly.Module): number | null {
  return versionedU32Section(module, RESET_SECTION);
}
