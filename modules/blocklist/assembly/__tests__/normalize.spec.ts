// Banned-term matching against evasions: whole words (UAX #29) of folded keys (UTS #39), normalize.ts + policy.ts.
import { Analysis } from "../normalize";
import { compile, findTerm, Policy } from "../policy";

function banned(text: string, terms: string[]): string | null {
  const p = new Policy(compile([], [], terms, 0, 0, 0, 0).blob!);
  const a = new Analysis();
  a.run(text, 0x69);
  let f = findTerm(a, p);
  if (f < 0 && a.hasOne) { a.run(text, 0x6c); f = findTerm(a, p); }
  return f < 0 ? null : p.termText(f);
}

const TERMS: string[] = ["spam", "scam link", "idiot"];
function hit(text: string): bool { return banned(text, TERMS) !== null; }

describe("evasions are caught", () => {
  it("case, width, diacritics composed and decomposed", () => {
    expect(hit("Buy SPAM now")).toBe(true);
    expect(hit("ｓｐａｍ")).toBe(true);
    expect(hit("spâm")).toBe(true);
    expect(hit("spa\u0301m")).toBe(true);
  });
  it("Cyrillic and Greek homoglyphs", () => {
    expect(hit("ѕраm")).toBe(true);      // Cyrillic dze, er, a
    expect(hit("ЅРАМ")).toBe(true);      // all Cyrillic capitals
    expect(hit("ΙDΙΟΤ")).toBe(true);     // Greek capitals
    expect(hit("іdіоt")).toBe(true);     // Cyrillic і, о
  });
  it("leetspeak", () => {
    expect(hit("5p4m")).toBe(true);
    expect(hit("$pam")).toBe(true);
    expect(hit("sp@m")).toBe(true);
    expect(hit("1d10t")).toBe(true);
    expect(hit("id!ot")).toBe(true);
  });
  it("spaced, dotted, hyphenated letters", () => {
    expect(hit("s p a m")).toBe(true);
    expect(hit("S.P.A.M")).toBe(true);
    expect(hit("s-p-a-m")).toBe(true);
    expect(hit("x s p a m")).toBe(true);
    expect(hit("5 p 4 m")).toBe(true);
  });
  it("invisible characters: bidi overrides and isolates, variation selectors, MVS, Hangul filler, tags, zero width", () => {
    expect(hit("sp\u202eam")).toBe(true);
    expect(hit("s\u2066pa\u2069m")).toBe(true);
    expect(hit("sp\ufe0fam")).toBe(true);
    expect(hit("spa\u180em")).toBe(true);
    expect(hit("sp\u3164am")).toBe(true);
    expect(hit("s\u{e0070}pam\u{e007f}")).toBe(true);
    expect(hit("s\u200bp\u200ca\u200dm\ufeff\u00ad")).toBe(true);
  });
  it("mathematical alphanumerics, enclosed letters, small capitals, ș", () => {
    expect(hit("𝐬𝐩𝐚𝐦")).toBe(true);
    expect(hit("𝓈𝓅𝒶𝓂")).toBe(true);
    expect(hit("ⓢⓟⓐⓜ")).toBe(true);
    expect(hit("ꜱᴘᴀᴍ")).toBe(true);
    expect(hit("șpam")).toBe(true);
  });
  it("combining marks outside U+0300–036F", () => {
    expect(hit("s\u20d0pa\u1ab0m\u1dc0")).toBe(true);
    expect(hit("sp\ufe20a\u0489m")).toBe(true);
  });
  it("NBSP, newlines and hyphens inside a multi-word term", () => {
    expect(banned("a scam\u00a0link", TERMS)).toBe("scam link");
    expect(banned("a SCAM\nlink", TERMS)).toBe("scam link");
    expect(banned("a scam-link", TERMS)).toBe("scam link");
    expect(banned("scam \u2014 link!", TERMS)).toBe("scam link");
  });
});

describe("whole words only", () => {
  it("longer words containing a term pass", () => {
    expect(hit("spamalot")).toBe(false);
    expect(hit("idiotically")).toBe(false);
    expect(hit("spa day, scampi, linking")).toBe(false);
    expect(hit("scam linkage")).toBe(false);
  });
  it("adjacent words do not glue into a term (only single letters form runs)", () => {
    expect(hit("the spa mood")).toBe(false);
    expect(hit("a spa m")).toBe(false);
    expect(hit("idi ot")).toBe(false);
  });
  it("punctuation around a word does not hide it", () => {
    expect(hit("(spam!)")).toBe(true);
    expect(hit("spam.")).toBe(true);
  });
  it("CJK terms match inside CJK text (each ideograph is a word)", () => {
    expect(banned("这是垃圾广告", ["垃圾"])).toBe("垃圾");
    expect(banned("这是好广告", ["垃圾"])).toBeNull();
  });
});

describe("terms", () => {
  it("a term that folds to nothing matches nothing", () => {
    const r = compile([], [], ["\u200b", "...", "\u0301", "spam"], 0, 0, 0, 0);
    expect(r.ignoredTerms).toBe(3);
    expect(banned("hello world", ["\u200b", "...", "\u0301"])).toBeNull();
    expect(banned("", ["\u200b"])).toBeNull();
    expect(banned("spam", ["\u200b", "spam"])).toBe("spam");
  });
  it("terms are folded like texts: a term written with look-alikes matches the plain word", () => {
    expect(banned("plain spam", ["ЅРАМ"])).toBe("ЅРАМ");
    expect(banned("plain idiot", ["1d10t"])).toBe("1d10t");
  });
  it("reports the first match in the text, as the policy wrote it", () => {
    expect(banned("scam link and spam", TERMS)).toBe("scam link");
    expect(banned("Spam, then a SCAM LINK", ["Scam Link", "SPAM"])).toBe("SPAM");
  });
});
