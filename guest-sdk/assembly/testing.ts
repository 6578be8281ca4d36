/**
 * as-pect support for module specs (`import { World, Cap, key } from "kapsule-guest-sdk/assembly/testing"`): a small
 * world of capsules, kept in canonical order, with trust scores, balances and the module's kv, on which a spec runs
 * a module's own `run()` or `query()` against the real host hostcalls (kapsule-rt's `guestTestImports`,
 * `kapsule-rt/testing`, wired in by the project's as-pect.config.js; the `kapsule_test.call` import).
 *
 *   const w = new World(key(1));                                  // device owner
 *   const post = w.add(new Cap("post", key(2)).in("general").at(1000));
 *   const c = w.add(new Cap("comment", key(3)).parent(post).at(2000).text('{"text":"hi"}').flag("lang", "en"));
 *   w.trust(key(3), 500_000); w.balance(key(3), 100); w.kv("count", "41");
 *   const out = w.run(c, run);                                     // selects c, runs, commits writes, returns output
 *   const view = w.query('{"op":"top"}', query, 5000);             // a query at now = 5000 (writes fault)
 *   const lines = w.logs();                                        // the last call's log lines
 *
 * Capsules see as children only the capsules added before them, as the host's canonical order promises (a query
 * sees all of them). A run's `now` is its capsule's created_at, as in the host.
 * Only for specs: modules never import this file (its import is not part of the `kapsule_v1` ABI).
 */

@external("kapsule_test", "call")
declare function test_call(ptr: usize, len: i32, outPtr: usize, outCap: i32): i32;

/** Sends one JSON command to the test host and returns its answer. */
export function testCall(command: string): string {
  const cmd = String.UTF8.encode(command);
  let out = new Uint8Array(256);
  const n = test_call(changetype<usize>(cmd), cmd.byteLength, out.dataStart, out.length);
  if (n > out.length) {
    out = new Uint8Array(n);
    test_call(changetype<usize>(cmd), cmd.byteLength, out.dataStart, out.length);
  }
  return String.UTF8.decodeUnsafe(out.dataStart, <usize>n, false);
}

function q(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u00" + (c < 16 ? "0" : "1") + "0123456789abcdef".charAt(c & 15);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

const HEXD = "0123456789abcdef";

/** A 32-byte test key as hex: byte `first`, then `n` as 4 bytes big-endian at the end (zeros between). */
export function key(n: i32, first: u8 = 0xab): string {
  let s = HEXD.charAt(first >> 4) + HEXD.charAt(first & 15);
  for (let i = 0; i < 27; i++) s += "00";
  for (let b = 3; b >= 0; b--) { const v = (n >> (b * 8)) & 0xff; s += HEXD.charAt(v >> 4) + HEXD.charAt(v & 15); }
  return s;
}

/** A capsule to add to a World (builder). */
export class Cap {
  id: string = "";
  channel: string = "general";
  createdAt: u64 = 0;
  parents: string[] = [];
  payload: string | null = null;
  payloadHex: string | null = null;
  flagKeys: string[] = [];
  flagValues: string[] = [];
  logicId: string = "";
  constructor(public kind: string, public author: string) {}
  withId(id: string): Cap { this.id = id; return this; }
  in(channel: string): Cap { this.channel = channel; return this; }
  at(ms: u64): Cap { this.createdAt = ms; return this; }
  parent(id: string): Cap { this.parents.push(id); return this; }
  /** The payload as text (null: none). */
  text(payload: string | null): Cap { this.payload = payload; this.payloadHex = null; return this; }
  /** The payload as bytes. */
  bytes(payload: Uint8Array): Cap { this.payloadHex = hexOfBytes(payload); this.payload = null; return this; }
  /** A signed flag (key=value). */
  flag(k: string, v: string): Cap { this.flagKeys.push(k); this.flagValues.push(v); return this; }
  /** The module id the capsule names (hex, 32 bytes). */
  logic(id: string): Cap { this.logicId = id; return this; }
  json(): string {
    const ps: string[] = [];
    for (let i = 0; i < this.parents.length; i++) ps.push(q(this.parents[i]));
    let s = "{\"op\":\"add\",\"kind\":" + q(this.kind) + ",\"author\":" + q(this.author) + ",\"channel\":" + q(this.channel) +
      ",\"at\":\"" + this.createdAt.toString() + "\",\"parents\":[" + ps.join(",") + "]";
    if (this.id.length) s += ",\"id\":" + q(this.id);
    const p = this.payload;
    s += ",\"payload\":" + (p === null ? "null" : q(p));
    const h = this.payloadHex;
    if (h !== null) s += ",\"payloadHex\":" + q(h);
    if (this.logicId.length) s += ",\"logic\":" + q(this.logicId);
    if (this.flagKeys.length) {
      const fs: string[] = [];
      for (let i = 0; i < this.flagKeys.length; i++) fs.push("[" + q(this.flagKeys[i]) + "," + q(this.flagValues[i]) + "]");
      s += ",\"flags\":[" + fs.join(",") + "]";
    }
    return s + "}";
  }
}

/** The capsules, trust scores and kv a spec runs a module against. */
export class World {
  constructor(public owner: string) { testCall("{\"op\":\"reset\",\"owner\":" + q(owner) + "}"); }
  /** Appends a capsule (canonical order = order added) and returns its id (hex). */
  add(c: Cap): string { return testCall(c.json()); }
  /** Sets the stored trust score of `subject` (hex key; fixed point, 1_000_000 = 1.0). */
  trust(subject: string, score: i64): void {
    testCall("{\"op\":\"trust\",\"subject\":" + q(subject) + ",\"score\":\"" + score.toString() + "\"}");
  }
  /** Sets the stored balance of `account` (hex key). */
  balance(account: string, amount: u64): void {
    testCall("{\"op\":\"balance\",\"account\":" + q(account) + ",\"amount\":\"" + amount.toString() + "\"}");
  }
  /** Sets text key `key` of the module's kv space to text `value` (null: deletes it). */
  kv(key: string, value: string | null): void {
    this.kvBytes(Uint8Array.wrap(String.UTF8.encode(key)), value === null ? null : Uint8Array.wrap(String.UTF8.encode(value)));
  }
  /** Sets byte key `key` of the module's kv space (null: deletes it). */
  kvBytes(key: Uint8Array, value: Uint8Array | null): void {
    testCall("{\"op\":\"kv\",\"key\":" + q(hexOfBytes(key)) + ",\"value\":" + (value === null ? "null" : q(hexOfBytes(value))) + "}");
  }
  /** Runs `entry` on capsule `id`; applies its writes when it returns 0; returns its output text. */
  run(id: string, entry: () => i32): string {
    const status = this.runStatus(id, entry);
    assert(status == 0, "run() returned non-zero");
    return this.output();
  }
  /** Runs `entry` on capsule `id` and returns its status; writes are applied only when it is 0 (as in the host). */
  runStatus(id: string, entry: () => i32): i32 {
    testCall("{\"op\":\"select\",\"id\":" + q(id) + "}");
    const status = entry();
    testCall(status == 0 ? "{\"op\":\"commit\"}" : "{\"op\":\"discard\"}");
    return status;
  }
  /** add + run. */
  addRun(c: Cap, entry: () => i32): string { return this.run(this.add(c), entry); }
  /**
   * Runs the read-only `entry` (a module's `query`) on input text `input` at `now` over the world's state (every
   * capsule added so far is visible); returns its output. A write hostcall in a query fails the spec.
   */
  query(input: string | null, entry: () => i32, now: u64 = 0): string {
    testCall("{\"op\":\"query\",\"input\":" + (input === null ? "null" : q(input)) + ",\"now\":\"" + now.toString() + "\"}");
    const status = entry();
    assert(status == 0, "query() returned non-zero");
    return this.output();
  }
  /** The last run's or query's output as text. */
  output(): string { return testCall("{\"op\":\"output\"}"); }
  /** The last run's or query's log lines. */
  logs(): string[] {
    const t = testCall("{\"op\":\"logs\"}");
    return t.length == 0 ? [] : t.split("\n");
  }
}

function hexOfBytes(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEXD.charAt(b[i] >> 4) + HEXD.charAt(b[i] & 15);
  return s;
}
