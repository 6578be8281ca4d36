// The generated Unicode tables and the UAX #29 segmenter against Unicode's own conformance data.
import { prop, segment, foldInto, Cps, F_EXTPICT } from "../unicode";
import { WB_TEST, WB_TEST_CASES } from "../../../../build/generated/unicode/wordbreak-test";

function folded(s: string): string {
  const out = new Cps();
  for (let i = 0; i < s.length; i++) {
    let c = <i32>s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) { c = 0x10000 + ((c - 0xd800) << 10) + (<i32>s.charCodeAt(++i) - 0xdc00); }
    foldInto(c, out);
  }
  let r = "";
  for (let i = 0; i < out.length; i++) r += String.fromCodePoint(out.at(i));
  return r;
}

describe("UAX #29 word boundaries", () => {
  it("passes every case of WordBreakTest.txt", () => {
    let at = 0, failed = 0, first = -1;
    for (let t = 0; t < WB_TEST_CASES; t++) {
      const n = <i32>WB_TEST[at++];
      const cls = new Cps(), pict = new Cps();
      for (let i = 0; i < n; i++) {
        const p = prop(<i32>(WB_TEST[at + i] & 0x7fffffff));
        cls.push(p & 31);
        pict.push((p & F_EXTPICT) != 0 ? 1 : 0);
      }
      const brk = new Uint8Array(n + 1);
      segment(cls, pict, brk);
      for (let i = 0; i < n; i++) {
        if ((brk[i] != 0) != ((WB_TEST[at + i] & 0x80000000) != 0)) { failed++; if (first < 0) first = t; break; }
      }
      at += n;
    }
    expect(first).toBe(-1);
    expect(failed).toBe(0);
    expect(WB_TEST_CASES > 1800).toBe(true);
  });
});

describe("folding (UTS #39 prototypes, decompositions, case folding)", () => {
  it("folds look-alikes from other scripts and styles to one key", () => {
    const key = folded("spam");
    for (let i = 0; i < 8; i++) {
      const v = ["SPAM", "ꜱᴘᴀᴍ", "𝐬𝐩𝐚𝐦", "ⓢⓟⓐⓜ", "ЅРАМ", "ѕрам", "ｓｐａｍ", "Spâm"][i];
      expect(folded(v)).toBe(key);
    }
    expect(folded("ș")).toBe("s");
    expect(folded("ΙDΙOT")).toBe(folded("idiot"));
    expect(folded("straße")).toBe(folded("STRASSE"));
  });
  it("drops ignorables and marks of every block", () => {
    expect(folded("s\u0326\u20d0\u1ab0\u1dc0\ufe20p\u180e\u200b\ufe0f\u{e0073}a\u202e\u2066m")).toBe(folded("spam"));
  });
});
