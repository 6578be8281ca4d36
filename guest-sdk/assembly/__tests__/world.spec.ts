// The spec world of guest-sdk/assembly/testing.ts: capsules in canonical order, the real hostcalls on them.
import {
  capsule, payloadText, parentCount, parent, childCount, child, owner, now, trustScore, setTrustScore, kvGetText, kvSetText, submitText,
  balance, setBalance, log, payloadJson, queryInput, submitJson, submitFailure, kvGetJson, kvSetJson, kvDeleteText, JsonOut, J_INT,
  parseJson, fromHex,
} from "../index";
import { World, Cap, key } from "../testing";

function probe(): i32 {
  const c = capsule();
  const seen = kvGetText("runs");
  const n = seen === null ? 0 : I32.parseInt(seen);
  kvSetText("runs", (n + 1).toString());
  setTrustScore(c.author, 1000 + <i64>n);
  let kids: i32 = -1;
  if (c.parents.length > 0) kids = childCount(c.parents[0]);
  submitText(c.kind + "|" + c.channel + "|" + c.createdAt.toString() + "|" + (payloadText() === null ? "-" : payloadText()!) +
    "|" + parentCount().toString() + "|" + (parentCount() > 0 && parent(0) !== null ? parent(0)!.kind : "-") + "|" + kids.toString() +
    "|" + (owner()[0] == 0xab ? "owner" : "?") + "|" + now().toString());
  return 0;
}

describe("World", () => {
  it("runs a module on its own capsules, in canonical order, and keeps its writes", () => {
    const w = new World(key(1));
    const post = w.add(new Cap("post", key(2)).in("general").at(1000).text("{}"));
    expect(w.run(post, probe)).toBe("post|general|1000|{}|0|-|-1|owner|1000");
    const a = w.add(new Cap("comment", key(3)).parent(post).at(2000).text("a"));
    const b = w.add(new Cap("comment", key(4)).parent(post).at(3000).text("b"));
    // a sees no sibling (b comes later in canonical order); b sees a
    expect(w.run(a, probe)).toBe("comment|general|2000|a|1|post|0|owner|2000");
    expect(w.run(b, probe)).toBe("comment|general|3000|b|1|post|1|owner|3000");
    expect(kvGetText("runs")).toBe("3"); // committed writes persist in the world
    expect(trustScore(hexBytes(key(4)))).toBe(1002);
  });
  it("reports a parent that was never added as absent", () => {
    const w = new World(key(1));
    const c = w.add(new Cap("comment", key(3)).parent(key(99, 0x11)).at(5).text(null));
    expect(w.run(c, probe)).toBe("comment|general|5|-|1|-|0|owner|5");
  });
});

/** Reads JSON {"n": int} and a flag, keeps a JSON counter in kv, moves balance, logs, answers JSON. */
function jsonProbe(): i32 {
  const p = payloadJson();
  if (p === null) { submitFailure("BAD_PAYLOAD", "not JSON"); return 0; }
  const c = capsule();
  const prev = kvGetJson("state");
  const total = (prev === null ? 0 : prev.int("total", 0)) + p.int("n", 0);
  kvSetJson("state", new JsonOut().int("total", total));
  kvDeleteText("scratch");
  setBalance(c.author, balance(c.author) + <u64>p.int("n", 0));
  log("lang=" + (c.flag("lang") === null ? "-" : c.flag("lang")!));
  submitJson(new JsonOut().bool("ok", true).int("total", total).u64s("balance", balance(c.author)));
  return 0;
}

/** The read-only entry point: counts the children of the post named in the input. */
function queryProbe(): i32 {
  const q = queryInput();
  if (q === null || q.str("post") === null) { submitFailure("BAD_INPUT", "want {\"post\": hex}"); return 0; }
  const id = fromHex(q.str("post")!, 32)!;
  submitJson(new JsonOut().int("children", childCount(id)).int("now", <i64>now()));
  return 0;
}

function failing(): i32 { kvSetText("never", "kept"); return 3; }

describe("World: JSON shapes, balances, kv, flags, logs and queries", () => {
  it("runs a module on JSON payloads with flags, balances and kv it sets", () => {
    const w = new World(key(1));
    w.balance(key(2), 10);
    w.kv("state", "{\"total\":5}");
    w.kv("scratch", "x");
    const a = w.add(new Cap("ledger", key(2)).at(100).text("{\"n\":7}").flag("lang", "en"));
    expect(w.run(a, jsonProbe)).toBe("{\"ok\":true,\"total\":12,\"balance\":\"17\"}");
    expect(w.logs()).toStrictEqual(["lang=en"]);
    expect(kvGetText("scratch")).toBeNull();
    const b = w.add(new Cap("ledger", key(2)).at(200).text("not json"));
    expect(w.run(b, jsonProbe)).toBe("{\"ok\":false,\"code\":\"BAD_PAYLOAD\",\"reason\":\"not JSON\"}");
    expect(w.logs()).toStrictEqual([]);
    const state = parseJson(kvGetText("state")!)!;
    expect(state.get("total")!.kind).toBe(J_INT);
    expect(state.int("total", 0)).toBe(12);
  });
  it("keeps nothing of a run that returns non-zero", () => {
    const w = new World(key(1));
    const a = w.add(new Cap("post", key(2)).at(1).text("x"));
    expect(w.runStatus(a, failing)).toBe(3);
    expect(kvGetText("never")).toBeNull();
  });
  it("runs a query over every capsule of the world at an explicit now", () => {
    const w = new World(key(1));
    const post = w.add(new Cap("post", key(2)).at(1000).text("{}"));
    w.add(new Cap("comment", key(3)).parent(post).at(2000).text("a"));
    w.add(new Cap("comment", key(4)).parent(post).at(3000).text("b"));
    expect(w.query("{\"post\":\"" + post + "\"}", queryProbe, 5000)).toBe("{\"children\":2,\"now\":5000}");
    expect(w.query(null, queryProbe)).toBe("{\"ok\":false,\"code\":\"BAD_INPUT\",\"reason\":\"want {\\\"post\\\": hex}\"}");
  });
});

function hexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(h.substr(i * 2, 2), 16);
  return out;
}
