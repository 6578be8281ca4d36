/**
 * Instrumentation with binaryen (pinned: 132.0.0). Portable (binaryen.js runs in browsers too).
 *
 * Walks every expression of every defined function with the per-kind accessors and REJECTS any expression
 * kind it does not handle (MODULE_INVALID naming it), so nothing runs unmetered. It adds:
 *  - fuel: an i64 global `__kapsule_fuel` (set by the host to the budget before any guest code runs),
 *    decremented at each metered block entry (function entry, loop header, if arms, the code after a child that
 *    may branch) by that block's static cost (costs.ts); memory.grow is charged per page requested and
 *    memory.copy/fill/init per byte, dynamically, before the operation. The `< 0 → unreachable` check runs at
 *    loop headers, entries of functions that call guest functions, and dynamic charges; other charges are
 *    unchecked (they run at most once per check, so the overshoot is bounded) and the host checks after the run.
 *  - leaf functions (no calls to guest functions) only check there is room for their frame; others do −1/+1.
 *  - depth: an i32 global `__kapsule_depth` holding the REMAINING depth (set by the host to maxDepth): −1 at
 *    function entry (trap when it goes below 0), +1 at the single exit every `return` is rewritten to branch to.
 *    So a limit L traps exactly at the (L+1)-th nested call.
 *  - `__kapsule_grow_failed`: 1 while the most recent memory.grow returned −1 (MEMORY_LIMIT classification).
 *  - NaN canonicalisation where NaN bits become observable: the value of f32/f64 stores, the operand of
 *    i32.reinterpret_f32 / i64.reinterpret_f64, the sign operand of copysign.
 *  - `__kapsule_charge(amount: i32) -> i32`: the host's hostcall charge without BigInt round trips.
 *  - the start function (if any) is removed from the start section and exported as `__kapsule_start`; the host
 *    calls it after instantiation, under the same fuel and depth budget, before `run`.
 */
import type Binaryen from 'binaryen';
import { KapsuleError } from '../errors.ts';
import { COST_TABLE } from './costs.ts';
import type { ValidatedModule } from './validate.ts';

import { EXPORT_CHARGE, EXPORT_DEPTH, EXPORT_FUEL, EXPORT_GROW_FAILED, EXPORT_MEMORY, EXPORT_START } from './names.ts';

const G_FUEL = '__kapsule_fuel~g';
const G_DEPTH = '__kapsule_depth~g';
const G_GROW = '__kapsule_grow_failed~g';
const EXIT_LABEL = '__kapsule_exit~l';
const F_CHARGE = '__kapsule_charge~f';

type Ref = number;
/**
 * Loaded with a dynamic import (top-level await): binaryen is 15 MB of JS + wasm and takes ~0.5 s to start, so
 * whatever never instruments — `kapsule inspect`, `verify`, `audit verify`, a precheck worker — never loads it.
 * Importers of this file (node.ts, execute/index.ts) wait for it as they would for a static import.
 */
const binaryen: typeof Binaryen = (await import('binaryen')).default;
const b = binaryen;
/** binaryen.js's per-kind accessor namespaces (Block.getChildren, If.setIfTrue, ...) are not in its .d.ts. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const K = binaryen as unknown as Record<string, Record<string, (...a: any[]) => any>>;
const ID = {
  Block: b.BlockId, If: b.IfId, Loop: b.LoopId, Break: b.BreakId, Switch: b.SwitchId, Call: b.CallId,
  CallIndirect: b.CallIndirectId, LocalGet: b.LocalGetId, LocalSet: b.LocalSetId, GlobalGet: b.GlobalGetId,
  GlobalSet: b.GlobalSetId, Load: b.LoadId, Store: b.StoreId, Const: b.ConstId, Unary: b.UnaryId, Binary: b.BinaryId,
  Select: b.SelectId, Drop: b.DropId, Return: b.ReturnId, MemorySize: b.MemorySizeId, MemoryGrow: b.MemoryGrowId,
  Nop: b.NopId, Unreachable: b.UnreachableId, MemoryCopy: b.MemoryCopyId, MemoryFill: b.MemoryFillId,
  MemoryInit: b.MemoryInitId, DataDrop: b.DataDropId,
} as const;
const NAME_OF_ID = new Map<number, string>(Object.entries(b).filter(([k, v]) => /^[A-Z]\w*Id$/.test(k) && typeof v === 'number').map(([k, v]) => [v as number, k.slice(0, -2)]));
const FREE = new Set<number>(COST_TABLE.free.map((k) => (ID as Record<string, number>)[k]));
const HEAVY_BINARY = new Set<number>([
  b.DivSInt32, b.DivUInt32, b.RemSInt32, b.RemUInt32, b.DivSInt64, b.DivUInt64, b.RemSInt64, b.RemUInt64,
  b.DivFloat32, b.DivFloat64,
]);
const HEAVY_UNARY = new Set<number>([b.SqrtFloat32, b.SqrtFloat64]);

/** The features an instrumented module may use: what AssemblyScript 0.27 emits by default, minus the rest. */
const FEATURES = b.Features.MVP | b.Features.MutableGlobals | b.Features.SignExt | b.Features.NontrappingFPToInt
  | b.Features.BulkMemory | b.Features.BulkMemoryOpt;

function reject(what: string, fn: string): never {
  throw new KapsuleError('MODULE_INVALID', 'execute', `${what} is not supported (function ${fn})`, { feature: what, function: fn });
}

interface Visit { e: Ref; cost: number; br: boolean }

class FunctionInstrumenter {
  private tmpI32 = -1;
  private tmpF32 = -1;
  private tmpF64 = -1;

  constructor(private readonly m: Binaryen.Module, private readonly f: Ref, private readonly name: string, private readonly imported: ReadonlySet<string>) {}

  private addVar(type: number): number {
    return (b as unknown as { _BinaryenFunctionAddVar(f: Ref, t: number): number })._BinaryenFunctionAddVar(this.f, type);
  }
  private i32tmp(): number { if (this.tmpI32 < 0) this.tmpI32 = this.addVar(b.i32); return this.tmpI32; }

  private tmpFuel = -1;
  private fuelTmp(): number { if (this.tmpFuel < 0) this.tmpFuel = this.addVar(b.i64); return this.tmpFuel; }

  /** fuel -= amount (an i64 expression); trap when negative. The new value is kept in a local for the test. */
  private chargeDyn(amount: Ref): Ref[] {
    const m = this.m;
    const t = this.fuelTmp();
    return [
      m.global.set(G_FUEL, m.local.tee(t, m.i64.sub(m.global.get(G_FUEL, b.i64), amount), b.i64)),
      m.if(m.i64.lt_s(m.local.get(t, b.i64), m.i64.const(0n)), m.unreachable()),
    ];
  }
  /** fuel -= n, checked: at loop headers and non-leaf function entries (docs/ABI.md §Metering). */
  private chargeChecked(n: number): Ref[] {
    return n > 0 ? this.chargeDyn(this.m.i64.const(BigInt(n))) : [];
  }
  /**
   * fuel -= n without a check: segments that can run at most once per entry of the enclosing function or loop
   * iteration. The counter can dip below zero only until the next check (bounded by the function's static size);
   * the host also checks it after the run, so the verdict and the fuel reported are the same.
   */
  private charge(n: number): Ref[] {
    const m = this.m;
    return n > 0 ? [m.global.set(G_FUEL, m.i64.sub(m.global.get(G_FUEL, b.i64), m.i64.const(BigInt(n))))] : [];
  }
  /** Wraps `e` so that its cost (plus `extra`) is charged on entry. */
  private region(v: Visit, extra = 0, checked = false): Ref {
    const c = checked ? this.chargeChecked(v.cost + extra) : this.charge(v.cost + extra);
    return c.length ? this.m.block(null, [...c, v.e], b.getExpressionType(v.e)) : v.e;
  }
  /** An i32 operand evaluated once, charged `base + (value as u32 × mul) >> shift` before it is used. */
  private chargedOperand(operand: Ref, base: number, mul: number, shift: number): Ref {
    const m = this.m;
    const t = this.i32tmp();
    let amount: Ref = m.i64.extend_u(m.local.get(t, b.i32));
    if (mul !== 1) amount = m.i64.mul(amount, m.i64.const(BigInt(mul)));
    if (shift !== 0) amount = m.i64.shr_u(amount, m.i64.const(BigInt(shift)));
    amount = m.i64.add(amount, m.i64.const(BigInt(base)));
    return m.block(null, [m.local.set(t, operand), ...this.chargeDyn(amount), m.local.get(t, b.i32)], b.i32);
  }
  private canon(e: Ref, type: number): Ref {
    const m = this.m;
    if (type === b.f32) {
      if (this.tmpF32 < 0) this.tmpF32 = this.addVar(b.f32);
      const t = this.tmpF32;
      return m.select(m.f32.ne(m.local.get(t, b.f32), m.local.get(t, b.f32)), m.f32.const_bits(0x7fc00000), m.local.tee(t, e, b.f32));
    }
    if (type === b.f64) {
      if (this.tmpF64 < 0) this.tmpF64 = this.addVar(b.f64);
      const t = this.tmpF64;
      return m.select(m.f64.ne(m.local.get(t, b.f64), m.local.get(t, b.f64)), m.f64.const_bits(0x7ff8000000000000n), m.local.tee(t, e, b.f64));
    }
    return e; // unreachable-typed operand: nothing flows
  }

  /** Calls to functions defined in the module (imports never call back into the guest). */
  private callsGuest = false;

  run(): void {
    const m = this.m;
    const f = this.f;
    const results = K.Function.getResults(f);
    const body = this.visit(K.Function.getBody(f));
    const cost = body.cost + COST_TABLE.functionEntry;
    if (!this.callsGuest) {
      // Leaf: it cannot go deeper, so it only checks that there is room for its own frame (same trap point as
      // the decrement would give), and its fuel is charged unchecked (the caller's next check catches it).
      const out = m.block(null, [
        m.if(m.i32.le_s(m.global.get(G_DEPTH, b.i32), m.i32.const(0)),
          m.block(null, [m.global.set(G_DEPTH, m.i32.const(-1)), m.unreachable()])),
        ...this.charge(cost),
        m.block(EXIT_LABEL, [body.e], results),
      ], results);
      K.Function.setBody(f, out);
      return;
    }
    // depth −1 and fuel −cost, then one combined test (a single branch on the hot path of recursive code)
    const td = this.i32tmp();
    const tf = this.fuelTmp();
    const enter = [
      m.global.set(G_DEPTH, m.local.tee(td, m.i32.sub(m.global.get(G_DEPTH, b.i32), m.i32.const(1)), b.i32)),
      m.global.set(G_FUEL, m.local.tee(tf, m.i64.sub(m.global.get(G_FUEL, b.i64), m.i64.const(BigInt(cost))), b.i64)),
      m.if(m.i32.or(m.i32.lt_s(m.local.get(td, b.i32), m.i32.const(0)), m.i64.lt_s(m.local.get(tf, b.i64), m.i64.const(0n))), m.unreachable()),
    ];
    const leave = m.global.set(G_DEPTH, m.i32.add(m.global.get(G_DEPTH, b.i32), m.i32.const(1)));
    const exit = m.block(EXIT_LABEL, [body.e], results);
    let out: Ref;
    if (results === b.none) {
      out = m.block(null, [...enter, exit, leave], b.none);
    } else {
      const ret = this.addVar(results);
      out = m.block(null, [...enter, m.local.set(ret, exit), leave, m.local.get(ret, results)], results);
    }
    K.Function.setBody(f, out);
  }

  private visit(e: Ref): Visit {
    const id = b.getExpressionId(e);
    const m = this.m;
    switch (id) {
      case ID.Block: {
        const children = K.Block.getChildren(e);
        const out: Ref[] = [];
        let seg: Ref[] = [];
        let cost = 0, first = -1, br = false;
        const close = () => {
          if (first < 0) { first = cost; out.push(...seg); } else out.push(...this.charge(cost), ...seg);
          seg = []; cost = 0;
        };
        for (let i = 0; i < children.length; i++) {
          const v = this.visit(children[i]);
          seg.push(v.e);
          cost += v.cost;
          if (v.br) { br = true; if (i < children.length - 1) close(); }
        }
        close();
        K.Block.setChildren(e, out);
        return { e, cost: first, br };
      }
      case ID.Loop: {
        const v = this.visit(K.Loop.getBody(e));
        K.Loop.setBody(e, this.region(v, COST_TABLE.loopIteration, true));
        return { e, cost: 0, br: v.br };
      }
      case ID.If: {
        const c = this.visit(K.If.getCondition(e));
        K.If.setCondition(e, c.e);
        const t = this.visit(K.If.getIfTrue(e));
        K.If.setIfTrue(e, this.region(t));
        let br = c.br || t.br;
        const fe = K.If.getIfFalse(e);
        if (fe) {
          const fv = this.visit(fe);
          K.If.setIfFalse(e, this.region(fv));
          br ||= fv.br;
        }
        return { e, cost: c.cost + 1, br };
      }
      case ID.Break: {
        let cost = 1;
        const val = K.Break.getValue(e);
        if (val) { const v = this.visit(val); K.Break.setValue(e, v.e); cost += v.cost; }
        const cond = K.Break.getCondition(e);
        if (cond) { const v = this.visit(cond); K.Break.setCondition(e, v.e); cost += v.cost; }
        return { e, cost, br: true };
      }
      case ID.Switch: {
        let cost = 2;
        const val = K.Switch.getValue(e);
        if (val) { const v = this.visit(val); K.Switch.setValue(e, v.e); cost += v.cost; }
        const v = this.visit(K.Switch.getCondition(e)); K.Switch.setCondition(e, v.e); cost += v.cost;
        return { e, cost, br: true };
      }
      case ID.Return: {
        const val = K.Return.getValue(e);
        let cost = 1;
        let ve: Ref = 0;
        if (val) { const v = this.visit(val); ve = v.e; cost += v.cost; }
        return { e: m.br(EXIT_LABEL, 0, ve || undefined), cost, br: true };
      }
      case ID.Call: {
        const info = b.getExpressionInfo(e) as Binaryen.CallInfo;
        if (info.isReturn) reject('tail call (return_call)', this.name);
        if (!this.imported.has(info.target)) this.callsGuest = true;
        let cost = COST_TABLE.call, br = false;
        info.operands.forEach((o, i) => { const v = this.visit(o); K.Call.setOperandAt(e, i, v.e); cost += v.cost; br ||= v.br; });
        return { e, cost, br };
      }
      case ID.CallIndirect: {
        const info = b.getExpressionInfo(e) as Binaryen.CallIndirectInfo;
        if (info.isReturn) reject('tail call (return_call_indirect)', this.name);
        this.callsGuest = true;
        let cost = COST_TABLE.callIndirect, br = false;
        info.operands.forEach((o, i) => { const v = this.visit(o); K.CallIndirect.setOperandAt(e, i, v.e); cost += v.cost; br ||= v.br; });
        const t = this.visit(info.target); K.CallIndirect.setTarget(e, t.e);
        return { e, cost: cost + t.cost, br: br || t.br };
      }
      case ID.LocalGet: case ID.GlobalGet: case ID.Const: case ID.Nop: case ID.Unreachable: case ID.MemorySize: case ID.DataDrop:
        return { e, cost: FREE.has(id) ? 0 : COST_TABLE.default, br: false };
      case ID.LocalSet: return this.unaryChild(e, K.LocalSet.getValue, K.LocalSet.setValue);
      case ID.GlobalSet: return this.unaryChild(e, K.GlobalSet.getValue, K.GlobalSet.setValue);
      case ID.Drop: return this.unaryChild(e, K.Drop.getValue, K.Drop.setValue);
      case ID.Load: {
        const info = b.getExpressionInfo(e) as Binaryen.LoadInfo;
        if (info.isAtomic) reject('atomics (threads)', this.name);
        return this.unaryChild(e, K.Load.getPtr, K.Load.setPtr);
      }
      case ID.Store: {
        const info = b.getExpressionInfo(e) as Binaryen.StoreInfo;
        if (info.isAtomic) reject('atomics (threads)', this.name);
        const p = this.visit(info.ptr); K.Store.setPtr(e, p.e);
        const v = this.visit(info.value);
        K.Store.setValue(e, this.canon(v.e, K.Store.getValueType(e)));
        return { e, cost: 1 + p.cost + v.cost, br: p.br || v.br };
      }
      case ID.Unary: {
        const op = K.Unary.getOp(e);
        const v = this.visit(K.Unary.getValue(e));
        const operandType = b.getExpressionType(v.e);
        const sink = op === b.ReinterpretFloat32 || op === b.ReinterpretFloat64;
        K.Unary.setValue(e, sink ? this.canon(v.e, operandType) : v.e);
        return { e, cost: v.cost + (HEAVY_UNARY.has(op) ? COST_TABLE.heavyArith : COST_TABLE.default), br: v.br };
      }
      case ID.Binary: {
        const op = K.Binary.getOp(e);
        const l = this.visit(K.Binary.getLeft(e)); K.Binary.setLeft(e, l.e);
        const r = this.visit(K.Binary.getRight(e));
        const sink = op === b.CopySignFloat32 || op === b.CopySignFloat64;
        K.Binary.setRight(e, sink ? this.canon(r.e, b.getExpressionType(r.e)) : r.e);
        return { e, cost: l.cost + r.cost + (HEAVY_BINARY.has(op) ? COST_TABLE.heavyArith : COST_TABLE.default), br: l.br || r.br };
      }
      case ID.Select: {
        const t = this.visit(K.Select.getIfTrue(e)); K.Select.setIfTrue(e, t.e);
        const f = this.visit(K.Select.getIfFalse(e)); K.Select.setIfFalse(e, f.e);
        const c = this.visit(K.Select.getCondition(e)); K.Select.setCondition(e, c.e);
        return { e, cost: 1 + t.cost + f.cost + c.cost, br: t.br || f.br || c.br };
      }
      case ID.MemoryGrow: {
        const d = this.visit(K.MemoryGrow.getDelta(e));
        K.MemoryGrow.setDelta(e, this.chargedOperand(d.e, COST_TABLE.memoryGrowBase, COST_TABLE.memoryGrowPerPage, 0));
        const t = this.i32tmp();
        const wrapped = m.block(null, [
          m.local.set(t, e),
          m.global.set(G_GROW, m.i32.eq(m.local.get(t, b.i32), m.i32.const(-1))),
          m.local.get(t, b.i32),
        ], b.i32);
        return { e: wrapped, cost: d.cost + 1, br: d.br };
      }
      case ID.MemoryCopy: {
        const d = this.visit(K.MemoryCopy.getDest(e)); K.MemoryCopy.setDest(e, d.e);
        const s = this.visit(K.MemoryCopy.getSource(e)); K.MemoryCopy.setSource(e, s.e);
        const n = this.visit(K.MemoryCopy.getSize(e));
        K.MemoryCopy.setSize(e, this.chargedOperand(n.e, COST_TABLE.bulkBase, 1, COST_TABLE.bulkBytesShift));
        return { e, cost: d.cost + s.cost + n.cost, br: d.br || s.br || n.br };
      }
      case ID.MemoryFill: {
        const d = this.visit(K.MemoryFill.getDest(e)); K.MemoryFill.setDest(e, d.e);
        const v = this.visit(K.MemoryFill.getValue(e)); K.MemoryFill.setValue(e, v.e);
        const n = this.visit(K.MemoryFill.getSize(e));
        K.MemoryFill.setSize(e, this.chargedOperand(n.e, COST_TABLE.bulkBase, 1, COST_TABLE.bulkBytesShift));
        return { e, cost: d.cost + v.cost + n.cost, br: d.br || v.br || n.br };
      }
      case ID.MemoryInit: {
        const d = this.visit(K.MemoryInit.getDest(e)); K.MemoryInit.setDest(e, d.e);
        const o = this.visit(K.MemoryInit.getOffset(e)); K.MemoryInit.setOffset(e, o.e);
        const n = this.visit(K.MemoryInit.getSize(e));
        K.MemoryInit.setSize(e, this.chargedOperand(n.e, COST_TABLE.bulkBase, 1, COST_TABLE.bulkBytesShift));
        return { e, cost: d.cost + o.cost + n.cost, br: d.br || o.br || n.br };
      }
      default:
        return reject(`expression ${NAME_OF_ID.get(id) ?? `#${id}`}`, this.name);
    }
  }

  private unaryChild(e: Ref, get: (e: Ref) => Ref, set: (e: Ref, v: Ref) => void): Visit {
    const v = this.visit(get(e));
    set(e, v.e);
    return { e, cost: v.cost + (FREE.has(b.getExpressionId(e)) ? 0 : COST_TABLE.default), br: v.br };
  }
}

/** Instruments validated ORIGINAL bytes. Deterministic for a given binaryen version and cost table. */
export function instrument(original: Uint8Array, v: ValidatedModule): Uint8Array {
  let bytes = original;
  if (v.startSection) {
    const [s, e] = v.startSection;
    bytes = new Uint8Array(original.length - (e - s));
    bytes.set(original.subarray(0, s), 0);
    bytes.set(original.subarray(e), s);
  }
  const m = b.readBinary(bytes);
  try {
    m.setFeatures(FEATURES);
    for (const [g, type] of [[G_FUEL, b.i64], [G_DEPTH, b.i32], [G_GROW, b.i32]] as const) {
      if (m.getGlobal(g)) throw new KapsuleError('MODULE_INVALID', 'execute', `global name ${g} is reserved`);
      m.addGlobal(g, type, true, type === b.i64 ? m.i64.const(0n) : m.i32.const(0));
    }
    m.addGlobalExport(G_FUEL, EXPORT_FUEL);
    if (m.getFunction(F_CHARGE)) throw new KapsuleError('MODULE_INVALID', 'execute', `function name ${F_CHARGE} is reserved`);
    m.addGlobalExport(G_DEPTH, EXPORT_DEPTH);
    m.addGlobalExport(G_GROW, EXPORT_GROW_FAILED);
    const n = m.getNumFunctions();
    const imported = new Set<string>();
    for (let i = 0; i < n; i++) {
      const info = b.getFunctionInfo(m.getFunctionByIndex(i));
      if (info.module) imported.add(info.name);
    }
    for (let i = 0; i < n; i++) {
      const f = m.getFunctionByIndex(i);
      const info = b.getFunctionInfo(f);
      if (info.module) continue; // imported
      new FunctionInstrumenter(m, f, info.name, imported).run();
    }
    // The host's hostcall charge (added after the walk: host code, not metered): fuel -= amount (u32); fuel >= 0.
    m.addFunction(F_CHARGE, b.i32, b.i32, [], m.block(null, [
      m.global.set(G_FUEL, m.i64.sub(m.global.get(G_FUEL, b.i64), m.i64.extend_u(m.local.get(0, b.i32)))),
      m.i64.ge_s(m.global.get(G_FUEL, b.i64), m.i64.const(0n)),
    ], b.i32));
    m.addFunctionExport(F_CHARGE, EXPORT_CHARGE);
    if (v.start !== null) {
      if (v.start >= n) throw new KapsuleError('MODULE_INVALID', 'execute', `start function index ${v.start} out of range`);
      m.addFunctionExport(b.getFunctionInfo(m.getFunctionByIndex(v.start)).name, EXPORT_START);
    }
    if (v.ownMemory) {
      // The host reads hostcall arguments from a module-defined memory through this export.
      let internal = '0';
      for (let i = 0; i < m.getNumExports(); i++) {
        const e = b.getExportInfo(m.getExportByIndex(i));
        if (e.kind === b.ExternalMemory) { internal = e.value; break; }
      }
      m.addMemoryExport(internal, EXPORT_MEMORY);
    }
    if (!m.validate()) {
      throw new KapsuleError('MODULE_INVALID', 'execute', 'the instrumented module does not validate (an instrumenter bug or an unsupported construct)', { internal: true });
    }
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}
