/**
 * The script of the DAG page (html.ts inlines `graphPage.toString()`): it runs in the browser and may use nothing
 * outside its own body. Written in TypeScript so that it is type-checked like the rest; tsx's transform adds
 * `__name(...)` calls to named functions, which the page defines as a no-op before this function.
 *
 * It draws on one canvas (10,000 SVG nodes would be 40,000 DOM elements to re-render on every zoom step): nodes
 * outside the view are skipped, labels appear only when they are large enough to read, edges are one path. The
 * components are packed into rows here (layout.ts laid each out); a filter hides nodes and re-packs the components
 * that still show something, so a filtered view is compact.
 *
 * `window.kapsuleGraph` exposes the state for tests and scripts (counts, where a node is on screen, fit, select).
 */

/** The JSON the page carries (html.ts writes it). Parallel arrays per node keep 10,000 capsules small. */
export interface PageData {
  v: 1;
  title: string;
  node: [number, number];
  strings: { kind: string[]; channel: string[]; author: string[]; status: string[]; verdict: string[]; module: string[] };
  id: string[];
  kind: number[]; channel: number[]; author: number[]; status: number[]; verdict: number[]; module: number[];
  created: number[]; fuel: (string | null)[];
  comp: number[]; x: number[]; y: number[];
  comps: [number, number][];
  /** Flat [parent, child, parent, child, ...]. */
  edges: number[];
  /** Bend points of edges that skip ranks, by edge index. */
  bends: Record<string, number[]>;
  /** Result and logs of nodes that ran a module, by node index. */
  extra: Record<string, { result: unknown; logs: string[] }>;
}

export function graphPage(): void {
  const D = JSON.parse(document.getElementById('kapsule-data')!.textContent!) as PageData;
  const t0 = performance.now();
  const N = D.id.length;
  const [W, H] = D.node;
  const GAP = 48;
  // status colours: light fills under readable labels, saturated dots when zoomed out (page legend = the dots)
  const FILL: Record<string, string> = { executed: '#c8ecd4', stored: '#e3ebfa', 'not-recipient': '#dcdcdc' };
  const DOT: Record<string, string> = { executed: '#2f9e5f', stored: '#4a74c9', 'not-recipient': '#8c929a' };
  const OTHER_FILL = '#fff1c2', OTHER_DOT = '#d19a00';
  const BG = '#eef0f3';
  const canvas = document.getElementById('view') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const details = document.getElementById('details')!;
  const countEl = document.getElementById('count')!;
  const matchesEl = document.getElementById('matches')!;
  const search = document.getElementById('search') as HTMLInputElement;

  // --- graph structure
  const children: number[][] = Array.from({ length: N }, () => []);
  const parentsIn: number[][] = Array.from({ length: N }, () => []);
  for (let e = 0; e < D.edges.length; e += 2) { children[D.edges[e]].push(D.edges[e + 1]); parentsIn[D.edges[e + 1]].push(D.edges[e]); }
  const index = new Map(D.id.map((id, i) => [id, i]));

  // --- filters
  const FILTERS = ['channel', 'kind', 'author', 'status', 'verdict'] as const;
  type Filter = typeof FILTERS[number];
  const chosen: Record<Filter, number> = { channel: -1, kind: -1, author: -1, status: -1, verdict: -2 };
  const shown = new Uint8Array(N);
  const compShown = new Uint8Array(D.comps.length);
  let shownCount = 0;
  const valueOf = (f: Filter, i: number) => D[f][i];
  for (const f of FILTERS) {
    const sel = document.getElementById(`f-${f}`) as HTMLSelectElement;
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) counts.set(valueOf(f, i), (counts.get(valueOf(f, i)) ?? 0) + 1);
    const opt = (value: string, text: string) => { const o = document.createElement('option'); o.value = value; o.textContent = text; sel.appendChild(o); };
    opt(f === 'verdict' ? '-2' : '-1', `all ${f === 'author' ? 'authors' : f === 'status' ? 'statuses' : f + 's'}`);
    const keys = [...counts.keys()].sort((a, b) => (counts.get(b)! - counts.get(a)!) || a - b);
    for (const k of keys) {
      const name = k < 0 ? '(none)' : f === 'author' ? D.strings.author[k].slice(0, 16) : D.strings[f][k] === '' ? '(empty)' : D.strings[f][k];
      opt(String(k), `${name} (${counts.get(k)})`);
    }
    sel.addEventListener('change', () => { chosen[f] = Number(sel.value); applyFilters(true); });
  }
  function applyFilters(refit: boolean): void {
    shownCount = 0;
    compShown.fill(0);
    for (let i = 0; i < N; i++) {
      let ok = 1;
      for (const f of FILTERS) {
        const want = chosen[f];
        if (want !== (f === 'verdict' ? -2 : -1) && valueOf(f, i) !== want) { ok = 0; break; }
      }
      shown[i] = ok;
      if (ok) { shownCount++; compShown[D.comp[i]] = 1; }
    }
    pack();
    countEl.textContent = `${shownCount} of ${N} capsule${N === 1 ? '' : 's'} shown`;
    if (selected >= 0 && !shown[selected]) select(-1);
    runSearch();
    if (refit) fit(); else draw();
  }

  // --- packing of components into rows
  const compX = new Float64Array(D.comps.length);
  const compY = new Float64Array(D.comps.length);
  let worldW = 0, worldH = 0;
  /** Shelf packing in creation order; the row width is tuned (a few passes) to the canvas's aspect ratio. */
  function pack(): void {
    let area = 0, widest = 0;
    D.comps.forEach(([w, h], c) => { if (compShown[c]) { area += (w + GAP) * (h + GAP); widest = Math.max(widest, w); } });
    const aspect = Math.max(0.5, (canvas.clientWidth || 1200) / (canvas.clientHeight || 800));
    let target = Math.max(widest, Math.sqrt(area * aspect));
    for (let pass = 0; pass < 4; pass++) {
      let x = 0, y = 0, rowH = 0;
      worldW = 0;
      D.comps.forEach(([w, h], c) => {
        if (!compShown[c]) return;
        if (x > 0 && x + w > target) { x = 0; y += rowH + GAP; rowH = 0; }
        compX[c] = x; compY[c] = y;
        x += w + GAP; rowH = Math.max(rowH, h); worldW = Math.max(worldW, x - GAP);
      });
      worldH = y + rowH;
      const got = worldW / Math.max(1, worldH);
      if (worldH <= 0 || Math.abs(got / aspect - 1) < 0.1 || target <= widest) break;
      target = Math.max(widest, target * Math.sqrt(aspect / got));
    }
  }
  const nx = (i: number) => compX[D.comp[i]] + D.x[i];
  const ny = (i: number) => compY[D.comp[i]] + D.y[i];

  // --- view
  let s = 1, tx = 0, ty = 0;
  let selected = -1;
  let matches: number[] = [];
  let matchAt = -1;
  const kindColor = D.strings.kind.map((k) => {
    let h = 0;
    for (let j = 0; j < k.length; j++) h = (h * 31 + k.charCodeAt(j)) >>> 0;
    return `hsl(${h % 360}, 62%, 46%)`;
  });
  function resize(): void {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  }
  function fit(): void {
    const w = canvas.clientWidth, h = canvas.clientHeight, pad = 24;
    if (worldW <= 0 || worldH <= 0) { s = 1; tx = pad; ty = pad; draw(); return; }
    s = Math.min((w - 2 * pad) / worldW, (h - 2 * pad) / worldH, 1.5);
    tx = (w - worldW * s) / 2;
    ty = (h - worldH * s) / 2;
    draw();
  }
  function zoomAt(px: number, py: number, factor: number): void {
    const ns = Math.min(4, Math.max(0.002, s * factor));
    tx = px - ((px - tx) * ns) / s;
    ty = py - ((py - ty) * ns) / s;
    s = ns;
    draw();
  }
  function centerOn(i: number, scale = Math.max(s, 0.8)): void {
    s = scale;
    tx = canvas.clientWidth / 2 - (nx(i) + W / 2) * s;
    ty = canvas.clientHeight / 2 - (ny(i) + H / 2) * s;
    draw();
  }
  function draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = BG;
    ctx.fillRect(0, 0, w, h);
    ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * tx, dpr * ty);
    const x0 = -tx / s, y0 = -ty / s, x1 = (w - tx) / s, y1 = (h - ty) / s;
    const inView = (x: number, y: number, xw: number, yh: number) => x + xw >= x0 && x <= x1 && y + yh >= y0 && y <= y1;
    // edges: parent's bottom centre → (bends) → child's top centre
    ctx.beginPath();
    for (let e = 0; e < D.edges.length; e += 2) {
      const p = D.edges[e], c = D.edges[e + 1];
      if (!shown[p] || !shown[c]) continue;
      const ax = nx(p) + W / 2, ay = ny(p) + H, bx = nx(c) + W / 2, by = ny(c);
      if (!inView(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay))) continue;
      ctx.moveTo(ax, ay);
      const bend = D.bends[e / 2];
      if (bend) { const ox = compX[D.comp[p]], oy = compY[D.comp[p]]; for (let k = 0; k < bend.length; k += 2) ctx.lineTo(ox + bend[k], oy + bend[k + 1]); }
      ctx.lineTo(bx, by);
    }
    const px = s * W;
    const detailed = px >= 14;
    ctx.strokeStyle = detailed ? '#8a93a3' : 'rgba(138, 147, 163, 0.45)';
    ctx.lineWidth = 1 / s;
    ctx.stroke();
    // nodes
    const labels = s >= 0.45;
    ctx.lineWidth = 1 / s;
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'alphabetic';
    for (let i = 0; i < N; i++) {
      if (!shown[i]) continue;
      const x = nx(i), y = ny(i);
      if (!inView(x, y, W, H)) continue;
      const status = D.strings.status[D.status[i]];
      if (!detailed) { ctx.fillStyle = DOT[status] ?? OTHER_DOT; ctx.fillRect(x, y, Math.max(W, 2 / s), Math.max(H, 2 / s)); continue; }
      ctx.fillStyle = FILL[status] ?? OTHER_FILL;
      ctx.beginPath();
      ctx.roundRect(x, y, W, H, 8);
      ctx.fill();
      ctx.strokeStyle = '#5a6270';
      ctx.stroke();
      ctx.fillStyle = kindColor[D.kind[i]];
      ctx.fillRect(x, y + 8, 5, H - 16);
      if (labels) {
        ctx.fillStyle = '#1d2430';
        ctx.font = 'bold 12px system-ui, sans-serif';
        ctx.fillText(`${D.strings.kind[D.kind[i]]} ${D.id[i].slice(0, 8)}`, x + 12, y + 19, W - 18);
        ctx.font = '12px system-ui, sans-serif';
        ctx.fillText(`by ${D.strings.author[D.author[i]].slice(0, 8)}  #${D.strings.channel[D.channel[i]]}`, x + 12, y + 37, W - 18);
        ctx.fillStyle = '#4a5260';
        ctx.fillText(D.verdict[i] >= 0 ? D.strings.verdict[D.verdict[i]] : D.strings.status[D.status[i]], x + 12, y + 54, W - 18);
      }
    }
    // search matches and the selection on top
    const ring = (i: number, color: string, width: number) => {
      if (!shown[i]) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = Math.max(width / s, width);
      ctx.strokeRect(nx(i) - 3 / s, ny(i) - 3 / s, W + 6 / s, H + 6 / s);
    };
    for (const i of matches) ring(i, '#f08c00', 2.5);
    if (selected >= 0) ring(selected, '#d62d2d', 3);
  }

  // --- details
  function line(label: string, value: string | Node): void {
    const row = document.createElement('div');
    row.className = 'row';
    const k = document.createElement('span');
    k.className = 'k';
    k.textContent = label;
    row.appendChild(k);
    const v = document.createElement('span');
    v.className = 'v';
    if (typeof value === 'string') v.textContent = value; else v.appendChild(value);
    row.appendChild(v);
    details.appendChild(row);
  }
  function links(ids: number[], missing: string[]): Node {
    const box = document.createElement('span');
    for (const j of ids) {
      const a = document.createElement('button');
      a.className = 'link';
      a.textContent = D.id[j].slice(0, 16) + '…';
      a.title = D.id[j];
      a.addEventListener('click', () => { select(j); centerOn(j); });
      box.appendChild(a);
    }
    for (const m of missing) { const t = document.createElement('code'); t.textContent = m.slice(0, 16) + '… (not drawn)'; box.appendChild(t); }
    if (!ids.length && !missing.length) box.textContent = '(none)';
    return box;
  }
  function select(i: number): void {
    selected = i;
    details.textContent = '';
    if (i < 0) {
      const p = document.createElement('p');
      p.textContent = 'Click a capsule for its details. Drag to pan, wheel to zoom, F to fit.';
      details.appendChild(p);
      draw();
      return;
    }
    const h = document.createElement('h3');
    h.textContent = `${D.strings.kind[D.kind[i]]} ${D.id[i].slice(0, 8)}`;
    details.appendChild(h);
    line('id', D.id[i]);
    line('status', D.strings.status[D.status[i]]);
    line('channel', D.strings.channel[D.channel[i]] || '(empty)');
    line('author', D.strings.author[D.author[i]]);
    line('created', new Date(D.created[i]).toISOString());
    const drawnParents = parentsIn[i];
    line('parents', links(drawnParents, []));
    line('children', links(children[i], []));
    if (D.module[i] >= 0) line('module', D.strings.module[D.module[i]]);
    if (D.fuel[i] !== null) line('fuel', String(D.fuel[i]));
    if (D.verdict[i] >= 0) line('verdict', D.strings.verdict[D.verdict[i]]);
    const x = D.extra[String(i)];
    if (x) {
      const pre = document.createElement('pre');
      pre.textContent = typeof x.result === 'string' ? x.result : JSON.stringify(x.result, null, 2);
      line('result', pre);
      if (x.logs.length) { const l = document.createElement('pre'); l.textContent = x.logs.join('\n'); line('logs', l); }
    }
    const cmd = document.createElement('code');
    cmd.textContent = `kapsule show ${D.id[i]} --db <store>`;
    line('more', cmd);
    draw();
  }

  // --- search by id prefix
  function runSearch(): void {
    const q = search.value.trim().toLowerCase();
    matches = [];
    matchAt = -1;
    if (/^[0-9a-f]+$/.test(q)) for (let i = 0; i < N; i++) if (shown[i] && D.id[i].startsWith(q)) matches.push(i);
    matchesEl.textContent = q === '' ? '' : /^[0-9a-f]+$/.test(q) ? `${matches.length} match${matches.length === 1 ? '' : 'es'}` : 'ids are hex';
  }
  function nextMatch(): void {
    if (!matches.length) return;
    matchAt = (matchAt + 1) % matches.length;
    select(matches[matchAt]);
    centerOn(matches[matchAt]);
  }
  search.addEventListener('input', () => {
    runSearch();
    if (matches.length === 1) nextMatch(); else draw();
  });
  search.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') nextMatch(); });

  // --- pointer: drag pans, a click without drag selects, the wheel zooms at the cursor
  let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
  canvas.addEventListener('pointerdown', (ev) => { drag = { x: ev.clientX, y: ev.clientY, tx, ty, moved: false }; canvas.setPointerCapture(ev.pointerId); });
  canvas.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { tx = drag.tx + dx; ty = drag.ty + dy; draw(); }
  });
  canvas.addEventListener('pointerup', (ev) => {
    const d = drag;
    drag = null;
    if (!d || d.moved) return;
    const r = canvas.getBoundingClientRect();
    const wx = (ev.clientX - r.left - tx) / s, wy = (ev.clientY - r.top - ty) / s;
    let hit = -1;
    for (let i = N - 1; i >= 0 && hit < 0; i--) if (shown[i] && wx >= nx(i) && wx <= nx(i) + W && wy >= ny(i) && wy <= ny(i) + H) hit = i;
    select(hit);
  });
  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.pow(1.0015, -ev.deltaY));
  }, { passive: false });
  const centre = () => [canvas.clientWidth / 2, canvas.clientHeight / 2] as const;
  document.getElementById('fit')!.addEventListener('click', fit);
  document.getElementById('zoom-in')!.addEventListener('click', () => zoomAt(...centre(), 1.4));
  document.getElementById('zoom-out')!.addEventListener('click', () => zoomAt(...centre(), 1 / 1.4));
  document.getElementById('reset')!.addEventListener('click', () => {
    for (const f of FILTERS) { chosen[f] = f === 'verdict' ? -2 : -1; (document.getElementById(`f-${f}`) as HTMLSelectElement).value = String(chosen[f]); }
    search.value = '';
    applyFilters(true);
  });
  window.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.key === 'f' || ev.key === 'F') fit();
    else if (ev.key === '+' || ev.key === '=') zoomAt(...centre(), 1.4);
    else if (ev.key === '-') zoomAt(...centre(), 1 / 1.4);
  });
  new ResizeObserver(() => { resize(); draw(); }).observe(canvas);

  resize();
  select(-1);
  applyFilters(true);
  const api = {
    ready: true,
    /** ms from the script's start to the first full drawing. */
    renderMs: performance.now() - t0,
    total: N,
    edges: D.edges.length / 2,
    shown: () => shownCount,
    scale: () => s,
    selected: () => (selected >= 0 ? D.id[selected] : null),
    /** Where a node is drawn, in CSS pixels relative to the page, or null when it is hidden. */
    screenBox: (id: string) => {
      const i = index.get(id);
      if (i === undefined || !shown[i]) return null;
      const r = canvas.getBoundingClientRect();
      return { x: r.left + tx + nx(i) * s, y: r.top + ty + ny(i) * s, w: W * s, h: H * s };
    },
    fit, centerOn: (id: string) => { const i = index.get(id); if (i !== undefined) centerOn(i); },
  };
  (window as unknown as { kapsuleGraph: typeof api }).kapsuleGraph = api;
}
