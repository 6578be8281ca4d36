import { isqrt, ageHours, gravityMilli, hotScore, engagementOf, ENGAGE_MIN, ONE, MAX_HOURS } from "../hot";

describe("hot score", () => {
  it("integer square root is exact", () => {
    expect(isqrt(0)).toBe(0);
    expect(isqrt(15)).toBe(3);
    expect(isqrt(16)).toBe(4);
    expect(isqrt(u64.MAX_VALUE)).toBe(4294967295);
  });
  it("gravity is (h + 2)^1.5 × 1000", () => {
    expect(gravityMilli(0)).toBe(2828); // 2^1.5 = 2.828…
    expect(gravityMilli(2)).toBe(8000);
  });
  it("decays with age and grows with points", () => {
    expect(hotScore(ONE, 0) > hotScore(ONE, 1)).toBe(true);
    expect(hotScore(ONE, 1) > hotScore(ONE, 24)).toBe(true);
    expect(hotScore(2 * ONE, 5) > hotScore(ONE, 5)).toBe(true);
    expect(hotScore(0, 0)).toBe(0);
  });
  it("ignores untrusted engagement and caps one author's weight", () => {
    expect(engagementOf(ENGAGE_MIN - 1)).toBe(0);
    expect(engagementOf(ENGAGE_MIN)).toBe(ENGAGE_MIN);
    expect(engagementOf(5 * ONE)).toBe(ONE);
  });
  it("clamps age at zero for future posts and at MAX_HOURS for ancient ones", () => {
    expect(ageHours(1000, 5000)).toBe(0);
    expect(ageHours(3_600_000 * 5, 0)).toBe(5);
    expect(ageHours(u64.MAX_VALUE, 0)).toBe(MAX_HOURS);
    expect(hotScore(ONE, ageHours(u64.MAX_VALUE, 0)) > 0).toBe(true); // gravity stays finite: no overflow to 0
  });
});
