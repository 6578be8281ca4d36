/** Small statistics shared by the benchmarks. */

/** The middle value (upper middle for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
