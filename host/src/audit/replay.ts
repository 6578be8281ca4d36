/**
 * Deterministic replay: rebuild the store from scratch, in audit-log order, from the stored capsules and modules,
 * and check that every recorded execution gives the identical outcome, output hash and fuel. Because runs read
 * only store state built by earlier entries, replaying the log in order reproduces every run's snapshot.
 */
import { equalBytes, toHex } from '../bytes.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import type { SecretIdentity } from '../keys.ts';
import type { Store } from '../store/types.ts';
import { Runtime } from '../runtime.ts';
import { instrument } from '../execute/instrument.ts';
import { decodeEntry } from './entry.ts';

export interface ReplayDivergence { index: number; capsule: string; problem: string }
export interface ReplayReport {
  ok: boolean;
  entries: number;
  /** Executions compared (index ≥ from). */
  executions: number;
  /** Executions that could not be re-run (e.g. encrypted and no key given). */
  skipped: { index: number; capsule: string; reason: string }[];
  divergences: ReplayDivergence[];
}

export function replayAuditLog(
  b: CryptoBackend, source: Store, fresh: Store, identity: SecretIdentity | null, opts: { from?: number } = {},
): ReplayReport {
  const from = opts.from ?? 0;
  const rt = new Runtime({ store: fresh, backend: b, identity, instrumenter: instrument });
  const report: ReplayReport = { ok: true, entries: 0, executions: 0, skipped: [], divergences: [] };
  try {
    const size = source.auditSize();
    for (let start = 0; start < size; start += 2048) {
      for (const row of source.auditRange(start, Math.min(size, start + 2048))) {
        report.entries++;
        const e = decodeEntry(row.entry);
        if (e.type === 'module_added') {
          const m = source.getModule(e.moduleId);
          if (m) rt.addModule(m.package);
          continue;
        }
        if (e.type !== 'capsule_stored' && e.type !== 'capsule_executed') continue;
        const id = e.capsuleId;
        const rec = source.getCapsule(id);
        const bytes = rec?.bytes ?? source.getFailedExecution(id);
        if (!bytes) {
          if (row.index >= from) report.skipped.push({ index: row.index, capsule: toHex(id), reason: 'capsule bytes not in the store' });
          continue;
        }
        const r = rt.ingest(bytes, e.type === 'capsule_executed' ? { now: e.now } : {});
        if (e.type === 'capsule_stored') {
          if (row.index >= from && r.status !== e.status) {
            report.divergences.push({ index: row.index, capsule: toHex(id), problem: `status ${r.status}, recorded ${e.status}` });
          }
          continue;
        }
        if (row.index < from) continue;
        if (r.status === 'not-recipient') {
          report.skipped.push({ index: row.index, capsule: toHex(id), reason: 'encrypted and this replay holds no recipient key (pass --key)' });
          continue;
        }
        report.executions++;
        const outcome = r.status === 'executed' ? 'ok' : r.error?.code ?? r.status;
        const problems: string[] = [];
        if (outcome !== e.outcome) problems.push(`outcome ${outcome}, recorded ${e.outcome}`);
        if ((r.fuel ?? 0n) !== e.fuel) problems.push(`fuel ${r.fuel ?? 0n}, recorded ${e.fuel}`);
        const outHash = r.output ? b.sha256(r.output) : null;
        if ((outHash === null) !== (e.outputHash === null) || (outHash && e.outputHash && !equalBytes(outHash, e.outputHash))) {
          problems.push('output hash differs');
        }
        if (problems.length) report.divergences.push({ index: row.index, capsule: toHex(id), problem: problems.join('; ') });
      }
    }
  } finally {
    rt.close();
  }
  report.ok = report.divergences.length === 0;
  return report;
}
