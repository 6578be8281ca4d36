/**
 * What `kapsule graph` draws, read from a store: one node per stored capsule (DAG order), one edge per parent link
 * inside the drawn set. Every string a capsule's author chose (kind, channel, a module's verdict) is escaped here
 * (../escape.ts), once, for every renderer: a bidi override in a channel must not reorder a label.
 */
import { toHex } from '../../bytes.ts';
import type { CapsuleRecord, Store } from '../../store/types.ts';
import { decodeForDisplay } from '../describe.ts';
import { escapeControls } from '../escape.ts';

export interface GraphNode {
  id: string;
  kind: string;
  /** Hex of the author's signing key. */
  author: string;
  status: string;
  channel: string;
  createdAt: number;
  /** Parent ids (all of them, drawn or not). */
  parents: string[];
  /** A one-word summary of the module's decision (verdict / decision / status / score / error code), or null. */
  verdict: string | null;
  result: unknown;
  fuel: string | null;
  module: string | null;
  logs: string[];
}

export interface GraphModel {
  nodes: GraphNode[];
  /** [parent index, child index] into `nodes`. */
  edges: [number, number][];
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

export function graphModel(store: Store, channel?: string): GraphModel {
  const nodes = store.topological(channel).map((c: CapsuleRecord): GraphNode => {
    const res = store.getResult(c.id);
    const out = res?.output ? decodeForDisplay(res.output) : null;
    const result = out?.encoding === 'json' ? out.value : out?.value ?? null;
    const verdict = res ? (res.outcome !== 'ok' ? res.outcome : verdictOf(result)) : null;
    return {
      id: toHex(c.id), kind: escapeControls(c.kind), author: toHex(c.author), status: c.status, channel: escapeControls(c.channel),
      createdAt: c.createdAt, parents: c.parents.map(toHex), verdict: verdict === null ? null : escapeControls(verdict), result,
      fuel: res ? res.fuel.toString() : null, module: res ? toHex(res.moduleId) : null, logs: res?.logs.map((l) => escapeControls(l)) ?? [],
    };
  });
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const edges = nodes.flatMap((n, i) => n.parents.filter((p) => index.has(p)).map((p): [number, number] => [index.get(p)!, i]));
  return { nodes, edges };
}
