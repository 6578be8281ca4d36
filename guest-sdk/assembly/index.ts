/**
 * kapsule guest SDK for AssemblyScript (the `kapsule-guest-sdk` package): the typed API a module author imports.
 *
 *   import { capsule, payloadJson, submitJson, JsonOut, log } from "kapsule-guest-sdk";
 *   export function run(): i32 {
 *     const p = payloadJson();
 *     if (p === null) { submitFailure("BAD_PAYLOAD", "payload is not JSON"); return 0; }
 *     submitJson(new JsonOut().bool("ok", true).str("kind", capsule().kind));
 *     return 0;
 *   }
 *
 * Everything goes through the raw declarations in ./env.ts (generated from the host's hostcall table; its version
 * is the package's major version). Reads are deterministic snapshots; writes are buffered by the host and applied
 * only if run() returns 0. Also here: the strict JSON reader/writer (./json.ts), hex and u64 helpers (./hex.ts) and
 * an allocation-free key set (./keyset.ts) that the reference modules use; specs import ./testing.ts.
 */
import * as env from "./env";
import { JValue, JsonOut, parseJson, failure } from "./json";

export { ABI_VERSION, STATUS_OK, STATUS_ABSENT, STATUS_OUT_OF_RANGE, STATUS_UNAVAILABLE } from "./env";
export * from "./json";
export * from "./hex";
export { KeySet } from "./keyset";

/** Signature algorithm codes of Capsule.authorAlg. */
export const ALG_ED25519: u8 = 1;
export const ALG_P256: u8 = 2;

// One reusable scratch buffer: a value that fits is copied straight into it; a larger one is fetched again into
// a buffer of exactly the size the host reported (the host copies nothing when the buffer is too small).
const SCRATCH_SIZE: i32 = 512;
const scratch = new Uint8Array(SCRATCH_SIZE);

function take(n: i32): Uint8Array {
  return scratch.slice(0, n);
}

/** Little-endian reader over a metadata / context encoding (docs/ABI.md §Metadata). */
class Reader {
  pos: i32 = 0;
  constructor(public buf: Uint8Array) {}
  u8(): u8 { return this.buf[this.pos++]; }
  u16(): u16 { const v = load<u16>(this.buf.dataStart + <usize>this.pos); this.pos += 2; return v; }
  u32(): u32 { const v = load<u32>(this.buf.dataStart + <usize>this.pos); this.pos += 4; return v; }
  u64(): u64 { const v = load<u64>(this.buf.dataStart + <usize>this.pos); this.pos += 8; return v; }
  bytes(n: i32): Uint8Array { const v = this.buf.slice(this.pos, this.pos + n); this.pos += n; return v; }
  text(n: i32): string {
    const s = String.UTF8.decodeUnsafe(this.buf.dataStart + <usize>this.pos, <usize>n, false);
    this.pos += n;
    return s;
  }
}

/** Capsule metadata as the guest sees it (no plaintext). */
export class Capsule {
  id: Uint8Array = new Uint8Array(0);
  kind: string = "";
  authorAlg: u8 = 0;
  author: Uint8Array = new Uint8Array(0);
  channel: string = "";
  /** ms since epoch, as signed by the author. */
  createdAt: u64 = 0;
  parents: Uint8Array[] = [];
  flagKeys: string[] = [];
  flagValues: string[] = [];
  logic: Uint8Array | null = null;
  payloadLength: u32 = 0;

  /** Value of flag `key`, or null. */
  flag(key: string): string | null {
    for (let i = 0; i < this.flagKeys.length; i++) if (this.flagKeys[i] == key) return this.flagValues[i];
    return null;
  }

  /** Decodes the canonical metadata encoding. */
  static decode(buf: Uint8Array): Capsule {
    const r = new Reader(buf);
    const version = r.u8();
    assert(version == 1, "unsupported metadata version");
    const c = new Capsule();
    c.id = r.bytes(32);
    c.kind = r.text(<i32>r.u8());
    c.authorAlg = r.u8();
    c.author = r.bytes(<i32>r.u8());
    c.channel = r.text(<i32>r.u16());
    c.createdAt = r.u64();
    const np = <i32>r.u8();
    for (let i = 0; i < np; i++) c.parents.push(r.bytes(32));
    const nf = <i32>r.u8();
    for (let i = 0; i < nf; i++) {
      c.flagKeys.push(r.text(<i32>r.u8()));
      c.flagValues.push(r.text(<i32>r.u16()));
    }
    if (r.u8() == 1) c.logic = r.bytes(32);
    c.payloadLength = r.u32();
    return c;
  }
}

// ---- context ----

class Context {
  now: u64 = 0;
  owner: Uint8Array = new Uint8Array(0);
}

function context(): Context {
  let n = env.get_context(scratch.dataStart, SCRATCH_SIZE);
  let buf: Uint8Array;
  if (n > SCRATCH_SIZE) { buf = new Uint8Array(n); env.get_context(buf.dataStart, n); } else buf = take(n);
  const r = new Reader(buf);
  const c = new Context();
  c.now = r.u64();
  c.owner = r.bytes(<i32>r.u8());
  return c;
}

/** The run's "now" (ms since epoch), fixed by the host for the whole run: never a live clock. */
export function now(): u64 { return context().now; }

/** The device owner's signing public key. */
export function owner(): Uint8Array { return context().owner; }

// ---- the capsule ----

/** Metadata of the capsule being processed. */
export function capsule(): Capsule {
  const n = env.get_capsule_metadata(scratch.dataStart, SCRATCH_SIZE);
  if (n > SCRATCH_SIZE) {
    const buf = new Uint8Array(n);
    env.get_capsule_metadata(buf.dataStart, n);
    return Capsule.decode(buf);
  }
  return Capsule.decode(take(n));
}

/** The decrypted payload, or null when the capsule has none. */
export function payload(): Uint8Array | null {
  const n = env.get_payload(scratch.dataStart, SCRATCH_SIZE);
  if (n < 0) return null;
  if (n > SCRATCH_SIZE) {
    const buf = new Uint8Array(n);
    env.get_payload(buf.dataStart, n);
    return buf;
  }
  return take(n);
}

/** The payload as UTF-8 text (invalid sequences become U+FFFD), or null. */
export function payloadText(): string | null {
  const p = payload();
  if (p === null) return null;
  return String.UTF8.decodeUnsafe(p.dataStart, <usize>p.length, false);
}

// ---- parents and children ----

export function parentCount(): i32 { return env.get_parent_count(); }

/** Metadata of parent `index`; null when the host does not hold it or index is out of range. */
export function parent(index: i32): Capsule | null {
  const n = env.get_parent_metadata(index, scratch.dataStart, SCRATCH_SIZE);
  if (n < 0) return null;
  if (n > SCRATCH_SIZE) {
    const buf = new Uint8Array(n);
    env.get_parent_metadata(index, buf.dataStart, n);
    return Capsule.decode(buf);
  }
  return Capsule.decode(take(n));
}

/** Number of stored children of capsule `id` (32 bytes); -1 when the host keeps no child index. */
export function childCount(id: Uint8Array): i32 {
  assert(id.length == 32, "capsule id must be 32 bytes");
  const n = env.get_child_count(id.dataStart);
  return n == env.STATUS_UNAVAILABLE ? -1 : n;
}

/** Metadata of child `index` of capsule `id`, or null. */
export function child(id: Uint8Array, index: i32): Capsule | null {
  assert(id.length == 32, "capsule id must be 32 bytes");
  const n = env.get_child_metadata(id.dataStart, index, scratch.dataStart, SCRATCH_SIZE);
  if (n < 0) return null;
  if (n > SCRATCH_SIZE) {
    const buf = new Uint8Array(n);
    env.get_child_metadata(id.dataStart, index, buf.dataStart, n);
    return Capsule.decode(buf);
  }
  return Capsule.decode(take(n));
}

// ---- trust and ledger ----

/** Fixed-point scale of trust scores: 1_000_000 = 1.0. */
export const TRUST_ONE: i64 = 1_000_000;

/** Trust score of `subject` (a public key); 0 when unknown. */
export function trustScore(subject: Uint8Array): i64 {
  return env.get_trust_score(subject.dataStart, subject.length);
}

/** Buffers a trust score write (needs `set_trust_score` in the manifest). score must be >= 0. */
export function setTrustScore(subject: Uint8Array, score: i64): void {
  env.set_trust_score(subject.dataStart, subject.length, score);
}

/** Balance of `account`; 0 when unknown. */
export function balance(account: Uint8Array): u64 {
  return <u64>env.get_balance(account.dataStart, account.length);
}

/** Buffers a balance write (needs `set_balance`). amount must be < 2^63. */
export function setBalance(account: Uint8Array, amount: u64): void {
  env.set_balance(account.dataStart, account.length, <i64>amount);
}

// ---- module key-value space ----

/** Value of `key` in this module's own space, or null. */
export function kvGet(key: Uint8Array): Uint8Array | null {
  const n = env.kv_get(key.dataStart, key.length, scratch.dataStart, SCRATCH_SIZE);
  if (n < 0) return null;
  if (n > SCRATCH_SIZE) {
    const buf = new Uint8Array(n);
    env.kv_get(key.dataStart, key.length, buf.dataStart, n);
    return buf;
  }
  return take(n);
}

export function kvSet(key: Uint8Array, value: Uint8Array): void {
  env.kv_set(key.dataStart, key.length, value.dataStart, value.length);
}

export function kvDelete(key: Uint8Array): void {
  env.kv_delete(key.dataStart, key.length);
}

/** UTF-8 bytes of a string (for keys and text values). */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

export function kvGetText(key: string): string | null {
  const v = kvGet(utf8(key));
  return v === null ? null : String.UTF8.decodeUnsafe(v.dataStart, <usize>v.length, false);
}

export function kvSetText(key: string, value: string): void {
  kvSet(utf8(key), utf8(value));
}

// ---- result and log ----

/** Sets the run's output bytes (a later call replaces it). */
export function submit(result: Uint8Array): void {
  env.submit_capsule_result(result.dataStart, result.length);
}

export function submitText(result: string): void {
  submit(utf8(result));
}

/** One bounded debug line in the outcome logs (needs `log`). */
export function log(message: string): void {
  const b = utf8(message);
  env.log(b.dataStart, b.length);
}

// ---- typed shapes: JSON payloads, results, kv values, query input ----

/** The payload parsed as JSON (strict: integers only, see ./json.ts), or null when absent or malformed. */
export function payloadJson(): JValue | null {
  const t = payloadText();
  return t === null ? null : parseJson(t);
}

/** In `query()`: the query's input (the caller's bytes, given as the payload) as text, or null when there is none. */
export function queryInputText(): string | null {
  return payloadText();
}

/** In `query()`: the query's input parsed as JSON, or null when absent or malformed. */
export function queryInput(): JValue | null {
  return payloadJson();
}

/** Sets the run's output to the JSON document `out` has written. */
export function submitJson(out: JsonOut): void {
  submitText(out.toString());
}

/**
 * Sets the output to `{"ok":false,"code":code,"reason":reason}`: a refusal recorded as a normal result, the same on
 * every device (return 0 after it — a non-zero status is a TRAP and keeps nothing).
 */
export function submitFailure(code: string, reason: string): void {
  submitText(failure(code, reason));
}

/** Value of text key `key` parsed as JSON, or null when absent or malformed. */
export function kvGetJson(key: string): JValue | null {
  const t = kvGetText(key);
  return t === null ? null : parseJson(t);
}

/** Buffers a write of the JSON document `out` has written under text key `key`. */
export function kvSetJson(key: string, out: JsonOut): void {
  kvSetText(key, out.toString());
}

/** Buffers the deletion of text key `key`. */
export function kvDeleteText(key: string): void {
  kvDelete(utf8(key));
}

// ---- allocation-free metadata reads (many parents or children) ----

/**
 * A reusable view of one capsule's metadata encoding: `loadParent` / `loadChild` fill one buffer that is kept
 * across calls (grown only when a larger encoding arrives) and the fields are read in place. Use it to walk
 * hundreds of children: `child()` decodes a new Capsule per call, which under the stub runtime (nothing is
 * freed) costs memory for every child.
 */
export class MetaView {
  buf: Uint8Array = new Uint8Array(SCRATCH_SIZE);
  length: i32 = 0;
  private kindAt: i32 = 0;
  private authorAt: i32 = 0;
  private channelAt: i32 = 0;
  private createdAtAt: i32 = 0;

  /** Loads parent `index`; false when the host does not hold it or index is out of range. */
  loadParent(index: i32): bool {
    let n = env.get_parent_metadata(index, this.buf.dataStart, this.buf.length);
    if (n < 0) return false;
    if (n > this.buf.length) { this.buf = new Uint8Array(n); n = env.get_parent_metadata(index, this.buf.dataStart, n); }
    return this.index(n);
  }

  /** Loads child `index` of capsule `id` (32 bytes); false when out of range or without a child index. */
  loadChild(id: Uint8Array, index: i32): bool {
    let n = env.get_child_metadata(id.dataStart, index, this.buf.dataStart, this.buf.length);
    if (n < 0) return false;
    if (n > this.buf.length) { this.buf = new Uint8Array(n); n = env.get_child_metadata(id.dataStart, index, this.buf.dataStart, n); }
    return this.index(n);
  }

  private index(n: i32): bool {
    this.length = n;
    this.kindAt = 34;
    this.authorAt = this.kindAt + <i32>this.buf[33] + 2; // u8 kind_len kind u8 alg u8 author_len
    const channelLenAt = this.authorAt + <i32>this.buf[this.authorAt - 1];
    this.channelAt = channelLenAt + 2;
    this.createdAtAt = this.channelAt + <i32>load<u16>(this.buf.dataStart + <usize>channelLenAt);
    return true;
  }

  /** The 32-byte id, in place (a view of the buffer: copy it to keep it). */
  id(): Uint8Array { return this.buf.subarray(1, 33); }
  kindIs(kind: string): bool { return this.rangeIs(this.kindAt, <i32>this.buf[33], kind); }
  /** Where the author's key starts in the buffer, and its length (32 Ed25519, 33 P-256): read it in place. */
  authorPtr(): usize { return this.buf.dataStart + <usize>this.authorAt; }
  authorLength(): i32 { return <i32>this.buf[this.authorAt - 1]; }
  authorIs(key: Uint8Array): bool {
    const n = <i32>this.buf[this.authorAt - 1];
    return n == key.length && memory.compare(this.buf.dataStart + <usize>this.authorAt, key.dataStart, <usize>n) == 0;
  }
  channelIs(channel: string): bool {
    return this.rangeIs(this.channelAt, this.createdAtAt - this.channelAt, channel);
  }
  channel(): string { return String.UTF8.decodeUnsafe(this.buf.dataStart + <usize>this.channelAt, <usize>(this.createdAtAt - this.channelAt), false); }
  createdAt(): u64 { return load<u64>(this.buf.dataStart + <usize>this.createdAtAt); }
  parentCount(): i32 { return <i32>this.buf[this.createdAtAt + 8]; }
  /** Parent `i`'s id, in place. */
  parentId(i: i32): Uint8Array { const at = this.createdAtAt + 9 + i * 32; return this.buf.subarray(at, at + 32); }

  private rangeIs(at: i32, n: i32, s: string): bool {
    // UTF-8 compare without encoding `s` (ASCII fast path, else one encode)
    if (n != String.UTF8.byteLength(s, false)) return false;
    let ascii = true;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) { ascii = false; break; }
    if (ascii) {
      for (let i = 0; i < n; i++) if (<i32>this.buf[at + i] != s.charCodeAt(i)) return false;
      return true;
    }
    const b = String.UTF8.encode(s, false);
    return memory.compare(this.buf.dataStart + <usize>at, changetype<usize>(b), <usize>n) == 0;
  }
}
