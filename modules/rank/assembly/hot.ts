// The `rank` formula — pure code, tested on its own. A Hacker-News-style "hot" score (Salihefendic, "How Hacker
// News ranking algorithm works", 2010: score = (P − 1) / (T + 2)^G) where the points P come from trust instead of
// votes, so that only identities the device owner trusts can promote anything:
//
//   points  = trust(author) + Σ_{distinct child authors a ≠ author, trust(a) ≥ ENGAGE_MIN} trust(a)
//   hours   = min(max(now − created_at, 0) / 3_600_000, MAX_HOURS)
//   score   = points × 1000 / (hours + 2)^1.5                 (gravity G = 1.5, all integer arithmetic)
//
// trust values are fixed point (1_000_000 = 1.0). Identities under ENGAGE_MIN (sybils, strangers) add nothing.

export const ONE: i64 = 1_000_000;
export const ENGAGE_MIN: i64 = 50_000;
export const MAX_HOURS: u64 = 10_000;

/** floor(sqrt(x)) for u64, by Newton's method. */
export function isqrt(x: u64): u64 {
  if (x < 2) return x;
  let r: u64 = x;
  let y: u64 = (r >> 1) + (r & 1); // ceil(r / 2) without overflowing at u64.MAX
  while (y < r) { r = y; y = (r + x / r) >> 1; }
  return r;
}

export function ageHours(now: u64, createdAt: u64): u64 {
  if (now <= createdAt) return 0;
  const h = (now - createdAt) / 3_600_000;
  return h > MAX_HOURS ? MAX_HOURS : h;
}

/** (hours + 2)^1.5 × 1000, exact to the integer: sqrt((h + 2)^3 × 10^6). */
export function gravityMilli(hours: u64): u64 {
  const t = hours + 2;
  return isqrt(t * t * t * 1_000_000);
}

/** points × 1000 / (hours + 2)^1.5; points are capped so the product stays within u64. */
export function hotScore(points: i64, hours: u64): i64 {
  if (points <= 0) return 0;
  const p: u64 = points > 1_000_000_000_000 ? 1_000_000_000_000 : <u64>points;
  return <i64>(p * 1_000_000 / gravityMilli(hours));
}

/** Engagement weight one child author adds. */
export function engagementOf(trust: i64): i64 {
  if (trust < ENGAGE_MIN) return 0;
  return trust > ONE ? ONE : trust;
}
