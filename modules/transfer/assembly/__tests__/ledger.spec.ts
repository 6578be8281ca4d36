import { applyTransfer, nonceOk, mintCheck, MAX_BALANCE, OK, INSUFFICIENT_FUNDS, OVERFLOW, ZERO_AMOUNT, SELF_TRANSFER } from "../ledger";
import { parseJson, J_OBJ, J_INT, J_STR, quote } from "kapsule-guest-sdk";
import { parseU64 } from "kapsule-guest-sdk";

describe("ledger rules", () => {
  it("moves value and conserves the sum", () => {
    const m = applyTransfer(100, 5, 40, false);
    expect(m.code).toBe(OK);
    expect(m.from).toBe(60);
    expect(m.to).toBe(45);
    expect(m.from + m.to).toBe(105);
  });
  it("refuses overdraft, zero, self and overflow", () => {
    expect(applyTransfer(10, 0, 11, false).code).toBe(INSUFFICIENT_FUNDS);
    expect(applyTransfer(10, 0, 0, false).code).toBe(ZERO_AMOUNT);
    expect(applyTransfer(10, 10, 1, true).code).toBe(SELF_TRANSFER);
    expect(applyTransfer(10, MAX_BALANCE, 1, false).code).toBe(OVERFLOW);
  });
  it("accepts exactly the next nonce", () => {
    expect(nonceOk(0, 1)).toBe(true);
    expect(nonceOk(1, 1)).toBe(false);
    expect(nonceOk(1, 3)).toBe(false);
    expect(nonceOk(u64.MAX_VALUE, 0)).toBe(false);
  });
  it("bounds minting: zero has its own code, overflow of balance or supply is refused, never wraps", () => {
    expect(mintCheck(0, 0, 10)).toBe(OK);
    expect(mintCheck(0, 0, MAX_BALANCE)).toBe(OK);
    expect(mintCheck(0, MAX_BALANCE, 1)).toBe(OVERFLOW);
    expect(mintCheck(100, 100, u64.MAX_VALUE - 99)).toBe(OVERFLOW); // was: wrapped to 0
    expect(mintCheck(0, 0, <u64>1 << 63)).toBe(OVERFLOW);            // was: a trap in set_balance
    expect(mintCheck(0, 0, 0)).toBe(ZERO_AMOUNT);                    // was: OVERFLOW
  });
  it("refuses amounts of 2^63 and more before any arithmetic", () => {
    expect(applyTransfer(MAX_BALANCE, 0, <u64>1 << 63, false).code).toBe(OVERFLOW);
    expect(applyTransfer(MAX_BALANCE, 0, MAX_BALANCE, false).code).toBe(OK);
  });
});

describe("lib/json + lib/hex", () => {
  it("parses strict JSON objects", () => {
    const v = parseJson("{\"a\": 12, \"b\": \"x\\u00e9\\n\", \"c\": [true, null]}")!;
    expect(v.kind).toBe(J_OBJ);
    expect(v.int("a", -1)).toBe(12);
    expect(v.get("b")!.kind).toBe(J_STR);
    expect(v.str("b")!).toBe("xé\n");
  });
  it("rejects malformed documents without trapping", () => {
    expect(parseJson("{") == null).toBe(true);
    expect(parseJson("{\"a\":1,}") == null).toBe(true);
    expect(parseJson("[1.5]") == null).toBe(true);
    expect(parseJson("01") == null).toBe(true);
    expect(parseJson("\"\\q\"") == null).toBe(true);
    expect(parseJson("99999999999999999999") == null).toBe(true);
    expect(parseJson("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]") == null).toBe(true);
  });
  it("round-trips quoting", () => {
    const s = "say \"hi\"\\\n";
    expect(parseJson(quote(s))!.s).toBe(s);
    expect(parseJson("-7")!.kind).toBe(J_INT);
  });
  it("parses u64 decimals strictly", () => {
    const ok: bool[] = [false];
    expect(parseU64("18446744073709551615", ok)).toBe(u64.MAX_VALUE);
    expect(ok[0]).toBe(true);
    parseU64("18446744073709551616", ok);
    expect(ok[0]).toBe(false);
    parseU64("007", ok);
    expect(ok[0]).toBe(false);
  });
});
