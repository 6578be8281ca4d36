import { KeySet } from "kapsule-guest-sdk";

function key(first: u8, last: u8, len: i32 = 32): Uint8Array {
  const k = new Uint8Array(len);
  k[0] = first;
  k[len - 1] = last;
  return k;
}

describe("KeySet (distinct keys without per-key allocation; kapsule-guest-sdk/assembly/keyset.ts)", () => {
  it("counts each key once", () => {
    const s = new KeySet();
    s.reset(4);
    const a = key(1, 1), b = key(2, 2);
    expect(s.add(a.dataStart, a.length)).toBe(true);
    expect(s.add(b.dataStart, b.length)).toBe(true);
    expect(s.add(a.dataStart, a.length)).toBe(false);
    expect(s.size).toBe(2);
  });
  it("keeps keys apart that share their first 8 bytes (the hash prefix)", () => {
    const s = new KeySet();
    s.reset(4);
    const a = key(7, 1), b = key(7, 2);
    expect(s.add(a.dataStart, a.length)).toBe(true);
    expect(s.add(b.dataStart, b.length)).toBe(true);
    expect(s.size).toBe(2);
  });
  it("tells a 32-byte key from a 33-byte one with the same prefix, and resets between posts", () => {
    const s = new KeySet();
    s.reset(2);
    const ed = key(3, 0, 32), p256 = key(3, 0, 33);
    expect(s.add(ed.dataStart, 32)).toBe(true);
    expect(s.add(p256.dataStart, 33)).toBe(true);
    s.reset(2);
    expect(s.size).toBe(0);
    expect(s.add(ed.dataStart, 32)).toBe(true);
  });
  it("holds 1,000 distinct authors", () => {
    const s = new KeySet();
    s.reset(1000);
    const k = new Uint8Array(32);
    for (let i = 0; i < 1000; i++) { store<u32>(k.dataStart + 20, i); expect(s.add(k.dataStart, 32)).toBe(true); }
    for (let i = 0; i < 1000; i++) { store<u32>(k.dataStart + 20, i); expect(s.add(k.dataStart, 32)).toBe(false); }
    expect(s.size).toBe(1000);
  });
});

describe("KeySet indexes", () => {
  it("gives dense indexes in insertion order, finds them again, and renders a key as hex", () => {
    const s = new KeySet();
    s.reset(4);
    const a = key(0xab, 1), b = key(0xcd, 2);
    expect(s.indexOf(a.dataStart, 32, true)).toBe(0);
    expect(s.indexOf(b.dataStart, 32, true)).toBe(1);
    expect(s.indexOf(a.dataStart, 32, false)).toBe(0);
    const c = key(0xef, 3);
    expect(s.indexOf(c.dataStart, 32, false)).toBe(-1);
    expect(s.size).toBe(2);
    expect(s.hex(0).slice(0, 4)).toBe("ab00");
    expect(s.hex(0).length).toBe(64);
  });
});
