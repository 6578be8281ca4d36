// Text folding for the `blocklist` module — pure code, tested on its own against evasions.
// fold(s): removes zero-width and invisible characters (U+200B–U+200D, U+2060, U+FEFF, U+00AD soft hyphen) and
// combining diacritical marks (U+0300–U+036F, so decomposed text folds like composed text); maps fullwidth ASCII
// (U+FF01–U+FF5E) to ASCII; strips diacritics from Latin-1 Supplement and Latin Extended-A letters (a table, the
// NFKD base letter); then lowercases (Unicode case mapping). Two texts that look alike to a reader fold alike.

const LATIN1 = "AAAAAAACEEEEIIIIDNOOOOO\u00d7OUUUUYTsaaaaaaaceeeeiiiidnooooo\u00f7ouuuuyty"; // U+00C0..U+00FF
const LATIN_EXT_A = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrsssssssstttttt" +
  "uuuuuuuuuuuuwwyyyzzzzzzs"; // U+0100..U+017F

export function isInvisible(c: i32): bool {
  return (c >= 0x200b && c <= 0x200d) || c == 0x2060 || c == 0xfeff || c == 0x00ad || (c >= 0x0300 && c <= 0x036f);
}

export function foldChar(c: i32): i32 {
  if (c >= 0xff01 && c <= 0xff5e) return c - 0xfee0;
  if (c >= 0xc0 && c <= 0xff) return LATIN1.charCodeAt(c - 0xc0);
  if (c >= 0x100 && c <= 0x17f) return LATIN_EXT_A.charCodeAt(c - 0x100);
  return c;
}

export function fold(s: string): string {
  // one array, one string: the stub runtime never frees, so no per-character concatenation
  const units = new Array<i32>(0);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isInvisible(c)) continue;
    units.push(foldChar(c));
  }
  return String.fromCharCodes(units).toLowerCase();
}

/** The first banned term (as given) found in `text` after folding both, or null. */
export function findBanned(text: string, terms: string[]): string | null {
  const t = fold(text);
  for (let i = 0; i < terms.length; i++) {
    const f = fold(terms[i]);
    if (f.length > 0 && t.includes(f)) return terms[i];
  }
  return null;
}
