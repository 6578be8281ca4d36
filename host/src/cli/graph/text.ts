/** `kapsule graph --format dot|mermaid`: the DAG as Graphviz DOT or a Mermaid flowchart (edges child → parent). */
import type { GraphModel, GraphNode } from './model.ts';

const label = (n: GraphNode) => `${n.kind} ${n.id.slice(0, 8)}\\nby ${n.author.slice(0, 8)}${n.verdict ? `\\n${n.verdict}` : ''}`;
const fill = (n: GraphNode) => (n.status === 'not-recipient' ? '#eeeeee' : n.status === 'executed' ? '#d9f2e6' : '#ffffff');

export function renderDot(m: GraphModel): string {
  const esc = (s: string) => s.replace(/\\(?!n)/g, '\\\\').replace(/"/g, '\\"');
  return [
    'digraph kapsule {', '  rankdir=BT;', '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ...m.nodes.map((n) => `  "${n.id.slice(0, 8)}" [label="${esc(label(n))}", fillcolor="${fill(n)}"];`),
    ...m.edges.map(([p, c]) => `  "${m.nodes[c].id.slice(0, 8)}" -> "${m.nodes[p].id.slice(0, 8)}";`),
    '}', '',
  ].join('\n');
}

export function renderMermaid(m: GraphModel): string {
  const esc = (s: string) => s.replace(/"/g, "'").replace(/\\n/g, '<br/>');
  return [
    'graph BT',
    ...m.nodes.map((n) => `  n${n.id.slice(0, 8)}["${esc(label(n))}"]`),
    ...m.edges.map(([p, c]) => `  n${m.nodes[c].id.slice(0, 8)} --> n${m.nodes[p].id.slice(0, 8)}`),
    '',
  ].join('\n');
}
