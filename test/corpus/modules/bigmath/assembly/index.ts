// `bigmath` — a test-corpus module built on a registry big-integer library (as-bignum 0.3.1, u128), on the stub
// runtime. Not a reference module: see test/corpus/modules/README.md.
//
// Payload: lines "<a> <op> <b>" with op one of + - * / % ** (b the exponent, 0-255), or "sqrt <a>"; a and b are
// decimal integers below 2^128. Arithmetic wraps modulo 2^128 (as u128 does); "/" and "%" by zero give "div0".
// Result: one line per input line, then "acc=<sum of all results so far, mod 2^128>" — the accumulator lives in
// kv ("acc", 16 bytes little-endian) and is folded in canonical order. A malformed line traps.
//
// as-bignum 0.3.1 has two bugs this module steps around (docs/ABI.md §Libraries): u256 multiply returns wrong
// products (the module stays on u128), and u128 sqr() — hence u128.pow, which squares — is wrong once the value's
// high 64 bits are set (it multiplies the high word by the low word's upper half), so `**` is computed here by
// square-and-multiply on u128.mul, which is correct.
import { u128 } from "as-bignum/assembly/index";
import { payloadText, kvGet, kvSet, utf8, submitText } from "../../../../../guest-sdk/assembly/index";

const U128_MAX = "340282366920938463463374607431768211455";

function decimal(s: string): u128 {
  if (s.length < 1 || s.length > 39) throw new Error("operand length");
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new Error("operand digit");
  }
  if (s.length > 1 && s.charCodeAt(0) == 0x30) throw new Error("leading zero");
  if (s.length == 39 && s > U128_MAX) throw new Error("operand range");
  return u128.fromString(s, 10);
}

/** a ** e modulo 2^128 by square-and-multiply on mul (u128.pow is wrong in as-bignum 0.3.1, see above). */
function power(a: u128, e: i32): u128 {
  let result = u128.One;
  let base = a;
  while (e > 0) {
    if (e & 1) result = u128.mul(result, base);
    e >>= 1;
    if (e > 0) base = u128.mul(base, base);
  }
  return result;
}

let divZero = false;

/** The value of one line; sets divZero (and returns 0) for a division by zero. */
function evaluate(line: string): u128 {
  divZero = false;
  const parts = line.split(" ");
  if (parts.length == 2 && parts[0] == "sqrt") return u128.sqrt(decimal(parts[1]));
  if (parts.length != 3) throw new Error("line shape");
  const a = decimal(parts[0]);
  const op = parts[1];
  if (op == "**") {
    const e = I32.parseInt(parts[2]);
    if (parts[2].length > 3 || e < 0 || e > 255 || e.toString() != parts[2]) throw new Error("exponent");
    return power(a, e);
  }
  const b = decimal(parts[2]);
  if (op == "+") return u128.add(a, b);
  if (op == "-") return u128.sub(a, b);
  if (op == "*") return u128.mul(a, b);
  if ((op == "/" || op == "%") && b.isZero()) { divZero = true; return u128.Zero; }
  if (op == "/") return u128.div(a, b);
  if (op == "%") return u128.rem(a, b);
  throw new Error("operator");
}

export function run(): i32 {
  const text = payloadText();
  if (text === null) return 1;
  const stored = kvGet(utf8("acc"));
  let acc = stored === null ? u128.Zero : u128.fromUint8ArrayLE(stored);
  const lines = text.split("\n");
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].length == 0) continue;
    const r = evaluate(lines[i]);
    if (divZero) { out += "div0\n"; continue; }
    acc = u128.add(acc, r);
    out += r.toString() + "\n";
  }
  kvSet(utf8("acc"), acc.toUint8Array(false));
  submitText(out + "acc=" + acc.toString());
  return 0;
}
