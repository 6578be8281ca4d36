/**
 * The test corpus's library modules (test/corpus/modules: json_stats on assemblyscript-json, bigmath on as-bignum,
 * regex_scan on assemblyscript-regex): payload generators of about 2.2 KiB (the size the libraries were tried at)
 * and a JavaScript reference for each, which the e2e test (libraries.e2e.test.ts) checks the modules against and
 * bench/fuel.ts reuses. Each reference folds capsules in the order given — the canonical order, in the tests.
 */
import { prng } from '../helpers/scenario.ts';

export const LIBRARY_MODULES = ['json_stats', 'bigmath', 'regex_scan'] as const;
export type LibraryModule = (typeof LIBRARY_MODULES)[number];

const U128 = 1n << 128n;

/** A deterministic payload generator for `module` (seeded, so a failing case can be replayed). */
export function libraryPayloads(module: LibraryModule, seed: number): () => string {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  if (module === 'json_stats') {
    const sensors = ['t1', 't2', 'hum-a', 'hum-b', 'co2_main', 'wind', 'x'];
    return () => {
      const readings: unknown[] = [];
      while (JSON.stringify(readings).length < 2_100) {
        const r = int(20);
        if (r === 0) readings.push({ sensor: 'Bad Id', value: 1 });
        else if (r === 1) readings.push({ sensor: pick(sensors), value: 2.5 });
        else if (r === 2) readings.push({ sensor: pick(sensors), value: int(100), ok: false });
        else if (r === 3) readings.push('not an object');
        else readings.push({ sensor: pick(sensors), value: int(2_000_001) - 1_000_000, ...(int(3) === 0 ? { ok: true } : {}) });
      }
      return JSON.stringify({ station: pick(['north', 'south-2', 'lab_7']), readings });
    };
  }
  if (module === 'bigmath') {
    const big = (): bigint => {
      const digits = 1 + int(39);
      let s = String(1 + int(9));
      for (let i = 1; i < digits; i++) s += String(int(10));
      return BigInt(s) % U128;
    };
    return () => {
      const lines: string[] = [];
      while (lines.join('\n').length < 2_150) {
        const op = pick(['+', '-', '*', '/', '%', '**', 'sqrt'] as const);
        if (op === 'sqrt') lines.push(`sqrt ${big()}`);
        else if (op === '**') lines.push(`${big() % 100_000n} ** ${int(40)}`);
        else lines.push(`${big()} ${op} ${int(12) === 0 ? 0n : big()}`);
      }
      return lines.join('\n');
    };
  }
  const words = ['the', 'quick', 'brown', 'fox', 'lorem', 'ipsum', 'kapsule', 'runtime', 'offline', 'Sandbox', 'WASM'];
  const tags = ['#wasm', '#local_first', '#crypto', '#p2p', '#a1', '#offline', '#x'];
  const mentions = ['@alice', '@bob_2', '@carol', '@dave99'];
  const emails = ['alice@example.org', 'bob.smith@mail.test', 'ops_team@kapsule.dev'];
  const links = ['https://example.org/a/b.html', 'http://kapsule.dev', 'https://docs.test/path/to-page_1/'];
  return () => {
    const parts: string[] = [];
    while (parts.join(' ').length < 2_200) {
      const r = int(12);
      parts.push(r === 0 ? pick(tags) : r === 1 ? pick(mentions) : r === 2 ? pick(emails) : r === 3 ? pick(links) : pick(words));
    }
    return parts.join(' ');
  };
}

/** What each module's run returns for these payloads, folded in this order (kv state carried across). */
export function libraryReference(module: LibraryModule): (payload: string) => string {
  if (module === 'json_stats') {
    let total = 0n;
    const plain = (s: unknown): s is string => typeof s === 'string' && /^[a-z0-9_-]{1,32}$/.test(s);
    return (payload) => {
      const p = JSON.parse(payload);
      const stats = new Map<string, { n: bigint; sum: bigint; min: bigint; max: bigint }>();
      let counted = 0n, skipped = 0n;
      for (const r of p.readings) {
        if (typeof r !== 'object' || r === null || !plain(r.sensor) || !Number.isInteger(r.value) || r.ok === false) { skipped++; continue; }
        const v = BigInt(r.value);
        const s = stats.get(r.sensor) ?? { n: 0n, sum: 0n, min: v, max: v };
        s.n++; s.sum += v;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
        stats.set(r.sensor, s);
        counted++;
      }
      total += counted;
      const sensors = [...stats.keys()].sort().map((k) => { const s = stats.get(k)!; return `{"sensor":"${k}","n":${s.n},"sum":${s.sum},"min":${s.min},"max":${s.max}}`; });
      return `{"station":"${p.station}","readings":${counted},"skipped":${skipped},"sensors":[${sensors.join(',')}],"total":${total}}`;
    };
  }
  if (module === 'bigmath') {
    let acc = 0n;
    const isqrt = (n: bigint): bigint => {
      if (n < 2n) return n;
      let x = BigInt(Math.floor(Math.sqrt(Number(n))));
      while (x * x > n) x--;
      while ((x + 1n) * (x + 1n) <= n) x++;
      return x;
    };
    return (payload) => {
      const out: string[] = [];
      for (const line of payload.split('\n')) {
        if (!line) continue;
        const [a, op, b] = line.split(' ');
        let r: bigint | null;
        if (a === 'sqrt') r = isqrt(BigInt(op));
        else {
          const x = BigInt(a), y = BigInt(b);
          r = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '**' ? x ** y
            : y === 0n ? null : op === '/' ? x / y : x % y;
        }
        if (r === null) { out.push('div0'); continue; }
        r = ((r % U128) + U128) % U128;
        acc = (acc + r) % U128;
        out.push(String(r));
      }
      return `${out.join('\n')}\nacc=${acc}`;
    };
  }
  const counts = new Map<string, number>();
  const scan = (re: RegExp, text: string) => {
    const out: string[] = [];
    for (const m of text.matchAll(re)) { if (out.length >= 32) break; if (!out.includes(m[0])) out.push(m[0]); }
    return out;
  };
  return (text) => {
    const tags = scan(/#[a-z][a-z0-9_]*/g, text);
    const t = tags.map((k) => { const n = (counts.get(k) ?? 0) + 1; counts.set(k, n); return [k, n]; });
    return JSON.stringify({
      tags: t, mentions: scan(/@[a-z0-9_]+/g, text), emails: scan(/[a-z0-9._]+@[a-z0-9-]+\.[a-z]+/g, text),
      links: scan(/https?:\/\/[a-z0-9.-]+(\/[a-z0-9._/-]*)?/g, text),
    });
  };
}
