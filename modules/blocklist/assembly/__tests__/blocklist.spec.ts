// The blocklist module's run() on its own inputs (guest-sdk/assembly/testing.ts): channel authority, policy from
// the thread, transitive blocking, owner exemptions, rate limits, limits as codes.
import { run, MAX_TEXT_BYTES } from "../index";
import { World, Cap, key } from "kapsule-guest-sdk/assembly/testing";
import { parseJson, JValue } from "kapsule-guest-sdk";

const OWNER = key(1), ALICE = key(2), BOB = key(3), TROLL = key(4), MOD = key(5, 0x5d); // MOD alone starts with 5d…
let w: World = new World(OWNER);
let clock: u64 = 1_000_000;

function at(): u64 { clock += 60_000; return clock; }
function runJ(c: Cap): JValue { return parseJson(w.addRun(c, run))!; }
function s(v: JValue, k: string): string { const x = v.str(k); return x === null ? "" : x; }
function policy(who: string, json: string, channel: string = "general"): JValue {
  return runJ(new Cap("policy", who).in(channel).at(at()).text(json));
}
function post(who: string, channel: string = "general"): string {
  return w.add(new Cap("post", who).in(channel).at(at()).text("{}"));
}
function comment(who: string, parent: string, text: string, channel: string = "general", when: u64 = 0): string {
  return w.add(new Cap("comment", who).in(channel).parent(parent).at(when > 0 ? when : at()).text("{\"text\":\"" + text + "\"}"));
}
function judge(id: string): string {
  const r = parseJson(w.run(id, run))!;
  if (r.has("verdict")) return s(r, "verdict") + " " + s(r, "reason");
  return "code " + s(r, "code");
}
function say(who: string, parent: string, text: string, channel: string = "general", when: u64 = 0): string {
  return judge(comment(who, parent, text, channel, when));
}

describe("channel authority cannot be raced", () => {
  beforeEach(() => { w = new World(OWNER); });
  it("a channel without an owner key in its name belongs to the device owner", () => {
    expect(s(policy(TROLL, "{\"banned_terms\":[\"hello\"]}"), "code")).toBe("NOT_CHANNEL_OWNER");
    expect(s(policy(OWNER, "{\"banned_terms\":[\"spam\"]}"), "policy")).toBe("set");
    expect(s(policy(TROLL, "{\"banned_terms\":[]}"), "code")).toBe("NOT_CHANNEL_OWNER");
    const p = post(ALICE);
    expect(say(ALICE, p, "spam")).toBe("reject BANNED_TERM");
    expect(say(ALICE, p, "hello")).toBe("allow OK"); // the rival's earlier policy never took effect
  });
  it("a <label>@<32 hex> channel belongs to the identity whose key starts with those digits", () => {
    const ch = "news@" + MOD.substr(0, 32);
    expect(s(policy(OWNER, "{\"banned_terms\":[\"x\"]}", ch), "code")).toBe("NOT_CHANNEL_OWNER");
    expect(s(policy(MOD, "{\"banned_terms\":[\"spam\"]}", ch), "policy")).toBe("set");
    const p = post(ALICE, ch);
    expect(say(ALICE, p, "spam", ch)).toBe("reject BANNED_TERM");
    expect(s(policy(MOD, "{}", "news@" + MOD.substr(0, 31) + "F"), "code")).toBe("NOT_CHANNEL_OWNER");
  });
  it("the owner's latest policy in the canonical order is in force", () => {
    policy(OWNER, "{\"banned_terms\":[\"alpha\"]}");
    policy(OWNER, "{\"banned_terms\":[\"beta\"]}");
    const p = post(ALICE);
    expect(say(ALICE, p, "alpha")).toBe("allow OK");
    expect(say(ALICE, p, "beta")).toBe("reject BANNED_TERM");
  });
});

describe("the thread decides", () => {
  beforeEach(() => { w = new World(OWNER); policy(OWNER, "{\"banned_terms\":[\"spam\"]}"); });
  it("a comment claiming another channel than its post's is rejected", () => {
    const p = post(ALICE);
    expect(say(BOB, p, "spam", "elsewhere")).toBe("reject CHANNEL_MISMATCH");
    expect(say(BOB, p, "hello", "elsewhere")).toBe("reject CHANNEL_MISMATCH");
  });
  it("a reply to a reply of a rejected comment is rejected", () => {
    const p = post(ALICE);
    const bad = comment(BOB, p, "spam");
    expect(judge(bad)).toBe("reject BANNED_TERM");
    const r1 = comment(ALICE, bad, "replying");
    expect(judge(r1)).toBe("reject BLOCKED_THREAD");
    expect(say(ALICE, r1, "and again")).toBe("reject BLOCKED_THREAD");
    expect(say(ALICE, p, "fine")).toBe("allow OK");
  });
  it("a capsule blocked after replies were judged still blocks later replies down the thread", () => {
    const p = post(ALICE);
    const c1 = comment(BOB, p, "one");
    expect(judge(c1)).toBe("allow OK");
    const c2 = comment(ALICE, c1, "two");
    expect(judge(c2)).toBe("allow OK");
    policy(OWNER, "{\"banned_terms\":[\"spam\"],\"blocked_capsules\":[\"" + c1 + "\"]}");
    expect(say(BOB, c2, "three")).toBe("reject BLOCKED_CONTENT");
    expect(say(BOB, p, "four")).toBe("allow OK");
  });
  it("without a policy: allowed, but a rejected thread stays rejected", () => {
    const p = post(ALICE, "free");
    expect(say(BOB, p, "spam spam", "free")).toBe("allow NO_POLICY");
    const x = comment(BOB, p, "hi", "other");
    expect(judge(x)).toBe("reject CHANNEL_MISMATCH");
    expect(say(ALICE, x, "hello", "other")).toBe("reject BLOCKED_THREAD");
  });
});

describe("trust and rate limits", () => {
  beforeEach(() => {
    w = new World(OWNER);
    policy(OWNER, "{\"min_trust\":50000,\"blocked_authors\":[\"" + TROLL + "\"],\"rate_limit\":{\"max\":2,\"window_ms\":600000,\"per_parent\":4}}");
    w.trust(ALICE, 400_000); w.trust(BOB, 400_000); w.trust(TROLL, 900_000);
  });
  it("hides low trust, rejects blocked authors, never hides the device owner or the channel owner", () => {
    const p = post(ALICE);
    expect(say(key(77), p, "hi")).toBe("hide LOW_TRUST");
    expect(say(TROLL, p, "hi")).toBe("reject BLOCKED_AUTHOR");
    expect(say(OWNER, p, "hi")).toBe("allow OK"); // trust 0 < min_trust
    for (let i = 0; i < 6; i++) expect(say(OWNER, p, "again")).toBe("allow OK"); // no rate limit either
    const ch = "mod@" + MOD.substr(0, 32);
    policy(MOD, "{\"min_trust\":50000,\"rate_limit\":{\"max\":1,\"window_ms\":600000}}", ch);
    const q = post(ALICE, ch);
    expect(say(MOD, q, "hi", ch)).toBe("allow OK");
    expect(say(MOD, q, "hi", ch)).toBe("allow OK");
    expect(say(OWNER, q, "hi", ch)).toBe("allow OK");
    expect(say(key(78), q, "hi", ch)).toBe("hide LOW_TRUST");
  });
  it("limits comments within the window", () => {
    const p = post(ALICE);
    const t0 = clock + 10_000;
    expect(say(BOB, p, "1", "general", t0)).toBe("allow OK");
    expect(say(BOB, p, "2", "general", t0 + 1000)).toBe("allow OK");
    expect(say(BOB, p, "3", "general", t0 + 2000)).toBe("hide RATE_LIMITED");
    expect(say(ALICE, p, "other author", "general", t0 + 3000)).toBe("allow OK");
  });
  it("caps comments per parent whatever their timestamps (11 minutes apart with a 10-minute window)", () => {
    const p = post(ALICE);
    let t = clock;
    for (let i = 0; i < 4; i++) { t += 660_000; expect(say(BOB, p, "m", "general", t)).toBe("allow OK"); }
    t += 660_000;
    expect(say(BOB, p, "m", "general", t)).toBe("hide RATE_LIMITED");
    clock = t;
  });
  it("counts logic-less sibling comments of the author, not other kinds or authors", () => {
    const p = post(ALICE);
    for (let i = 0; i < 1000; i++) w.add(new Cap(i % 2 == 0 ? "comment" : "reaction", i % 4 == 0 ? ALICE : key(100 + i)).parent(p).at(at()).text(null));
    expect(say(BOB, p, "hi")).toBe("allow OK");
    expect(say(ALICE, p, "hi")).toBe("hide RATE_LIMITED");
  });
  it("counts only the author's earlier comments: not reactions, not siblings dated after it", () => {
    const p = post(ALICE);
    const t = clock + 100_000_000;
    for (let i = 0; i < 3; i++) w.add(new Cap("reaction", BOB).parent(p).at(t - 10_000_000 + i).text(null));
    for (let i = 0; i < 3; i++) w.add(new Cap("comment", BOB).parent(p).at(t - 10_000_000 + i).text(null));
    for (let i = 0; i < 3; i++) w.add(new Cap("comment", BOB).parent(p).at(t + 5000 + i).text(null));
    expect(say(BOB, p, "fourth", "general", t)).toBe("allow OK"); // 3 earlier comments < per_parent 4
    clock = t + 10_000;
  });
});

describe("limits are codes, never traps", () => {
  beforeEach(() => { w = new World(OWNER); });
  it("refuses malformed policies and comments", () => {
    expect(s(policy(OWNER, "{\"banned_terms\":\"spam\"}"), "code")).toBe("BAD_PAYLOAD");
    expect(s(policy(OWNER, "{\"min_trust\":-1}"), "code")).toBe("BAD_PAYLOAD");
    expect(s(policy(OWNER, "{\"rate_limit\":{\"max\":0,\"window_ms\":1}}"), "code")).toBe("BAD_PAYLOAD");
    let many = "[";
    for (let i = 0; i < 1001; i++) many += (i ? "," : "") + "\"t" + i.toString() + "\"";
    expect(s(policy(OWNER, "{\"banned_terms\":" + many + "]}"), "code")).toBe("BAD_PAYLOAD");
    expect(s(policy(OWNER, "{\"banned_terms\":[\"spam\"]}"), "policy")).toBe("set");
    const p = post(ALICE);
    expect(judge(w.add(new Cap("comment", BOB).parent(p).at(at()).text("not json")))).toBe("code BAD_PAYLOAD");
    expect(judge(w.add(new Cap("comment", BOB).parent(p).at(at()).text("{\"text\":\"" + "a ".repeat(<i32>MAX_TEXT_BYTES / 2 + 1) + "\"}")))).toBe("reject TOO_LONG");
    expect(s(runJ(new Cap("post", BOB).at(at()).text("{}")), "code")).toBe("WRONG_KIND");
  });
  it("compiles a policy of 1000 terms, 1000 authors and 1000 capsule ids", () => {
    let terms = "", authors = "", caps = "";
    for (let i = 0; i < 1000; i++) {
      const sep = i ? "," : "";
      terms += sep + "\"term number " + i.toString() + " with some words\"";
      authors += sep + "\"" + key(10_000 + i) + "\"";
      caps += sep + "\"" + key(20_000 + i, 0xcc) + "\"";
    }
    const r = policy(OWNER, "{\"banned_terms\":[" + terms + "],\"blocked_authors\":[" + authors + "],\"blocked_capsules\":[" + caps + "]}");
    expect(s(r, "policy")).toBe("set");
    const p = post(ALICE);
    expect(say(BOB, p, "this is Term Number 999 with some words!")).toBe("reject BANNED_TERM");
    expect(say(key(10_500), p, "hi")).toBe("reject BLOCKED_AUTHOR");
    expect(say(BOB, key(20_999, 0xcc), "hi")).toBe("reject BLOCKED_CONTENT");
  });
});
