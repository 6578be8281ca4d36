// Trust propagation for the `trust` module — pure code (no hostcalls), so it is specified and tested on its own.
//
// Appleseed-style spreading activation (Ziegler & Lausen, "Propagation Models for Trust and Distrust in Social
// Networks", Information Systems Frontiers 7(4), 2005), in integer fixed point (1_000_000 = 1.0):
//  - the device owner is the source and injects energy E = 1.0;
//  - a node receiving energy `in` keeps (1 − d)·in as trust and passes d·in on (d = SPREAD = 0.85 per hop:
//    trust decays geometrically with distance), split over its positive out-edges in proportion to their weight;
//    a node whose weights sum to less than 100 passes only sum/100 of it (weak statements carry less);
//  - at most MAX_HOPS hops; energy below MIN_ENERGY is dropped;
//  - distrust (negative weights) is NOT transitive: it never spreads energy; it only subtracts
//    (trust(u) × |w| / 100) from the target's final score, for distrusters u that are themselves trusted;
//  - scores are clamped to [0, 1.0]. The total of all scores is ≤ E: a cluster of identities that trust each other
//    but that no trusted identity trusts receives no energy at all (sybil resistance), however large it is.
// The computation reads the whole edge set sorted by key, so it does not depend on the arrival order of capsules.

export const ONE: i64 = 1_000_000;
export const SPREAD_PERCENT: i64 = 85;
export const MAX_HOPS: i32 = 6;
export const MIN_ENERGY: i64 = 10;

export class Edge {
  constructor(public src: string, public dst: string, public weight: i32) {}
}

export class Score {
  constructor(public node: string, public score: i64) {}
}

function compareEdges(a: Edge, b: Edge): i32 {
  if (a.src != b.src) return a.src < b.src ? -1 : 1;
  if (a.dst != b.dst) return a.dst < b.dst ? -1 : 1;
  return 0;
}

function compareStrings(a: string, b: string): i32 { return a < b ? -1 : a > b ? 1 : 0; }

function indexOf(nodes: string[], key: string): i32 {
  // nodes are sorted: binary search
  let lo = 0, hi = nodes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = nodes[mid];
    if (c == key) return mid;
    if (c < key) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

/** Trust scores from `source`'s perspective over `edges` (any order). Returns every node with a score > 0, sorted. */
export function propagate(source: string, edges: Edge[]): Score[] {
  // canonical node list
  const set = new Set<string>();
  set.add(source);
  for (let i = 0; i < edges.length; i++) { set.add(edges[i].src); set.add(edges[i].dst); }
  const nodes = set.values();
  nodes.sort(compareStrings);
  const n = nodes.length;
  // adjacency in canonical order
  const outTo = new Array<i32[]>(n);
  const outW = new Array<i32[]>(n);
  const sumPos = new Array<i64>(n);
  for (let i = 0; i < n; i++) { outTo[i] = []; outW[i] = []; sumPos[i] = 0; }
  const sorted = edges.slice();
  sorted.sort(compareEdges);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    const f = indexOf(nodes, e.src);
    const t = indexOf(nodes, e.dst);
    if (f == t) continue; // self-trust means nothing
    outTo[f].push(t);
    outW[f].push(e.weight);
    if (e.weight > 0) sumPos[f] += <i64>e.weight;
  }
  const trust = new Array<i64>(n);
  for (let i = 0; i < n; i++) trust[i] = 0;
  let energy = new Array<i64>(n);
  for (let i = 0; i < n; i++) energy[i] = 0;
  const src = indexOf(nodes, source);
  energy[src] = ONE;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const next = new Array<i64>(n);
    for (let i = 0; i < n; i++) next[i] = 0;
    let moved = false;
    for (let u = 0; u < n; u++) {
      const e = energy[u];
      if (e < MIN_ENERGY) continue;
      if (u != src) trust[u] += e * (100 - SPREAD_PERCENT) / 100;
      const pass = u == src ? e : e * SPREAD_PERCENT / 100;
      const denom: i64 = sumPos[u] > 100 ? sumPos[u] : 100;
      const tos = outTo[u], ws = outW[u];
      for (let k = 0; k < tos.length; k++) {
        if (ws[k] <= 0 || tos[k] == src) continue;
        next[tos[k]] += pass * <i64>ws[k] / denom;
        moved = true;
      }
    }
    energy = next;
    if (!moved) break;
  }
  // leftover energy after the last hop is kept as trust (1 − d share) like any other arrival
  for (let u = 0; u < n; u++) if (u != src && energy[u] >= MIN_ENERGY) trust[u] += energy[u] * (100 - SPREAD_PERCENT) / 100;
  // distrust: only from trusted identities (and the source), never transitive
  const penalty = new Array<i64>(n);
  for (let i = 0; i < n; i++) penalty[i] = 0;
  for (let u = 0; u < n; u++) {
    const tu: i64 = u == src ? ONE : trust[u];
    if (tu <= 0) continue;
    const tos = outTo[u], ws = outW[u];
    for (let k = 0; k < tos.length; k++) if (ws[k] < 0) penalty[tos[k]] += tu * <i64>(-ws[k]) / 100;
  }
  const out: Score[] = [];
  for (let i = 0; i < n; i++) {
    if (i == src) continue;
    let s = trust[i] - penalty[i];
    if (s > ONE) s = ONE;
    if (s > 0) out.push(new Score(nodes[i], s));
  }
  return out;
}
