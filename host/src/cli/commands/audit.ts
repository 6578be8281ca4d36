/** `kapsule audit verify|show|prove|checkpoint|replay`. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KapsuleError } from '../../errors.ts';
import { toHex } from '../../bytes.ts';
import type { CryptoBackend } from '../../crypto/types.ts';
import { decodeEntry, entryToJSON } from '../../audit/entry.ts';
import { verifyAuditLog, parseSigner } from '../../audit/verify.ts';
import { parseCheckpoint } from '../../audit/checkpoint.ts';
import { MerkleTree, verifyInclusion } from '../../audit/merkle.ts';
import { loadPublicIdentity } from '../../keys-node.ts';
import { writeFileAtomic } from '../../fsutil.ts';
import { openReadOnlyFromArgs, type ReadOnlyStore } from '../store.ts';
import { readWitness, witnessPath } from '../../audit/witness-node.ts';
import { req, str, list, usage, int, bool, type ParsedArgs } from '../args.ts';
import { progress } from '../progress.ts';
import type { CliIO, CommandResult } from '../io.ts';

/** Every audit command only reads the store: read-only, never created (../store.ts). */
function openStore(io: CliIO, a: ParsedArgs): ReadOnlyStore {
  return openReadOnlyFromArgs(io, a);
}

function readText(io: CliIO, path: string): string {
  try { return readFileSync(resolve(io.cwd, path), 'utf8'); } catch (e) {
    throw new KapsuleError('IO_ERROR', 'audit', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function auditVerifyCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  const opened = openStore(io, a);
  const store = opened.store;
  try {
    const signerArg = str(a, 'signer');
    const signer = signerArg === undefined ? undefined
      : signerArg.includes(':') ? parseSigner(signerArg)
        : (() => { const p = loadPublicIdentity(resolve(io.cwd, signerArg)); return { alg: p.sigAlg, pub: p.sigPublic }; })();
    const external = list(a, 'checkpoint').map((f) => readText(io, f));
    const wPath = witnessPath(resolve(io.cwd, req(a, 'db')));
    const witness = readWitness(wPath);
    const r = verifyAuditLog(b, store, { signer, external, witness });
    const warnings: string[] = [];
    if (external.length > 0 && r.signer?.source === 'database') {
      warnings.push('WARNING: the checkpoint signer is NOT pinned: it was read from the database itself, and whoever can write the '
        + 'database can replace it together with the checkpoints, so the external checkpoint(s) prove nothing against them. '
        + 'Pass --signer <device.key.pub> (or the device\'s alg:hex key).');
    } else if (external.length > 0 && r.signer?.source === 'witness') {
      warnings.push(`note: the checkpoint signer was read from the witness ${wPath}, not pinned; pass --signer <device.key.pub> to pin it`);
    }
    const signerText = r.signer === null ? 'no checkpoint signer known'
      : `checkpoint signer ${r.signer.key} (${r.signer.source === 'pinned' ? 'pinned by --signer' : r.signer.source === 'witness' ? `from the witness ${wPath}; not pinned` : 'from the database; NOT pinned'})`;
    const json = {
      valid: r.ok, size: r.size, root: r.root, checkpoints: r.checkpoints, ...(r.first ? { first_bad: r.first } : {}),
      signer: r.signer, origin: r.origin, witness: witness ? wPath : null, warnings,
    };
    if (r.ok) {
      return {
        status: 0, json, diagnostics: warnings,
        text: `audit log OK: ${r.size} entries, ${r.checkpoints} checkpoint(s), ${external.length} external checkpoint(s)${witness ? ' and the witness' : ''} consistent; root ${r.root}\n${signerText}`,
      };
    }
    const err = new KapsuleError('AUDIT_INVALID', 'audit', `entry ${r.first!.index}: ${r.first!.problem}`, { index: r.first!.index });
    return { status: 1, json, text: `audit log INVALID at entry ${r.first!.index}: ${r.first!.problem}\n${signerText}`, error: err, diagnostics: warnings };
  } finally { opened.close(); }
}

export function auditShowCommand(io: CliIO, a: ParsedArgs): CommandResult {
  const opened = openStore(io, a);
  const store = opened.store;
  try {
    const since = int(a, 'since', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const rows = store.auditRange(since, store.auditSize());
    const entries = rows.map((r) => {
      let e: Record<string, unknown>;
      try { e = entryToJSON(decodeEntry(r.entry)); } catch { e = { type: 'undecodable', bytes: toHex(r.entry) }; }
      return { index: r.index, leaf: toHex(r.leaf), ...e };
    });
    const text = entries.map((e) => {
      const { index, leaf: _l, type, ...rest } = e as Record<string, unknown>;
      const detail = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' && v.length === 64 ? v.slice(0, 12) : JSON.stringify(v)}`).join(' ');
      return `${String(index).padStart(6)}  ${String(type).padEnd(18)} ${detail}`;
    }).join('\n') || '(no entries)';
    return { status: 0, json: { entries }, text };
  } finally { opened.close(); }
}

export function auditProveCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  if (a.positionals.length !== 1 || !/^\d+$/.test(a.positionals[0])) usage('audit prove expects one entry <index>');
  const index = Number(a.positionals[0]);
  const opened = openStore(io, a);
  const store = opened.store;
  try {
    const cp = store.latestCheckpoint();
    if (!cp) throw new KapsuleError('AUDIT_INVALID', 'audit', 'the log has no checkpoint yet (ingest with a device key)');
    const c = parseCheckpoint(cp.text);
    if (index >= c.size) throw new KapsuleError('USAGE', 'audit', `entry ${index} is not covered by the latest checkpoint (size ${c.size})`);
    // O(log n) reads of the persisted complete subtrees: the log is not reread to prove one entry
    const tree = new MerkleTree((d) => b.sha256(d), { get: (l, i) => store.merkleGet(l, i), put: () => { throw new Error('read-only'); } });
    const row = store.auditRange(index, index + 1)[0];
    const proof = tree.inclusionProof(index, c.size);
    const ok = verifyInclusion((d) => b.sha256(d), index, c.size, row.leaf, proof, c.root);
    // hashes in hex like every other id and hash the CLI prints; the checkpoint note keeps its standard base64
    const json = { index, tree_size: c.size, leaf_hash: toHex(row.leaf), root: toHex(c.root), proof: proof.map(toHex), checkpoint: cp.text, verified: ok };
    if (!ok) return { status: 1, json, text: `entry ${index}: proof does NOT verify against the checkpoint`, error: new KapsuleError('AUDIT_INVALID', 'audit', 'inclusion proof does not verify', { index }) };
    return { status: 0, json, text: [`entry ${index} is included in the checkpointed tree of size ${c.size}`, `leaf  ${toHex(row.leaf)}`, `root  ${toHex(c.root)}`, ...proof.map((p, i) => `proof[${i}] ${toHex(p)}`)].join('\n') };
  } finally { opened.close(); }
}

export function auditCheckpointCommand(io: CliIO, a: ParsedArgs): CommandResult {
  const opened = openStore(io, a);
  const store = opened.store;
  try {
    const cp = store.latestCheckpoint();
    if (!cp) throw new KapsuleError('AUDIT_INVALID', 'audit', 'the log has no checkpoint yet');
    const out = resolve(io.cwd, req(a, 'out'));
    writeFileAtomic(out, cp.text, 'audit');
    return { status: 0, json: { size: cp.size, out, checkpoint: cp.text }, text: `wrote checkpoint of size ${cp.size} to ${out}` };
  } finally { opened.close(); }
}

export async function auditReplayCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): Promise<CommandResult> {
  const { runJob } = await import('../jobs.ts');
  const keyPath = str(a, 'key');
  const bar = progress(io, 'replaying entries', bool(a, 'json'), 'Ctrl-C stops');
  let r;
  try {
    r = await runJob(io, {
      kind: 'replay', backend: b.name,
      params: { db: resolve(io.cwd, req(a, 'db')), dbShown: req(a, 'db'), key: keyPath !== undefined ? resolve(io.cwd, keyPath) : null, from: int(a, 'from', 0, Number.MAX_SAFE_INTEGER) ?? 0 },
    }, (p) => bar.update(p.done, p.total, p.label),
    (p) => `interrupted at entry ${p?.done ?? 0} of ${p?.total ?? '?'}; the store was only read. A replay always rebuilds from entry 0: rerun to replay again (--from N reports only from entry N on)`);
  } finally { bar.end(); }
  const json = { identical: r.ok, entries: r.entries, executions: r.executions, skipped: r.skipped, divergences: r.divergences };
  const text = [
    `replayed ${r.entries} entries: ${r.executions} execution(s) compared, ${r.divergences.length} divergence(s), ${r.skipped.length} skipped`,
    ...r.divergences.map((d) => `  DIVERGES at entry ${d.index} (capsule ${d.capsule}): ${d.problem}`),
    ...r.skipped.map((s) => `  skipped entry ${s.index} (capsule ${s.capsule}): ${s.reason}`),
  ].join('\n');
  if (r.ok) return { status: 0, json, text };
  const first = r.divergences[0];
  return { status: 1, json, text, error: new KapsuleError('AUDIT_INVALID', 'audit', `replay diverges at entry ${first.index}: ${first.problem}`, { index: first.index }) };
}
