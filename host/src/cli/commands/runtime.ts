/** Commands over a store: module add, run, ingest, ls, show, orphans, heads. */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toHex } from '../../bytes.ts';
import { KapsuleError, type ErrorCode } from '../../errors.ts';
import type { CryptoBackend } from '../../crypto/types.ts';
import { openRuntime } from '../../node.ts';
import type { Runtime } from '../../runtime.ts';
import type { IngestResult } from '../../pipeline.ts';
import { PrecheckPool } from '../../verify/pool.ts';
import type { CapsuleRecord } from '../../store/types.ts';
import { parseCapsule } from '../../parse/capsule.ts';
import { bool, list, req, str, int, usage, type ParsedArgs } from '../args.ts';
import type { CliIO, CommandResult } from '../io.ts';
import { decodeForDisplay, describeCapsule, displayOutput, renderText } from '../describe.ts';
import { escapeControls } from '../escape.ts';
import { progress } from '../progress.ts';
import { readInput } from './inspect.ts';
import { withReadOnlyRuntime } from '../store.ts';

function openFromArgs(io: CliIO, a: ParsedArgs, b: CryptoBackend, needKey: boolean): Runtime {
  const keyPath = str(a, 'key');
  if (needKey && keyPath === undefined) usage('--key <keyfile> is required');
  return openRuntime({
    db: resolve(io.cwd, req(a, 'db')), backend: b,
    identity: keyPath !== undefined ? resolve(io.cwd, keyPath) : null,
  });
}

export function withRuntime<T>(io: CliIO, a: ParsedArgs, b: CryptoBackend, needKey: boolean, f: (rt: Runtime) => T): T {
  const rt = openFromArgs(io, a, b, needKey);
  try { return f(rt); } finally { rt.close(); }
}

async function withRuntimeAsync<T>(io: CliIO, a: ParsedArgs, b: CryptoBackend, needKey: boolean, f: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = openFromArgs(io, a, b, needKey);
  try { return await f(rt); } finally { rt.close(); }
}

function listFiles(io: CliIO, paths: string[], ext: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    let st;
    try { st = statSync(abs); } catch { throw new KapsuleError('IO_ERROR', 'receive', `cannot read ${p}: no such file or directory`); }
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) if (name.endsWith(ext)) out.push(join(abs, name));
    } else out.push(abs);
  }
  return out;
}

function addModulesFrom(io: CliIO, rt: Runtime, dir: string | undefined): { id: string; name: string; added: boolean }[] {
  if (dir === undefined) return [];
  return listFiles(io, [dir], '.kmod').map((f) => rt.addModule(readInput(io, f)));
}

export function moduleAddCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  if (a.positionals.length === 0) usage('module add expects one or more <file.kmod>');
  return withRuntime(io, a, b, false, (rt) => {
    const added = a.positionals.map((f) => ({ file: f, ...rt.addModule(readInput(io, f)) }));
    return {
      status: 0, json: { modules: added },
      text: added.map((m) => `${m.added ? 'added' : 'present'}  ${m.name}@${m.version}  ${m.id}`).join('\n'),
    };
  });
}

function resultJson(r: IngestResult): Record<string, unknown> {
  const o: Record<string, unknown> = { id: r.id, status: r.status };
  if (r.kind !== undefined) o.kind = r.kind;
  if (r.module !== undefined) o.module = r.module;
  if (r.fuel !== undefined) o.fuel = r.fuel;
  if (r.output !== undefined) {
    const d = decodeForDisplay(r.output);
    o.result = d.value;
    o.result_encoding = d.encoding;
  }
  if (r.logs?.length) o.logs = r.logs;
  if (r.missing) o.missing = r.missing;
  if (r.error) o.error = r.error.toJSON();
  if (r.resolved?.length) o.resolved = r.resolved.map(resultJson);
  return o;
}

/** The text block of one ingest result. A top-level error is not repeated here: it is the one line on stderr. */
function resultText(r: IngestResult, nested = false): string {
  const lines = [`id      ${r.id ?? '(unparsable)'}`, `status  ${r.status}`];
  if (r.kind) lines.push(`kind    ${escapeControls(r.kind)}`);
  if (r.module) lines.push(`module  ${r.module}`);
  if (r.fuel !== undefined) lines.push(`fuel    ${r.fuel}`);
  if (r.output !== undefined) lines.push(`result  ${escapeControls(displayOutput(r.output))}`);
  for (const l of r.logs ?? []) lines.push(`log     ${escapeControls(l)}`);
  if (r.missing) lines.push(`waiting for parents: ${r.missing.join(', ')}`);
  if (r.error && nested) lines.push(`error   ${r.error.code} (${r.error.stage}): ${escapeControls(r.error.message)}`);
  for (const x of r.resolved ?? []) lines.push(`resolved orphan ${x.id}: ${x.status}${x.error ? ' ' + x.error.code : ''}`);
  return lines.join('\n');
}

/** Exit status 1: rejected, its run failed, its stanza did not open, or its run could not complete (TIMEOUT). */
function failedStatus(r: IngestResult): boolean {
  return r.status === 'rejected' || r.status === 'failed' || r.status === 'undecryptable' || (r.status === 'pending' && r.error !== undefined);
}

export function runCommandImpl(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  if (a.positionals.length !== 1) usage('run expects exactly one <file.kapsule>');
  const bytes = readInput(io, a.positionals[0]);
  return withRuntime(io, a, b, true, (rt) => {
    addModulesFrom(io, rt, str(a, 'modules'));
    const nowArg = str(a, 'now');
    if (nowArg !== undefined && !/^\d+$/.test(nowArg)) usage('--now must be milliseconds since the epoch');
    const r = rt.ingest(bytes, nowArg !== undefined ? { now: BigInt(nowArg) } : {});
    rt.checkpoint();
    const status = failedStatus(r) ? 1 : 0;
    return { status, json: resultJson(r), text: resultText(r), error: r.error };
  });
}

export async function ingestCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): Promise<CommandResult> {
  if (a.positionals.length === 0) usage('ingest expects one or more <file|dir>');
  const workers = int(a, 'workers', 0, 64) ?? 0;
  const files = listFiles(io, a.positionals, '.kapsule');
  return withRuntimeAsync(io, a, b, false, async (rt) => {
    addModulesFrom(io, rt, str(a, 'modules'));
    const counts: Record<string, number> = {};
    const rejected: Record<string, number> = {};
    const items: Record<string, unknown>[] = [];
    const quiet = bool(a, 'json');
    const bar = progress(io, 'ingesting', quiet);
    const t0 = performance.now();
    let anyFailed = false;
    const tally = (r: IngestResult) => {
      counts[r.status] = (counts[r.status] ?? 0) + 1;
      if (failedStatus(r)) anyFailed = true;
      if (r.error) rejected[r.error.code] = (rejected[r.error.code] ?? 0) + 1;
      for (const x of r.resolved ?? []) tally(x);
    };
    // progress while capsules are accepted; each one's line once the batch has run in canonical order
    const onAccepted = (n: number) => { if (io.isTTY && !quiet) bar.update(n, files.length); };
    const onEach = (r: IngestResult, i: number) => {
      tally(r);
      items.push({ file: files[i], ...resultJson(r) });
      if (!io.isTTY && !quiet) io.out(escapeControls(`${r.status.padEnd(13)} ${r.id ?? '-'}  ${files[i]}${r.error ? `  ${r.error.code}` : ''}`) + '\n');
    };
    // Ctrl-C: stop reading files; the capsules already read are stored and the batch checkpointed, then we say how
    // to resume. The reader yields to the event loop between chunks so that the signal is seen.
    let interrupted = false;
    const stopListening = io.onInterrupt?.(() => { interrupted = true; });
    const CHUNK = workers > 0 ? 64 : 256;
    const inputs = (async function* () {
      for (const [i, f] of files.entries()) {
        if (interrupted) return;
        if (i > 0 && i % CHUNK === 0) await new Promise((r) => setImmediate(r));
        yield readInput(io, f);
      }
    })();
    // --workers N: verification and decryption run on N worker threads ahead of the store (same results)
    const id = rt.opts.identity;
    const pool = workers > 0
      ? new PrecheckPool({ workers, backend: b.name, enc: id ? { encSecret: id.encSecret, encPublic: id.encPublic } : null })
      : null;
    // workers that cannot start are an error, not a quiet run on one thread (a worker that dies later is reported below)
    if (pool) await pool.ready().catch(async (e) => { stopListening?.(); bar.end(); await pool.close(); throw e; });
    try {
      // without a pool nothing is gained by reading ahead (ahead 0): each chunk is stored as soon as it is read
      await rt.ingestMany(inputs, pool ? { precheck: (x) => pool.submit(x), onEach, onAccepted } : { chunk: CHUNK, ahead: 0, onEach, onAccepted });
    } finally {
      stopListening?.();
      bar.end();
      await pool?.ready(); // so the summary can say what every worker ran
      await pool?.close();
    }
    if (pool?.failure) io.err(`warning: the precheck workers stopped (${pool.failure.message}); the rest was ingested on one thread\n`);
    const secs = (performance.now() - t0) / 1000;
    const pending = rt.orphans().length;
    const summary = {
      files: files.length, workers, backend: b.name, worker_backends: pool?.backends ?? [], counts, rejected_by_code: rejected, pending_orphans: pending,
      seconds: Number(secs.toFixed(3)), capsules_per_second: Number((items.length / Math.max(secs, 1e-9)).toFixed(1)),
      ...(interrupted ? { ingested: items.length } : {}),
    };
    const text = [
      `ingested ${items.length === files.length ? '' : `${items.length} of `}${files.length} capsule file(s) in ${secs.toFixed(2)} s (${summary.capsules_per_second}/s)`,
      ...Object.entries(counts).sort().map(([k, v]) => `  ${k.padEnd(14)} ${v}`),
      ...Object.entries(rejected).sort().map(([k, v]) => `  rejected ${k}: ${v}`),
      `  pending orphans ${pending}`,
    ].join('\n');
    if (interrupted) {
      const err = new KapsuleError('INTERRUPTED', 'cli',
        `interrupted after ${items.length} of ${files.length} capsule files: those are stored, logged and checkpointed; rerun the same command to resume (they come back as duplicates)`,
        { done: items.length, total: files.length });
      return { status: 130, json: { summary, capsules: items }, text, error: err };
    }
    const failedCodes = Object.entries(rejected).sort().map(([k, v]) => `${k} ×${v}`).join(', ');
    const diagnostics = anyFailed
      ? [`${(counts.rejected ?? 0) + (counts.failed ?? 0) + (counts.undecryptable ?? 0)} capsule(s) rejected or failed: ${failedCodes} (kapsule audit show lists them)`]
      : [];
    return { status: anyFailed ? 1 : 0, json: { summary, capsules: items }, text, diagnostics };
  });
}

export function queryCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  if (a.positionals.length !== 1) usage('query expects exactly one <module id|name>');
  if (str(a, 'input') !== undefined && str(a, 'input-file') !== undefined) usage('give --input or --input-file, not both');
  const file = str(a, 'input-file');
  const input = file !== undefined ? readInput(io, file) : new TextEncoder().encode(str(a, 'input') ?? '{}');
  const nowArg = str(a, 'now');
  if (nowArg !== undefined && !/^\d+$/.test(nowArg)) usage('--now must be milliseconds since the epoch');
  return withRuntime(io, a, b, false, (rt) => {
    const want = a.positionals[0];
    let id = want;
    if (!/^[0-9a-f]{64}$/.test(want)) {
      const named = rt.store.listModules().filter((m) => m.name === want);
      if (named.length === 0) throw new KapsuleError('NOT_FOUND', 'execute', `no module named "${want}" in the store (kapsule module add <file.kmod>)`);
      if (named.length > 1) usage(`${named.length} modules are named "${want}": give the module id (${named.map((m) => toHex(m.id).slice(0, 12)).join(', ')}…)`);
      id = toHex(named[0].id);
    }
    const now = nowArg !== undefined ? BigInt(nowArg) : BigInt(Date.now());
    const r = rt.queryModule(id, input, { now });
    const d = decodeForDisplay(r.output);
    const json = { module: id, now, fuel: r.fuel, result: d.value, result_encoding: d.encoding, ...(r.logs.length ? { logs: r.logs } : {}) };
    return { status: 0, json, text: d.encoding === 'json' ? JSON.stringify(d.value, null, 2) : String(d.value) };
  });
}

function recordJson(c: CapsuleRecord): Record<string, unknown> {
  return {
    id: toHex(c.id), seq: c.seq, kind: c.kind, status: c.status, channel: c.channel,
    author: { alg: c.authorAlg, key: toHex(c.author) }, created_at: c.createdAt,
    parents: c.parents.map(toHex), logic: c.logic ? toHex(c.logic) : null, encrypted: c.encrypted,
  };
}

export function lsCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  if (a.positionals.length) usage('ls takes no positional arguments');
  return withReadOnlyRuntime(io, a, b, (rt) => {
    const rows = rt.query({ channel: str(a, 'channel'), kind: str(a, 'kind'), limit: int(a, 'limit', 1, 1_000_000) });
    const text = rows.length === 0 ? '(no capsules)' : rows.map((c) =>
      `${toHex(c.id).slice(0, 16)}  ${escapeControls(c.kind).padEnd(8)} ${c.status.padEnd(13)} ${new Date(c.createdAt).toISOString()}  #${escapeControls(c.channel)}`).join('\n');
    return { status: 0, json: { capsules: rows.map(recordJson) }, text };
  });
}

export function showCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  if (a.positionals.length !== 1) usage('show expects exactly one <id>');
  const idArg = a.positionals[0];
  if (!/^[0-9a-f]{4,64}$/.test(idArg)) usage(`<id> must be hex (a prefix of at least 4 characters is enough), got "${idArg}"`);
  return withReadOnlyRuntime(io, a, b, (rt) => {
    let c = idArg.length === 64 ? rt.get(idArg) : null;
    if (idArg.length < 64) {
      const matches = rt.query({}).filter((x) => toHex(x.id).startsWith(idArg));
      if (matches.length > 1) usage(`id prefix ${idArg} is ambiguous (${matches.length} capsules)`);
      if (matches.length === 1) c = rt.get(matches[0].id);
    }
    if (!c) throw new KapsuleError('NOT_FOUND', 'store', `no capsule ${idArg} in the store`);
    const parsed = parseCapsule(c.bytes);
    const d: Record<string, unknown> = { ...describeCapsule(parsed, c.id), status: c.status, children: rt.children(toHex(c.id)).map((x) => toHex(x.id)) };
    if (c.result) {
      const out = c.result.output ? decodeForDisplay(c.result.output) : null;
      d.result = {
        module: toHex(c.result.moduleId), outcome: c.result.outcome, fuel: c.result.fuel, now: c.result.now,
        output: out?.value ?? null, output_encoding: out?.encoding ?? null, logs: c.result.logs,
        // how many times re-execution in canonical order changed it since its first run (audit: result_changed)
        changes: c.result.changes,
      };
    }
    const r = c.result;
    const text = renderText({
      ...d,
      result: r ? r.outcome : '(not executed)',
      module: r ? toHex(r.moduleId) : undefined,
      fuel: r ? r.fuel : undefined,
      run_at: r ? new Date(Number(r.now)).toISOString() : undefined,
      output: r ? (r.output ? displayOutput(r.output) : '(none)') : undefined,
      logs: r ? r.logs : undefined,
      // re-execution in canonical order may change a result; the audit log has a result_changed entry for each
      changed: r ? `${r.changes} time(s) since its first run` : undefined,
    });
    return { status: 0, json: d, text };
  });
}

export function orphansCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  return withReadOnlyRuntime(io, a, b, (rt) => {
    const o = rt.orphans();
    return {
      status: 0, json: { orphans: o },
      text: o.length === 0 ? '(no pending orphans)' : o.map((x) => `${x.id}  ${escapeControls(x.kind)}  waiting for ${x.missing.join(', ')}`).join('\n'),
    };
  });
}

export function headsCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  return withReadOnlyRuntime(io, a, b, (rt) => {
    const h = rt.heads(str(a, 'channel'));
    return { status: 0, json: { heads: h }, text: h.map((x) => `#${escapeControls(x.channel)}  ${x.id}`).join('\n') || '(empty store)' };
  });
}

