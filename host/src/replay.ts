/**
 * `kapsule audit replay`: rebuild the state from scratch and compare. A fresh runtime receives the source store's
 * modules and capsules (signatures verified again), executes every run in canonical order, and the result must be
 * identical to what the device holds: each capsule's status, outcome, output hash and fuel, and the trust, balance
 * and kv tables. The audit log is checked against the store as well: the last execution entry it holds for each
 * capsule (capsule_executed or result_changed) must name the stored result. Since the state is a function of the
 * capsule set, the replay does not depend on the order the device received them in.
 *
 * Replay is an orchestration over the runtime (it builds one), so it lives above audit/.
 */
import { equalBytes, fromHex, toHex } from './bytes.ts';
import type { CryptoBackend } from './crypto/types.ts';
import type { SecretIdentity } from './keys.ts';
import type { Store, ResultRecord } from './store/types.ts';
import { Runtime } from './runtime.ts';
import type { Instrumenter } from './execute/sandbox.ts';
import { decodeEntry } from './audit/entry.ts';
import { verifyCapsule } from './verify/index.ts';
import type { KapsuleError } from './errors.ts';
import { MAX_CREATED_AT } from './parse/capsule.ts';
import { COST_TABLE_HASH, INSTRUMENTER_VERSION } from './execute/costs.ts';

export interface ReplayDivergence {
  /** Audit entry that recorded the diverging result (-1: not tied to an entry, e.g. a state table). */
  index: number;
  capsule: string;
  problem: string;
}
export interface ReplayReport {
  ok: boolean;
  entries: number;
  /** Capsule results compared. */
  executions: number;
  /** Capsules whose run could not be reproduced here (encrypted, and neither a key nor the stored plaintext). */
  skipped: { index: number; capsule: string; reason: string }[];
  divergences: ReplayDivergence[];
}

interface Recorded { index: number; outcome: string; outputHash: Uint8Array | null; fuel: bigint; sameMetering: boolean }

const sameHash = (a: Uint8Array | null, b: Uint8Array | null) => (a === null || b === null ? a === b : equalBytes(a, b));
const describe = (r: { outcome: string; fuel: bigint; outputHash: Uint8Array | null }) =>
  `${r.outcome}, fuel ${r.fuel}, output ${r.outputHash ? toHex(r.outputHash).slice(0, 16) : 'none'}`;

export function replayAuditLog(
  b: CryptoBackend, source: Store, fresh: Store, identity: SecretIdentity | null,
  opts: { from?: number; instrumenter?: Instrumenter | null; onProgress?: (done: number, total: number, label: string) => void } = {},
): ReplayReport {
  const progress = opts.onProgress ?? (() => {});
  const from = opts.from ?? 0;
  const report: ReplayReport = { ok: true, entries: 0, executions: 0, skipped: [], divergences: [] };
  const diverge = (index: number, capsule: string, problem: string) => report.divergences.push({ index, capsule, problem });

  // what the log says each capsule's current result is: its last execution entry
  const recorded = new Map<string, Recorded>();
  const size = source.auditSize();
  for (let start = 0; start < size; start += 2048) {
    progress(start, size, 'reading the audit log');
    for (const row of source.auditRange(start, Math.min(size, start + 2048))) {
      report.entries++;
      const e = decodeEntry(row.entry);
      if (e.type === 'capsule_executed' || e.type === 'result_changed') {
        recorded.set(toHex(e.capsuleId), {
          index: row.index, outcome: e.outcome, outputHash: e.outputHash, fuel: e.fuel,
          sameMetering: e.instrumenterVersion === INSTRUMENTER_VERSION && toHex(e.costTableHash) === COST_TABLE_HASH,
        });
      }
    }
  }

  const ownerHex = source.getMeta('device_owner');
  const owner = identity?.sigPublic ?? (ownerHex ? fromHex(ownerHex) : undefined);
  const rt = new Runtime({ store: fresh, backend: b, identity, owner, instrumenter: opts.instrumenter ?? null });
  try {
    for (const m of source.listModules()) rt.addModule(m.package);
    const capsules = source.topological();
    for (const [i, c] of capsules.entries()) {
      if (i % 256 === 0) progress(i, capsules.length, 'checking signatures');
      try { verifyCapsule(b, c.bytes); } catch (e) {
        diverge(recorded.get(toHex(c.id))?.index ?? -1, toHex(c.id), `stored capsule bytes no longer verify (${(e as KapsuleError).code ?? e})`);
      }
    }
    // Without the device key, the plaintexts the device kept stand in for decryption.
    progress(0, capsules.length, 'executing in canonical order');
    rt.ingestBatch(capsules.map((c) => c.bytes), undefined, {
      now: MAX_CREATED_AT,
      precheck: identity ? undefined : (_bytes, i) => {
        const pt = capsules[i].encrypted ? source.getPlaintext(capsules[i].id) : null;
        return pt ? { id: capsules[i].id, decrypted: pt, recipient: null } : null;
      },
    });

    for (const c of capsules) {
      const hex = toHex(c.id);
      const log = recorded.get(hex);
      const index = log?.index ?? -1;
      const mine = source.getResult(c.id);
      const again = fresh.getCapsule(c.id);
      const theirs = again ? fresh.getResult(c.id) : null;
      if (mine && log && log.index >= from && !(mine.outcome === log.outcome && mine.fuel === log.fuel && sameHash(mine.outputHash, log.outputHash))) {
        diverge(index, hex, `the audit log's last entry says ${describe(log)}, the store holds ${describe(mine)}`);
      }
      if ((c.status === 'executed' || c.status === 'failed') && !mine) diverge(index, hex, `status ${c.status} but no stored result`);
      if (!again) { diverge(index, hex, 'not accepted by the replay'); continue; }
      if (again.status !== c.status && c.encrypted && again.status === 'not-recipient') {
        report.skipped.push({ index, capsule: hex, reason: 'encrypted, and this replay holds neither the device key nor the plaintext (pass --key)' });
        continue;
      }
      if (log && index < from) continue;
      if (again.status !== c.status) diverge(index, hex, `status ${again.status}, recorded ${c.status}`);
      if (mine || theirs) {
        report.executions++;
        const a = theirs as ResultRecord | null, m = mine as ResultRecord | null;
        // fuel is a property of the metering: a result recorded under another instrumenter or cost table is compared
        // on its outcome and output only (docs/ABI.md §Metering: both identifiers are in every execution entry)
        const fuelComparable = log?.sameMetering ?? true;
        if (!fuelComparable && report.skipped.every((x) => x.capsule !== '-')) {
          report.skipped.push({ index, capsule: '-', reason: `fuel not compared: runs were metered by another instrumenter or cost table than this build's (${INSTRUMENTER_VERSION})` });
        }
        if (!a || !m) diverge(index, hex, `${a ? 'the replay' : 'the store'} has a result, ${a ? 'the store' : 'the replay'} has none`);
        else if (!(a.outcome === m.outcome && (!fuelComparable || a.fuel === m.fuel) && sameHash(a.outputHash, m.outputHash))) {
          diverge(index, hex, `replayed ${describe(a)}, stored ${describe(m)}`);
        }
      }
    }
    progress(capsules.length, capsules.length, 'comparing');
    compareTables(source, fresh, diverge);
  } finally {
    rt.close();
  }
  report.ok = report.divergences.length === 0;
  return report;
}

function compareTables(source: Store, fresh: Store, diverge: (index: number, capsule: string, problem: string) => void): void {
  const tables: [string, string[], string[]][] = [
    ['trust', source.allTrust().map((t) => `${toHex(t.subject)}=${t.score}`), fresh.allTrust().map((t) => `${toHex(t.subject)}=${t.score}`)],
    ['balances', source.allBalances().map((t) => `${toHex(t.account)}=${t.amount}`), fresh.allBalances().map((t) => `${toHex(t.account)}=${t.amount}`)],
    ['kv', source.allKv().map((e) => `${e.moduleId}/${toHex(e.key)}=${toHex(e.value)}`), fresh.allKv().map((e) => `${e.moduleId}/${toHex(e.key)}=${toHex(e.value)}`)],
  ];
  for (const [name, mine, again] of tables) {
    const a = new Set(again), m = new Set(mine);
    const missing = mine.filter((x) => !a.has(x)), extra = again.filter((x) => !m.has(x));
    if (missing.length || extra.length) {
      diverge(-1, '-', `${name} differs: ${missing.length} stored row(s) not reproduced, ${extra.length} replayed row(s) not stored (first: ${(missing[0] ?? extra[0]).slice(0, 120)})`);
    }
  }
}

