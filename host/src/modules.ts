/**
 * The module registry: signed `.kmod` packages are verified, validated by the sandbox and stored; at run time a
 * logic reference resolves to a loaded (validated, instrumented, compiled) module, narrowed by the host policy.
 */
import { KapsuleError } from './errors.ts';
import { toHex } from './bytes.ts';
import type { CryptoBackend } from './crypto/types.ts';
import { parseModulePackage } from './parse/module.ts';
import { verifyParsedModule, type VerifiedModulePackage } from './verify/index.ts';
import type { LoadedModule, Sandbox } from './execute/index.ts';
import type { Store } from './store/types.ts';
import type { AuditLog } from './audit/log.ts';

export interface RuntimePolicy {
  /** Hostcalls a kind of capsule may use (intersected with each module's signed allowlist). */
  hostcallsByKind?: Record<string, readonly string[]>;
  /** Hostcalls a module (by id hex) may use; intersected as well. */
  hostcallsByModule?: Record<string, readonly string[]>;
  /** When set, only modules signed by one of these keys (hex) can be added. */
  trustedModuleAuthors?: readonly string[];
  /** Ceilings on what any manifest may ask (defaults: execute/bounds.ts — fuel 2^30, 4,096 pages). */
  maxFuel?: bigint;
  maxMemoryPages?: number;
  maxDepth?: number;
}

export class ModuleRegistry {
  private readonly loaded = new Map<string, LoadedModule>();

  constructor(
    private readonly b: CryptoBackend,
    private readonly store: Store,
    readonly sandbox: Sandbox,
    private readonly audit: AuditLog,
    private readonly policy: RuntimePolicy,
  ) {}

  /**
   * Verify, validate and store a module package. Returns its id (the manifest hash: what capsules name) and whether it
   * was new. Capsules waiting for it are made runnable by the runtime (Runtime.addModule).
   */
  add(kmod: Uint8Array): { id: string; name: string; version: string; added: boolean } {
    const pkg = verifyParsedModule(this.b, parseModulePackage(kmod));
    const authors = this.policy.trustedModuleAuthors;
    if (authors && !authors.includes(toHex(pkg.manifest.author))) {
      throw new KapsuleError('MODULE_INVALID', 'verify', `module author ${toHex(pkg.manifest.author)} is not trusted by this host's policy`);
    }
    this.loadVerified(pkg, null); // static validation now, not at first use
    let added = false;
    this.store.transaction(() => {
      added = this.store.addModule({
        id: pkg.id, name: pkg.manifest.name, version: pkg.manifest.version,
        author: pkg.manifest.author, package: kmod,
      });
      if (added) this.audit.record({ type: 'module_added', moduleId: pkg.id, packageHash: this.b.sha256(kmod) });
    });
    return { id: pkg.idHex, name: pkg.manifest.name, version: pkg.manifest.version, added };
  }

  /** Resolve a logic reference for a capsule of `kind`. MODULE_NOT_FOUND when the store has no such module. */
  load(moduleId: Uint8Array, kind: string | null): LoadedModule {
    const idHex = toHex(moduleId);
    const key = `${idHex}/${kind ?? ''}`;
    const hit = this.loaded.get(key);
    if (hit) return hit;
    const rec = this.store.getModule(moduleId);
    if (!rec) throw new KapsuleError('MODULE_NOT_FOUND', 'execute', `no module ${idHex} in the registry (add it with: kapsule module add <file.kmod>)`);
    const pkg = verifyParsedModule(this.b, parseModulePackage(rec.package));
    const mod = this.loadVerified(pkg, kind);
    this.loaded.set(key, mod);
    return mod;
  }

  /** The allowlist that applies: manifest ∩ policy for the kind ∩ policy for the module. */
  allowedHostcalls(pkg: VerifiedModulePackage, kind: string | null): string[] {
    let allowed = pkg.manifest.hostcalls;
    const byKind = kind !== null ? this.policy.hostcallsByKind?.[kind] : undefined;
    if (byKind) allowed = allowed.filter((h) => byKind.includes(h));
    const byModule = this.policy.hostcallsByModule?.[pkg.idHex];
    if (byModule) allowed = allowed.filter((h) => byModule.includes(h));
    return allowed;
  }

  private loadVerified(pkg: VerifiedModulePackage, kind: string | null): LoadedModule {
    const m = pkg.manifest;
    // fuel, memory and depth are narrowed by the sandbox (its HostPolicy, built from this policy by the Runtime, and
    // its default ceilings): one narrowing, in one place (execute/sandbox.ts effectiveLimits)
    return this.sandbox.load(pkg.wasm, { hostcalls: this.allowedHostcalls(pkg, kind), fuel: m.fuel, memoryPages: m.memoryPages, maxDepth: m.maxDepth });
  }
}
