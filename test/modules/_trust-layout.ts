/**
 * The trust module's kv layout (modules/trust/assembly/index.ts), written straight into a store so tests and
 * benchmarks can start from a large graph without running one capsule per statement: "s/<author>/<subject>/"
 * statements (created_at 1), "g/<author>" sorted 35-byte edge records (u8 key length ‖ 33 key bytes zero padded ‖
 * i8 weight) and "n/<author>" counts.
 */
import type { Kit } from './_kit.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';

export type Statement = [from: string, to: string, weight: number];

function record(hex: string): Uint8Array {
  const key = Buffer.from(hex, 'hex');
  const r = new Uint8Array(35);
  r[0] = key.length;
  r.set(key, 1);
  return r;
}

/** Stores the statements (hex keys; the last statement per (from, to) wins). Returns the number of edges. */
export function layTrustGraph(k: Kit, statements: Statement[]): number {
  const out = new Map<string, Map<string, number>>();
  for (const [from, to, w] of statements) {
    if (from === to || w === 0) continue;
    if (!out.has(from)) out.set(from, new Map());
    out.get(from)!.set(to, w);
  }
  const mid = toHex(k.moduleId);
  let total = 0;
  k.rt.store.transaction(() => {
    for (const [from, m] of out) {
      const recs = [...m.entries()].map(([to, w]) => { const r = record(to); r[34] = w & 0xff; return r; })
        .sort((a, b) => Buffer.compare(Buffer.from(a.subarray(0, 34)), Buffer.from(b.subarray(0, 34))));
      const list = new Uint8Array(recs.length * 35);
      recs.forEach((r, i) => list.set(r, i * 35));
      total += recs.length;
      k.rt.store.kvSet(mid, utf8.encode(`g/${from}`), list);
      k.rt.store.kvSet(mid, utf8.encode(`n/${from}`), utf8.encode(String(recs.length)));
      for (const [to, w] of m) k.rt.store.kvSet(mid, utf8.encode(`s/${from}/${to}/`), utf8.encode(`${w} 1 ${'00'.repeat(32)}`));
    }
  });
  return total;
}
