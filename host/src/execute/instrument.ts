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
import { RESET_SECTION, measureFrames, uleb, withCustomSection, withFrameSection } from './code.ts';

import { EXPORT_CHARGE, EXPORT_DEPTH, EXPORT_FUEL, EXPORT_GLOBAL_PREFIX, EXPORT_GROW_FAILED, EXPORT_MEMORY, EXPORT_START } from './names.ts';

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
/** One expression being walked: its children (in visiting order) and the results of those already visited. */
interface Task { e: Ref; id: number; kids: Ref[]; res: Visit[]; flags: number }

class FunctionInstrumenter {
  private tmpI32 = -1;
  private tmpF32 = -1;
  private tmpF64 = -1;

  constructor(
    private readonly m: Binaryen.Module, private readonly f: Ref, private readonly name: string, private readonly imported: ReadonlySet<string>,
    /** Base costs of memory.copy / init and of memory.fill: V8's builtins are slower on a module's own memory (costs.ts). */
    private readonly bulkBase: number,
    private readonly fillBase: number,
  ) {}

  private addVar(type: number): number {
    return (b as unknown as { _BinaryenFunctionAddVar(f: Ref, t: number): number })._BinaryenFunctionAddVar(this.f, type);
  }
  private i32tmp(): number { if (this.tmpI32 < 0) this.tmpI32 = this.addVar(b.i32); return this.tmpI32; }
  private tmpI32b = -1;
  /** A second i32 scratch local, for memory.grow (which needs its delta and its result at once). */
  private i32tmpB(): number { if (this.tmpI32b < 0) this.tmpI32b = this.addVar(b.i32); return this.tmpI32b; }

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

  /**
   * Post-order walk with an explicit stack (no recursion: the depth of the expression tree never meets the host's
   * JS stack; code.ts caps it anyway). `open` checks the kind and lists its children in visiting order; `close`
   * receives their results, writes the (possibly wrapped) children back and returns the expression's cost.
   */
  private visit(root: Ref): Visit {
    const stack: Task[] = [this.open(root)];
    for (;;) {
      const t = stack[stack.length - 1];
      if (t.res.length < t.kids.length) { stack.push(this.open(t.kids[t.res.length])); continue; }
      stack.pop();
      const v = this.close(t);
      if (stack.length === 0) return v;
      stack[stack.length - 1].res.push(v);
    }
  }

  private open(e: Ref): Task {
    const id = b.getExpressionId(e);
    const kids: Ref[] = [];
    const opt = (c: Ref): number => { if (c) { kids.push(c); return 1; } return 0; };
    let flags = 0;
    switch (id) {
      case ID.Block: { const n = K.Block.getNumChildren(e); for (let i = 0; i < n; i++) kids.push(K.Block.getChildAt(e, i)); break; }
      case ID.Loop: kids.push(K.Loop.getBody(e)); break;
      case ID.If: kids.push(K.If.getCondition(e), K.If.getIfTrue(e)); flags = opt(K.If.getIfFalse(e)); break;
      case ID.Break: flags = opt(K.Break.getValue(e)) | (opt(K.Break.getCondition(e)) << 1); break;
      case ID.Switch: flags = opt(K.Switch.getValue(e)); kids.push(K.Switch.getCondition(e)); break;
      case ID.Return: flags = opt(K.Return.getValue(e)); break;
      case ID.Call: {
        const info = b.getExpressionInfo(e) as Binaryen.CallInfo;
        if (info.isReturn) reject('tail call (return_call)', this.name);
        if (!this.imported.has(info.target)) this.callsGuest = true;
        for (const o of info.operands) kids.push(o);
        break;
      }
      case ID.CallIndirect: {
        const info = b.getExpressionInfo(e) as Binaryen.CallIndirectInfo;
        if (info.isReturn) reject('tail call (return_call_indirect)', this.name);
        this.callsGuest = true;
        for (const o of info.operands) kids.push(o);
        kids.push(info.target);
        break;
      }
      case ID.LocalGet: case ID.GlobalGet: case ID.Const: case ID.Nop: case ID.Unreachable: case ID.MemorySize: case ID.DataDrop:
        break;
      case ID.LocalSet: kids.push(K.LocalSet.getValue(e)); break;
      case ID.GlobalSet: kids.push(K.GlobalSet.getValue(e)); break;
      case ID.Drop: kids.push(K.Drop.getValue(e)); break;
      case ID.Load: {
        if ((b.getExpressionInfo(e) as Binaryen.LoadInfo).isAtomic) reject('atomics (threads)', this.name);
        kids.push(K.Load.getPtr(e));
        break;
      }
      case ID.Store: {
        const info = b.getExpressionInfo(e) as Binaryen.StoreInfo;
        if (info.isAtomic) reject('atomics (threads)', this.name);
        kids.push(info.ptr, info.value);
        break;
      }
      case ID.Unary: kids.push(K.Unary.getValue(e)); break;
      case ID.Binary: kids.push(K.Binary.getLeft(e), K.Binary.getRight(e)); break;
      case ID.Select: kids.push(K.Select.getIfTrue(e), K.Select.getIfFalse(e), K.Select.getCondition(e)); break;
      case ID.MemoryGrow: kids.push(K.MemoryGrow.getDelta(e)); break;
      case ID.MemoryCopy: kids.push(K.MemoryCopy.getDest(e), K.MemoryCopy.getSource(e), K.MemoryCopy.getSize(e)); break;
      case ID.MemoryFill: kids.push(K.MemoryFill.getDest(e), K.MemoryFill.getValue(e), K.MemoryFill.getSize(e)); break;
      case ID.MemoryInit: kids.push(K.MemoryInit.getDest(e), K.MemoryInit.getOffset(e), K.MemoryInit.getSize(e)); break;
      default:
        return reject(`expression ${NAME_OF_ID.get(id) ?? `#${id}`}`, this.name);
    }
    return { e, id, kids, res: [], flags };
  }

  private close(t: Task): Visit {
    const { e, id, res } = t;
    const m = this.m;
    switch (id) {
      case ID.Block: {
        const out: Ref[] = [];
        let seg: Ref[] = [];
        let cost = 0, first = -1, br = false;
        const close = () => {
          if (first < 0) first = cost;
          else for (const c of this.charge(cost)) out.push(c);
          for (let j = 0; j < seg.length; j++) out.push(seg[j]);
          seg = []; cost = 0;
        };
        for (let i = 0; i < res.length; i++) {
          const v = res[i];
          seg.push(v.e);
          cost += v.cost;
          if (v.br) { br = true; if (i < res.length - 1) close(); }
        }
        close();
        K.Block.setChildren(e, out);
        return { e, cost: first, br };
      }
      case ID.Loop: {
        const v = res[0];
        K.Loop.setBody(e, this.region(v, COST_TABLE.loopIteration, true));
        return { e, cost: 0, br: v.br };
      }
      case ID.If: {
        const [c, tr, fv] = res;
        K.If.setCondition(e, c.e);
        K.If.setIfTrue(e, this.region(tr));
        if (fv) K.If.setIfFalse(e, this.region(fv));
        return { e, cost: c.cost + 1, br: c.br || tr.br || (fv?.br ?? false) };
      }
      case ID.Break: {
        let cost = 1, i = 0;
        if (t.flags & 1) { K.Break.setValue(e, res[i].e); cost += res[i++].cost; }
        if (t.flags & 2) { K.Break.setCondition(e, res[i].e); cost += res[i++].cost; }
        return { e, cost, br: true };
      }
      case ID.Switch: {
        let cost = 2, i = 0;
        if (t.flags & 1) { K.Switch.setValue(e, res[i].e); cost += res[i++].cost; }
        K.Switch.setCondition(e, res[i].e); cost += res[i].cost;
        return { e, cost, br: true };
      }
      case ID.Return: {
        const v = t.flags & 1 ? res[0] : null;
        return { e: m.br(EXIT_LABEL, 0, v ? v.e : undefined), cost: 1 + (v ? v.cost : 0), br: true };
      }
      case ID.Call: case ID.CallIndirect: {
        const indirect = id === ID.CallIndirect;
        let cost = indirect ? COST_TABLE.callIndirect : COST_TABLE.call, br = false;
        const nOps = indirect ? res.length - 1 : res.length;
        for (let i = 0; i < nOps; i++) {
          if (indirect) K.CallIndirect.setOperandAt(e, i, res[i].e); else K.Call.setOperandAt(e, i, res[i].e);
          cost += res[i].cost; br ||= res[i].br;
        }
        if (indirect) { const tv = res[nOps]; K.CallIndirect.setTarget(e, tv.e); cost += tv.cost; br ||= tv.br; }
        return { e, cost, br };
      }
      case ID.LocalGet: case ID.GlobalGet: case ID.Const: case ID.Nop: case ID.Unreachable: case ID.MemorySize: case ID.DataDrop:
        return { e, cost: FREE.has(id) ? 0 : COST_TABLE.default, br: false };
      case ID.LocalSet: return this.unaryChild(e, res[0], K.LocalSet.setValue);
      case ID.GlobalSet: return this.unaryChild(e, res[0], K.GlobalSet.setValue);
      case ID.Drop: return this.unaryChild(e, res[0], K.Drop.setValue);
      case ID.Load: return this.unaryChild(e, res[0], K.Load.setPtr);
      case ID.Store: {
        const [p, v] = res;
        K.Store.setPtr(e, p.e);
        K.Store.setValue(e, this.canon(v.e, K.Store.getValueType(e)));
        return { e, cost: 1 + p.cost + v.cost, br: p.br || v.br };
      }
      case ID.Unary: {
        const op = K.Unary.getOp(e);
        const v = res[0];
        const sink = op === b.ReinterpretFloat32 || op === b.ReinterpretFloat64;
        K.Unary.setValue(e, sink ? this.canon(v.e, b.getExpressionType(v.e)) : v.e);
        return { e, cost: v.cost + (HEAVY_UNARY.has(op) ? COST_TABLE.heavyArith : COST_TABLE.default), br: v.br };
      }
      case ID.Binary: {
        const op = K.Binary.getOp(e);
        const [l, r] = res;
        K.Binary.setLeft(e, l.e);
        const sink = op === b.CopySignFloat32 || op === b.CopySignFloat64;
        K.Binary.setRight(e, sink ? this.canon(r.e, b.getExpressionType(r.e)) : r.e);
        return { e, cost: l.cost + r.cost + (HEAVY_BINARY.has(op) ? COST_TABLE.heavyArith : COST_TABLE.default), br: l.br || r.br };
      }
      case ID.Select: {
        const [tv, fv, c] = res;
        K.Select.setIfTrue(e, tv.e); K.Select.setIfFalse(e, fv.e); K.Select.setCondition(e, c.e);
        return { e, cost: 1 + tv.cost + fv.cost + c.cost, br: tv.br || fv.br || c.br };
      }
      case ID.MemoryGrow: {
        // fuel -= base + delta × perPage before growing; a grow that fails gives back all but memoryGrowFailed
        // (cost table 3): failing costs V8 ~50 ns, while a page that is granted costs 35-100 µs once touched.
        const d = res[0];
        const dt = this.i32tmp(), rt = this.i32tmpB();
        const pagesCost = (): Ref => m.i64.mul(m.i64.extend_u(m.local.get(dt, b.i32)), m.i64.const(BigInt(COST_TABLE.memoryGrowPerPage)));
        K.MemoryGrow.setDelta(e, m.local.get(dt, b.i32));
        const wrapped = m.block(null, [
          m.local.set(dt, d.e),
          ...this.chargeDyn(m.i64.add(pagesCost(), m.i64.const(BigInt(COST_TABLE.memoryGrowBase)))),
          m.local.set(rt, e),
          m.global.set(G_GROW, m.i32.eq(m.local.get(rt, b.i32), m.i32.const(-1))),
          m.if(m.global.get(G_GROW, b.i32), m.global.set(G_FUEL, m.i64.add(m.global.get(G_FUEL, b.i64), m.i64.add(pagesCost(), m.i64.const(BigInt(COST_TABLE.memoryGrowBase - COST_TABLE.memoryGrowFailed)))))),
          m.local.get(rt, b.i32),
        ], b.i32);
        return { e: wrapped, cost: d.cost + 1, br: d.br };
      }
      case ID.MemoryCopy: {
        const [d, s, n] = res;
        K.MemoryCopy.setDest(e, d.e); K.MemoryCopy.setSource(e, s.e);
        K.MemoryCopy.setSize(e, this.chargedOperand(n.e, this.bulkBase, 1, COST_TABLE.bulkBytesShift));
        return { e, cost: d.cost + s.cost + n.cost, br: d.br || s.br || n.br };
      }
      case ID.MemoryFill: {
        const [d, v, n] = res;
        K.MemoryFill.setDest(e, d.e); K.MemoryFill.setValue(e, v.e);
        K.MemoryFill.setSize(e, this.chargedOperand(n.e, this.fillBase, 1, COST_TABLE.bulkBytesShift));
        return { e, cost: d.cost + v.cost + n.cost, br: d.br || v.br || n.br };
      }
      case ID.MemoryInit: {
        const [d, o, n] = res;
        K.MemoryInit.setDest(e, d.e); K.MemoryInit.setOffset(e, o.e);
        K.MemoryInit.setSize(e, this.chargedOperand(n.e, this.bulkBase, 1, COST_TABLE.bulkBytesShift));
        return { e, cost: d.cost + o.cost + n.cost, br: d.br || o.br || n.br };
      }
      default:
        return reject(`expression ${NAME_OF_ID.get(id) ?? `#${id}`}`, this.name);
    }
  }

  private unaryChild(e: Ref, v: Visit, set: (e: Ref, v: Ref) => void): Visit {
    set(e, v.e);
    return { e, cost: v.cost + (FREE.has(b.getExpressionId(e)) ? 0 : COST_TABLE.default), br: v.br };
  }
}

/** Instruments validated ORIGINAL bytes. Deterministic for a given binaryen version and cost table. */
export function instrument(original: Uint8Array, v: ValidatedModule): Uint8Array {
  const bytes = without(original, v.stripSections);
  let m: Binaryen.Module;
  try { m = b.readBinary(bytes); } catch (e) { throw binaryenFailed(e); }
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
    const bulkBase = v.ownMemory ? COST_TABLE.bulkBaseOwnMemory : COST_TABLE.bulkBase;
    const fillBase = v.ownMemory ? COST_TABLE.fillBaseOwnMemory : COST_TABLE.bulkBase;
    const imported = new Set<string>();
    for (let i = 0; i < n; i++) {
      const info = b.getFunctionInfo(m.getFunctionByIndex(i));
      if (info.module) imported.add(info.name);
    }
    for (let i = 0; i < n; i++) {
      const f = m.getFunctionByIndex(i);
      const info = b.getFunctionInfo(f);
      if (info.module) continue; // imported
      new FunctionInstrumenter(m, f, info.name, imported, bulkBase, fillBase).run();
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
    // Every mutable global (the module's and the three above) exported by index, so that the host can put a kept
    // instance back into the state a fresh one starts in (sandbox.ts, instance reset). Exports cost no fuel.
    let mutableGlobals = 0;
    for (let i = 0; i < m.getNumGlobals(); i++) {
      const g = b.getGlobalInfo(m.getGlobalByIndex(i));
      if (!g.mutable) continue;
      m.addGlobalExport(g.name, `${EXPORT_GLOBAL_PREFIX}${i}`);
      mutableGlobals++;
    }
    if (!m.validate()) {
      throw new KapsuleError('MODULE_INVALID', 'execute', 'the instrumented module does not validate (an instrumenter bug or an unsupported construct)', { internal: true });
    }
    const out = m.emitBinary();
    return withCustomSection(withFrameSection(out, measureFrames(out).maxFrameSlots), RESET_SECTION, [1, ...uleb(mutableGlobals)]);
  } catch (e) {
    throw e instanceof KapsuleError ? e : binaryenFailed(e);
  } finally {
    m.dispose();
  }
}

/**
 * binaryen threw on bytes the validator and the engine accepted: the module's verdict, typed. Not a stack
 * overflow, though: that depends on the caller's stack (the code caps keep binaryen under 400 KiB of it), not on
 * the module, so it is rethrown as it is rather than recorded as the module's permanent refusal.
 */
function binaryenFailed(e: unknown): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return e;
  return new KapsuleError('MODULE_INVALID', 'execute', `the instrumenter could not process the module: ${String((e as Error)?.message ?? e).slice(0, 200)}`, { internal: true });
}

/** `bytes` without the given [start, end) ranges (sorted, disjoint). */
function without(bytes: Uint8Array, ranges: readonly [number, number][]): Uint8Array {
  if (ranges.length === 0) return bytes;
  let n = bytes.length;
  for (const [s, e] of ranges) n -= e - s;
  const out = new Uint8Array(n);
  let at = 0, from = 0;
  for (const [s, e] of ranges) { out.set(bytes.subarray(from, s), at); at += s - from; from = e; }
  out.set(bytes.subarray(from), at);
  return out;
}
