/**
 * The fuel cost table and the instrumenter's identity. Both are part of the determinism contract: a module
 * instrumented under a different INSTRUMENTER_VERSION or COST_TABLE_HASH may use a different amount of fuel,
 * so both are in the compiled-cache key and in audit records. Portable.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '../bytes.ts';
import { HOSTCALLS, HOSTCALL_NAMESPACE } from './hostcalls/table.ts';

/**
 * Bump on ANY change to instrument.ts that can change fuel, depth or NaN behaviour, or the instrumented bytes' shape.
 * 2: custom sections are stripped before binaryen; the output carries a `kapsule.frame` section (frame size for the
 * stack budget); the walk is iterative. Fuel and depth counting are unchanged from 1.
 */
export const INSTRUMENTER_VERSION = 'kapsule-instrument/2 binaryen/132.0.0';

/**
 * Version of how hostcalls are charged (part of COST_TABLE_HASH). 2: `get_child_metadata` charges its base cost
 * once (version 1 charged it twice: 432 fuel + bytes instead of 232 + bytes); `kv_get`, `get_parent_metadata` and
 * `get_child_metadata` charge the bytes of the value the host read or encoded even when it does not fit the
 * buffer (version 1 charged a size probe the base only, so probing a 64 KiB value or 6 KB of metadata in a loop
 * burnt 1-2k fuel per millisecond: bench/bounds.ts).
 */
export const HOSTCALL_CHARGE_VERSION = 2;

/**
 * Static cost of one expression, by binaryen expression kind (docs/ABI.md §Metering). Expressions not listed
 * cost `default`. Charged in bulk at the entry of each metered block.
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
  /** V8's memory.grow is a runtime call (~1.5 µs here even by 0 pages): 10 made it burn 7k fuel/ms. */
  memoryGrowBase: 100,
  /** Per 64 KiB page requested by memory.grow (charged even when the grow fails). */
  memoryGrowPerPage: 4096,
  /**
   * Initial memory (imported or declared) beyond this many pages is charged memoryGrowPerPage per page when the
   * run starts: creating and touching a run's initial memory is host work like growing it (4 GiB of it cost
   * 25-85 ms per run and ~1 s to touch, for 3 fuel). Every AssemblyScript module here starts with 1 page.
   */
  freeInitialPages: 1,
  /** memory.copy / memory.fill / memory.init: base + ceil-free len >> bulkBytesShift. The base pays for the
   * builtin call (~0.25 µs here for 0 bytes: a base of 2 burnt 11k fuel/ms). */
  bulkBase: 16,
  bulkBytesShift: 3,
} as const;

function costTableHash(): string {
  const doc = {
    namespace: HOSTCALL_NAMESPACE,
    table: COST_TABLE,
    hostcalls: HOSTCALLS.map((h) => [h.name, h.cost.base, h.cost.perByte]),
    hostcallCharge: HOSTCALL_CHARGE_VERSION,
    nan: 'canonical-at-sinks/0x7fc00000,0x7ff8000000000000',
  };
  return toHex(sha256(utf8.encode(JSON.stringify(doc))));
}

/** SHA-256 (hex) of the canonical JSON of the cost table and the hostcall costs. */
export const COST_TABLE_HASH: string = costTableHash();
