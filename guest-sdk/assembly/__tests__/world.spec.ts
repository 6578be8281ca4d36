// The spec world of guest-sdk/assembly/testing.ts: capsules in canonical order, the real hostcalls on them.
import { capsule, payloadText, parentCount, parent, childCount, child, owner, now, trustScore, setTrustScore, kvGetText, kvSetText, submitText } from "../index";
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

function hexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(h.substr(i * 2, 2), 16);
  return out;
}
