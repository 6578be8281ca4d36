// graph.ts on its own: levels, scale, decay, clamps, distrust, bounds.
import { EdgeSource, Graph, propagate, keyRecord, ONE, MAX_HOPS, EDGE_BYTES, MAX_NODES, MAX_EDGES } from "../graph";
import { setEdge } from "../index";
import { key } from "kapsule-guest-sdk/assembly/testing";
import { fromHex, toHex } from "kapsule-guest-sdk";

function rec(n: i32): Uint8Array { return keyRecord(fromHex(key(n), 32)!); }

class Edges extends EdgeSource {
  lists: Map<string, Uint8Array> = new Map();
  reads: i32 = 0;
  add(a: i32, b: i32, w: i32): Edges {
    const h = toHex(rec(a));
    this.lists.set(h, setEdge(this.lists.has(h) ? this.lists.get(h) : null, rec(b), w));
    return this;
  }
  /** `a` states weight `w` about each of `count` identities from `first` on (appended, unsorted: order is free). */
  many(a: i32, first: i32, count: i32, w: i32): Edges {
    const l = new Uint8Array(count * EDGE_BYTES);
    for (let i = 0; i < count; i++) { l.set(rec(first + i), i * EDGE_BYTES); l[i * EDGE_BYTES + 34] = <u8>w; }
    this.lists.set(toHex(rec(a)), l);
    return this;
  }
  edges(k: Uint8Array): Uint8Array | null {
    this.reads++;
    const h = toHex(k);
    return this.lists.has(h) ? this.lists.get(h) : null;
  }
}

const O = 0;
function run(e: Edges): Graph { return propagate(rec(O), e); }
function s(g: Graph, n: i32): i64 { return g.scoreOf(rec(n)); }

describe("scale", () => {
  it("the owner is fully trusted", () => { expect(s(run(new Edges().add(O, 1, 100)), O)).toBe(ONE); });
  it("a direct friend scores weight/100, whatever the number of friends", () => {
    const e = new Edges();
    for (let i = 1; i <= 20; i++) e.add(O, i, 100);
    e.add(O, 21, 50).add(O, 22, 5);
    const g = run(e);
    for (let i = 1; i <= 20; i++) expect(s(g, i)).toBe(ONE);
    expect(s(g, 21)).toBe(500_000);
    expect(s(g, 22)).toBe(50_000);
  });
});

describe("propagation", () => {
  it("decays by 0.85 per hop along a chain", () => {
    const g = run(new Edges().add(O, 1, 100).add(1, 2, 100).add(2, 3, 100));
    expect(s(g, 2)).toBe(850_000);
    expect(s(g, 3)).toBe(722_500);
  });
  it("splits what a node passes on by weight", () => {
    const g = run(new Edges().add(O, 1, 100).add(1, 2, 60).add(1, 3, 40));
    expect(s(g, 2)).toBe(510_000);
    expect(s(g, 3)).toBe(340_000);
  });
  it("weak statements (weights summing below 100) pass less", () => {
    expect(s(run(new Edges().add(O, 1, 100).add(1, 2, 20)), 2)).toBe(170_000);
  });
  it("clamps a score at 1.0 and passes on at most 0.85", () => {
    const e = new Edges().add(O, 1, 100).add(O, 2, 100).add(O, 3, 100);
    e.add(1, 9, 100).add(2, 9, 100).add(3, 9, 100).add(9, 10, 100);
    const g = run(e);
    expect(s(g, 9)).toBe(ONE);      // 2.55 received
    expect(s(g, 10)).toBe(850_000); // not 2.17
  });
  it("reaches exactly MAX_HOPS hops", () => {
    const e = new Edges().add(O, 1, 100);
    for (let i = 1; i < 9; i++) e.add(i, i + 1, 100);
    const g = run(e);
    expect(s(g, MAX_HOPS) > 0).toBe(true);
    expect(s(g, MAX_HOPS + 1)).toBe(0);
    expect(g.levelOf(rec(3))).toBe(3);
  });
  it("gives nothing to a ring nobody trusted trusts, and a ring member's vouch changes nothing", () => {
    const e = new Edges().add(O, 1, 50).add(7, 8, 100).add(8, 7, 100).add(7, 1, 100);
    const g = run(e);
    expect(s(g, 7)).toBe(0);
    expect(s(g, 8)).toBe(0);
    expect(s(g, 1)).toBe(500_000);
    expect(e.reads).toBe(2); // only the owner's and 1's statements were read
  });
  it("drops energy sent back to the owner or to closer identities", () => {
    const base = run(new Edges().add(O, 1, 100).add(O, 2, 100).add(1, 3, 100));
    const back = run(new Edges().add(O, 1, 100).add(O, 2, 100).add(1, 3, 100).add(1, O, 100).add(3, O, 100).add(3, 1, 100).add(2, 1, 100));
    expect(s(back, 1)).toBe(s(base, 1));
    expect(s(back, 2)).toBe(s(base, 2));
    expect(s(back, 3)).toBe(425_000); // 1 splits 0.85 over 3 and the owner
    expect(s(back, O)).toBe(ONE);
    expect(back.levelOf(rec(O))).toBe(0);
    expect(back.levelOf(rec(1))).toBe(1);
  });
});

describe("distrust", () => {
  it("the owner's distrust excludes an identity: 0, and it passes nothing on, whatever friends say", () => {
    const e = new Edges().add(O, 1, 100).add(O, 5, -10).add(1, 5, 100).add(5, 6, 100).add(5, 2, -100).add(1, 2, 100);
    const g = run(e);
    expect(s(g, 5)).toBe(0);
    expect(s(g, 6)).toBe(0);
    expect(s(g, 2)).toBe(425_000); // 5's distrust counts for nothing
  });
  it("a friend-of-friend's distrust cannot lower an identity closer to the owner", () => {
    const g = run(new Edges().add(O, 1, 100).add(O, 2, 100).add(2, 3, 100).add(3, 1, -100).add(2, 1, -100));
    expect(s(g, 1)).toBe(ONE);
  });
  it("a trusted identity's distrust lowers a farther identity by score·|w|/100, not transitively", () => {
    const e = new Edges().add(O, 1, 100).add(O, 2, 100).add(1, 3, 100).add(2, 3, -50).add(3, 4, 100);
    const g = run(e);
    expect(s(g, 3)).toBe(850_000 - 500_000);
    expect(s(g, 4)).toBe(350_000 * 85 / 100); // 4 is reached through 3 with 3's lowered score, not penalised itself
  });
  it("a weakly trusted identity's distrust weighs by its own score", () => {
    const g = run(new Edges().add(O, 1, 100).add(O, 2, 50).add(1, 3, 100).add(2, 3, -100));
    expect(s(g, 3)).toBe(850_000 - 500_000);
  });
  it("a distrusted identity neither propagates nor subtracts", () => {
    const e = new Edges().add(O, 1, 100).add(O, 2, 100).add(1, 3, 100).add(2, 3, -100).add(3, 4, 100).add(3, 5, -100);
    e.add(1, 6, 100).add(6, 5, 100);
    const g = run(e);
    expect(s(g, 3)).toBe(0);
    expect(s(g, 4)).toBe(0);
    expect(s(g, 5)).toBe(850_000 / 2 * 85 / 100); // reached through 6; 3's distrust does not count
  });
  it("distrust from an identity nobody trusts counts for nothing", () => {
    const a = run(new Edges().add(O, 1, 100).add(1, 2, 100));
    const b = run(new Edges().add(O, 1, 100).add(1, 2, 100).add(9, 2, -100).add(9, 1, -100));
    expect(s(b, 2)).toBe(s(a, 2));
    expect(s(b, 1)).toBe(s(a, 1));
  });
});

describe("bounds", () => {
  it("does not depend on the order statements were added", () => {
    const a = run(new Edges().add(O, 1, 70).add(1, 2, 30).add(O, 2, 10).add(2, 3, 90).add(1, 3, 20));
    const b = run(new Edges().add(1, 3, 20).add(2, 3, 90).add(O, 2, 10).add(1, 2, 30).add(O, 1, 70));
    for (let i = 1; i <= 3; i++) expect(s(a, i)).toBe(s(b, i));
  });
  it("keeps edge lists sorted, one record per subject, weight 0 removing it", () => {
    const e = new Edges().add(O, 3, 10).add(O, 1, 20).add(O, 2, 30).add(O, 1, 40).add(O, 2, 0);
    const l = e.lists.get(toHex(rec(O)));
    expect(l.length).toBe(2 * EDGE_BYTES);
    expect(l[EDGE_BYTES - 1]).toBe(40);
    expect(l[2 * EDGE_BYTES - 1]).toBe(10);
  });
  it("stops at the last complete level when a level would touch more than MAX_NODES identities", () => {
    const e = new Edges();
    const friends = MAX_NODES / 500 + 1;
    for (let f = 0; f < friends; f++) e.add(O, 100_000 + f, 100).many(100_000 + f, f * 500, 500, 100);
    const g = run(e);
    expect(g.truncated).toBe(true);
    expect(s(g, 100_000)).toBe(ONE);
    expect(s(g, 0 + 1)).toBe(0);
    const ok = run(new Edges().add(O, 100_000, 100).many(100_000, 0, 500, 100));
    expect(ok.truncated).toBe(false);
    expect(s(ok, 1)).toBe(850_000 / 500);
  });
  it("stops at the last complete level when a level would read more than MAX_EDGES statements", () => {
    const e = new Edges();
    const friends = MAX_EDGES / 500 + 1;
    for (let f = 0; f < friends; f++) e.add(O, 100_000 + f, 100).many(100_000 + f, 1, 500, 100);
    const g = run(e);
    expect(g.truncated).toBe(true);
    expect(g.edgesRead).toBe(friends);
    expect(s(g, 100_000)).toBe(ONE);
    expect(s(g, 1)).toBe(0);
  });
});
