/**
 * Test support (portable; published as `kapsule-rt/testing`): an in-memory StateView and a fixed ExecInput, used by
 * test/execute/*.test.ts, and the host side of the as-pect spec world — `guestTestImports`, which an as-pect config
 * wires into every spec module so that the guest SDK runs against the real hostcall implementation, not a mock of the
 * ABI (this repo's as-pect.config.js, and the one `kapsule-pack new` writes into a module project). Not used by the
 * pipeline; `kapsule dev run` (host/src/dev.ts) builds its in-memory state with `memoryState`.
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

const fill = (byte: number, n = 32): Uint8Array => new Uint8Array(n).fill(byte);

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
 *
 * Besides `kapsule_v1`, the imports carry `kapsule_test.call(ptr, len, out_ptr, out_cap) -> i32`: a spec's
 * control channel (guest side: kapsule-guest-sdk/assembly/testing.ts). It takes a UTF-8 JSON command and answers
 * with UTF-8 text under the hostcall buffer convention (returns the answer's length, copies it only if it fits).
 * Commands build a small world of capsules kept in canonical order (the order they are added) and run the module on
 * one of them, or run its query, so a spec can call a module's own `run()` and `query()` on its own inputs:
 *   {"op":"reset","owner":hex}                         empty world, trust, balances and kv; device owner `owner`
 *   {"op":"add","id"?:hex,"kind","author":hex,"channel","at":"<ms>","parents":[hex],"payload":text|null,
 *    "payloadHex"?:hex,"logic"?:hex|null,"flags"?:[[k,v]]}
 *                                                      appends a capsule (id defaults to its position); answers its id
 *   {"op":"select","id":hex,"now"?:"<ms>"}              the next run is on that capsule: its parents are the world's
 *                                                      capsules (null when not added), the children of any capsule
 *                                                      are those added before the selected one (canonical order)
 *   {"op":"query","input":text|null,"inputHex"?:hex,"now":"<ms>"}
 *                                                      the next call is a query: no capsule, the input as its payload,
 *                                                      every capsule of the world as children, writes fault
 *   {"op":"commit"}                                    applies the run's buffered trust, balance and kv writes
 *   {"op":"discard"}                                   drops them (a run that returned non-zero keeps nothing)
 *   {"op":"trust","subject":hex,"score":"<n>"}         sets a stored trust score
 *   {"op":"balance","account":hex,"amount":"<n>"}      sets a stored balance
 *   {"op":"kv","key":hex,"value":hex|null}             sets (or deletes) a key of the module's kv space
 *   {"op":"output"}                                    answers the run's output as text
 *   {"op":"logs"}                                      answers the run's log lines, joined by "\n"
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
  const world = new TestWorld();
  const call = (ptr: number, len: number, outPtr: number, outCap: number): number => {
    const mem = new Uint8Array(rs.memory!.buffer);
    const answer = new TextEncoder().encode(world.command(JSON.parse(new TextDecoder().decode(mem.subarray(ptr, ptr + len))), rs, sha256));
    if (answer.length <= outCap) mem.set(answer, outPtr);
    return answer.length;
  };
  return {
    imports: {
      [HOSTCALL_NAMESPACE]: env.hostcalls as unknown as Record<string, WebAssembly.ImportValue>,
      kapsule_test: { call } as Record<string, WebAssembly.ImportValue>,
    },
    bind(memory: WebAssembly.Memory): void { rs.memory = memory; },
    state: rs,
  };
}

const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

/** The world behind `kapsule_test.call` (see guestTestImports). */
class TestWorld {
  private capsules: { meta: GuestCapsuleMeta; payload: Uint8Array | null }[] = [];
  private index = new Map<string, number>();
  private trust = new Map<string, bigint>();
  private balances = new Map<string, bigint>();
  private kv = new Map<string, Uint8Array>();
  private owner: Uint8Array = FIXTURE.owner;

  /** Children among capsules[0, end) (canonical order: only those before the running capsule). */
  private childrenIndex(end: number): (id: Uint8Array) => GuestCapsuleMeta[] {
    const kids = new Map<string, GuestCapsuleMeta[]>();
    for (const x of this.capsules.slice(0, end)) for (const p of x.meta.parents) {
      const h = toHex(p);
      if (!kids.has(h)) kids.set(h, []);
      kids.get(h)!.push(x.meta);
    }
    return (id) => kids.get(toHex(id)) ?? [];
  }

  private stateView(end: number): StateView {
    const childrenOf = this.childrenIndex(end);
    return {
      trustScore: (s) => this.trust.get(toHex(s)) ?? 0n,
      balance: (a) => this.balances.get(toHex(a)) ?? 0n,
      kvGet: (_m, k) => this.kv.get(toHex(k)) ?? null,
      childCount: (id) => childrenOf(id).length,
      childMetadata: (id, i) => childrenOf(id)[i] ?? null,
    };
  }

  private fresh(rs: RunState, sha256: (b: Uint8Array) => Uint8Array): void {
    rs.writes = { trust: new Map(), balances: new Map(), kv: new Map() };
    rs.output = new Uint8Array(0); rs.logs = []; rs.logTruncated = false;
    rs.transcript = new Transcript(sha256); rs.metaBytes = null; rs.contextBytes = null; rs.encoded = undefined; rs.listed = undefined;
  }

  command(c: Record<string, any>, rs: RunState, sha256: (b: Uint8Array) => Uint8Array): string {
    switch (c.op) {
      case 'reset':
        this.capsules = []; this.index.clear(); this.trust.clear(); this.balances.clear(); this.kv.clear();
        this.owner = fromHex(c.owner);
        return 'ok';
      case 'add': {
        const n = this.capsules.length;
        const id = c.id ? fromHex(c.id) : fromHex((n + 1).toString(16).padStart(64, '0'));
        const hex = toHex(id);
        if (id.length !== 32 || this.index.has(hex)) throw new Error(`kapsule_test add: bad or duplicate id ${hex}`);
        const payload = typeof c.payloadHex === 'string' ? fromHex(c.payloadHex)
          : c.payload === null || c.payload === undefined ? null : new TextEncoder().encode(c.payload);
        const author = fromHex(c.author);
        this.capsules.push({
          meta: {
            id, kind: c.kind, authorAlg: author.length === 33 ? 'p256' : 'ed25519', author, channel: c.channel ?? 'general',
            createdAt: BigInt(c.at ?? '0'), parents: (c.parents ?? []).map(fromHex), flags: c.flags ?? [],
            logic: c.logic ? fromHex(c.logic) : null, payloadLength: payload?.length ?? 0,
          },
          payload,
        });
        this.index.set(hex, n);
        return hex;
      }
      case 'select': {
        const at = this.index.get(c.id);
        if (at === undefined) throw new Error(`kapsule_test select: unknown capsule ${c.id}`);
        const { meta, payload } = this.capsules[at];
        rs.input = {
          capsule: meta, payload,
          parents: meta.parents.map((p) => { const i = this.index.get(toHex(p)); return i === undefined ? null : this.capsules[i].meta; }),
          context: { now: c.now !== undefined ? BigInt(c.now) : meta.createdAt, owner: this.owner },
          state: this.stateView(at),
        };
        this.fresh(rs, sha256);
        return 'ok';
      }
      case 'query': {
        const input = typeof c.inputHex === 'string' ? fromHex(c.inputHex)
          : c.input === null || c.input === undefined ? null : new TextEncoder().encode(c.input);
        rs.input = {
          entry: 'query', capsule: null, payload: input, parents: [],
          context: { now: BigInt(c.now ?? '0'), owner: this.owner },
          state: this.stateView(this.capsules.length),
        };
        this.fresh(rs, sha256);
        return 'ok';
      }
      case 'commit':
        for (const [k, v] of rs.writes.trust) this.trust.set(k, v);
        for (const [k, v] of rs.writes.balances) this.balances.set(k, v);
        for (const [k, v] of rs.writes.kv) { if (v === null) this.kv.delete(k); else this.kv.set(k, v); }
        rs.writes = { trust: new Map(), balances: new Map(), kv: new Map() };
        return 'ok';
      case 'discard':
        rs.writes = { trust: new Map(), balances: new Map(), kv: new Map() };
        return 'ok';
      case 'trust':
        this.trust.set(c.subject, BigInt(c.score));
        return 'ok';
      case 'balance':
        this.balances.set(c.account, BigInt(c.amount));
        return 'ok';
      case 'kv':
        if (c.value === null) this.kv.delete(c.key); else this.kv.set(c.key, fromHex(c.value));
        return 'ok';
      case 'output':
        return new TextDecoder().decode(rs.output);
      case 'logs':
        return rs.logs.join('\n');
      default:
        throw new Error(`kapsule_test: unknown op ${c.op}`);
    }
  }
}
