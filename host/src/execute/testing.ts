/**
 * Test support (portable): an in-memory StateView and a fixed ExecInput, used by test/execute/*.test.ts and by
 * the as-pect specs (as-pect.config.js wires `guestTestImports` into every spec module so the guest SDK runs
 * against the real hostcall implementation, not a mock of the ABI). Not used by the runtime.
 */
import { toHex } from '../bytes.ts';
import { HostEnv, Transcript, type RunState } from './hostcalls/impl.ts';
import { HOSTCALL_NAMESPACE } from './hostcalls/table.ts';
import type { ExecInput, GuestCapsuleMeta, StateView, StateWrites } from './types.ts';

export interface MemoryStateInit {
  trust?: Record<string, bigint>;
  balances?: Record<string, bigint>;
  /** moduleId → (hex key → value) */
  kv?: Record<string, Record<string, Uint8Array>>;
  /** hex capsule id → its children; omit to model a host without a child index. */
  children?: Record<string, GuestCapsuleMeta[]> | null;
}

export function memoryState(init: MemoryStateInit = {}): StateView {
  const view: StateView = {
    trustScore: (s) => init.trust?.[toHex(s)] ?? 0n,
    balance: (a) => init.balances?.[toHex(a)] ?? 0n,
    kvGet: (m, k) => init.kv?.[m]?.[toHex(k)] ?? null,
  };
  if (init.children !== null) {
    const kids = init.children ?? {};
    view.childCount = (id) => (kids[toHex(id)] ?? []).length;
    view.childMetadata = (id, i) => kids[toHex(id)]?.[i] ?? null;
  }
  return view;
}

const fill = (byte: number, n = 32) => new Uint8Array(n).fill(byte);

/** A fixed capsule: id 0x11…, author 0x22…, two parents (0xa1…, known; 0xa2…, not held by the host). */
export function fixtureMeta(overrides: Partial<GuestCapsuleMeta> = {}): GuestCapsuleMeta {
  return {
    id: fill(0x11), kind: 'post', authorAlg: 'ed25519', author: fill(0x22), channel: 'general',
    createdAt: 1_700_000_000_000n, parents: [fill(0xa1), fill(0xa2)], flags: [['lang', 'en'], ['topic', 'wasm']],
    logic: fill(0x33), payloadLength: 13, ...overrides,
  };
}

export const FIXTURE = {
  payload: new TextEncoder().encode('hello kapsule'),
  now: 1_700_000_123_456n,
  owner: fill(0x44),
  moduleId: '33'.repeat(32),
  /** subject 0x55… has trust 0.75; account 0x66… has balance 1000. */
  trustSubject: fill(0x55),
  account: fill(0x66),
} as const;

/** The fixed input: payload "hello kapsule", parents [known parent 0xa1…, null], children of 0x11…: two. */
export function fixtureInput(overrides: Partial<ExecInput> = {}): ExecInput {
  const parent = fixtureMeta({ id: fill(0xa1), kind: 'root', parents: [], flags: [], logic: null, payloadLength: 0 });
  return {
    capsule: fixtureMeta(),
    payload: FIXTURE.payload,
    parents: [parent, null],
    context: { now: FIXTURE.now, owner: FIXTURE.owner },
    state: memoryState({
      trust: { [toHex(FIXTURE.trustSubject)]: 750_000n },
      balances: { [toHex(FIXTURE.account)]: 1000n },
      kv: { [FIXTURE.moduleId]: { [toHex(new TextEncoder().encode('greeting'))]: new TextEncoder().encode('hi') } },
      children: {
        [toHex(fill(0x11))]: [
          fixtureMeta({ id: fill(0xc1), kind: 'comment', parents: [fill(0x11)], flags: [], logic: null, payloadLength: 1 }),
          fixtureMeta({ id: fill(0xc2), kind: 'comment', parents: [fill(0x11)], flags: [], logic: null, payloadLength: 2 }),
        ],
      },
    }),
    ...overrides,
  };
}

/**
 * Real hostcall imports for a module instantiated outside the Sandbox (as-pect specs): the host functions of
 * the sandbox, bound to the fixture input, an unlimited fuel budget and the instance's memory once `bind` is
 * called. Returns the run state so a test can inspect writes, output and logs.
 */
export function guestTestImports(sha256: (b: Uint8Array) => Uint8Array, input: ExecInput = fixtureInput()) {
  const env = new HostEnv();
  const writes: StateWrites = { trust: new Map(), balances: new Map(), kv: new Map() };
  const rs: RunState = {
    input, moduleId: FIXTURE.moduleId, memory: null,
    charge: () => 1, // unlimited fuel for specs
    writes, output: new Uint8Array(0), logs: [], logTruncated: false,
    transcript: new Transcript(sha256), metaBytes: null, contextBytes: null,
  };
  env.current = rs;
  return {
    imports: { [HOSTCALL_NAMESPACE]: env.hostcalls as unknown as Record<string, WebAssembly.ImportValue> },
    bind(memory: WebAssembly.Memory): void { rs.memory = memory; },
    state: rs,
  };
}

