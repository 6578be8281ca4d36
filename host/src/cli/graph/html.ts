/**
 * `kapsule graph --format html`: one self-contained page (no network: a Content-Security-Policy forbids every fetch)
 * with the layered layout (layout.ts), the data as JSON, and the page script (page.ts): pan, zoom, fit, filters by
 * channel, kind, author, status and verdict, search by id prefix, details on click.
 */
import type { GraphModel } from './model.ts';
import { layoutDag, NODE_H, NODE_W } from './layout.ts';
import { graphPage, type PageData } from './page.ts';

/** A module's result is kept in the page up to this size (JSON); beyond, a note says to use `kapsule show`. */
const MAX_RESULT_CHARS = 2000;

function interner(): { of(s: string): number; list: string[] } {
  const list: string[] = [];
  const at = new Map<string, number>();
  return {
    list,
    of(s) {
      let i = at.get(s);
      if (i === undefined) { i = list.length; list.push(s); at.set(s, i); }
      return i;
    },
  };
}

export function pageData(m: GraphModel, title: string): PageData {
  const L = layoutDag(m);
  const S = { kind: interner(), channel: interner(), author: interner(), status: interner(), verdict: interner(), module: interner() };
  const extra: PageData['extra'] = {};
  m.nodes.forEach((n, i) => {
    if (n.result === null && n.logs.length === 0) return;
    const json = typeof n.result === 'string' ? n.result : JSON.stringify(n.result);
    extra[String(i)] = {
      result: json !== undefined && json.length > MAX_RESULT_CHARS ? `${json.slice(0, MAX_RESULT_CHARS)}… (${json.length} characters: see kapsule show)` : n.result,
      logs: n.logs.slice(0, 50),
    };
  });
  const bends: PageData['bends'] = {};
  L.bends.forEach((b, e) => { if (b.length) bends[String(e)] = b; });
  return {
    v: 1, title, node: [NODE_W, NODE_H],
    strings: { kind: S.kind.list, channel: S.channel.list, author: S.author.list, status: S.status.list, verdict: S.verdict.list, module: S.module.list },
    id: m.nodes.map((n) => n.id),
    kind: m.nodes.map((n) => S.kind.of(n.kind)),
    channel: m.nodes.map((n) => S.channel.of(n.channel)),
    author: m.nodes.map((n) => S.author.of(n.author)),
    status: m.nodes.map((n) => S.status.of(n.status)),
    verdict: m.nodes.map((n) => (n.verdict === null ? -1 : S.verdict.of(n.verdict))),
    module: m.nodes.map((n) => (n.module === null ? -1 : S.module.of(n.module))),
    created: m.nodes.map((n) => n.createdAt),
    fuel: m.nodes.map((n) => n.fuel),
    comp: Array.from(L.comp),
    x: Array.from(L.x, Math.round),
    y: Array.from(L.y, Math.round),
    comps: L.components.map((c) => [Math.ceil(c.width), Math.ceil(c.height)]),
    edges: m.edges.flat(),
    bends, extra,
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderHtml(m: GraphModel, channel?: string): string {
  const title = `kapsule DAG — ${m.nodes.length} capsule${m.nodes.length === 1 ? '' : 's'}, ${m.edges.length} edge${m.edges.length === 1 ? '' : 's'}${channel !== undefined ? ` — #${channel}` : ''}`;
  // inside <script>, "</" must not appear: \u003c is the same JSON
  const data = JSON.stringify(pageData(m, title)).replace(/</g, '\\u003c');
  const select = (f: string, label: string) => `<label>${label} <select id="f-${f}"></select></label>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
*{box-sizing:border-box}html,body{margin:0;height:100%;font:13px system-ui,sans-serif;color:#1d2430}
body{display:grid;grid-template-rows:auto 1fr;grid-template-columns:1fr 360px;height:100vh}
header{grid-column:1/3;display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;padding:8px 12px;border-bottom:1px solid #ccd;background:#fafbfc}
header h1{font-size:14px;margin:0 8px 0 0}header select,header input{font:inherit}#search{width:170px;font-family:ui-monospace,monospace}
#matches,#count{color:#555}main{position:relative;min-width:0;min-height:0}#view{display:block;width:100%;height:100%;cursor:grab;touch-action:none}
#details{border-left:1px solid #ccd;padding:10px 12px;overflow:auto;background:#fff}#details h3{margin:4px 0 10px}
.row{display:grid;grid-template-columns:70px 1fr;gap:6px;margin:0 0 6px}.k{color:#666}.v{word-break:break-all}
pre{white-space:pre-wrap;word-break:break-all;margin:0;background:#f6f7f9;padding:6px;border-radius:4px;max-height:320px;overflow:auto}
.link{font:12px ui-monospace,monospace;border:0;background:none;color:#1a5fb4;cursor:pointer;padding:0 6px 0 0}
.legend span{display:inline-block;width:12px;height:12px;border:1px solid #5a6270;border-radius:3px;vertical-align:-2px;margin:0 3px 0 8px}
</style></head><body>
<header>
<h1>${esc(title)}</h1>
<label>id <input id="search" placeholder="id prefix, Enter: next" autocomplete="off" spellcheck="false"></label><span id="matches"></span>
${select('channel', 'channel')} ${select('kind', 'kind')} ${select('author', 'author')} ${select('status', 'status')} ${select('verdict', 'verdict')}
<button id="fit" title="fit (F)">fit</button><button id="zoom-out" title="zoom out (-)">−</button><button id="zoom-in" title="zoom in (+)">+</button><button id="reset">reset</button>
<span id="count"></span>
<span class="legend"><span style="background:#2f9e5f"></span>executed<span style="background:#4a74c9"></span>stored<span style="background:#8c929a"></span>not recipient</span>
</header>
<main><canvas id="view" role="img" aria-label="${esc(title)}"></canvas></main>
<aside id="details"></aside>
<script type="application/json" id="kapsule-data">${data}</script>
<script>
var __name = function (f) { return f; };
(${graphPage.toString()})();
</script>
</body></html>
`;
}
