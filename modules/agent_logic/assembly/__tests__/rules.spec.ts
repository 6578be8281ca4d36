import { Candidate, pinRule, blockRule, sweepRule } from "../rules";

function cands(): Candidate[] {
  return [
    new Candidate("p1", "post", "alice", "rust", 500_000),
    new Candidate("p2", "post", "bob", "rust", 10_000),
    new Candidate("p3", "post", "alice", "go", 500_000),
    new Candidate("c1", "comment", "troll", "", 0),
    new Candidate("c2", "comment", "troll", "", 0),
    new Candidate("c3", "comment", "troll", "", 0),
    new Candidate("c4", "comment", "carol", "", 300_000),
  ];
}

describe("agent rules", () => {
  it("pins posts tagged X by trusted authors only", () => {
    const p = pinRule(cands(), 300_000, "rust");
    expect(p.length).toBe(1);
    expect(p[0].target).toBe("p1");
  });
  it("proposes blocking an author hidden N times", () => {
    expect(blockRule(cands(), 50_000, 3).length).toBe(1);
    expect(blockRule(cands(), 50_000, 3)[0].target).toBe("troll");
    expect(blockRule(cands(), 50_000, 4).length).toBe(0);
  });
  it("sweeps only the excess balance", () => {
    expect(sweepRule(1500, 1000, "savings")[0].amount).toBe(500);
    expect(sweepRule(1000, 1000, "savings").length).toBe(0);
  });
});
