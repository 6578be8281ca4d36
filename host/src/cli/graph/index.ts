/**
 * `kapsule graph`: the capsule DAG of a store as Graphviz DOT, Mermaid (text.ts), or a self-contained HTML page
 * (html.ts). Rendering is the CLI's business, so it lives here, not in sync/.
 */
import type { Store } from '../../store/types.ts';
import { graphModel } from './model.ts';
import { renderDot, renderMermaid } from './text.ts';

export type GraphFormat = 'dot' | 'mermaid' | 'html';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['dot', 'mermaid', 'html'];

export async function renderGraph(store: Store, format: GraphFormat, channel?: string): Promise<string> {
  const m = graphModel(store, channel);
  if (format === 'dot') return renderDot(m);
  if (format === 'mermaid') return renderMermaid(m);
  const { renderHtml } = await import('./html.ts'); // the layout library loads only for the page
  return renderHtml(m, channel);
}
