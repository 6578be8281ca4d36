/**
 * `kapsule graph`: the capsule DAG as Graphviz DOT, Mermaid, or a self-contained HTML page (inline SVG laid out
 * by DAG depth, no network, click a node for its details).
 */
import { toHex } from '../bytes.ts';
import type { CapsuleRecord, Store } from '../store/types.ts';
import { decodeForDisplay } from '../cli/describe.ts';

export type GraphFormat = 'dot' | 'mermaid' | 'html';

interface Node {
  id: string; short: string; kind: string; author: string; status: string; channel: string; createdAt: number;
  parents: string[]; verdict: string | null; result: unknown; fuel: string | null; module: string | null;
}

/** A one-word summary of a module's decision: verdict / score / ok flag, when the output is JSON. */
function verdictOf(result: unknown): string | null {
  if (!result || typeof result !== 'object') return null;
  const r = result as Record<string, unknown>;
  for (const k of ['verdict', 'decision', 'status']) if (typeof r[k] === 'string') return r[k] as string;
  if (typeof r.score === 'number' || typeof r.score === 'string') return `score ${r.score}`;
  if (r.ok === false && typeof r.code === 'string') return r.code;
  return null;
}

function nodes(store: Store, channel?: string): Node[] {
  return store.topological(channel).map((c: CapsuleRecord) => {
    const res = store.getResult(c.id);
    const out = res?.output ? decodeForDisplay(res.output) : null;
    const result = out?.encoding === 'json' ? out.value : out?.value ?? null;
    return {
      id: toHex(c.id), short: toHex(c.id).slice(0, 8), kind: c.kind, author: toHex(c.author).slice(0, 8),
      status: c.status, channel: c.channel, createdAt: c.createdAt, parents: c.parents.map(toHex),
      verdict: res ? (res.outcome !== 'ok' ? res.outcome : verdictOf(result)) : null, result,
      fuel: res ? res.fuel.toString() : null, module: res ? toHex(res.moduleId) : null,
    };
  });
}

const label = (n: Node) => `${n.kind} ${n.short}\\nby ${n.author}${n.verdict ? `\\n${n.verdict}` : ''}`;

export function renderGraph(store: Store, format: GraphFormat, channel?: string): string {
  const ns = nodes(store, channel);
  const present = new Set(ns.map((n) => n.id));
  const edges = ns.flatMap((n) => n.parents.filter((p) => present.has(p)).map((p) => [p, n.id] as const));
  if (format === 'dot') {
    const esc = (s: string) => s.replace(/"/g, '\\"');
    return [
      'digraph kapsule {', '  rankdir=BT;', '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
      ...ns.map((n) => `  "${n.short}" [label="${esc(label(n))}", fillcolor="${n.status === 'not-recipient' ? '#eeeeee' : n.status === 'executed' ? '#d9f2e6' : '#ffffff'}"];`),
      ...edges.map(([p, c]) => `  "${c.slice(0, 8)}" -> "${p.slice(0, 8)}";`),
      '}', '',
    ].join('\n');
  }
  if (format === 'mermaid') {
    const m = (s: string) => s.replace(/"/g, "'").replace(/\\n/g, '<br/>');
    return ['graph BT', ...ns.map((n) => `  n${n.short}["${m(label(n))}"]`), ...edges.map(([p, c]) => `  n${c.slice(0, 8)} --> n${p.slice(0, 8)}`), ''].join('\n');
  }
  return renderHtml(ns, edges);
}

function renderHtml(ns: Node[], edges: (readonly [string, string])[]): string {
  // Layout: depth = longest path from a root; x by order within a depth.
  const depth = new Map<string, number>();
  for (const n of ns) depth.set(n.id, Math.max(0, ...n.parents.filter((p) => depth.has(p)).map((p) => depth.get(p)! + 1)));
  const rows = new Map<number, Node[]>();
  for (const n of ns) rows.set(depth.get(n.id)!, [...(rows.get(depth.get(n.id)!) ?? []), n]);
  const W = 170, H = 70, GX = 30, GY = 50;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, row] of rows) row.forEach((n, i) => pos.set(n.id, { x: 20 + i * (W + GX), y: 20 + d * (H + GY) }));
  const width = Math.max(400, ...[...rows.values()].map((r) => 40 + r.length * (W + GX)));
  const height = 40 + rows.size * (H + GY);
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const color = (n: Node) => (n.status === 'not-recipient' ? '#eeeeee' : n.status === 'executed' ? '#d9f2e6' : '#ffffff');
  const svgEdges = edges.map(([p, c]) => {
    const a = pos.get(c)!, b = pos.get(p)!;
    return `<line x1="${a.x + W / 2}" y1="${a.y}" x2="${b.x + W / 2}" y2="${b.y + H}" class="edge"/>`;
  }).join('');
  const svgNodes = ns.map((n) => {
    const { x, y } = pos.get(n.id)!;
    return `<g class="node" data-id="${n.id}" tabindex="0"><rect x="${x}" y="${y}" width="${W}" height="${H}" rx="8" fill="${color(n)}"/>`
      + `<text x="${x + 10}" y="${y + 20}" class="t">${esc(n.kind)} ${n.short}</text>`
      + `<text x="${x + 10}" y="${y + 40}">by ${n.author}</text>`
      + `<text x="${x + 10}" y="${y + 58}" class="v">${esc(n.verdict ?? n.status)}</text></g>`;
  }).join('');
  const data = JSON.stringify(Object.fromEntries(ns.map((n) => [n.id, n]))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kapsule DAG</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body{font-family:system-ui,sans-serif;margin:0;display:flex;height:100vh}
#g{flex:1;overflow:auto}#d{width:360px;border-left:1px solid #ccc;padding:12px;overflow:auto;font-size:13px}
.edge{stroke:#888;stroke-width:1.5}.node{cursor:pointer}.node rect{stroke:#555}.node.sel rect{stroke:#d33;stroke-width:3}
text{font-size:12px}.t{font-weight:bold}.v{fill:#555}pre{white-space:pre-wrap;word-break:break-all}
</style></head><body>
<div id="g"><svg id="svg" width="${width}" height="${height}" role="img" aria-label="capsule DAG (${ns.length} capsules)">${svgEdges}${svgNodes}</svg></div>
<div id="d"><h3>kapsule DAG</h3><p>${ns.length} capsule(s), ${edges.length} edge(s). Click a capsule for its details.</p></div>
<script>
const DATA = ${data};
document.querySelectorAll('.node').forEach((g) => g.addEventListener('click', () => {
  document.querySelectorAll('.node.sel').forEach((x) => x.classList.remove('sel'));
  g.classList.add('sel');
  const n = DATA[g.dataset.id];
  const d = document.getElementById('d');
  d.textContent = '';
  const h = document.createElement('h3'); h.textContent = n.kind + ' ' + n.short; d.appendChild(h);
  const pre = document.createElement('pre'); pre.id = 'details';
  pre.textContent = JSON.stringify({ id: n.id, kind: n.kind, status: n.status, channel: n.channel, author: n.author,
    created_at: new Date(n.createdAt).toISOString(), parents: n.parents, module: n.module, fuel: n.fuel, verdict: n.verdict, result: n.result }, null, 2);
  d.appendChild(pre);
}));
</script></body></html>
`;
}
