// The guest SDK against the real host hostcalls (see as-pect.config.js for the fixture).
import {
  capsule, payload, payloadText, parentCount, parent, childCount, child, trustScore, setTrustScore, balance,
  setBalance, kvGet, kvSet, kvGetText, kvSetText, kvDelete, utf8, submitText, log, now, owner, ALG_ED25519, TRUST_ONE,
} from "../index";

function filled(byte: u8, n: i32 = 32): Uint8Array {
  const b = new Uint8Array(n);
  b.fill(byte);
  return b;
}

describe("context", () => {
  it("reads the run's fixed now and the owner key", () => {
    expect(now()).toBe(1700000123456);
    const o = owner();
    expect(o.length).toBe(32);
    expect(o[0]).toBe(0x44);
  });
});

describe("capsule metadata", () => {
  it("decodes every field of the canonical encoding", () => {
    const c = capsule();
    expect(c.id.length).toBe(32);
    expect(c.id[31]).toBe(0x11);
    expect(c.kind).toBe("post");
    expect(c.authorAlg).toBe(ALG_ED25519);
    expect(c.author.length).toBe(32);
    expect(c.author[0]).toBe(0x22);
    expect(c.channel).toBe("general");
    expect(c.createdAt).toBe(1700000000000);
    expect(c.parents.length).toBe(2);
    expect(c.parents[1][0]).toBe(0xa2);
    expect(c.flag("lang")).toBe("en");
    expect(c.flag("topic")).toBe("wasm");
    expect(c.flag("missing")).toBeNull();
    expect(c.logic).not.toBeNull();
    expect(c.payloadLength).toBe(13);
  });
});

describe("payload", () => {
  it("returns the decrypted bytes and text", () => {
    expect(payload()!.length).toBe(13);
    expect(payloadText()).toBe("hello kapsule");
  });
});

describe("parents and children", () => {
  it("reads a known parent and reports an unknown one as null", () => {
    expect(parentCount()).toBe(2);
    expect(parent(0)!.kind).toBe("root");
    expect(parent(1)).toBeNull();
    expect(parent(2)).toBeNull();
  });
  it("reads children from the snapshot's child index", () => {
    const id = capsule().id;
    expect(childCount(id)).toBe(2);
    expect(child(id, 1)!.payloadLength).toBe(2);
    expect(child(id, 2)).toBeNull();
    expect(childCount(filled(0x99))).toBe(0);
  });
});

describe("trust and ledger", () => {
  it("reads the snapshot and sees its own buffered writes", () => {
    const s = filled(0x55);
    expect(trustScore(s)).toBe(750000);
    setTrustScore(s, TRUST_ONE);
    expect(trustScore(s)).toBe(TRUST_ONE);
    expect(trustScore(filled(0x01))).toBe(0);
    const a = filled(0x66);
    expect(balance(a)).toBe(1000);
    setBalance(a, 0x7fffffffffffffff);
    expect(balance(a)).toBe(0x7fffffffffffffff);
  });
  it("traps (HOSTCALL_FAULT) on a negative trust score", () => {
    expect(() => { setTrustScore(filled(0x55), -1); }).toThrow();
  });
});

describe("module key-value space", () => {
  it("reads, writes, deletes; values larger than the scratch buffer round-trip", () => {
    expect(kvGetText("greeting")).toBe("hi");
    kvSetText("greeting", "hello");
    expect(kvGetText("greeting")).toBe("hello");
    kvDelete(utf8("greeting"));
    expect(kvGetText("greeting")).toBeNull();
    const big = new Uint8Array(2000);
    for (let i = 0; i < big.length; i++) big[i] = <u8>(i * 7);
    kvSet(utf8("big"), big);
    const back = kvGet(utf8("big"))!;
    expect(back.length).toBe(2000);
    expect(back[1999]).toBe(<u8>(1999 * 7));
  });
});

describe("result and log", () => {
  it("submits a result and logs without trapping", () => {
    log("spec log line");
    submitText("done");
    expect(true).toBe(true);
  });
});
