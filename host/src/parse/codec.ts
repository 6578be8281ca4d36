/**
 * Bounds-checked big-endian reader and writer for the fixed binary layouts of docs/FORMAT.md.
 * Every read checks the remaining length before slicing, so a claimed length never drives an allocation
 * larger than the input itself; every failure is a FORMAT_INVALID KapsuleError naming the field and offset.
 */
import { KapsuleError, type Stage } from '../errors.ts';
/**
 * Strict UTF-8 that keeps a leading U+FEFF: the default decoder strips a byte order mark, so "\uFEFFpost" would
 * read as "post" and two different byte strings would decode to one field value. Kept, it is refused by the field's
 * pattern (or round-trips exactly).
 */
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const textEncoder = new TextEncoder();

export class Reader {
  private off = 0;
  constructor(private readonly buf: Uint8Array, private readonly what: string, private readonly stage: Stage = 'parse') {}

  get offset(): number { return this.off; }
  get remaining(): number { return this.buf.length - this.off; }

  fail(field: string, why: string): never {
    throw new KapsuleError('FORMAT_INVALID', this.stage, `${this.what}: ${field} ${why} (offset ${this.off})`, {
      field, offset: this.off,
    });
  }

  bytes(n: number, field: string): Uint8Array {
    if (n > this.remaining) this.fail(field, `needs ${n} bytes, ${this.remaining} left`);
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  u8(field: string): number { return this.bytes(1, field)[0]; }

  u16(field: string): number {
    const b = this.bytes(2, field);
    return (b[0] << 8) | b[1];
  }

  u32(field: string): number {
    const b = this.bytes(4, field);
    return ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]);
  }

  u64(field: string): bigint {
    const hi = BigInt(this.u32(field));
    const lo = BigInt(this.u32(field));
    return (hi << 32n) | lo;
  }

  /** A u8- or u16-length-prefixed UTF-8 string, strictly decoded, within [min, max] bytes. */
  text(field: string, lenBytes: 1 | 2, min: number, max: number, pattern?: RegExp): string {
    const at = this.off;
    const n = lenBytes === 1 ? this.u8(field) : this.u16(field);
    if (n < min || n > max) { this.off = at; this.fail(field, `length ${n} outside [${min}, ${max}]`); }
    const raw = this.bytes(n, field);
    let s: string;
    try { s = textDecoder.decode(raw); } catch { this.off = at; this.fail(field, 'is not valid UTF-8'); }
    if (pattern && !pattern.test(s)) { this.off = at; this.fail(field, `does not match ${pattern}`); }
    return s;
  }

  end(): void {
    if (this.remaining !== 0) this.fail('end', `has ${this.remaining} trailing bytes`);
  }
}

export class Writer {
  private chunks: Uint8Array[] = [];
  private n = 0;

  bytes(b: Uint8Array): this { this.chunks.push(b); this.n += b.length; return this; }
  u8(v: number): this { return this.bytes(Uint8Array.of(v & 0xff)); }
  u16(v: number): this { return this.bytes(Uint8Array.of((v >>> 8) & 0xff, v & 0xff)); }
  u32(v: number): this {
    return this.bytes(Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
  }
  u64(v: bigint): this {
    this.u32(Number((v >> 32n) & 0xffffffffn));
    return this.u32(Number(v & 0xffffffffn));
  }
  text(s: string, lenBytes: 1 | 2): this {
    const b = textEncoder.encode(s);
    return lenBytes === 1 ? this.u8(b.length).bytes(b) : this.u16(b.length).bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.n);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}
