/** `kapsule sync export|import|pair` and `kapsule graph`. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fromHex } from '../../bytes.ts';
import { KapsuleError, type ErrorCode } from '../../errors.ts';
import type { CryptoBackend } from '../../crypto/types.ts';
import { exportSnapshot } from '../../sync/index.ts';
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../graph/index.ts';
import { writeFileAtomic } from '../../fsutil.ts';
import { bool, req, str, usage, type ParsedArgs } from '../args.ts';
import { progress } from '../progress.ts';
import { runJob } from '../jobs.ts';
import type { CliIO, CommandResult } from '../io.ts';
import { openReadOnlyFromArgs } from '../store.ts';
import { escapeControls } from '../escape.ts';

/** --since: comma-separated capsule ids, or a JSON file with "heads" (a snapshot manifest or `kapsule heads --json`). */
function parseSince(io: CliIO, v: string | undefined): Uint8Array[] {
  if (v === undefined) return [];
  if (/^[0-9a-f]{64}(,[0-9a-f]{64})*$/.test(v)) return v.split(',').map(fromHex);
  let j: unknown;
  try { j = JSON.parse(readFileSync(resolve(io.cwd, v), 'utf8')); } catch {
    usage(`--since must be comma-separated capsule ids or a JSON file with "heads", got "${v}"`);
  }
  const heads = (j as { heads?: unknown }).heads;
  if (!Array.isArray(heads)) usage(`--since file ${v} has no "heads" array`);
  return heads.map((h) => fromHex(typeof h === 'string' ? h : String((h as { id?: string }).id)));
}

export function syncExportCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  const opened = openReadOnlyFromArgs(io, a);
  const store = opened.store;
  try {
    const { bytes, manifest } = exportSnapshot(b, store, { channel: str(a, 'channel'), since: parseSince(io, str(a, 'since')) });
    const out = resolve(io.cwd, req(a, 'out'));
    writeFileAtomic(out, bytes, 'sync');
    return {
      status: 0, json: { out, bytes: bytes.length, manifest },
      text: [
        `wrote ${manifest.capsules} capsule(s) and ${manifest.modules} module(s) to ${out} (${bytes.length} bytes)`,
        manifest.heads.length ? 'heads:' : 'heads: (none)',
        ...manifest.heads.map((h) => `#${escapeControls(h.channel)}  ${h.id}`),
      ].join('\n'),
    };
  } finally { opened.close(); }
}

/** What Ctrl-C during an import or a pair leaves behind, and how to go on. */
const RESUME = 'what was received is stored and logged; rerun the same command to resume (what is already stored comes back as duplicates)';

export async function syncImportCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): Promise<CommandResult> {
  if (a.positionals.length !== 1) usage('sync import expects exactly one <snapshot file>');
  const keyPath = str(a, 'key');
  const bar = progress(io, 'importing capsules', bool(a, 'json'));
  let r;
  try {
    r = await runJob(io, {
      kind: 'import', backend: b.name,
      params: { file: resolve(io.cwd, a.positionals[0]), db: resolve(io.cwd, req(a, 'db')), key: keyPath !== undefined ? resolve(io.cwd, keyPath) : null },
    }, (p) => bar.update(p.done, p.total, p.label), (p) => `interrupted with at least ${p?.done ?? 0} of ${p?.total ?? '?'} capsules imported: ${RESUME}`);
  } finally { bar.end(); }
  const bad = r.problems.length + r.rejected.length + r.modules.rejected.length;
  const text = [
    `imported ${a.positionals[0]}: modules +${r.modules.added} (${r.modules.present} present), capsules ${Object.entries(r.capsules).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    ...r.problems.map((p) => `  ${p.code} at byte ${p.offset}: ${p.message}`),
    ...r.rejected.map((x) => `  rejected ${x.id ?? '(unparsable)'} at byte ${x.offset}: ${x.code}`),
    ...r.modules.rejected.map((x) => `  module rejected at byte ${x.offset}: ${x.code} ${x.message}`),
  ].join('\n');
  const json = { manifest: r.manifest, modules: r.modules, capsules: r.capsules, rejected: r.rejected, problems: r.problems };
  if (bad === 0) return { status: 0, json, text };
  const code = (r.problems.length ? 'SNAPSHOT_INVALID' : (r.rejected[0] ?? r.modules.rejected[0]).code) as ErrorCode;
  return { status: 1, json, text, error: new KapsuleError(code, 'sync', `${bad} problem(s); everything valid was imported`) };
}

export async function syncPairCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): Promise<CommandResult> {
  const keyA = str(a, 'key');
  const keyB = str(a, 'peer-key') ?? keyA;
  const bar = progress(io, 'syncing', bool(a, 'json'));
  let r;
  try {
    r = await runJob(io, {
      kind: 'pair', backend: b.name,
      params: {
        db: resolve(io.cwd, req(a, 'db')), peer: resolve(io.cwd, req(a, 'peer')),
        key: keyA !== undefined ? resolve(io.cwd, keyA) : null, peerKey: keyB !== undefined ? resolve(io.cwd, keyB) : null,
      },
    }, (p) => bar.update(p.done, p.total, p.label), (p) => `interrupted${p ? ` while ${p.label} (${p.done} of ${p.total})` : ''}: ${RESUME}`);
  } finally { bar.end(); }
  return {
    status: 0, json: { ...r },
    text: `synced: ${r.aToB} capsule(s) and ${r.modulesAToB} module(s) → peer, ${r.bToA} capsule(s) and ${r.modulesBToA} module(s) ← peer (${r.questions} have/want questions)`,
  };
}

export async function graphCommand(io: CliIO, a: ParsedArgs): Promise<CommandResult> {
  const format = (str(a, 'format') ?? 'dot') as GraphFormat;
  if (!GRAPH_FORMATS.includes(format)) usage(`--format must be dot, mermaid or html, got "${format}"`);
  const opened = openReadOnlyFromArgs(io, a);
  const store = opened.store;
  try {
    const text = await renderGraph(store, format, str(a, 'channel'));
    const outPath = str(a, 'out');
    if (outPath !== undefined) {
      const out = resolve(io.cwd, outPath);
      writeFileAtomic(out, text, 'cli');
      return { status: 0, json: { out, format, bytes: Buffer.byteLength(text) }, text: `wrote ${format} graph to ${out}` };
    }
    return { status: 0, json: { format, graph: text }, text };
  } finally { opened.close(); }
}
