import { fold, findBanned } from "../normalize";

const TERMS: string[] = ["spam", "scam link"];

describe("folding defeats evasions", () => {
  it("case", () => { expect(findBanned("Buy SPAM now", TERMS)).toBe("spam"); });
  it("fullwidth letters", () => { expect(findBanned("ｓｐａｍ", TERMS)).toBe("spam"); });
  it("diacritics, composed", () => { expect(findBanned("spâm and ṡpam", TERMS)).toBe("spam"); });
  it("diacritics, decomposed (combining marks)", () => { expect(findBanned("spa\u0301m", TERMS)).toBe("spam"); });
  it("zero-width characters", () => { expect(findBanned("s\u200bp\u200da\u2060m\ufeff", TERMS)).toBe("spam"); });
  it("soft hyphen inside a phrase", () => { expect(findBanned("a SCAM\u00ad LINK here", TERMS)).toBe("scam link"); });
  it("Latin Extended-A", () => { expect(fold("Łódź Ŝpąm")).toBe("lodz spam"); });
  it("clean text passes", () => { expect(findBanned("spa day, scampi", TERMS) == null).toBe(true); });
});
