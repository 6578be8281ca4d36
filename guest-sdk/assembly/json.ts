// A small strict JSON reader/writer for kapsule modules (part of kapsule-guest-sdk). Objects, arrays, strings (with
// \uXXXX escapes and surrogate pairs), integers (i64, no fractions or exponents: amounts and weights are integers),
// booleans, null. Depth and size are bounded. A malformed document yields null, never a trap.

export const J_NULL: u8 = 0;
export const J_BOOL: u8 = 1;
export const J_INT: u8 = 2;
export const J_STR: u8 = 3;
export const J_ARR: u8 = 4;
export const J_OBJ: u8 = 5;

const MAX_DEPTH: i32 = 16;

export class JValue {
  kind: u8 = J_NULL;
  b: bool = false;
  n: i64 = 0;
  s: string = "";
  items: JValue[] = [];
  keys: string[] = [];

  get(key: string): JValue | null {
    if (this.kind != J_OBJ) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] == key) return this.items[i];
    return null;
  }
  str(key: string): string | null {
    const v = this.get(key);
    return v !== null && v.kind == J_STR ? v.s : null;
  }
  int(key: string, fallback: i64): i64 {
    const v = this.get(key);
    return v !== null && v.kind == J_INT ? v.n : fallback;
  }
  has(key: string): bool { return this.get(key) !== null; }
}

class Parser {
  pos: i32 = 0;
  ok: bool = true;
  constructor(public t: string) {}

  ws(): void {
    while (this.pos < this.t.length) {
      const c = this.t.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++; else break;
    }
  }

  fail(): JValue { this.ok = false; return new JValue(); }

  value(depth: i32): JValue {
    if (depth > MAX_DEPTH) return this.fail();
    this.ws();
    if (this.pos >= this.t.length) return this.fail();
    const c = this.t.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) { const v = new JValue(); v.kind = J_STR; v.s = this.string(); return v; }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.t.startsWith("true", this.pos)) { this.pos += 4; const v = new JValue(); v.kind = J_BOOL; v.b = true; return v; }
    if (this.t.startsWith("false", this.pos)) { this.pos += 5; const v = new JValue(); v.kind = J_BOOL; return v; }
    if (this.t.startsWith("null", this.pos)) { this.pos += 4; return new JValue(); }
    return this.fail();
  }

  number(): JValue {
    const v = new JValue();
    v.kind = J_INT;
    let neg = false;
    if (this.t.charCodeAt(this.pos) == 0x2d) { neg = true; this.pos++; }
    const start = this.pos;
    let n: i64 = 0;
    while (this.pos < this.t.length) {
      const c = this.t.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      if (n > (i64.MAX_VALUE - 9) / 10) return this.fail();
      n = n * 10 + <i64>(c - 0x30);
      this.pos++;
    }
    const len = this.pos - start;
    if (len == 0 || (len > 1 && this.t.charCodeAt(start) == 0x30)) return this.fail();
    if (this.pos < this.t.length) {
      const c = this.t.charCodeAt(this.pos);
      if (c == 0x2e || c == 0x65 || c == 0x45) return this.fail(); // no fractions, no exponents
    }
    v.n = neg ? -n : n;
    return v;
  }

  string(): string {
    this.pos++; // opening quote
    // pieces joined once at the end: concatenating per escape would cost O(n²) memory under the stub runtime
    // (a 16 KiB string of escapes alone would need hundreds of MiB)
    const parts: string[] = [];
    let from = this.pos;
    while (this.pos < this.t.length) {
      const c = this.t.charCodeAt(this.pos);
      if (c == 0x22) { parts.push(this.t.substring(from, this.pos)); this.pos++; return parts.length == 1 ? parts[0] : parts.join(""); }
      if (c < 0x20) { this.ok = false; return ""; }
      if (c == 0x5c) {
        parts.push(this.t.substring(from, this.pos));
        this.pos++;
        if (this.pos >= this.t.length) break;
        const e = this.t.charCodeAt(this.pos);
        if (e == 0x22 || e == 0x5c || e == 0x2f) parts.push(String.fromCharCode(e));
        else if (e == 0x62) parts.push("\b");
        else if (e == 0x66) parts.push("\f");
        else if (e == 0x6e) parts.push("\n");
        else if (e == 0x72) parts.push("\r");
        else if (e == 0x74) parts.push("\t");
        else if (e == 0x75) {
          if (this.pos + 4 >= this.t.length) break;
          let u: i32 = 0;
          for (let i = 1; i <= 4; i++) {
            const h = this.t.charCodeAt(this.pos + i);
            let d: i32 = -1;
            if (h >= 0x30 && h <= 0x39) d = h - 0x30;
            else if (h >= 0x61 && h <= 0x66) d = h - 0x57;
            else if (h >= 0x41 && h <= 0x46) d = h - 0x37;
            if (d < 0) { this.ok = false; return ""; }
            u = (u << 4) | d;
          }
          parts.push(String.fromCharCode(u)); // surrogate pairs arrive as two \u escapes and combine in UTF-16
          this.pos += 4;
        } else { this.ok = false; return ""; }
        this.pos++;
        from = this.pos;
        continue;
      }
      this.pos++;
    }
    this.ok = false;
    return "";
  }

  array(depth: i32): JValue {
    const v = new JValue();
    v.kind = J_ARR;
    this.pos++;
    this.ws();
    if (this.pos < this.t.length && this.t.charCodeAt(this.pos) == 0x5d) { this.pos++; return v; }
    while (this.ok) {
      v.items.push(this.value(depth + 1));
      this.ws();
      if (this.pos >= this.t.length) return this.fail();
      const c = this.t.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail();
    }
    return v;
  }

  object(depth: i32): JValue {
    const v = new JValue();
    v.kind = J_OBJ;
    this.pos++;
    this.ws();
    if (this.pos < this.t.length && this.t.charCodeAt(this.pos) == 0x7d) { this.pos++; return v; }
    while (this.ok) {
      this.ws();
      if (this.pos >= this.t.length || this.t.charCodeAt(this.pos) != 0x22) return this.fail();
      const k = this.string();
      this.ws();
      if (this.pos >= this.t.length || this.t.charCodeAt(this.pos) != 0x3a) return this.fail();
      this.pos++;
      v.keys.push(k);
      v.items.push(this.value(depth + 1));
      this.ws();
      if (this.pos >= this.t.length) return this.fail();
      const c = this.t.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail();
    }
    return v;
  }
}

/** Parses a whole document; null when it is not valid (strict) JSON within the limits. */
export function parseJson(text: string): JValue | null {
  if (text.length > 1 << 20) return null;
  const p = new Parser(text);
  const v = p.value(0);
  p.ws();
  if (!p.ok || p.pos != text.length) return null;
  return v;
}

/** JSON string literal with escapes. */
export function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) {
      const h = "0123456789abcdef";
      out += "\\u00" + h.charAt(c >> 4) + h.charAt(c & 15);
    } else out += String.fromCharCode(c);
  }
  return out + "\"";
}

/** Builds a flat JSON object, in insertion order. */
export class JsonOut {
  private parts: string[] = [];
  str(k: string, v: string): JsonOut { this.parts.push(quote(k) + ":" + quote(v)); return this; }
  int(k: string, v: i64): JsonOut { this.parts.push(quote(k) + ":" + v.toString()); return this; }
  u64s(k: string, v: u64): JsonOut { this.parts.push(quote(k) + ":" + quote(v.toString())); return this; }
  bool(k: string, v: bool): JsonOut { this.parts.push(quote(k) + ":" + (v ? "true" : "false")); return this; }
  raw(k: string, json: string): JsonOut { this.parts.push(quote(k) + ":" + json); return this; }
  toString(): string { return "{" + this.parts.join(",") + "}"; }
}

/** The standard failure result every module submits for bad input. */
export function failure(code: string, reason: string): string {
  return new JsonOut().bool("ok", false).str("code", code).str("reason", reason).toString();
}
