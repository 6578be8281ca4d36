import { Candidate, pinRule, blockRule, sweepRule } from "../rules";

const OWNER = "owner";

function cands(): Candidate[] {
  return [
    new Candidate("p1", "post", "alice", "rust", 500_000),
    new Candidate("p2", "post", "bob", "rust", 10_000),
    new Candidate("p3", "post", "alice", "go", 500_000),
    new Candidate("c1", "comment", "troll", "", 0),
    new Candidate("c2", "comment", "troll", "", 0),
    new Candidate("c3", "comment", "troll", "", 0),
    new Candidate("c4", "comment", "carol", "", 300_000),
    new Candidate("c5", "comment", OWNER, "", 0),
    new Candidate("c6", "comment", OWNER, "", 0),
    new Candidate("c7", "comment", OWNER, "", 0),
    new Candidate("p4", "post", "sybil", "rust", 0),
  ];
}

describe("agent rules", () => {
  it("pins posts tagged X by trusted authors only", () => {
    const p = pinRule(cands(), 300_000, "rust");
    expect(p.length).toBe(1);
    expect(p[0].target).toBe("p1");
  });
  it("proposes blocking an author hidden N times, never the owner nor a trusted author", () => {
    expect(blockRule(cands(), 50_000, 3, OWNER).length).toBe(1);
    expect(blockRule(cands(), 50_000, 3, OWNER)[0].target).toBe("troll");
    expect(blockRule(cands(), 50_000, 4, OWNER).length).toBe(0);
    // the owner's own three comments (trust 0 in a store that never scored the owner) are never a block proposal
    expect(blockRule(cands(), 50_000, 1, OWNER).map<string>((p) => p.target).includes(OWNER)).toBe(false);
    expect(blockRule(cands(), 400_000, 1, OWNER).map<string>((p) => p.target).includes("carol")).toBe(true);
    expect(blockRule(cands(), 300_000, 1, OWNER).map<string>((p) => p.target).includes("carol")).toBe(false);
  });
  it("never pins an untrusted author, even with min_trust 0", () => {
    expect(pinRule(cands(), 0, "rust").map<string>((p) => p.target).includes("p4")).toBe(false);
  });
  it("sweeps only the excess balance", () => {
    expect(sweepRule(1500, 1000, "savings")[0].amount).toBe(500);
    expect(sweepRule(1000, 1000, "savings").length).toBe(0);
  });
});
