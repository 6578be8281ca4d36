/**
 * The layout of the DAG page (host/src/cli/graph/layout.ts), on random threads: trees (the linear pass) and threads
 * with merges (dagre) alike are layered — every parent above its children — with no two capsules overlapping and
 * every capsule inside its component's box.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutDag, NODE_H, NODE_W } from '../../host/src/cli/graph/layout.ts';
import type { GraphModel, GraphNode } from '../../host/src/cli/graph/model.ts';

function thread(seed: number, size: number, mergeRate: number): GraphModel {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const node = (i: number): GraphNode => ({ id: String(i).padStart(64, '0'), kind: 'post', author: '', status: 'stored', channel: '', createdAt: i, parents: [], verdict: null, result: null, fuel: null, module: null, logs: [] });
  const nodes = Array.from({ length: size }, (_, i) => node(i));
  const edges: [number, number][] = [];
  for (let i = 1; i < size; i++) {
    const p = Math.floor(rnd() * i);
    edges.push([p, i]);
    const q = Math.floor(rnd() * i);
    if (i > 2 && q !== p && rnd() < mergeRate) edges.push([q, i]);
  }
  return { nodes, edges };
}

test('trees and merging threads: layered, no overlaps, inside their component', () => {
  let trees = 0, dags = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const m = thread(seed, 2 + (seed * 7) % 60, seed % 2 ? 0 : 0.2);
    if (m.edges.length === m.nodes.length - 1) trees++; else dags++;
    const L = layoutDag(m);
    assert.equal(L.components.length, 1);
    const c = L.components[0];
    for (const [p, k] of m.edges) assert.ok(L.y[k] >= L.y[p] + NODE_H, `seed ${seed}: child ${k} below parent ${p}`);
    for (let i = 0; i < m.nodes.length; i++) {
      assert.ok(L.x[i] >= -0.5 && L.y[i] >= -0.5 && L.x[i] + NODE_W <= c.width + 0.5 && L.y[i] + NODE_H <= c.height + 0.5, `seed ${seed}: node ${i} inside`);
      for (let j = i + 1; j < m.nodes.length; j++) {
        const apart = L.x[i] + NODE_W <= L.x[j] + 0.5 || L.x[j] + NODE_W <= L.x[i] + 0.5 || L.y[i] + NODE_H <= L.y[j] + 0.5 || L.y[j] + NODE_H <= L.y[i] + 0.5;
        assert.ok(apart, `seed ${seed}: nodes ${i} and ${j} overlap`);
      }
    }
  }
  assert.ok(trees > 10 && dags > 10, `${trees} trees, ${dags} threads with merges`);
});

test('components are laid out apart, each from its own origin', () => {
  const a = thread(3, 12, 0), b = thread(4, 9, 0.3);
  const m: GraphModel = { nodes: [...a.nodes, ...b.nodes], edges: [...a.edges, ...b.edges.map(([p, c]): [number, number] => [p + 12, c + 12])] };
  const L = layoutDag(m);
  assert.equal(L.components.length, 2);
  assert.deepEqual(L.components.map((c) => c.nodes.length), [12, 9]);
  for (const c of L.components) assert.equal(Math.min(...c.nodes.map((i) => L.y[i])), 0, 'each component starts at its top');
});
