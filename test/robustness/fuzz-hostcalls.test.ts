/**
 * Bounded fuzzing of the hostcall ABI from the guest side (the full run is `npm run fuzz`, FUZZ_RUNS=1000000).
 *
 * A hostile module calls every hostcall of the table (and the `env` imports) with arbitrary arguments: random,
 * negative and huge pointers and lengths, ranges at or straddling the end of memory, out-of-range indices,
 * arbitrary i64 values and f64 bit patterns, alone or in sequences (a call may repeat up to ~1000 times with a
 * sliding first argument, to reach the per-run caps on kv keys and log lines), over guest memory whose first and
 * last 4 KiB are random bytes with known ids / keys / strings planted at the pointers, against random state
 * (trust scores, balances, kv, children, payload, parents) and random fuel budgets. Everything goes through the
 * real Sandbox (validation, instrumentation, metering, memory pool). Properties, for every case:
 *  - the run returns normally or throws a KapsuleError of an allowed code (ALLOWED below): never a plain JS
 *    exception, never a hang;
 *  - a hostcall that returns normally respected the ABI: every (ptr, len|cap) range it was given is inside
 *    memory, and a negative i32 result is a STATUS code (checked inside the guest, see `harnessWat`);
 *  - a failed run carries no writes, and no run ever touches the state view (writes are only returned);
 *  - the same case run twice gives the same outcome and the same fuel, and the module-owned memory and the
 *    imported (pooled) memory variants agree.
 *
 * The list of calls is derived from HOSTCALLS and ENV_IMPORTS: a new row is fuzzed without editing this file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KapsuleError } from '../../host/src/errors.ts';
import { toHex } from '../../host/src/bytes.ts';
import { Sandbox, type ExecInput, type GuestCapsuleMeta, type LoadedModule, type StateView } from '../../host/src/execute/index.ts';
import { ENV_IMPORTS, HOSTCALLS, HOSTCALL_BY_NAME, HOSTCALL_LIMITS as L, HOSTCALL_NAMESPACE, STATUS, type HostcallSpec, type WasmValType } from '../../host/src/execute/hostcalls/table.ts';
import { fixtureInput, fixtureMeta, memoryState, type MemoryStateInit } from '../../host/src/execute/testing.ts';
import { sha256, wat2wasm } from '../execute/_helpers.ts';

/**
 * Cases per property (the single-call property splits them over the targets; each case is three sandbox runs,
 * ~2 ms). The default keeps this file near 8 s in `npm test`; `npm run fuzz` sets FUZZ_RUNS=1000000.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 600);

// ---------------------------------------------------------------------------------------------------------------
// What is fuzzed: every hostcall row and every env import, with its exact signature.

interface Target {
  ns: string;
  name: string;
  params: readonly WasmValType[];
  results: readonly WasmValType[];
  /** Which params the table declares as guest addresses (none for env imports: they read AS strings). */
  ptr: readonly boolean[];
  /** Pairs [ptr param, length param]: a normal return means [ptr, ptr+len) was inside memory. */
  ranges: readonly [number, number][];
  /** Pointer params without a length param (e.g. a fixed-size id): a normal return means ptr <= memory size. */
  lonePtrs: readonly number[];
  spec: HostcallSpec | null;
}

/** A pointer param followed by an i32 named `*len` / `*cap` is one guest range (docs/ABI.md §Conventions). */
function rangesOf(spec: HostcallSpec): { ranges: [number, number][]; lonePtrs: number[] } {
  const ranges: [number, number][] = [];
  const lonePtrs: number[] = [];
  spec.params.forEach((p, j) => {
    if (!p.ptr) return;
    const next = spec.params[j + 1];
    if (next && next.type === 'i32' && !next.ptr && /(^|_)(len|cap)$/.test(next.name)) ranges.push([j, j + 1]);
    else lonePtrs.push(j);
  });
  return { ranges, lonePtrs };
}

const TARGETS: readonly Target[] = [
  ...HOSTCALLS.map((h) => ({
    ns: HOSTCALL_NAMESPACE, name: h.name, params: h.params.map((p) => p.type), results: h.results,
    ptr: h.params.map((p) => p.ptr === true), ...rangesOf(h), spec: h,
  })),
  ...ENV_IMPORTS.map((e) => ({
    ns: 'env', name: e.name, params: e.params, results: e.results, ptr: e.params.map(() => false), ranges: [], lonePtrs: [], spec: null,
  })),
];

/** Widest signature: every call record carries this many i64 argument slots. */
const MAXP = Math.max(...TARGETS.map((t) => t.params.length));
/** Calls per run (a sequence lets later calls see earlier writes, log lines pile up, faults come mid-run). */
const MAXCALLS = 6;
/** Negative i32 results a hostcall may return: the STATUS codes, which must be the contiguous range [MIN, -1]. */
const MIN_STATUS = Math.min(...Object.values(STATUS));
const PAGE = 65536;
/** The harness memory: 1 page, grown by 0..2 pages before the calls (so "end of memory" moves). */
const MAX_PAGES = 3;

// ---------------------------------------------------------------------------------------------------------------
// The guest. The Sandbox only calls `run()`, so arguments and memory contents come in through a side channel:
// `kv_get` of three reserved keys (answered by `frameState` below, not by the fuzzed state):
//   "\xfffuzz/calls" → u32 grow_pages ‖ u32 count ‖ MAXCALLS × (u32 target ‖ u32 repeat ‖ MAXP × i64 arg),
//                      read into locals;
//   "\xfffuzz/tail"  → the last WINDOW bytes of memory (after the grow);
//   "\xfffuzz/head"  → the first WINDOW bytes of memory (over the keys and the call records, now in locals).
// Random bytes and planted values live in these two windows; the rest of memory is the zeros of a fresh (or
// wiped pooled) memory, which also checks the pool's wipe (the two memory variants must agree). Windows rather
// than a whole-memory image keep a case cheap: a copy over 4 KiB would be hashed into the transcript every run.
// Then `run` calls `$dispatch` for each record (`repeat` times, adding the iteration number to the first
// argument), which calls the trampoline `$call_<i>` of target i with the args converted to the exact import
// signature. After a normal return the trampoline checks the ABI and returns a
// violation code; `run` returns (violation | call index << 8) and the test reports it (TRAP with details.status).

/** 0xff starts no UTF-8 sequence, and the state generator never makes these exact keys. */
const reservedKey = (s: string) => Uint8Array.from([0xff, ...new TextEncoder().encode(s)]);
const KEY_CALLS = reservedKey('fuzz/calls'), KEY_HEAD = reservedKey('fuzz/head'), KEY_TAIL = reservedKey('fuzz/tail');
const KEY_CALLS_AT = 0, KEY_HEAD_AT = 16, KEY_TAIL_AT = 32, CALLS_AT = 64;
const WINDOW = 4096;
const REC = 8 * (1 + MAXP);
const CALLS_BYTES = 8 + MAXCALLS * REC;
const V_STATUS = 1, V_RANGE = 2, V_HARNESS = 0x7f;

const watBytes = (b: Uint8Array) => [...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('');

function harnessWat(memory: 'defined' | 'imported'): string {
  const kvGet = TARGETS.findIndex((t) => t.ns === HOSTCALL_NAMESPACE && t.name === 'kv_get'); // the channel
  const u32 = (j: number) => `(i64.and (local.get $a${j}) (i64.const 0xffffffff))`;
  const conv = (ty: WasmValType, j: number) => ({
    i32: `(i32.wrap_i64 (local.get $a${j}))`, i64: `(local.get $a${j})`,
    f32: `(f32.reinterpret_i32 (i32.wrap_i64 (local.get $a${j})))`, f64: `(f64.reinterpret_i64 (local.get $a${j}))`,
  })[ty];
  const argParams = Array.from({ length: MAXP }, (_, j) => `(param $a${j} i64)`).join(' ');
  const imports = TARGETS.map((t, i) =>
    `(import "${t.ns}" "${t.name}" (func $h${i}${t.params.length ? ` (param ${t.params.join(' ')})` : ''}${t.results.length ? ` (result ${t.results.join(' ')})` : ''}))`);
  const trampolines = TARGETS.map((t, i) => {
    const call = `(call $h${i} ${t.params.map(conv).join(' ')})`;
    const body = t.results[0] === 'i32' ? `(local.set $r (i64.extend_i32_s ${call}))`
      : t.results[0] === 'i64' ? `(local.set $r ${call})` : call;
    const status = t.results[0] === 'i32' && t.spec
      ? `(if (i64.lt_s (local.get $r) (i64.const ${MIN_STATUS})) (then (return (i32.const ${V_STATUS}))))` : '';
    const ranges = t.ranges.map(([p, n]) =>
      `(if (i64.gt_u (i64.add ${u32(p)} ${u32(n)}) (local.get $m)) (then (return (i32.const ${V_RANGE}))))`);
    const lone = t.lonePtrs.map((p) => `(if (i64.gt_u ${u32(p)} (local.get $m)) (then (return (i32.const ${V_RANGE}))))`);
    return `(func $call_${i} ${argParams} (result i32) (local $r i64) (local $m i64)
      ${body}
      (local.set $m (i64.mul (i64.extend_i32_u (memory.size)) (i64.const ${PAGE})))
      ${status} ${ranges.join(' ')} ${lone.join(' ')}
      (i32.const 0))`;
  });
  // the arguments of record c at iteration $k: the first one slides by $k
  const args = (c: number) => Array.from({ length: MAXP }, (_, j) =>
    (j === 0 ? `(i64.add (local.get $c${c}a0) (i64.extend_i32_u (local.get $k)))` : `(local.get $c${c}a${j})`)).join(' ');
  const dispatch = `(func $dispatch (param $t i64) ${argParams} (result i32)
    ${TARGETS.map((_, i) => `(if (i64.eq (local.get $t) (i64.const ${i})) (then (return (call $call_${i} ${Array.from({ length: MAXP }, (_, j) => `(local.get $a${j})`).join(' ')}))))`).join('\n    ')}
    (i32.const 0))`;
  const locals = Array.from({ length: MAXCALLS }, (_, c) =>
    `(local $c${c}t i64) ${Array.from({ length: MAXP }, (_, j) => `(local $c${c}a${j} i64)`).join(' ')}`).join(' ');
  const loads = Array.from({ length: MAXCALLS }, (_, c) => {
    const at = CALLS_AT + 8 + c * REC;
    return `(local.set $c${c}t (i64.load (i32.const ${at}))) ${Array.from({ length: MAXP }, (_, j) =>
      `(local.set $c${c}a${j} (i64.load (i32.const ${at + 8 + 8 * j})))`).join(' ')}`;
  }).join('\n    ');
  const calls = Array.from({ length: MAXCALLS }, (_, c) =>
    `(if (i32.gt_u (local.get $count) (i32.const ${c})) (then
      (local.set $k (i32.const 0))
      (loop $again
        (local.set $s (call $dispatch (i64.and (local.get $c${c}t) (i64.const 0xffffffff)) ${args(c)}))
        (if (local.get $s) (then (return (i32.or (local.get $s) (i32.const ${c << 8})))))
        (br_if $again (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1)))
          (i32.wrap_i64 (i64.shr_u (local.get $c${c}t) (i64.const 32))))))))`).join('\n    ');
  const mem = memory === 'defined' ? `(memory 1 ${MAX_PAGES})` : `(import "env" "memory" (memory 1 ${MAX_PAGES}))`;
  return `(module
  ${imports.join('\n  ')}
  ${mem}
  (data (i32.const ${KEY_CALLS_AT}) "${watBytes(KEY_CALLS)}")
  (data (i32.const ${KEY_HEAD_AT}) "${watBytes(KEY_HEAD)}")
  (data (i32.const ${KEY_TAIL_AT}) "${watBytes(KEY_TAIL)}")
  ${trampolines.join('\n  ')}
  ${dispatch}
  (func (export "run") (result i32) (local $n i32) (local $count i32) (local $s i32) (local $k i32) ${locals}
    (if (i32.ne (call $h${kvGet} (i32.const ${KEY_CALLS_AT}) (i32.const ${KEY_CALLS.length}) (i32.const ${CALLS_AT}) (i32.const ${CALLS_BYTES}))
                (i32.const ${CALLS_BYTES})) (then (return (i32.const ${V_HARNESS}))))
    (local.set $count (i32.load (i32.const ${CALLS_AT + 4})))
    ${loads}
    (drop (memory.grow (i32.load (i32.const ${CALLS_AT}))))
    (local.set $n (i32.mul (memory.size) (i32.const ${PAGE})))
    (if (i32.ne (call $h${kvGet} (i32.const ${KEY_TAIL_AT}) (i32.const ${KEY_TAIL.length}) (i32.sub (local.get $n) (i32.const ${WINDOW})) (i32.const ${WINDOW}))
                (i32.const ${WINDOW})) (then (return (i32.const ${V_HARNESS}))))
    (if (i32.ne (call $h${kvGet} (i32.const ${KEY_HEAD_AT}) (i32.const ${KEY_HEAD.length}) (i32.const 0) (i32.const ${WINDOW}))
                (i32.const ${WINDOW})) (then (return (i32.const ${V_HARNESS}))))
    ${calls}
    (i32.const 0)))`;
}

// ---------------------------------------------------------------------------------------------------------------
// Cases: symbolic arguments, resolved against the case's memory size and planted values.

/** An i32 argument, resolved against the case by `build` (d is a small delta). */
type SymI32 =
  | { k: 'any'; v: number }
  | { k: 'special'; v: number }
  | { k: 'small'; v: number }
  /** memory size + d: at, just before or just past the end of memory. */
  | { k: 'end'; d: number }
  /** Address of planted value i (+ d). */
  | { k: 'plant'; i: number; d: number }
  /** Length of the value the previous argument points at (+ d), e.g. a key's exact length. */
  | { k: 'fit'; d: number }
  /** memory size − previous argument + d: a length that ends exactly at (or straddles) the end of memory. */
  | { k: 'straddle'; d: number };
type SymArg = SymI32 | { k: 'i64'; v: bigint } | { k: 'f'; v: number };

/** A value written into a window: at `v` in the head, or `d` bytes before the end of memory. */
interface Plant { at: { k: 'head'; v: number } | { k: 'end'; d: number }; what: { k: 'known'; i: number } | { k: 'bytes'; b: Uint8Array } | { k: 'text'; s: string } | { k: 'as'; s: string } }
/** Target index, how many times in a row (the first argument + 0, 1, 2...), symbolic arguments. */
interface Call { t: number; repeat: number; args: SymArg[] }
interface State {
  /** Subject / account keys with an optional trust score and balance (null: unknown to the state). */
  ids: { id: Uint8Array; trust: bigint | null; balance: bigint | null }[];
  kv: { key: Uint8Array; value: Uint8Array }[];
  /** Capsule ids with children (plus the fixture capsule's), and how many each has; null: no child index. */
  childParents: Uint8Array[];
  children: number[] | null;
  payload: Uint8Array | null;
  /** Parents of the capsule: 0 the fixture's known parent, 1 another known one, null one the host lacks. */
  parents: (0 | 1 | null)[];
}
const EMPTY_STATE: State = { ids: [], kv: [], childParents: [], children: null, payload: null, parents: [] };
interface Case { grow: number; zero: boolean; seed: number; plants: Plant[]; calls: Call[]; state: State; fuelExtra: number | null }

const SPECIAL_I32 = [0, 1, 2, 4, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025, 4096, 0xffff, 0x10000, 0x10001,
  0x20000, 0x30000, 0x40000, 0x40001, 0x7fffffff, -0x80000000, -1, -2, -3, -4, -32, -0x10000];
const delta = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: -4, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: -300, max: 300 }) });
const symAny = fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((v): SymI32 => ({ k: 'any', v }));
const symSpecial = fc.constantFrom(...SPECIAL_I32).map((v): SymI32 => ({ k: 'special', v }));
const symSmall = fc.nat(300).map((v): SymI32 => ({ k: 'small', v }));
const symEnd = delta.map((d): SymI32 => ({ k: 'end', d }));
const symPlant = fc.tuple(fc.nat(7), delta).map(([i, d]): SymI32 => ({ k: 'plant', i, d }));
const symFit = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: delta }).map((d): SymI32 => ({ k: 'fit', d }));
const symStraddle = fc.integer({ min: -2, max: 2 }).map((d): SymI32 => ({ k: 'straddle', d }));

/** Pointers lean to planted values and the end of memory; other i32s to lengths that fit or straddle, and indices. */
const ptrArg: fc.Arbitrary<SymArg> = fc.oneof(
  { weight: 8, arbitrary: symPlant }, { weight: 2, arbitrary: symEnd }, { weight: 2, arbitrary: symSpecial },
  { weight: 1, arbitrary: symSmall }, { weight: 2, arbitrary: symAny });
const intArg: fc.Arbitrary<SymArg> = fc.oneof(
  { weight: 5, arbitrary: symFit }, { weight: 2, arbitrary: symStraddle }, { weight: 3, arbitrary: symSmall },
  { weight: 3, arbitrary: symSpecial }, { weight: 1, arbitrary: symEnd }, { weight: 2, arbitrary: symAny });
const i64Arg: fc.Arbitrary<SymArg> = fc.oneof(
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.constantFrom(0n, 1n, -1n, 750_000n, 1_000_000n, (1n << 63n) - 1n, -(1n << 63n), 1n << 62n),
  fc.bigInt({ min: 0n, max: 1000n }),
).map((v): SymArg => ({ k: 'i64', v }));
const fArg: fc.Arbitrary<SymArg> = fc.oneof(fc.double(), fc.integer({ min: -10, max: 10 })).map((v): SymArg => ({ k: 'f', v }));

/** The length of a (ptr, len) pair leans harder to the exact length of what the pointer points at. */
const lenArg: fc.Arbitrary<SymArg> = fc.oneof({ weight: 3, arbitrary: symFit }, { weight: 1, arbitrary: intArg });

function argArb(t: Target, j: number): fc.Arbitrary<SymArg> {
  const ty = t.params[j];
  if (ty === 'i64') return i64Arg;
  if (ty === 'f32' || ty === 'f64') return fArg;
  if (t.ptr[j]) return ptrArg;
  if (t.ranges.some(([, n]) => n === j)) return lenArg;
  // env imports have no ptr flags: their i32s are as likely pointers (AS strings) as counts
  return t.spec ? intArg : fc.oneof(ptrArg, intArg);
}
/** Mostly once; sometimes just past the log-line cap (64) or the distinct-kv-keys cap (1024). */
const repeatArb = fc.oneof(
  { weight: 40, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 70 }) },
  { weight: 2, arbitrary: fc.constantFrom(L.maxLogLines + 1, L.maxKvWrites, L.maxKvWrites + 1) });
const callArb = (ti: number): fc.Arbitrary<Call> =>
  fc.tuple(repeatArb, ...TARGETS[ti].params.map((_, j) => argArb(TARGETS[ti], j))).map(([repeat, ...args]) => ({ t: ti, repeat, args }));
const anyCall = fc.oneof(...TARGETS.map((_, ti) => callArb(ti)));

const idArb = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 33, maxLength: 33 }), fc.uint8Array({ minLength: 1, maxLength: 64 }));
const valueArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 300, max: L.maxKvValueBytes }), fc.nat(255)).map(([n, b]) => new Uint8Array(n).fill(b)) },
);
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0n, 750_000n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n));

const stateArb: fc.Arbitrary<State> = fc.record({
  ids: fc.array(fc.record({ id: idArb, trust: fc.option(u64, { nil: null }), balance: fc.option(u64, { nil: null }) }), { maxLength: 4 }),
  kv: fc.array(fc.record({ key: fc.uint8Array({ maxLength: L.maxKvKeyBytes }), value: valueArb }), { maxLength: 4 }),
  childParents: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 2 }),
  children: fc.option(fc.array(fc.nat(3), { maxLength: 2 }), { nil: null }),
  payload: fc.option(valueArb, { nil: null }),
  parents: fc.array(fc.constantFrom<0 | 1 | null>(0, 1, null), { maxLength: 4 }),
});

const plantArb: fc.Arbitrary<Plant> = fc.record({
  at: fc.oneof(
    { weight: 3, arbitrary: fc.nat(WINDOW - 1).map((v) => ({ k: 'head' as const, v })) },
    { weight: 1, arbitrary: fc.oneof(fc.nat(80), fc.integer({ min: 1, max: WINDOW })).map((d) => ({ k: 'end' as const, d })) }),
  what: fc.oneof(
    { weight: 8, arbitrary: fc.nat(15).map((i) => ({ k: 'known' as const, i })) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => ({ k: 'bytes' as const, b })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => ({ k: 'text' as const, s })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((s) => ({ k: 'as' as const, s })) }),
});

const caseArb = (calls: fc.Arbitrary<Call[]>): fc.Arbitrary<Case> => fc.record({
  grow: fc.nat(MAX_PAGES - 1),
  zero: fc.boolean(),
  seed: fc.integer(),
  plants: fc.array(plantArb, { minLength: 1, maxLength: 6 }),
  calls,
  state: stateArb,
  fuelExtra: fc.option(fc.oneof(fc.nat(3000), fc.nat(100_000)), { nil: null, freq: 3 }),
});

// ---------------------------------------------------------------------------------------------------------------
// Materialising a case: memory windows, call records, state view and input.

const utf8 = new TextEncoder();
/** AssemblyScript string layout: u32 byte length, then UTF-16LE; the pointer is to the first code unit. */
function asString(s: string): Uint8Array {
  const b = new Uint8Array(4 + 2 * s.length);
  new DataView(b.buffer).setUint32(0, 2 * s.length, true);
  for (let i = 0; i < s.length; i++) { b[4 + 2 * i] = s.charCodeAt(i) & 0xff; b[5 + 2 * i] = s.charCodeAt(i) >> 8; }
  return b;
}

/** The byte strings a state knows about: planting them makes lookups hit. */
function knownBytes(st: State): Uint8Array[] {
  return [...st.ids.map((x) => x.id), ...st.kv.map((x) => x.key), ...st.childParents, fixtureMeta().id];
}

interface Built { input: ExecInput; memBytes: number; args: (number | bigint)[][]; backing: unknown }

function build(c: Case, moduleIds: string[]): Built {
  const memBytes = (1 + c.grow) * PAGE;
  const head = new Uint8Array(WINDOW), tail = new Uint8Array(WINDOW), tailAt = memBytes - WINDOW;
  if (!c.zero) { // xorshift32 fill: cheap, and a function of the (shrinkable) seed
    let x = c.seed | 1;
    for (const win of [head, tail]) {
      const w = new Uint32Array(win.buffer);
      for (let i = 0; i < w.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; w[i] = x; }
    }
  }
  const known = knownBytes(c.state);
  const planted: { ptr: number; len: number }[] = [];
  for (const p of c.plants) {
    const w = p.what;
    const bytes = w.k === 'known' ? known[w.i % known.length]
      : w.k === 'bytes' ? w.b : w.k === 'text' ? utf8.encode(w.s) : asString(w.s);
    const at = p.at.k === 'head' ? p.at.v : memBytes - p.at.d;
    if (at < WINDOW) head.set(bytes.subarray(0, WINDOW - at), at); // clipped at the window's end
    else tail.set(bytes.subarray(0, memBytes - at), at - tailAt);
    // an AS string is addressed past its length prefix; its "length" for a fit is its byte length
    planted.push(w.k === 'as' ? { ptr: at + 4, len: bytes.length - 4 } : { ptr: at, len: bytes.length });
  }

  const calls = new Uint8Array(CALLS_BYTES);
  const dv = new DataView(calls.buffer);
  dv.setUint32(0, c.grow, true);
  dv.setUint32(4, c.calls.length, true);
  const resolvedArgs: (number | bigint)[][] = [];
  c.calls.forEach((call, ci) => {
    const t = TARGETS[call.t];
    const at = 8 + ci * REC;
    dv.setUint32(at, call.t, true);
    dv.setUint32(at + 4, call.repeat, true);
    let prev = 0, prevPlant: { ptr: number; len: number } | null = null;
    const resolved: (number | bigint)[] = [];
    call.args.forEach((a, j) => {
      const slot = at + 8 + 8 * j;
      if (a.k === 'i64') { dv.setBigInt64(slot, a.v, true); resolved.push(a.v); return; }
      if (a.k === 'f') {
        if (t.params[j] === 'f32') dv.setFloat32(slot, a.v, true); else dv.setFloat64(slot, a.v, true);
        resolved.push(a.v);
        return;
      }
      let v: number, pl: typeof prevPlant = null;
      switch (a.k) {
        case 'any': case 'special': case 'small': v = a.v; break;
        case 'end': v = memBytes + a.d; break;
        case 'plant': pl = planted.length ? planted[a.i % planted.length] : null; v = (pl?.ptr ?? 0) + a.d; break;
        case 'fit': v = (prevPlant?.len ?? 0) + a.d; break;
        case 'straddle': v = memBytes - (prev >>> 0) + a.d; break;
      }
      v |= 0;
      dv.setBigInt64(slot, BigInt(v), true);
      resolved.push(v);
      prev = v;
      prevPlant = pl;
    });
    resolvedArgs.push(resolved);
  });

  const st = c.state;
  const kv = Object.fromEntries(st.kv.map((x) => [toHex(x.key), x.value]));
  const child = (n: number) => fixtureMeta({ id: new Uint8Array(32).fill(0xc0 + n), kind: 'comment', parents: [], flags: [['n', String(n)]], logic: null, payloadLength: n });
  const init: MemoryStateInit = {
    trust: Object.fromEntries(st.ids.flatMap((x) => (x.trust === null ? [] : [[toHex(x.id), x.trust]]))),
    balances: Object.fromEntries(st.ids.flatMap((x) => (x.balance === null ? [] : [[toHex(x.id), x.balance]]))),
    kv: Object.fromEntries(moduleIds.map((m) => [m, kv])),
    children: st.children === null ? null
      : Object.fromEntries([...st.childParents, fixtureMeta().id].map((p, i): [string, GuestCapsuleMeta[]] =>
        [toHex(p), Array.from({ length: st.children![i % Math.max(1, st.children!.length)] ?? 0 }, (_, n) => child(n))])),
  };
  const base = fixtureInput();
  const input: ExecInput = {
    ...base,
    payload: st.payload,
    parents: st.parents.map((p) => (p === null ? null : p === 0 ? base.parents[0] : fixtureMeta({ id: new Uint8Array(32).fill(0xa3) }))),
    state: frameState(memoryState(init), calls, head, tail),
  };
  // everything the state view and the input hand out, to prove afterwards that no run changed any of it
  const backing = { init, calls, head, tail, payload: input.payload, parents: input.parents, capsule: input.capsule };
  return { input, memBytes, args: resolvedArgs, backing };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The fuzzed state, plus the two reserved frame keys (whatever the module id). Read-only like every view. */
function frameState(inner: StateView, calls: Uint8Array, head: Uint8Array, tail: Uint8Array): StateView {
  const hit = <T>(what: string, v: T, miss: unknown): T => { if (v !== miss) hits.set(what, (hits.get(what) ?? 0) + 1); return v; };
  const view: StateView = {
    trustScore: (s) => hit('trustScore', inner.trustScore(s), 0n),
    balance: (a) => hit('balance', inner.balance(a), 0n),
    kvGet: (m, k) => (sameBytes(k, KEY_CALLS) ? calls : sameBytes(k, KEY_HEAD) ? head : sameBytes(k, KEY_TAIL) ? tail
      : hit('kvGet', inner.kvGet(m, k), null)),
  };
  if (inner.childCount) view.childCount = (id) => hit('childCount', inner.childCount!(id), 0);
  if (inner.childMetadata) view.childMetadata = (id, i) => hit('childMetadata', inner.childMetadata!(id, i), null);
  return view;
}

// ---------------------------------------------------------------------------------------------------------------
// Running and judging.

/**
 * Codes a run of this harness may end with, and why (host/src/execute/sandbox.ts `run` + `classify`, impl.ts):
 *  - HOSTCALL_FAULT: a hostcall refused its arguments (range outside memory, length over a limit, negative u63,
 *    too many kv keys). `details.hostcall` names it.
 *  - OUT_OF_FUEL: the random budget ran out, in a hostcall charge (`details.hostcall`) or in guest code.
 *  - TRAP: only `env.abort` (`details.abort`): the harness itself never traps (no memory access outside the page
 *    it always has, no division, no unreachable). A TRAP with `details.status` is the harness reporting an ABI
 *    violation and fails the property.
 * Not allowed: STACK_LIMIT (the harness is 3 frames deep, limit 16), MEMORY_LIMIT (it only grows within its
 * maximum and never traps after a failed grow), MODULE_INVALID (it loaded), USAGE, TIMEOUT (no worker), and any
 * non-KapsuleError (a RangeError/TypeError escaping a hostcall is a host bug).
 */
const ALLOWED = new Set(['HOSTCALL_FAULT', 'OUT_OF_FUEL', 'TRAP']);
const HOSTCALL_NAMES = new Set(HOSTCALLS.map((h) => h.name));

type Summary =
  | { ok: true; output: string; fuelUsed: bigint; logs: string[]; writes: unknown; transcript: string }
  | { ok: false; code: string; stage: string; message: string; details: Record<string, unknown> };

const sandbox = new Sandbox({ sha256 });
const wasmDefined = await wat2wasm(harnessWat('defined'));
const wasmImported = await wat2wasm(harnessWat('imported'));
const limits = (fuel: bigint) => ({ hostcalls: HOSTCALLS.map((h) => h.name), fuel, memoryPages: MAX_PAGES, maxDepth: 16 });
const BIG_FUEL = 1_000_000_000n;
const modDefined = sandbox.load(wasmDefined, limits(BIG_FUEL));
const modImported = sandbox.load(wasmImported, limits(BIG_FUEL));
const MODULE_IDS = [modDefined.id, modImported.id];

/** Slowest single run allowed: fuel bounds the guest, so anything near this is a host-side pathology. */
const SLOW_MS = 5000;

function runOnce(mod: LoadedModule, input: ExecInput): Summary {
  const t0 = performance.now();
  try {
    const o = sandbox.run(mod, input);
    const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, v instanceof Uint8Array ? toHex(v) : v]);
    return {
      ok: true, output: toHex(o.output), fuelUsed: o.fuelUsed, logs: o.logs, transcript: toHex(o.transcriptHash),
      writes: { trust: sorted(o.writes.trust), balances: sorted(o.writes.balances), kv: sorted(o.writes.kv) },
    };
  } catch (e) {
    if (!(e instanceof KapsuleError)) throw e; // the property fails with the raw exception
    return { ok: false, code: e.code, stage: e.stage, message: e.message, details: e.details ?? {} };
  } finally {
    const ms = performance.now() - t0;
    assert.ok(ms < SLOW_MS, `one run took ${ms.toFixed(0)} ms`);
  }
}

/** Fuel the harness uses with no call at all, per grow size: the random budgets are this plus a little. */
const preludeFuel = new Map<number, bigint>();
function prelude(grow: number): bigint {
  let f = preludeFuel.get(grow);
  if (f === undefined) {
    const b = build({ grow, zero: true, seed: 0, plants: [], calls: [], state: EMPTY_STATE, fuelExtra: null }, MODULE_IDS);
    const s = runOnce(sandbox.load(wasmDefined, limits(BIG_FUEL)), b.input);
    assert.ok(s.ok, `the empty harness run failed: ${JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    preludeFuel.set(grow, (f = s.fuelUsed));
  }
  return f;
}

function describeCall(c: Case, b: Built, i: number): string {
  const { t, repeat } = c.calls[i];
  return `#${i} ${TARGETS[t].name}(${b.args[i].join(', ')})${repeat > 1 ? ` (×${repeat}, first arg + 0..${repeat - 1})` : ''} with memory ${b.memBytes} B`;
}

/**
 * Coverage, printed with FUZZ_STATS=1: outcomes of single-call cases per target, and how many state lookups
 * found something (a planted id / key that exists), so a generator change that stops reaching the interesting
 * paths shows up.
 */
const stats = new Map<string, Map<string, number>>();
const hits = new Map<string, number>();
function tally(c: Case, s: Summary): void {
  if (c.calls.length !== 1) return;
  const name = TARGETS[c.calls[0].t].name;
  const key = s.ok ? 'ok' : s.code === 'OUT_OF_FUEL' || s.code === 'TRAP' ? s.code : `${s.code}:${s.message.replace(/^\w+: /, '').replace(/[\d,]+/g, 'N').slice(0, 40)}`;
  let m = stats.get(name);
  if (!m) stats.set(name, (m = new Map()));
  m.set(key, (m.get(key) ?? 0) + 1);
}
process.on('exit', () => {
  if (!process.env.FUZZ_STATS) return;
  for (const [n, m] of stats) console.log(n.padEnd(22), [...m].map(([k, v]) => `${k}=${v}`).join('  '));
  console.log('state lookups that hit:', [...hits].map(([k, v]) => `${k}=${v}`).join('  '));
});

/** One case: three runs (module-owned memory twice, pooled imported memory once), all properties. */
function check(c: Case): boolean {
  const b = build(c, MODULE_IDS);
  const before = structuredClone(b.backing);
  const budget = c.fuelExtra === null ? BIG_FUEL : prelude(c.grow) + BigInt(c.fuelExtra);
  const a = sandbox.load(wasmDefined, limits(budget));
  const i = sandbox.load(wasmImported, limits(budget));
  const first = runOnce(a, b.input);
  tally(c, first);
  const names = new Set(c.calls.map((k) => TARGETS[k.t].name));

  if (first.ok) {
    assert.ok(first.fuelUsed > 0n && first.fuelUsed <= budget, 'fuel used within the budget');
    assert.ok(first.output.length / 2 <= L.maxResultBytes, 'output over maxResultBytes');
    assert.ok(first.logs.length <= L.maxLogLines + 1, 'more log lines than maxLogLines + the truncation line');
    for (const line of first.logs) assert.ok(line.length <= L.maxLogLineBytes, 'log line over the limit');
    // writes only come from calls of a write capability, one entry per call at most
    const w = first.writes as { trust: unknown[]; balances: unknown[]; kv: unknown[] };
    const by = (cap: string) => c.calls.reduce((n, k) => n + (TARGETS[k.t].spec?.capability === cap ? k.repeat : 0), 0);
    assert.ok(w.trust.length <= by('trust.write') && w.balances.length <= by('ledger.write') && w.kv.length <= by('kv.write'),
      'writes without a call that makes them');
    assert.ok(w.kv.length <= L.maxKvWrites, 'more kv keys written than maxKvWrites');
    if (by('result') === 0) assert.equal(first.output, '', 'output without submit_capsule_result');
  } else {
    const { code, details } = first;
    if (code === 'TRAP' && typeof details.status === 'number') {
      const s = details.status, ci = s >> 8, kind = s & 0xff;
      const what = kind === V_RANGE ? 'returned normally although a range it was given is outside memory'
        : kind === V_STATUS ? 'returned a negative i32 that is not a STATUS code' : 'harness frame load failed';
      assert.fail(`ABI violation: call ${kind === V_HARNESS ? '-' : describeCall(c, b, ci)} ${what}`);
    }
    assert.ok(ALLOWED.has(code), `unexpected error code ${code}: ${first.message}`);
    assert.equal(first.stage, 'execute');
    assert.equal(typeof details.fuelUsed, 'bigint', 'every run failure carries details.fuelUsed');
    assert.ok((details.fuelUsed as bigint) <= budget);
    assert.ok(!('writes' in details), 'a failed run carries no writes');
    if (code === 'HOSTCALL_FAULT') assert.ok(names.has(details.hostcall as string), `fault blames ${String(details.hostcall)}`);
    if (code === 'OUT_OF_FUEL') {
      assert.equal(details.fuelUsed, budget);
      if (details.hostcall !== undefined) assert.ok(HOSTCALL_NAMES.has(details.hostcall as string));
    }
    if (code === 'TRAP') assert.ok(names.has('abort') && typeof details.abort === 'object', `TRAP without env.abort: ${first.message}`);
  }

  // determinism (same sandbox, the run after), and the pooled imported memory agrees with the owned one
  assert.deepStrictEqual(runOnce(a, b.input), first, 'the same case run twice differs');
  assert.deepStrictEqual(runOnce(i, b.input), first, 'imported (pooled) memory and module-owned memory differ');
  // the sandbox never writes to the state view: writes are only returned, and only on success
  assert.deepStrictEqual(b.backing, before, 'a run changed the state view or the input');
  return true;
}

const opts = (runs: number) => ({ numRuns: Math.max(1, runs), includeErrorInReport: true });
/** The hang backstop: ~25× the measured mean time per case (a run is fuel-bounded, so only the host can hang). */
const timeout = 120_000 + RUNS * 50;

test('harness: one trampoline per table row with its exact signature; the empty run succeeds', () => {
  assert.equal(TARGETS.length, HOSTCALLS.length + ENV_IMPORTS.length);
  // STATUS must be the contiguous range [MIN_STATUS, 0] for the guest-side "negative means status" check
  assert.deepEqual([...Object.values(STATUS)].sort((x, y) => x - y), Array.from({ length: 1 - MIN_STATUS }, (_, k) => MIN_STATUS + k));
  for (let g = 0; g < MAX_PAGES; g++) assert.ok(prelude(g) > 0n);
});

test('every hostcall, alone: hostile arguments give a normal return or an allowed typed error, deterministically', { timeout }, () => {
  const per = Math.ceil(RUNS / TARGETS.length);
  for (let ti = 0; ti < TARGETS.length; ti++) {
    fc.assert(fc.property(caseArb(callArb(ti).map((x) => [x])), check), opts(per));
  }
});

test('sequences of hostcalls (reads after buffered writes, faults mid-run): the same properties', { timeout }, () => {
  fc.assert(fc.property(caseArb(fc.array(anyCall, { minLength: 1, maxLength: MAXCALLS })), check), opts(RUNS));
});

/**
 * Regression (found by this fuzzer): the calls that follow the buffer convention but may answer with a status
 * returned ABSENT / OUT_OF_RANGE / UNAVAILABLE without checking [out_ptr, out_ptr+out_cap), so a bad buffer
 * faulted or not depending on the state (payload present, key set, parent held...), against docs/ABI.md
 * ("the whole range must be inside memory, even when the value is shorter"). Each row: the call with an out
 * range straddling the end of a 1-page memory must fault; the same call with an in-bounds buffer returns the status.
 */
test('regression: status answers still bounds-check the out buffer', async () => {
  const noChildIndex = fixtureInput({ state: memoryState({ children: null }) });
  const rows: { name: string; args: number[]; input: ExecInput; status: number }[] = [
    { name: 'get_payload', args: [65000, 1000], input: fixtureInput({ payload: null }), status: STATUS.ABSENT },
    { name: 'get_parent_metadata', args: [5, 65000, 1000], input: fixtureInput(), status: STATUS.OUT_OF_RANGE },
    { name: 'get_parent_metadata', args: [1, 65000, 1000], input: fixtureInput(), status: STATUS.ABSENT }, // parent 1 is not held
    { name: 'get_child_metadata', args: [0, 0, 65000, 1000], input: noChildIndex, status: STATUS.UNAVAILABLE },
    { name: 'get_child_metadata', args: [0, 0, 65000, 1000], input: fixtureInput(), status: STATUS.OUT_OF_RANGE }, // id 00…: no children
    { name: 'kv_get', args: [0, 4, 65000, 1000], input: fixtureInput(), status: STATUS.ABSENT }, // key 00000000 unset
  ];
  const sb = new Sandbox({ sha256 });
  for (const row of rows) {
    const spec = HOSTCALL_BY_NAME.get(row.name)!;
    const mod = async (args: number[]) => sb.load(await wat2wasm(`(module
      (import "${HOSTCALL_NAMESPACE}" "${spec.name}" (func $f (param ${spec.params.map((p) => p.type).join(' ')}) (result i32)))
      (memory 1 1)
      (func (export "run") (result i32)
        (if (result i32) (i32.eq (call $f ${args.map((a) => `(i32.const ${a})`).join(' ')}) (i32.const ${row.status}))
          (then (i32.const 0)) (else (i32.const 1)))))`), { hostcalls: [spec.name], fuel: 1_000_000n, memoryPages: 1, maxDepth: 8 });
    const label = `${row.name}(${row.args.join(', ')})`;
    const bad = await mod(row.args);
    assert.throws(() => sb.run(bad, row.input), (e: unknown) =>
      e instanceof KapsuleError && e.code === 'HOSTCALL_FAULT' && e.details?.hostcall === row.name, label);
    const inBounds = [...row.args.slice(0, -2), 0, 16]; // same call, a 16-byte buffer at 0
    assert.equal(sb.run(await mod(inBounds), row.input).ok, true, `${label} in bounds returns status ${row.status}`);
  }
});
