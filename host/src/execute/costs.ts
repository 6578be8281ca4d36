/**
 * The fuel cost table and the instrumenter's identity. Both are part of the determinism contract: a module
 * instrumented under a different INSTRUMENTER_VERSION or COST_TABLE_HASH may use a different amount of fuel,
 * so both are in the compiled-cache key and in audit records. Portable.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '../bytes.ts';
import { HOSTCALLS, HOSTCALL_NAMESPACE } from './hostcalls/table.ts';
import { POOL_MAX_PAGES } from './bounds.ts';

/**
 * Bump on ANY change to instrument.ts that can change fuel, depth or NaN behaviour, or the instrumented bytes' shape.
 * 2: custom sections are stripped before binaryen; the output carries a `kapsule.frame` section (frame size for the
 * stack budget); the walk is iterative. Fuel and depth counting are unchanged from 1.
 * 3: bulk memory operations on a module's own (not imported) memory have their own base costs, and a memory.grow that fails gives
 * back all but COST_TABLE.memoryGrowFailed (cost table 3).
 */
export const INSTRUMENTER_VERSION = 'kapsule-instrument/3 binaryen/132.0.0';

/**
 * Version of how hostcalls are charged (part of COST_TABLE_HASH). 2: `get_child_metadata` charges its base cost
 * once (version 1 charged it twice: 432 fuel + bytes instead of 232 + bytes); `kv_get`, `get_parent_metadata` and
 * `get_child_metadata` charge the bytes of the value the host read or encoded even when it does not fit the
 * buffer (version 1 charged a size probe the base only, so probing a 64 KiB value or 6 KB of metadata in a loop
 * burnt 1-2k fuel per millisecond: bench/bounds.ts).
 * 3: calibrated (see COST_TABLE): every base and per-byte cost re-derived from bench/calibrate.ts; the first read
 * of a capsule's children in a run charges `childListPerChild` per child listed, and get_child_metadata
 * `childDecode` per child decoded; the bytes of a parent's or child's metadata are charged when encoded or copied
 * out (a repeated size probe costs the base); `env.trace` has its own base.
 */
export const HOSTCALL_CHARGE_VERSION = 3;

/**
 * How much fuel a microsecond of host work costs: the rate the host-side costs below are set at, from their
 * measured times (bench/calibrate.ts, 2 vCPUs under load, Node 20). Compiled AssemblyScript runs at 140-450 µs per
 * million fuel on the same machine (bench/fuel.ts), so at 3,000 fuel/µs (333 µs per million fuel) a run's wall
 * time per fuel stays within a known factor whatever mix of wasm and host work it does.
 */
export const FUEL_PER_HOST_MICROSECOND = 3_000;

/**
 * Static cost of one expression, by binaryen expression kind (docs/ABI.md §Metering). Expressions not listed
 * cost `default`. Charged in bulk at the entry of each metered block. Version 3 (calibrated, issue 19): every
 * host-side cost below is its measured time × FUEL_PER_HOST_MICROSECOND, rounded; the measurement is in the comment.
 */
export const COST_TABLE = {
  default: 1,
  free: ['Nop', 'Block', 'Drop', 'LocalGet', 'Const'] as readonly string[],
  call: 4,
  callIndirect: 6,
  /** Integer division / remainder and float sqrt/div. */
  heavyArith: 3,
  loopIteration: 1,
  functionEntry: 2,
  /**
   * Every run, before its first instruction: a fresh instance's state (a kept instance reset: ~6 µs for a module
   * that does nothing, bench/calibrate.ts; or a new instance: 15-26 µs, ~33 µs for a 20 KiB AssemblyScript module),
   * binding the run's memory, the transcript and the result. Sized for a new instance (20 µs), so that the runs that
   * need one — a module's first, one after its memory grew, after eviction — are never undercharged; a kept
   * instance's start is overcharged by ~14 µs.
   */
  runBase: 60_000,
  /** V8's memory.grow is a runtime call (~0.3 µs even by 0 pages)... */
  memoryGrowBase: 1_000,
  /** ...but a grow that fails returns in ~50 ns: it is charged only this much (the rest is given back). */
  memoryGrowFailed: 150,
  /**
   * Per 64 KiB page requested by memory.grow, charged before growing and given back when the grow fails: growing
   * and first touching a page costs 35-100 µs here (16 page faults in a VM where a fault costs 2-6 µs; bare metal
   * is ~10× cheaper).
   */
  memoryGrowPerPage: 131_072,
  /** Initial memory beyond this many pages is charged when the run starts (pooledInitialPage or memoryGrowPerPage). */
  freeInitialPages: 1,
  /**
   * A page of a pooled initial memory (an imported memory of at most POOL_MAX_PAGES pages): the pool wipes it
   * before reuse (~2 µs per page) and its pages are already faulted in. Any other initial page (a larger imported
   * memory, or a module's own memory) costs memoryGrowPerPage: it is fresh, and faults when touched.
   */
  pooledInitialPage: 8_192,
  /**
   * memory.copy / memory.fill / memory.init: base + len >> bulkBytesShift. On an imported memory the builtin costs
   * 2-7 ns for 0 bytes and ~35 ns for 4 KiB; on a module's own memory copy costs 7-20 ns and fill goes through a
   * slow path (~260 ns for 0 bytes): hence the own-memory bases.
   */
  bulkBase: 8,
  bulkBaseOwnMemory: 48,
  fillBaseOwnMemory: 800,
  bulkBytesShift: 4,
  /** AssemblyScript's trace() (env.trace): formatting up to 5 numbers into a log line (1.5-6 µs under load), plus its bytes. */
  traceBase: 12_000,
  /**
   * The first time a run reads a capsule's children (get_child_count or get_child_metadata on that id), per child
   * listed: the store query that lists them with their bytes (~3.5 µs per child). Later reads of the same list in
   * the run are not charged again; decoding a child's metadata is charged by get_child_metadata.
   */
  childListPerChild: 15_000,
  /**
   * get_child_metadata on a child the run has not just read: decoding it from its bytes and encoding its metadata
   * (3.3-5 µs). Reading the same child again (a size probe, then the read) costs the call's base and the bytes copied.
   */
  childDecode: 10_000,
} as const;

function costTableHash(): string {
  const doc = {
    namespace: HOSTCALL_NAMESPACE,
    table: COST_TABLE,
    hostcalls: HOSTCALLS.map((h) => [h.name, h.cost.base, h.cost.perByte]),
    hostcallCharge: HOSTCALL_CHARGE_VERSION,
    poolMaxPages: POOL_MAX_PAGES,
    nan: 'canonical-at-sinks/0x7fc00000,0x7ff8000000000000',
  };
  return toHex(sha256(utf8.encode(JSON.stringify(doc))));
}

/** SHA-256 (hex) of the canonical JSON of the cost table and the hostcall costs. */
export const COST_TABLE_HASH: string = costTableHash();

/**
 * Fuel a run is charged before its first instruction: COST_TABLE.runBase, and its initial memory beyond
 * freeInitialPages — pooledInitialPage per page of an imported memory the pool keeps (at most POOL_MAX_PAGES pages),
 * memoryGrowPerPage per page of any other (fresh) initial memory. A function of the module alone.
 */
export function runStartCharge(memory: { initial: number; imported: boolean } | null): bigint {
  const pages = memory ? Math.max(0, memory.initial - COST_TABLE.freeInitialPages) : 0;
  const perPage = memory?.imported && memory.initial <= POOL_MAX_PAGES ? COST_TABLE.pooledInitialPage : COST_TABLE.memoryGrowPerPage;
  return BigInt(COST_TABLE.runBase) + BigInt(pages) * BigInt(perPage);
}
