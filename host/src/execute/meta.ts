/**
 * Canonical binary encodings the guest reads (docs/ABI.md §Metadata, §Context). Little-endian throughout.
 *
 *   meta    = u8 version(1) ‖ id[32] ‖ u8 kind_len ‖ kind ‖ u8 author_alg (1 ed25519, 2 p256) ‖ u8 author_len ‖
 *             author ‖ u16 channel_len ‖ channel ‖ u64 created_at ‖ u8 parent_count ‖ parent_id[32]* ‖
 *             u8 flag_count ‖ (u8 key_len ‖ key ‖ u16 value_len ‖ value)* ‖ u8 has_logic ‖ [logic[32]] ‖
 *             u32 payload_length
 *   context = u64 now ‖ u8 owner_len ‖ owner
 */
import { utf8 } from '../bytes.ts';
import type { GuestCapsuleMeta, RunContext } from './types.ts';

export const META_VERSION = 1;
const ALG_CODE = { ed25519: 1, p256: 2 } as const;

class W {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  n = 0;
  private need(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): this { this.need(1); this.buf[this.n++] = v; return this; }
  u16(v: number): this { this.need(2); this.dv.setUint16(this.n, v, true); this.n += 2; return this; }
  u32(v: number): this { this.need(4); this.dv.setUint32(this.n, v, true); this.n += 4; return this; }
  u64(v: bigint): this { this.need(8); this.dv.setBigUint64(this.n, BigInt.asUintN(64, v), true); this.n += 8; return this; }
  raw(b: Uint8Array): this { this.need(b.length); this.buf.set(b, this.n); this.n += b.length; return this; }
  finish(): Uint8Array { return this.buf.slice(0, this.n); }
}

function checkLen(what: string, n: number, max: number): number {
  if (n > max) throw new RangeError(`${what} is ${n} bytes, the metadata encoding allows ${max}`);
  return n;
}

export function encodeMeta(m: GuestCapsuleMeta): Uint8Array {
  if (m.id.length !== 32) throw new RangeError(`capsule id must be 32 bytes, got ${m.id.length}`);
  const kind = utf8.encode(m.kind);
  const channel = utf8.encode(m.channel);
  const w = new W().u8(META_VERSION).raw(m.id)
    .u8(checkLen('kind', kind.length, 255)).raw(kind)
    .u8(ALG_CODE[m.authorAlg]).u8(checkLen('author', m.author.length, 255)).raw(m.author)
    .u16(checkLen('channel', channel.length, 0xffff)).raw(channel)
    .u64(m.createdAt)
    .u8(checkLen('parents', m.parents.length, 255));
  for (const p of m.parents) {
    if (p.length !== 32) throw new RangeError(`parent id must be 32 bytes, got ${p.length}`);
    w.raw(p);
  }
  w.u8(checkLen('flags', m.flags.length, 255));
  for (const [k, v] of m.flags) {
    const kb = utf8.encode(k), vb = utf8.encode(v);
    w.u8(checkLen('flag key', kb.length, 255)).raw(kb).u16(checkLen('flag value', vb.length, 0xffff)).raw(vb);
  }
  if (m.logic) {
    if (m.logic.length !== 32) throw new RangeError(`logic must be 32 bytes, got ${m.logic.length}`);
    w.u8(1).raw(m.logic);
  } else w.u8(0);
  return w.u32(m.payloadLength).finish();
}

export function encodeContext(c: RunContext): Uint8Array {
  return new W().u64(c.now).u8(checkLen('owner', c.owner.length, 255)).raw(c.owner).finish();
}
