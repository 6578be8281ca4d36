import { Edge, Score, propagate, ONE } from "../graph";

function scoreOf(scores: Score[], node: string): i64 {
  for (let i = 0; i < scores.length; i++) if (scores[i].node == node) return scores[i].score;
  return 0;
}

describe("propagate", () => {
  it("gives the source's direct friends (1 - d) of what they receive", () => {
    const s = propagate("o", [new Edge("o", "a", 100)]);
    expect(scoreOf(s, "a")).toBe(ONE * 15 / 100);
  });
  it("weak statements pass less energy", () => {
    const strong = scoreOf(propagate("o", [new Edge("o", "a", 100)]), "a");
    const weak = scoreOf(propagate("o", [new Edge("o", "a", 20)]), "a");
    expect(weak < strong).toBe(true);
  });
  it("gives nothing to a ring nobody trusted trusts", () => {
    const s = propagate("o", [new Edge("o", "a", 50), new Edge("x", "y", 100), new Edge("y", "x", 100)]);
    expect(scoreOf(s, "x")).toBe(0);
    expect(scoreOf(s, "y")).toBe(0);
  });
  it("does not propagate distrust", () => {
    const s = propagate("o", [new Edge("o", "a", 100), new Edge("a", "b", 100), new Edge("o", "c", 100), new Edge("c", "a", -100)]);
    expect(scoreOf(s, "a")).toBe(0);
    expect(scoreOf(s, "b") > 0).toBe(true);
  });
  it("does not depend on edge order", () => {
    const e1 = [new Edge("o", "a", 70), new Edge("a", "b", 30), new Edge("o", "b", 10)];
    const e2 = [e1[2], e1[0], e1[1]];
    expect(scoreOf(propagate("o", e1), "b")).toBe(scoreOf(propagate("o", e2), "b"));
  });
});
