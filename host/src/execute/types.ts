/** The sandbox's public types (re-exported by index.ts). Portable. */

export interface ModuleManifestLimits { hostcalls: string[]; fuel: bigint; memoryPages: number; maxDepth: number }

export interface HostPolicy {
  allowedHostcalls?: ReadonlySet<string>;
  maxFuel?: bigint;
  maxMemoryPages?: number;
  maxDepth?: number;
}

/** What the guest can read about a capsule (no plaintext). */
export interface GuestCapsuleMeta {
  id: Uint8Array;
  kind: string;
  authorAlg: 'ed25519' | 'p256';
  author: Uint8Array;
  channel: string;
  /** ms since epoch, as signed data. */
  createdAt: bigint;
  parents: Uint8Array[];
  flags: [string, string][];
  logic: Uint8Array | null;
  payloadLength: number;
}

export interface RunContext { now: bigint; owner: Uint8Array }

/** Read snapshot taken at run start (synchronous). */
export interface StateView {
  /** Fixed point, 1_000_000 = 1.0; 0 when unknown. */
  trustScore(subject: Uint8Array): bigint;
  /** u64 range. */
  balance(account: Uint8Array): bigint;
  kvGet(moduleId: string, key: Uint8Array): Uint8Array | null;
  childCount?(capsuleId: Uint8Array): number;
  childMetadata?(capsuleId: Uint8Array, index: number): GuestCapsuleMeta | null;
}

export interface StateWrites {
  trust: Map<string, bigint>;
  balances: Map<string, bigint>;
  kv: Map<string, Uint8Array | null>;
}

export interface ExecInput {
  /**
   * Which export runs: `run` (default) processes a capsule and may write; `query` is the read-only entry point
   * (docs/ABI.md §Queries): `capsule` describes no stored capsule, the payload is the query's input, and every write
   * hostcall is a HOSTCALL_FAULT.
   */
  entry?: 'run' | 'query';
  capsule: GuestCapsuleMeta | null;
  payload: Uint8Array | null;
  parents: (GuestCapsuleMeta | null)[];
  context: RunContext;
  state: StateView;
  /** The module's key-value space (hex). Default: the module's wasm hash; the runtime passes the module id. */
  kvNamespace?: string;
}

export interface ExecOutcome {
  ok: true;
  output: Uint8Array;
  fuelUsed: bigint;
  /**
   * Size of the module's memory when the run ended, in 64 KiB pages: the most it reached (a memory never shrinks).
   * What a manifest's memoryPages must cover; `kapsule dev run` reports it. Not part of the audit record.
   */
  memoryPages: number;
  logs: string[];
  writes: StateWrites;
  transcriptHash: Uint8Array;
}

/** Persisted cache of INSTRUMENTED bytes, keyed by compiledCacheKey(). */
export interface CompiledCache {
  get(key: string): Uint8Array | WebAssembly.Module | undefined;
  set(key: string, value: Uint8Array): void;
}
