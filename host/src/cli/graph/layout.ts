/**
 * The layered layout of the DAG picture, computed once when `kapsule graph --format html` writes the page, with dagre
 * (@dagrejs/dagre, Sugiyama-style: ranks, crossing reduction, coordinates). The page gets positions, not a layout
 * library: it opens at once at 10,000 capsules instead of spending seconds laying out in the browser, and stays
 * self-contained and offline.
 *
 * Each connected component (a thread and its replies, a ledger chain...) is laid out on its own — dagre's cost grows
 * faster than linearly with graph size, and components have no edges between them anyway — and the page packs the
 * components into rows (re-packing the visible ones when a filter hides the rest).
 *
 * dagre lays out every component that has a merge (a capsule with several parents in it): that is where ranking and
 * crossing reduction matter. A component that is a tree (one root, one parent per capsule) has no crossings to
 * reduce; it gets the same layered drawing (rank = depth, leaves left to right in capsule order, each parent centred
 * over its children) from a linear pass, instead of dagre's ~0.4 ms per node: most threads are trees, and 10,000
 * capsules stay a matter of seconds.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { GraphModel } from './model.ts';

export const NODE_W = 170;
export const NODE_H = 62;
const NODE_SEP = 24;
const RANK_SEP = 44;

export interface ComponentLayout {
  /** Node indices (into the model) in this component. */
  nodes: number[];
  width: number;
  height: number;
}

export interface DagLayout {
  /** Per node: component index, and the node's top-left corner inside its component. */
  comp: Int32Array;
  x: Float64Array;
  y: Float64Array;
  components: ComponentLayout[];
  /** Per edge (same order as model.edges): bend points inside the component, [x0, y0, x1, y1, ...] (empty: straight). */
  bends: number[][];
}

/** Connected components (edges taken undirected), each listed in model order; components in order of their first node. */
function components(m: GraphModel): number[][] {
  const parent = Int32Array.from(m.nodes, (_, i) => i);
  const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; };
  for (const [a, b] of m.edges) {
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  const byRoot = new Map<number, number[]>();
  m.nodes.forEach((_, i) => {
    const r = find(i);
    const list = byRoot.get(r);
    if (list) list.push(i); else byRoot.set(r, [i]);
  });
  return [...byRoot.values()];
}

/** The layered drawing of a tree component, or null when the component is not a tree. */
function layoutTree(m: GraphModel, nodes: number[], edges: number[], out: DagLayout): { width: number; height: number } | null {
  if (edges.length !== nodes.length - 1) return null;
  const kids = new Map<number, number[]>();
  const hasParent = new Set<number>();
  for (const e of edges) {
    const [p, c] = m.edges[e];
    if (hasParent.has(c)) return null;
    hasParent.add(c);
    const list = kids.get(p);
    if (list) list.push(c); else kids.set(p, [c]);
  }
  const roots = nodes.filter((i) => !hasParent.has(i));
  if (roots.length !== 1) return null;
  // pre-order (children in capsule order), then parents after their children: no recursion, chains can be long
  const seq: number[] = [];
  const depth = new Map<number, number>([[roots[0], 0]]);
  const stack = [roots[0]];
  while (stack.length) {
    const i = stack.pop()!;
    seq.push(i);
    const cs = (kids.get(i) ?? []).sort((a, b) => a - b);
    for (let k = cs.length - 1; k >= 0; k--) { depth.set(cs[k], depth.get(i)! + 1); stack.push(cs[k]); }
  }
  const cx = new Map<number, number>();
  let leaves = 0, maxDepth = 0;
  for (const i of seq) if (!kids.has(i)) cx.set(i, leaves++ * (NODE_W + NODE_SEP) + NODE_W / 2);
  for (let k = seq.length - 1; k >= 0; k--) {
    const i = seq[k];
    const cs = kids.get(i);
    if (cs) cx.set(i, (cx.get(cs[0])! + cx.get(cs[cs.length - 1])!) / 2);
    out.x[i] = cx.get(i)! - NODE_W / 2;
    out.y[i] = depth.get(i)! * (NODE_H + RANK_SEP);
    maxDepth = Math.max(maxDepth, depth.get(i)!);
  }
  return { width: (leaves - 1) * (NODE_W + NODE_SEP) + NODE_W, height: maxDepth * (NODE_H + RANK_SEP) + NODE_H };
}

export function layoutDag(m: GraphModel): DagLayout {
  const n = m.nodes.length;
  const out: DagLayout = { comp: new Int32Array(n), x: new Float64Array(n), y: new Float64Array(n), components: [], bends: m.edges.map(() => []) };
  const edgesOf = new Map<number, number[]>(); // component → edge indices
  const comps = components(m);
  comps.forEach((nodes, ci) => { for (const i of nodes) out.comp[i] = ci; });
  m.edges.forEach(([p], e) => {
    const c = out.comp[p];
    const list = edgesOf.get(c);
    if (list) list.push(e); else edgesOf.set(c, [e]);
  });
  comps.forEach((nodes, ci) => {
    const edges = edgesOf.get(ci) ?? [];
    const tree = layoutTree(m, nodes, edges, out);
    if (tree) {
      out.components.push({ nodes, ...tree });
      return;
    }
    const g = new Graph({ multigraph: false });
    g.setGraph({ rankdir: 'TB', nodesep: NODE_SEP, ranksep: RANK_SEP, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const i of nodes) g.setNode(String(i), { width: NODE_W, height: NODE_H });
    for (const e of edges) g.setEdge(String(m.edges[e][0]), String(m.edges[e][1]));
    layout(g);
    for (const i of nodes) {
      const p = g.node(String(i));
      out.x[i] = p.x - NODE_W / 2;
      out.y[i] = p.y - NODE_H / 2;
    }
    for (const e of edges) {
      const pts: { x: number; y: number }[] = g.edge(String(m.edges[e][0]), String(m.edges[e][1]))?.points ?? [];
      // the ends are drawn from the node boxes; keep the bends of edges that skip ranks (more than one inner point)
      const inner = pts.slice(1, -1);
      if (inner.length > 1) out.bends[e] = inner.flatMap((q) => [Math.round(q.x), Math.round(q.y)]);
    }
    const gw = g.graph().width ?? 0, gh = g.graph().height ?? 0;
    out.components.push({ nodes, width: Math.max(NODE_W, gw), height: Math.max(NODE_H, gh) });
  });
  return out;
}
