import { Candidate, Comment, pinRule, blockRule, sweepRule } from "../rules";


function cands(): Candidate[] {
  return [
    new Candidate("p1", "post", "alice", "rust", 500_000),
    new Candidate("p2", "post", "bob", "rust", 10_000),
    new Candidate("p3", "post", "alice", "go", 500_000),
    new Candidate("c1", "comment", "troll", "", 0),
    new Candidate("c2", "comment", "troll", "", 0),
    new Candidate("c3", "comment", "troll", "", 0),
    new Candidate("c4", "comment", "carol", "", 300_000),
    new Candidate("p4", "post", "sybil", "rust", 0),
  ];
}

describe("agent rules", () => {
  it("pins posts tagged X by trusted authors only", () => {
    const p = pinRule(cands(), 300_000, "rust");
    expect(p.length).toBe(1);
    expect(p[0].target).toBe("p1");
  });
  it("proposes blocking an author hidden N times in a channel, never anyone at or above the threshold", () => {
    const TROLL = 0, CAROL = 1, GENERAL = 0, OTHER = 1;
    const c: Comment[] = [
      new Comment(TROLL, 0, GENERAL), new Comment(TROLL, 0, GENERAL), new Comment(TROLL, 0, GENERAL),
      new Comment(CAROL, 300_000, GENERAL), new Comment(TROLL, 0, OTHER),
    ];
    expect(blockRule(c, 50_000, 3).length).toBe(1);
    expect(blockRule(c, 50_000, 3)[0].author).toBe(TROLL);
    expect(blockRule(c, 50_000, 3)[0].channel).toBe(GENERAL);
    expect(blockRule(c, 50_000, 3)[0].count).toBe(3);
    expect(blockRule(c, 50_000, 4).length).toBe(0, "counted per channel: 3 in one, 1 in the other");
    expect(blockRule(c, 400_000, 1).map<i32>((h) => h.author).includes(CAROL)).toBe(true);
    expect(blockRule(c, 300_000, 1).map<i32>((h) => h.author).includes(CAROL)).toBe(false);
  });
  it("never pins an untrusted author, even with min_trust 0", () => {
    expect(pinRule(cands(), 0, "rust").map<string>((p) => p.target).includes("p4")).toBe(false);
  });
  it("sweeps only the excess balance", () => {
    expect(sweepRule(1500, 1000, "savings")[0].amount).toBe(500);
    expect(sweepRule(1000, 1000, "savings").length).toBe(0);
  });
});
