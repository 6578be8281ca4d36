/**
 * as-pect support for module specs: a small world of capsules, kept in canonical order, on which a spec runs a
 * module's own `run()` against the real host hostcalls (host/src/execute/testing.ts, `kapsule_test.call`).
 *
 *   const w = new World(key(1));                                  // device owner
 *   const post = w.add(new Cap("post", key(2)).in("general").at(1000));
 *   const c = w.add(new Cap("comment", key(3)).parent(post).at(2000).text('{"text":"hi"}'));
 *   const out = w.run(c, run);                                     // selects c, runs, commits writes, returns output
 *
 * Capsules see as children only the capsules added before them, as the host's canonical order promises.
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
  constructor(public kind: string, public author: string) {}
  withId(id: string): Cap { this.id = id; return this; }
  in(channel: string): Cap { this.channel = channel; return this; }
  at(ms: u64): Cap { this.createdAt = ms; return this; }
  parent(id: string): Cap { this.parents.push(id); return this; }
  text(payload: string | null): Cap { this.payload = payload; return this; }
  json(): string {
    const ps: string[] = [];
    for (let i = 0; i < this.parents.length; i++) ps.push(q(this.parents[i]));
    let s = "{\"op\":\"add\",\"kind\":" + q(this.kind) + ",\"author\":" + q(this.author) + ",\"channel\":" + q(this.channel) +
      ",\"at\":\"" + this.createdAt.toString() + "\",\"parents\":[" + ps.join(",") + "]";
    if (this.id.length) s += ",\"id\":" + q(this.id);
    const p = this.payload;
    s += ",\"payload\":" + (p === null ? "null" : q(p));
    return s + "}";
  }
}

/** The capsules, trust scores and kv a spec runs a module against. */
export class World {
  constructor(public owner: string) { testCall("{\"op\":\"reset\",\"owner\":" + q(owner) + "}"); }
  /** Appends a capsule (canonical order = order added) and returns its id (hex). */
  add(c: Cap): string { return testCall(c.json()); }
  trust(subject: string, score: i64): void {
    testCall("{\"op\":\"trust\",\"subject\":" + q(subject) + ",\"score\":\"" + score.toString() + "\"}");
  }
  /** Runs `entry` on capsule `id`; applies its writes when it returns 0; returns its output text. */
  run(id: string, entry: () => i32): string {
    testCall("{\"op\":\"select\",\"id\":" + q(id) + "}");
    const status = entry();
    assert(status == 0, "run() returned non-zero");
    testCall("{\"op\":\"commit\"}");
    return testCall("{\"op\":\"output\"}");
  }
  /** add + run. */
  addRun(c: Cap, entry: () => i32): string { return this.run(this.add(c), entry); }
}
