// The trust module's run() on its own inputs (guest-sdk/assembly/testing.ts): kv layout, limits as codes,
// supersession, the owner's score, distrust, recomputation.
import { run, MAX_STATEMENTS } from "../index";
import { World, Cap, key } from "kapsule-guest-sdk/assembly/testing";
import { trustScore, kvGet, kvGetText, utf8 } from "kapsule-guest-sdk";
import { parseJson, JValue } from "kapsule-guest-sdk";
import { fromHex } from "kapsule-guest-sdk";

const O = 0;
let w: World = new World(key(O));
let clock: u64 = 1_000_000;

function stmt(from: i32, to: i32, weight: i32, topic: string = "", at: u64 = 0, id: string = ""): JValue {
  clock += 1000;
  let p = "{\"subject\":\"" + key(to) + "\",\"weight\":" + weight.toString();
  if (topic.length) p += ",\"topic\":\"" + topic + "\"";
  const c = new Cap("trust", key(from)).at(at > 0 ? at : clock).text(p + "}");
  if (id.length) c.withId(id);
  return parseJson(w.addRun(c, run))!;
}
function flag(v: JValue, k: string): bool { const x = v.get(k); return x !== null && x.b; }
function code(v: JValue): string { const x = v.str("code"); return x === null ? "" : x; }
function num(v: JValue, k: string): i64 { return v.int(k, -999); }
function score(n: i32): i64 { return trustScore(fromHex(key(n), 32)!); }
function idOf(n: i32): string { return key(n, 0xee); }

describe("scores", () => {
  beforeEach(() => { w = new World(key(O)); });
  it("writes 1.0 for the owner and weight/100 for each direct friend, however many", () => {
    for (let i = 1; i <= 20; i++) stmt(O, i, 100);
    expect(score(O)).toBe(1_000_000);
    for (let i = 1; i <= 20; i++) expect(score(i)).toBe(1_000_000);
  });
  it("resets identities that lose their score", () => {
    stmt(O, 1, 100); stmt(1, 2, 100);
    expect(score(2)).toBe(850_000);
    stmt(O, 1, 0);
    expect(score(1)).toBe(0);
    expect(score(2)).toBe(0);
  });
  it("the owner's distrust dominates a friend's vouch (no sybil lifted through the distrusted identity)", () => {
    stmt(O, 1, 90); stmt(O, 5, -100); stmt(1, 5, 100); stmt(5, 6, 100);
    expect(score(5)).toBe(0);
    expect(score(6)).toBe(0);
  });
  it("a friend-of-friend's distrust cannot outweigh the owner's trust", () => {
    stmt(O, 1, 100); stmt(O, 2, 100); stmt(2, 3, 100); stmt(3, 1, -100);
    expect(score(1)).toBe(1_000_000);
  });
  it("topic statements are kept but do not feed global scores", () => {
    const r = stmt(O, 1, 100, "cooking");
    expect(flag(r, "ok")).toBe(true);
    expect(score(1)).toBe(0);
    stmt(O, 2, 100); // a recomputation reads the graph again: the topic statement is not in it
    expect(score(1)).toBe(0);
    expect(score(2)).toBe(1_000_000);
    expect(kvGetText("s/" + key(O) + "/" + key(1) + "/cooking")).not.toBeNull();
  });
  it("recomputes only for statements that can change what the owner sees", () => {
    expect(flag(stmt(9, 1, 100), "recomputed")).toBe(false); // 9 is nobody to the owner
    stmt(O, 9, 100);
    expect(score(1)).toBe(850_000); // 9's earlier statement was kept and is read now
    expect(flag(stmt(9, 2, 100), "recomputed")).toBe(true);
  });
  it("gives the same scores whatever order the statements run in", () => {
    const st: i32[][] = [[O, 1, 90], [1, 2, 80], [2, 3, 70], [O, 4, 60], [4, 2, 40], [4, 3, -50], [7, 1, 100], [3, 7, 100]];
    for (let i = 0; i < st.length; i++) stmt(st[i][0], st[i][1], st[i][2]);
    const a: i64[] = [];
    for (let i = 0; i <= 7; i++) a.push(score(i));
    expect(a[3] > 0).toBe(true);
    expect(a[7] > 0).toBe(true);
    w = new World(key(O));
    for (let i = st.length - 1; i >= 0; i--) stmt(st[i][0], st[i][1], st[i][2]);
    for (let i = 0; i <= 7; i++) expect(score(i)).toBe(a[i]);
  });
});

describe("supersession by (created_at, capsule id)", () => {
  beforeEach(() => { w = new World(key(O)); });
  it("a newer statement replaces an older one; an older one run later is superseded", () => {
    stmt(O, 1, 100, "", 5000, idOf(1));
    expect(flag(stmt(O, 1, 20, "", 4000, idOf(2)), "superseded")).toBe(true);
    expect(score(1)).toBe(1_000_000);
    expect(flag(stmt(O, 1, 20, "", 6000, idOf(3)), "superseded")).toBe(false);
    expect(score(1)).toBe(200_000);
  });
  it("at equal created_at the larger capsule id wins", () => {
    stmt(O, 1, 100, "", 5000, idOf(5));
    expect(flag(stmt(O, 1, 10, "", 5000, idOf(4)), "superseded")).toBe(true);
    expect(flag(stmt(O, 1, 30, "", 5000, idOf(6)), "superseded")).toBe(false);
    expect(score(1)).toBe(300_000);
  });
  it("a statement dated at the maximum created_at is superseded by a larger id at that time", () => {
    stmt(O, 1, 100, "", u64.MAX_VALUE, idOf(7));
    expect(flag(stmt(O, 1, 40, "", u64.MAX_VALUE, idOf(8)), "superseded")).toBe(false);
    expect(score(1)).toBe(400_000);
  });
});

describe("limits are codes, never traps", () => {
  beforeEach(() => { w = new World(key(O)); });
  it("holds 500 statements per identity, refuses the 501st, and a retraction frees a slot", () => {
    for (let i = 1; i <= MAX_STATEMENTS; i++) expect(flag(stmt(1, i + 1, (i % 100) + 1), "ok")).toBe(true);
    expect(code(stmt(1, 600, 5))).toBe("TOO_MANY_STATEMENTS");
    expect(num(stmt(1, 2, 7), "statements")).toBe(500); // replacing one is not a new statement
    expect(num(stmt(1, 3, 0), "statements")).toBe(499);
    expect(num(stmt(1, 600, 5), "statements")).toBe(500);
    expect(kvGet(utf8("g/" + key(1)))!.length).toBe(500 * 35);
    // the owner reaches 1 and every one of its statements is read (weights sum to 25,257)
    expect(num(stmt(O, 1, 100), "edges")).toBe(501);
    expect(score(100)).toBe(850_000 * 100 / 25_257);
    expect(score(600)).toBe(0); // 850_000 * 5 / 25_257 is below 0.001
  });
  it("any number of identities sharing a first byte can state trust", () => {
    for (let i = 1; i <= 1100; i++) stmt(i, 5000, 10);
    stmt(O, 1100, 100);
    expect(score(5000)).toBe(850_000 / 10);
  });
  it("refuses bad payloads with codes", () => {
    expect(code(parseJson(w.addRun(new Cap("trust", key(1)).text("{"), run))!)).toBe("BAD_PAYLOAD");
    expect(code(parseJson(w.addRun(new Cap("trust", key(1)).text(null), run))!)).toBe("BAD_PAYLOAD");
    expect(code(stmt(1, 1, 5))).toBe("SELF_TRUST");
    expect(code(stmt(1, 2, 5, "has space"))).toBe("BAD_PAYLOAD");
    expect(code(stmt(1, 2, 101))).toBe("BAD_PAYLOAD");
  });
});
