/**
 * `kapsule dev run <file.wasm|file.kmod>`: a module on a payload, once, in the real sandbox (binaryen's
 * instrumentation, the fuel, memory and depth bounds, the real hostcalls) over an in-memory state from a fixture
 * (host/src/dev.ts) — no keys, no capsule files, no store. Prints the output, the fuel used, the memory pages reached,
 * the logs and every write, so an author can size a manifest before packing. `--json`: `result` and
 * `result_encoding` and `fuel` (used) as `kapsule run` gives them, plus `fuel_budget`, `memory_pages` (reached),
 * `memory_pages_cap`, `logs`, `writes` ({kv, trust, balances}) and `transcript_hash`.
 */
import { basename } from 'node:path';
import { KapsuleError } from '../../errors.ts';
import { equalBytes, toHex } from '../../bytes.ts';
import type { CryptoBackend } from '../../crypto/types.ts';
import { MODULE_MAGIC } from '../../parse/module.ts';
import { verifyModulePackage } from '../../verify/index.ts';
import { validateModule } from '../../execute/validate.ts';
import { HOSTCALLS, HOSTCALL_NAMESPACE } from '../../execute/hostcalls/table.ts';
import { DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING } from '../../execute/bounds.ts';
import type { ExecOutcome, ModuleManifestLimits } from '../../execute/types.ts';
import { devRun, parseStateFixture, type DevRunOptions } from '../../dev.ts';
import { MODULE_DEFAULTS, parseModuleJson } from '../../../../capsule-packer/src/manifest.ts';
import { checkModule } from '../../../../capsule-packer/src/check.ts';
import { bool, bigint, int, list, str, usage, type ParsedArgs } from '../args.ts';
import type { CliIO, CommandResult } from '../io.ts';
import { readInput } from './inspect.ts';
import { decodeForDisplay } from '../describe.ts';

const WASM_MAGIC = Uint8Array.of(0, 0x61, 0x73, 0x6d);
const HEX32 = /^[0-9a-f]{64}$/;

interface ModuleSource {
  source: 'wasm' | 'kmod';
  wasm: Uint8Array;
  limits: ModuleManifestLimits;
  /** Where the limits came from, for the report. */
  limitsFrom: string;
  name: string;
  /** The module id of a .kmod (its kv namespace in a store), or the wasm's SHA-256. */
  id: string;
  kvNamespace?: string;
}

/** Hostcalls a wasm imports (for a module run without a manifest: it may use what it imports). */
function importedHostcalls(wasm: Uint8Array): string[] {
  const info = validateModule(wasm, { allowed: new Set(HOSTCALLS.map((h) => h.name)), memoryPages: 65536 });
  return info.functionImports.filter((i) => i.startsWith(`${HOSTCALL_NAMESPACE}.`)).map((i) => i.slice(HOSTCALL_NAMESPACE.length + 1));
}

function loadModule(io: CliIO, a: ParsedArgs, b: CryptoBackend, path: string): ModuleSource {
  const bytes = readInput(io, path);
  const head = bytes.subarray(0, 4);
  const limitFlags = ['hostcalls', 'fuel', 'memory-pages', 'max-depth', 'manifest'].filter((f) => a.flags[f] !== undefined);
  if (head.length === 4 && equalBytes(head, MODULE_MAGIC)) {
    if (limitFlags.length) usage(`--${limitFlags[0]}: a .kmod carries its own signed manifest (give the .wasm to try other limits)`);
    const pkg = verifyModulePackage(b, bytes);
    const m = pkg.manifest;
    return {
      source: 'kmod', wasm: pkg.wasm, name: m.name, id: pkg.idHex, kvNamespace: pkg.idHex, limitsFrom: 'the signed manifest',
      limits: { hostcalls: m.hostcalls, fuel: m.fuel, memoryPages: m.memoryPages, maxDepth: m.maxDepth },
    };
  }
  if (!(head.length === 4 && equalBytes(head, WASM_MAGIC))) usage(`${path} is neither a WebAssembly binary nor a .kmod`);
  const manifestPath = str(a, 'manifest');
  const m = manifestPath !== undefined ? parseModuleJson(new TextDecoder().decode(readInput(io, manifestPath)), manifestPath) : null;
  const hostcallsFlag = str(a, 'hostcalls');
  const hostcalls = hostcallsFlag !== undefined ? hostcallsFlag.split(',').map((x) => x.trim()).filter(Boolean)
    : m?.hostcalls ?? importedHostcalls(bytes);
  // with a manifest, what `kapsule-pack module` would sign; without, the host's ceilings, to measure what a run needs
  const limits: ModuleManifestLimits = m !== null ? {
    hostcalls, fuel: bigint(a, 'fuel', 1n, 1n << 62n) ?? m.fuel ?? MODULE_DEFAULTS.fuel,
    memoryPages: int(a, 'memory-pages', 1, 65536) ?? m.memoryPages ?? MODULE_DEFAULTS.memoryPages,
    maxDepth: int(a, 'max-depth', 1, 1_000_000) ?? m.maxDepth ?? MODULE_DEFAULTS.maxDepth,
  } : {
    hostcalls, fuel: bigint(a, 'fuel', 1n, 1n << 62n) ?? DEFAULT_FUEL_CEILING,
    memoryPages: int(a, 'memory-pages', 1, 65536) ?? DEFAULT_MEMORY_PAGES_CEILING,
    maxDepth: int(a, 'max-depth', 1, 1_000_000) ?? MODULE_DEFAULTS.maxDepth,
  };
  // declared hostcalls are checked as kapsule-pack module checks them (an unknown name, an undeclared import)
  if (m !== null || hostcallsFlag !== undefined) checkModule(bytes, limits, { label: path });
  return {
    source: 'wasm', wasm: bytes, limits, id: toHex(b.sha256(bytes)),
    name: m?.name ?? basename(path).replace(/\.wasm$/, ''),
    limitsFrom: m !== null ? `${manifestPath}${limitFlags.some((f) => f !== 'manifest') ? ' and flags' : ''}`
      : `${hostcallsFlag !== undefined ? '--hostcalls' : 'the hostcalls it imports'}, the host's ceilings${limitFlags.length ? ' and flags' : ''}`,
  };
}

const dec = new TextDecoder('utf-8', { fatal: true });
function asText(b: Uint8Array): string | null { try { return dec.decode(b); } catch { return null; } }

function writesJson(o: ExecOutcome) {
  return {
    kv: [...o.writes.kv].map(([k, v]) => {
      const kb = Uint8Array.from(Buffer.from(k, 'hex'));
      return { key: asText(kb), key_hex: k, value: v === null ? null : asText(v), value_hex: v === null ? null : toHex(v), deleted: v === null };
    }),
    trust: Object.fromEntries(o.writes.trust),
    balances: Object.fromEntries(o.writes.balances),
  };
}

const n = (x: bigint | number) => x.toLocaleString('en');

export async function devRunCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): Promise<CommandResult> {
  if (a.positionals.length !== 1) usage(`dev run expects exactly one <file.wasm|file.kmod>, got ${a.positionals.length}`);
  const path = a.positionals[0];
  const entry = bool(a, 'query') ? 'query' : 'run';
  const mod = loadModule(io, a, b, path);
  const payloadArg = str(a, 'payload');
  let payload: Uint8Array | null = null;
  if (payloadArg === '-') {
    if (!io.stdin) usage('--payload - needs standard input');
    payload = await io.stdin();
  } else if (payloadArg !== undefined) payload = readInput(io, payloadArg);
  const statePath = str(a, 'state');
  const state = statePath !== undefined ? parseStateFixture(new TextDecoder().decode(readInput(io, statePath)), statePath) : undefined;
  const flags: [string, string][] = list(a, 'flag').map((f) => {
    const eq = f.indexOf('=');
    if (eq <= 0) usage(`--flag must be key=value, got "${f}"`);
    return [f.slice(0, eq), f.slice(eq + 1)];
  });
  const parents = list(a, 'parent');
  for (const p of parents) if (!HEX32.test(p)) usage(`--parent must be a 64-char lowercase hex id, got "${p}"`);
  const author = str(a, 'author');
  if (author !== undefined && !/^[0-9a-f]{64}([0-9a-f]{2})?$/.test(author)) usage('--author must be a 32-byte (Ed25519) or 33-byte (P-256) key in lowercase hex');
  const createdAt = bigint(a, 'created-at', 0n, (1n << 64n) - 1n);
  const now = bigint(a, 'now', 0n, (1n << 64n) - 1n);
  if (entry === 'query') {
    const runOnly = ['kind', 'channel', 'author', 'parent', 'flag', 'created-at'].filter((f) => a.flags[f] !== undefined);
    if (runOnly.length) usage(`--${runOnly[0]} describes a capsule; a --query has none (its input is --payload)`);
  } else if (now !== undefined) usage('--now is a query\'s clock; a run\'s now is its capsule\'s created_at (--created-at)');
  const opts: DevRunOptions = {
    entry, payload, state, kvNamespace: mod.kvNamespace,
    now: entry === 'query' ? now ?? BigInt(Date.now()) : undefined,
    capsule: { kind: str(a, 'kind'), channel: str(a, 'channel'), author, createdAt, parents, flags },
  };
  const { Sandbox } = await import('../../execute/index.ts');
  const sandbox = new Sandbox({ sha256: (x) => b.sha256(x) });
  const moduleJson = {
    source: mod.source, name: mod.name, id: mod.id, limits_from: mod.limitsFrom,
    hostcalls: [...new Set(mod.limits.hostcalls)].sort(), fuel: mod.limits.fuel, memory_pages: mod.limits.memoryPages, max_depth: mod.limits.maxDepth,
  };
  let r;
  try {
    r = devRun(sandbox, mod.wasm, mod.limits, opts);
  } catch (e) {
    if (!(e instanceof KapsuleError) || e.code === 'USAGE') throw e;
    const used = e.details?.fuelUsed as bigint | undefined;
    return {
      status: 1, error: e, json: { entry, module: moduleJson, ...(used !== undefined ? { fuel: used } : {}) },
      text: `${entry} of ${mod.name} failed: ${e.code}${used !== undefined ? ` after ${n(used)} fuel` : ''}`,
    };
  }
  const o = r.outcome;
  const eff = r.module.limits;
  const outText = asText(o.output);
  const shown = decodeForDisplay(o.output);
  const writes = writesJson(o);
  const json = {
    entry, module: moduleJson,
    effective_limits: { fuel: eff.fuel, memory_pages: eff.memoryPages, max_depth: eff.maxDepth },
    ...(entry === 'run' ? { capsule: { id: toHex(r.input.capsule!.id), kind: r.input.capsule!.kind, created_at: r.input.capsule!.createdAt } } : { now: r.input.context.now }),
    result: shown.value, result_encoding: shown.encoding,
    fuel: o.fuelUsed, fuel_budget: eff.fuel, memory_pages: o.memoryPages, memory_pages_cap: eff.memoryPages,
    logs: o.logs, writes, transcript_hash: toHex(o.transcriptHash),
  };
  const pct = (x: bigint, of: bigint) => (of > 0n ? ` (${(Number((x * 10000n) / of) / 100).toFixed(2)} %)` : '');
  const lines = [
    `${entry} of ${mod.name} (${mod.source}; limits from ${mod.limitsFrom})${entry === 'run' ? ` on a ${r.input.capsule!.kind} capsule` : ` at now ${r.input.context.now}`}`,
    `output    ${outText ?? `(not UTF-8) ${toHex(o.output)}`}`,
    `fuel      ${n(o.fuelUsed)} of ${n(eff.fuel)}${pct(o.fuelUsed, eff.fuel)}`,
    `memory    ${o.memoryPages} page(s) reached of ${eff.memoryPages} (${n(o.memoryPages * 64)} KiB)`,
    `depth     cap ${eff.maxDepth}`,
    `logs      ${o.logs.length}${o.logs.map((l) => `\n  ${l}`).join('')}`,
    `kv        ${writes.kv.length} write(s)${writes.kv.map((w) => `\n  ${w.key !== null ? JSON.stringify(w.key) : w.key_hex} ${w.deleted ? 'deleted' : `= ${w.value !== null ? JSON.stringify(w.value) : w.value_hex}`}`).join('')}`,
  ];
  if (o.writes.trust.size) lines.push(`trust     ${[...o.writes.trust].map(([k, v]) => `\n  ${k} = ${v}`).join('')}`);
  if (o.writes.balances.size) lines.push(`balances  ${[...o.writes.balances].map(([k, v]) => `\n  ${k} = ${v}`).join('')}`);
  return { status: 0, json, text: lines.join('\n') };
}
