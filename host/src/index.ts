/**
 * The portable public API of kapsule-rt: everything here runs in Node, Electron, Deno and browsers. Nothing in
 * this module's import graph is Node-only (no `node:` builtins, no better-sqlite3, no binaryen): the browser
 * bundle (`dist/kapsule-rt.browser.mjs`, scripts/bundle.ts) is built from this file and a test checks its inputs.
 *
 *   const rt = new Runtime({ store: new MemoryStore(), backend: nobleBackend, identity });
 *   rt.store.putCompiled(compiledCacheKey(moduleIdHex), instrumentedBytes);   // exported by a Node host
 *   rt.addModule(kmod);
 *   const r = rt.ingest(capsuleBytes);   // { status, output, fuel, error, ... }
 *
 * Modules run from pre-instrumented bytes: pass `instrumenter` to the Runtime to instrument on a cache miss
 * (Node's `openRuntime` in ./node.ts wires binaryen's in).
 */

// The runtime and its pipeline
export { Runtime, type RuntimeOptions } from './runtime.ts';
export type { IngestResult, IngestStatus, DeviceKeys } from './pipeline.ts';
export type { RuntimePolicy } from './modules.ts';

// Storage
export { MemoryStore } from './store/memory.ts';
export type {
  AuditRow, CapsuleQuery, CapsuleRecord, CapsuleStatus, CheckpointRow, KeyStore, ModuleRecord, OrphanRecord, ResultRecord,
  Store,
} from './store/types.ts';

// Crypto (portable backend)
export { nobleBackend } from './crypto/noble.ts';
export { SIG_SIZES, type AdmittedKeys, type CryptoBackend, type SigAlg } from './crypto/types.ts';
export { StoreAdmittedKeys } from './verify/admitted.ts';

// Keys
export {
  generateIdentity, publicOf, encodePublicIdentity, encodeSecretIdentity, parsePublicIdentity, parseSecretIdentity,
  identityLabel, type PublicIdentity, type SecretIdentity,
} from './keys.ts';

// parse → verify → decrypt
export { parseCapsule, type ParsedCapsule, type CapsuleCore, type RecipientStanza } from './parse/capsule.ts';
export { parseModulePackage, type ParsedModulePackage, type ModuleManifest } from './parse/module.ts';
export { LIMITS } from './parse/limits.ts';
export {
  capsuleId, verifyCapsule, verifyParsedCapsule, verifyModulePackage, verifyParsedModule,
  type VerifiedCapsule, type VerifiedModulePackage,
} from './verify/index.ts';
export { decryptCapsule, type DecryptedCapsule, type RecipientKey } from './decrypt/index.ts';

// execute (the sandbox core, without binaryen)
export {
  SandboxCore, MemoryCompiledCache, compiledCacheKey, MAX_DEPTH_CEILING,
  type Instrumenter, type LoadedModule, type SandboxStats, type SandboxOptions,
} from './execute/sandbox.ts';
export {
  DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING, STACK_BUDGET_BYTES, POOL_MAX_PAGES, TRANSCRIPT_MAX_BYTES,
} from './execute/bounds.ts';
export { runWithDeadline, deadlineInterrupts, type DeadlineOptions } from './execute/deadline.ts';
export { INSTRUMENTER_VERSION, COST_TABLE_HASH } from './execute/costs.ts';
export { HOSTCALLS, HOSTCALL_NAMESPACE, ABI_VERSION, STATUS } from './execute/hostcalls/table.ts';
export type {
  CompiledCache, ExecInput, ExecOutcome, GuestCapsuleMeta, HostPolicy, ModuleManifestLimits,
} from './execute/types.ts';

// producing: capsules, module packages and the pack-time module check (what kapsule-pack does, as functions)
export {
  buildCapsule, buildModulePackage, type CapsuleSpec, type ModuleSpec, type BuiltCapsule, type BuiltModulePackage,
} from '../../capsule-packer/src/build.ts';
export { checkModule, nearestHostcall, type CheckModuleOptions, type ModuleCheck } from '../../capsule-packer/src/check.ts';
export { parseModuleJson, MODULE_DEFAULTS, type ModuleJson } from '../../capsule-packer/src/manifest.ts';

// trying a module: one run on a payload over an in-memory state fixture (`kapsule dev run`)
export { devRun, devInput, parseStateFixture, type DevRunOptions, type DevRunResult, type StateFixture, type FixtureCapsule } from './dev.ts';

// audit
export { verifyAuditLog, type AuditReport, type AuditProblem, type Signer } from './audit/verify.ts';
export { verifyCheckpoint, parseCheckpoint, type SignedCheckpoint } from './audit/checkpoint.ts';
export { verifyInclusion, verifyConsistency } from './audit/merkle.ts';

// sync
export { exportSnapshot, importSnapshot, syncPair, type ImportReport, type PairSyncReport } from './sync/index.ts';

// errors and bytes
export { KapsuleError, isKapsuleError, ERROR_CODES, STAGES, type ErrorCode, type Stage } from './errors.ts';
export { toHex, fromHex, toBase64, fromBase64, utf8 } from './bytes.ts';
