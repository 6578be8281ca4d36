/**
 * The author's loop without keys or capsule files (`kapsule dev run`): one module, one payload, an in-memory state
 * described by a fixture, run once in the real sandbox (validation, instrumentation, fuel, memory and depth bounds,
 * the real hostcalls). Portable: the sandbox is given (Node's CLI passes one with binaryen's instrumenter).
 *
 * The state fixture (`--state fixture.json`), every field optional (docs/ABI.md §Trying a module):
 *   {
 *     "owner":    "<hex key>",                        device owner (get_context); default 44…44
 *     "capsule":  { "id", "kind", "author", "channel", "createdAt", "parents": ["<hex id>"], "flags": { "k": "v" } },
 *                                                      the capsule being run (command-line flags override it)
 *     "capsules": [ { "id", "kind", "author", "channel", "createdAt", "parents", "flags", "logic", "payloadLength" } ],
 *                                                      capsules the host holds: a parent is looked up here by id (absent:
 *                                                      the host does not hold it), and every capsule here that names X
 *                                                      as a parent is a child of X — all of them precede the run
 *     "trust":    { "<hex key>": 750000 },             stored trust scores (fixed point, 1000000 = 1.0)
 *     "balances": { "<hex key>": "1000" },             stored balances
 *     "kv":       { "<text key>": "<text value>" },    the module's kv space, as UTF-8 text…
 *     "kvHex":    { "<hex key>": "<hex value>" }       …or as bytes
 *   }
 * Numbers may be JSON numbers or decimal strings (for values above 2^53). Unknown fields are refused.
 */
import { KapsuleError } from './errors.ts';
import { fromHex, toHex } from './bytes.ts';
import type { SandboxCore, LoadedModule } from './execute/sandbox.ts';
import type { ExecInput, ExecOutcome, GuestCapsuleMeta, ModuleManifestLimits } from './execute/types.ts';
import { memoryState } from './execute/testing.ts';

export interface StateFixture {
  owner?: string;
  capsule?: FixtureCapsule;
  capsules?: FixtureCapsule[];
  trust?: Record<string, number | string>;
  balances?: Record<string, number | string>;
  kv?: Record<string, string>;
  kvHex?: Record<string, string>;
}

export interface FixtureCapsule {
  id?: string;
  kind?: string;
  author?: string;
  channel?: string;
  createdAt?: number | string;
  parents?: string[];
  flags?: Record<string, string>;
  logic?: string | null;
  payloadLength?: number;
}

/** Defaults, those of the as-pect fixture (execute/testing.ts): id 11…, author 22…, owner 44…. */
export const DEV_DEFAULTS = {
  id: '11'.repeat(32), author: '22'.repeat(32), owner: '44'.repeat(32), createdAt: 1_700_000_000_000n,
} as const;

function bad(where: string, message: string): never {
  throw new KapsuleError('USAGE', 'cli', `${where}: ${message}`);
}

function only(o: unknown, where: string, fields: string[]): Record<string, unknown> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) bad(where, 'must be a JSON object');
  const extra = Object.keys(o).filter((k) => !fields.includes(k));
  if (extra.length) bad(where, `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')} (known: ${fields.join(', ')})`);
  return o as Record<string, unknown>;
}

/** A JSON object with any keys. */
function obj(o: unknown, where: string): Record<string, unknown> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) bad(where, 'must be a JSON object');
  return o as Record<string, unknown>;
}

function hexOf(v: unknown, where: string, len?: number): Uint8Array {
  if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/.test(v)) bad(where, `must be lowercase hex, got ${JSON.stringify(v)}`);
  if (len !== undefined && v.length !== len * 2) bad(where, `must be ${len} bytes (${len * 2} hex digits), got ${v.length / 2}`);
  return fromHex(v);
}

function uint(v: unknown, where: string): bigint {
  if (typeof v === 'number' ? Number.isSafeInteger(v) && v >= 0 : typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v as number | string);
  return bad(where, `must be a non-negative integer (a decimal string above 2^53), got ${JSON.stringify(v)}`);
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') bad(where, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

const CAPSULE_FIELDS = ['id', 'kind', 'author', 'channel', 'createdAt', 'parents', 'flags', 'logic', 'payloadLength'];

/** A fixture capsule as the guest sees it (missing fields: defaults). */
function metaOf(c: Record<string, unknown>, where: string, defaults: { kind: string; payloadLength: number }): GuestCapsuleMeta {
  const author = hexOf(c.author ?? DEV_DEFAULTS.author, `${where}.author`);
  if (author.length !== 32 && author.length !== 33) bad(`${where}.author`, 'must be a 32-byte Ed25519 or 33-byte P-256 key');
  const flags = c.flags === undefined ? {} : obj(c.flags, `${where}.flags`);
  return {
    id: hexOf(c.id ?? DEV_DEFAULTS.id, `${where}.id`, 32),
    kind: c.kind === undefined ? defaults.kind : str(c.kind, `${where}.kind`),
    authorAlg: author.length === 33 ? 'p256' : 'ed25519', author,
    channel: c.channel === undefined ? '' : str(c.channel, `${where}.channel`),
    createdAt: c.createdAt === undefined ? DEV_DEFAULTS.createdAt : uint(c.createdAt, `${where}.createdAt`),
    parents: c.parents === undefined ? [] : (Array.isArray(c.parents) ? c.parents : bad(`${where}.parents`, 'must be an array of hex ids'))
      .map((p, i) => hexOf(p, `${where}.parents[${i}]`, 32)),
    flags: Object.entries(flags).map(([k, v]) => [k, str(v, `${where}.flags.${k}`)] as [string, string]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    logic: c.logic === undefined || c.logic === null ? null : hexOf(c.logic, `${where}.logic`, 32),
    payloadLength: c.payloadLength === undefined ? defaults.payloadLength : Number(uint(c.payloadLength, `${where}.payloadLength`)),
  };
}

/** Parses a state fixture (see the file header); USAGE errors name the field. */
export function parseStateFixture(text: string, where = 'state fixture'): StateFixture {
  let o: unknown;
  try { o = JSON.parse(text); } catch (e) { bad(where, `not valid JSON (${(e as Error).message})`); }
  const f = only(o, where, ['owner', 'capsule', 'capsules', 'trust', 'balances', 'kv', 'kvHex']);
  if (f.owner !== undefined) hexOf(f.owner, `${where}.owner`);
  if (f.capsule !== undefined) only(f.capsule, `${where}.capsule`, CAPSULE_FIELDS);
  if (f.capsules !== undefined) {
    if (!Array.isArray(f.capsules)) bad(`${where}.capsules`, 'must be an array');
    f.capsules.forEach((c, i) => metaOf(only(c, `${where}.capsules[${i}]`, CAPSULE_FIELDS), `${where}.capsules[${i}]`, { kind: 'post', payloadLength: 0 }));
  }
  for (const k of ['trust', 'balances'] as const) {
    if (f[k] === undefined) continue;
    for (const [key, v] of Object.entries(obj(f[k], `${where}.${k}`))) { hexOf(key, `${where}.${k} key`); uint(v, `${where}.${k}.${key}`); }
  }
  if (f.kv !== undefined) for (const [key, v] of Object.entries(obj(f.kv, `${where}.kv`))) str(v, `${where}.kv.${key}`);
  if (f.kvHex !== undefined) for (const [key, v] of Object.entries(obj(f.kvHex, `${where}.kvHex`))) { hexOf(key, `${where}.kvHex key`); hexOf(v, `${where}.kvHex.${key}`); }
  return f as StateFixture;
}

export interface DevRunOptions {
  /** `run` (a capsule) or `query` (the read-only view; the payload is the query's input). */
  entry: 'run' | 'query';
  payload: Uint8Array | null;
  state?: StateFixture;
  /** The capsule being run; overrides the fixture's `capsule`. */
  capsule?: { kind?: string; channel?: string; author?: string; createdAt?: bigint; parents?: string[]; flags?: [string, string][]; id?: string };
  /** A query's now (a run's now is its capsule's createdAt, as in the pipeline). */
  now?: bigint;
  /** The module's kv namespace: its module id (a .kmod's), default the wasm hash. */
  kvNamespace?: string;
}

export interface DevRunResult {
  module: LoadedModule;
  input: ExecInput;
  outcome: ExecOutcome;
}

const enc = new TextEncoder();

/** Builds the input a pipeline would give the module, from the fixture and the options. */
export function devInput(opts: DevRunOptions): ExecInput {
  const f = opts.state ?? {};
  const base = { ...(f.capsule ?? {}) } as Record<string, unknown>;
  const o = opts.capsule ?? {};
  if (o.kind !== undefined) base.kind = o.kind;
  if (o.channel !== undefined) base.channel = o.channel;
  if (o.author !== undefined) base.author = o.author;
  if (o.createdAt !== undefined) base.createdAt = o.createdAt.toString();
  if (o.parents !== undefined && o.parents.length) base.parents = o.parents;
  if (o.id !== undefined) base.id = o.id;
  if (o.flags?.length) base.flags = { ...(base.flags as Record<string, string> | undefined ?? {}), ...Object.fromEntries(o.flags) };
  if (opts.entry === 'run' && base.kind === undefined) throw new KapsuleError('USAGE', 'cli', 'the capsule needs a kind (--kind, or "kind" in the fixture\'s capsule)');
  const meta = metaOf(base, 'capsule', { kind: '', payloadLength: opts.payload?.length ?? 0 });
  meta.payloadLength = opts.payload?.length ?? 0;
  const held = (f.capsules ?? []).map((c, i) => metaOf(c as Record<string, unknown>, `capsules[${i}]`, { kind: 'post', payloadLength: 0 }));
  const byId = new Map(held.map((c) => [toHex(c.id), c]));
  const children: Record<string, GuestCapsuleMeta[]> = {};
  for (const c of held) for (const p of c.parents) (children[toHex(p)] ??= []).push(c);
  const kv: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(f.kv ?? {})) kv[toHex(enc.encode(k))] = enc.encode(v);
  for (const [k, v] of Object.entries(f.kvHex ?? {})) kv[k] = fromHex(v);
  const ns = opts.kvNamespace ?? '';
  const state = memoryState({
    trust: Object.fromEntries(Object.entries(f.trust ?? {}).map(([k, v]) => [k, BigInt(v)])),
    balances: Object.fromEntries(Object.entries(f.balances ?? {}).map(([k, v]) => [k, BigInt(v)])),
    kv: { [ns]: kv },
    children,
  });
  // the module's own namespace, whatever id the sandbox gives it
  const view = { ...state, kvGet: (_m: string, k: Uint8Array) => state.kvGet(ns, k) };
  const owner = fromHex(f.owner ?? DEV_DEFAULTS.owner);
  if (opts.entry === 'query') {
    return { entry: 'query', capsule: null, payload: opts.payload, parents: [], context: { now: opts.now ?? 0n, owner }, state: view, kvNamespace: opts.kvNamespace };
  }
  return {
    entry: 'run', capsule: meta, payload: opts.payload, parents: meta.parents.map((p) => byId.get(toHex(p)) ?? null),
    context: { now: meta.createdAt, owner }, state: view, kvNamespace: opts.kvNamespace,
  };
}

/** Loads `wasm` with `limits` into `sandbox` and runs it once on the input `opts` describe. Throws the run's typed error. */
export function devRun(sandbox: SandboxCore, wasm: Uint8Array, limits: ModuleManifestLimits, opts: DevRunOptions): DevRunResult {
  const module = sandbox.load(wasm, limits);
  if (opts.entry === 'query' && !module.hasQuery) throw new KapsuleError('USAGE', 'execute', 'the module has no "query" entry point');
  const input = devInput(opts);
  return { module, input, outcome: sandbox.run(module, input) };
}
