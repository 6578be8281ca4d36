/**
 * `module.json`: a module's manifest as its author writes it — the reference modules' modules/<name>/module.json,
 * the scaffold's (`kapsule-pack new`), `kapsule-pack module --manifest` and `kapsule dev run --manifest`. Portable.
 *
 *   { "name": "hello", "version": "0.1.0", "hostcalls": ["get_payload", "submit_capsule_result"],
 *     "fuel": 10000000, "memoryPages": 16, "maxDepth": 1024, "description": "...", "initialMemoryPages": 1 }
 *
 * The signed part is name, version, hostcalls, fuel, memoryPages, maxDepth (docs/FORMAT.md); `description` and
 * `initialMemoryPages` (asc --initialMemory of the build) are the author's. Parsed strictly: an unknown field or a
 * wrong type is a USAGE error naming it (a typo like "memorypages" must not silently fall back to a default).
 */
import { KapsuleError } from '../../host/src/errors.ts';

export interface ModuleJson {
  name: string;
  version: string;
  hostcalls: string[];
  /** Fuel per run: a JSON number (exact up to 2^53) or a decimal string. */
  fuel: bigint;
  memoryPages: number;
  maxDepth: number;
  description?: string;
  /** asc --initialMemory for this module's build (default: the asconfig's). */
  initialMemoryPages?: number;
}

/**
 * The packer's defaults for a field neither the manifest nor a flag gives. Fuel 100M: ~30 ms of work at the
 * calibrated rate (docs/ABI.md §Sizing a module); `kapsule dev run` measures what a module needs.
 */
export const MODULE_DEFAULTS = { version: '0.1.0', fuel: 100_000_000n, memoryPages: 16, maxDepth: 1024 } as const;

const FIELDS = new Set(['name', 'version', 'hostcalls', 'fuel', 'memoryPages', 'maxDepth', 'description', 'initialMemoryPages', '$schema']);

function bad(where: string, message: string): never {
  throw new KapsuleError('USAGE', 'pack', `${where}: ${message}`);
}

function intField(o: Record<string, unknown>, k: string, where: string, min: number, max: number): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(where, `"${k}" must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Parses module.json text. `partial`: name, hostcalls and the limits may be missing (then `name` is '' and the
 * limits are the packer's defaults) — for `dev run`, and for the packer, where flags may fill them in.
 */
export function parseModuleJson(text: string, where = 'module.json'): Partial<ModuleJson> {
  let o: unknown;
  try { o = JSON.parse(text); } catch (e) { bad(where, `not valid JSON (${(e as Error).message})`); }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) bad(where, 'must be a JSON object');
  const m = o as Record<string, unknown>;
  const unknown = Object.keys(m).filter((k) => !FIELDS.has(k));
  if (unknown.length) bad(where, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${[...FIELDS].filter((f) => f !== '$schema').join(', ')})`);
  const out: Partial<ModuleJson> = {};
  for (const k of ['name', 'version', 'description'] as const) {
    if (m[k] === undefined) continue;
    if (typeof m[k] !== 'string') bad(where, `"${k}" must be a string`);
    out[k] = m[k] as string;
  }
  if (m.hostcalls !== undefined) {
    if (!Array.isArray(m.hostcalls) || m.hostcalls.some((h) => typeof h !== 'string')) bad(where, '"hostcalls" must be an array of hostcall names');
    out.hostcalls = m.hostcalls as string[];
  }
  if (m.fuel !== undefined) {
    const f = m.fuel;
    if (typeof f === 'number' ? !Number.isSafeInteger(f) || f < 1 : typeof f !== 'string' || !/^[1-9]\d*$/.test(f)) {
      bad(where, `"fuel" must be a positive integer (a decimal string above 2^53), got ${JSON.stringify(f)}`);
    }
    out.fuel = BigInt(f as number | string);
    if (out.fuel > 1n << 62n) bad(where, `"fuel" must be at most 2^62, got ${out.fuel}`);
  }
  const pages = intField(m, 'memoryPages', where, 1, 65536);
  if (pages !== undefined) out.memoryPages = pages;
  const depth = intField(m, 'maxDepth', where, 1, 1_000_000);
  if (depth !== undefined) out.maxDepth = depth;
  const initial = intField(m, 'initialMemoryPages', where, 1, 65536);
  if (initial !== undefined) out.initialMemoryPages = initial;
  return out;
}

/** A manifest whose signed fields are all there (the reference modules' and the scaffold's): USAGE naming what is missing. */
export function requireComplete(m: Partial<ModuleJson>, where = 'module.json'): ModuleJson {
  const missing = (['name', 'version', 'hostcalls', 'fuel', 'memoryPages', 'maxDepth'] as const).filter((k) => m[k] === undefined);
  if (missing.length) bad(where, `missing ${missing.map((k) => `"${k}"`).join(', ')}`);
  return m as ModuleJson;
}
