// Specs for this module's own run() and query(), against kapsule-rt's real hostcalls (as-pect.config.js): a World
// holds capsules in canonical order, trust, balances and this module's kv; w.run(id, run) runs run() on one capsule
// and keeps its writes, w.query(input, query, now) runs the read-only view.
import { run, query } from "../index";
import { World, Cap, key } from "kapsule-guest-sdk/assembly/testing";

describe("run", () => {
  it("counts notes per author and in total", () => {
    const w = new World(key(1));
    expect(w.addRun(new Cap("note", key(2)).at(1000).text("{\"text\":\"hi\"}"), run)).toBe("{\"ok\":true,\"author_notes\":1,\"total\":1}");
    expect(w.logs()).toStrictEqual(["note #1 by ab000000"]);
    expect(w.addRun(new Cap("note", key(3)).at(2000).text("{\"text\":\"hello\"}"), run)).toBe("{\"ok\":true,\"author_notes\":1,\"total\":2}");
    expect(w.addRun(new Cap("note", key(2)).at(3000).text("{\"text\":\"again\"}"), run)).toBe("{\"ok\":true,\"author_notes\":2,\"total\":3}");
  });

  it("continues from the state it finds", () => {
    const w = new World(key(1));
    w.kv("total", "41");
    expect(w.addRun(new Cap("note", key(2)).at(1000).text("{\"text\":\"hi\"}"), run)).toBe("{\"ok\":true,\"author_notes\":1,\"total\":42}");
  });

  it("refuses a malformed payload as a normal result, and keeps nothing else", () => {
    const w = new World(key(1));
    expect(w.addRun(new Cap("note", key(2)).at(1000).text("not json"), run))
      .toBe("{\"ok\":false,\"code\":\"BAD_PAYLOAD\",\"reason\":\"the payload must be a JSON object\"}");
    expect(w.addRun(new Cap("note", key(2)).at(2000).text("{\"text\":7}"), run))
      .toBe("{\"ok\":false,\"code\":\"BAD_PAYLOAD\",\"reason\":\"\\\"text\\\" must be a string\"}");
    expect(w.query("{\"author\":\"" + key(2) + "\"}", query)).toBe("{\"author\":\"" + key(2) + "\",\"notes\":0,\"total\":0}");
  });
});

describe("query", () => {
  it("answers from the state the runs left", () => {
    const w = new World(key(1));
    w.addRun(new Cap("note", key(2)).at(1000).text("{\"text\":\"a\"}"), run);
    w.addRun(new Cap("note", key(2)).at(2000).text("{\"text\":\"b\"}"), run);
    expect(w.query("{\"author\":\"" + key(2) + "\"}", query, 5000)).toBe("{\"author\":\"" + key(2) + "\",\"notes\":2,\"total\":2}");
    expect(w.query("{}", query)).toBe("{\"ok\":false,\"code\":\"BAD_INPUT\",\"reason\":\"want {\\\"author\\\": \\\"<hex key>\\\"}\"}");
  });
});
