/**
 * The pack-time check: before a module is signed, its wasm is read against its manifest with the host's own code —
 * `validateModule` (execute/validate.ts: sections, caps, every import against the declared hostcalls) and, when an
 * instrumenter is given, the whole of what `kapsule module add` does (`SandboxCore.load`: instrument, compile, stack
 * frame bound). What a host would refuse is refused here, with everything wrong in one message: unknown hostcall
 * names in the manifest (with the nearest real name), every import the manifest does not declare, or why the module
 * is invalid. Portable (the instrumenter is injected; Node's `checkModule` in host/src/node.ts passes binaryen's).
 */
import { KapsuleError } from '../../host/src/errors.ts';
import { toHex } from '../../host/src/bytes.ts';
import { ENV_IMPORTS, HOSTCALLS, HOSTCALL_BY_NAME, HOSTCALL_NAMESPACE } from '../../host/src/execute/hostcalls/table.ts';
import { validateModule, type RefusedImport } from '../../host/src/execute/validate.ts';
import { SandboxCore, type Instrumenter } from '../../host/src/execute/sandbox.ts';
import type { ModuleManifestLimits } from '../../host/src/execute/types.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';

export interface CheckModuleOptions {
  /** Also instrument and compile, as a host does at `module add` (default: static validation only). */
  instrumenter?: Instrumenter | null;
  /** Named in messages (default "the module"). */
  label?: string;
}

export interface ModuleCheck {
  /** Hostcalls the wasm imports (names in `kapsule_v1`), sorted. */
  imports: string[];
  /** Declared in the manifest but not imported: allowed, but a manifest should list only what the module uses. */
  unused: string[];
  /** Whether it exports the read-only `query` entry point. */
  hasQuery: boolean;
  /** Whether the instrumenter ran (the module instruments and compiles as a host will). */
  instrumented: boolean;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** The hostcall nearest to an unknown name (edit distance ≤ 3), or null. */
export function nearestHostcall(name: string): string | null {
  let best: string | null = null;
  let bestD = 4;
  for (const h of HOSTCALLS) {
    const dd = distance(name, h.name);
    if (dd < bestD) { best = h.name; bestD = dd; }
  }
  return best;
}

/**
 * Checks `wasm` against `limits` (its manifest). Throws MODULE_INVALID (stage `pack`) with
 * `details.unknownHostcalls` ([{ name, suggestion }]), `details.refused` (every refused import with its reason:
 * `not-allowed` for an import the manifest does not declare) or the host's own reason for an invalid module.
 */
export function checkModule(wasm: Uint8Array, limits: ModuleManifestLimits, opts: CheckModuleOptions = {}): ModuleCheck {
  const label = opts.label ?? 'the module';
  const unknown = [...new Set(limits.hostcalls)].filter((h) => !HOSTCALL_BY_NAME.has(h)).sort();
  const unknownText = unknown.map((h) => { const s = nearestHostcall(h); return s ? `${h} (did you mean ${s}?)` : h; }).join(', ');
  const unknownDetails = unknown.map((name) => ({ name, suggestion: nearestHostcall(name) }));
  const declared = new Set(limits.hostcalls.filter((h) => HOSTCALL_BY_NAME.has(h)));
  let info;
  try {
    info = validateModule(wasm, { allowed: declared, memoryPages: limits.memoryPages });
  } catch (e) {
    if (!(e instanceof KapsuleError) || e.code !== 'MODULE_INVALID') throw e;
    const refused = (e.details?.refused as Omit<RefusedImport, 'message'>[] | undefined) ?? [];
    const undeclared = refused.filter((r) => r.reason === 'not-allowed').map((r) => r.import);
    const other = refused.filter((r) => r.reason !== 'not-allowed');
    const lines: string[] = [];
    if (unknown.length) lines.push(`unknown hostcall names in the manifest: ${unknownText}`);
    if (undeclared.length) {
      lines.push(`imports that the manifest's hostcalls do not declare: ${undeclared.join(', ')} ` +
        `(declared: ${[...declared].sort().join(', ') || 'none'}; add ${undeclared.map((i) => i.slice(HOSTCALL_NAMESPACE.length + 1)).join(', ')})`);
    }
    if (other.length) lines.push(`imports the host refuses: ${other.map((r) => `${r.import} (${r.reason})`).join(', ')}`);
    if (!refused.length) lines.push(`invalid module: ${e.message}`);
    throw new KapsuleError('MODULE_INVALID', 'pack', `${label} is refused: ${lines.join('; ')}`, {
      ...(e.details ?? {}), ...(unknown.length ? { unknownHostcalls: unknownDetails } : {}), ...(undeclared.length ? { undeclared } : {}),
    });
  }
  if (unknown.length) {
    throw new KapsuleError('MODULE_INVALID', 'pack', `${label} is refused: unknown hostcall names in the manifest: ${unknownText}`, { unknownHostcalls: unknownDetails });
  }
  const imports = info.functionImports.filter((i) => i.startsWith(`${HOSTCALL_NAMESPACE}.`)).map((i) => i.slice(HOSTCALL_NAMESPACE.length + 1)).sort();
  // an env import that needs a hostcall (env.trace needs log) counts as using it
  const used = new Set(imports);
  for (const e of ENV_IMPORTS) if (e.requires !== null && info.functionImports.includes(`env.${e.name}`)) used.add(e.requires);
  const unused = [...declared].filter((h) => !used.has(h)).sort();
  let instrumented = false;
  if (opts.instrumenter) {
    try {
      new SandboxCore({ sha256: nobleBackend.sha256 }, opts.instrumenter).load(wasm, limits);
      instrumented = true;
    } catch (e) {
      if (e instanceof KapsuleError && e.code === 'MODULE_INVALID') {
        throw new KapsuleError('MODULE_INVALID', 'pack', `${label} is refused: invalid module: ${e.message}`, e.details);
      }
      throw e;
    }
  }
  return { imports, unused, hasQuery: info.hasQuery, instrumented };
}

/** Hex SHA-256 of the wasm (what `dev run` reports as the module's hash). */
export function wasmHashHex(wasm: Uint8Array): string {
  return toHex(nobleBackend.sha256(wasm));
}
