/**
 * Making stores travel: snapshot export/import and two-store sync by heads (have/want). Every capsule received
 * goes through the full pipeline of the receiving runtime — verified, executed, logged — whatever its source.
 */
import { fromHex, toHex } from '../bytes.ts';
import { KapsuleError } from '../errors.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import type { Store, CapsuleRecord } from '../store/types.ts';
import type { Runtime } from '../runtime.ts';
import type { IngestResult } from '../pipeline.ts';
import { parseCapsule } from '../parse/capsule.ts';
import { decodeSnapshot, encodeSnapshot, type SnapshotManifest, type SnapshotProblem } from './snapshot.ts';

/** Ids of `seeds` and all their ancestors that `store` holds. */
export function ancestorsOf(store: Store, seeds: Uint8Array[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...seeds];
  while (stack.length) {
    const id = stack.pop()!;
    const k = toHex(id);
    if (seen.has(k)) continue;
    const rec = store.getCapsule(id);
    if (!rec) continue;
    seen.add(k);
    stack.push(...rec.parents);
  }
  return seen;
}

/** What `store` has that a peer whose heads are `theirHeads` lacks, parents before children. */
export function missingFor(store: Store, theirHeads: Uint8Array[], channel?: string): CapsuleRecord[] {
  const known = ancestorsOf(store, theirHeads);
  return store.topological(channel).filter((c) => !known.has(toHex(c.id)));
}

/**
 * Capsules this store holds outside the DAG (waiting for a parent or for the clock), in arrival order. A device
 * passes them on too: the receiver may hold the missing parent, and otherwise nobody could ever complete the DAG.
 */
export function waitingCapsules(store: Store, channel?: string): { id: Uint8Array; bytes: Uint8Array }[] {
  return store.listOrphans()
    .filter((o) => channel === undefined || parseCapsule(o.bytes).core.channel === channel)
    .map((o) => ({ id: o.id, bytes: o.bytes }));
}

export function exportSnapshot(b: CryptoBackend, store: Store, opts: { channel?: string; since?: Uint8Array[] } = {}): { bytes: Uint8Array; manifest: SnapshotManifest } {
  const capsules: { logic: Uint8Array | null; bytes: Uint8Array }[] = missingFor(store, opts.since ?? [], opts.channel);
  for (const w of waitingCapsules(store, opts.channel)) capsules.push({ logic: parseCapsule(w.bytes).core.logic, bytes: w.bytes });
  const moduleIds = [...new Set(capsules.filter((c) => c.logic).map((c) => toHex(c.logic!)))].sort();
  const modules = moduleIds.map((id) => store.getModule(fromHex(id))).filter((m) => m !== null);
  const manifest: SnapshotManifest = {
    format: 'kapsule-snapshot', version: 1, channel: opts.channel ?? null,
    heads: store.heads(opts.channel).map((h) => ({ channel: h.channel, id: toHex(h.id) })),
    since: (opts.since ?? []).map(toHex), capsules: capsules.length, modules: modules.length,
  };
  const bytes = encodeSnapshot(manifest, [
    ...modules.map((m) => ({ type: 'module' as const, bytes: m.package })),
    ...capsules.map((c) => ({ type: 'capsule' as const, bytes: c.bytes })),
  ], (x) => b.sha256(x));
  return { bytes, manifest };
}

export interface ImportReport {
  manifest: SnapshotManifest | null;
  modules: { added: number; present: number; rejected: { offset: number; code: string; message: string }[] };
  capsules: Record<string, number>;
  rejected: { offset: number; id: string | null; code: string; message: string }[];
  problems: SnapshotProblem[];
}

export function importSnapshot(rt: Runtime, b: CryptoBackend, bytes: Uint8Array): ImportReport {
  const { manifest, records, problems } = decodeSnapshot(bytes, (x) => b.sha256(x));
  const report: ImportReport = { manifest, modules: { added: 0, present: 0, rejected: [] }, capsules: {}, rejected: [], problems };
  for (const r of records.filter((x) => x.type === 'module')) {
    try {
      const m = rt.addModule(r.bytes);
      if (m.added) report.modules.added++; else report.modules.present++;
    } catch (e) {
      // one hostile module is that module's rejection, never the end of the import
      const err = e instanceof KapsuleError ? e
        : new KapsuleError('MODULE_INVALID', 'sync', `module could not be added: ${String((e as Error)?.message ?? e).slice(0, 200)}`, { internal: true });
      report.modules.rejected.push({ offset: r.offset, code: err.code, message: err.message });
    }
  }
  const count = (x: IngestResult) => {
    report.capsules[x.status] = (report.capsules[x.status] ?? 0) + 1;
    x.resolved?.forEach(count);
  };
  const caps = records.filter((x) => x.type === 'capsule');
  rt.ingestBatch(caps.map((c) => c.bytes), (res, i) => {
    count(res);
    if (res.error) report.rejected.push({ offset: caps[i].offset, id: res.id, code: res.error.code, message: res.error.message });
  });
  return report;
}

export interface PairSyncReport {
  aToB: number; bToA: number; modulesAToB: number; modulesBToA: number;
  /** "Do you have X?" questions asked (have/want rounds, one id each). */
  questions: number;
}

/**
 * Have/want, heads first: `to` sends its heads (one message); then walk `from`'s DAG down from its heads, asking
 * `to` about each id that is not among them; an id `to` has ends the walk on that path (a store always holds every
 * ancestor of what it holds: orphans are kept apart). Two stores in sync exchange heads and ask nothing. Returns
 * exactly the capsules `to` lacks, parents before children.
 */
export function haveWant(from: Store, to: Store): { missing: CapsuleRecord[]; questions: number } {
  const theirHeads = new Set(to.heads().map((h) => toHex(h.id)));
  const missing = new Map<string, CapsuleRecord>();
  const asked = new Set<string>();
  const stack = from.heads().map((h) => h.id);
  let questions = 0;
  while (stack.length) {
    const id = stack.pop()!;
    const k = toHex(id);
    if (asked.has(k) || theirHeads.has(k)) continue;
    asked.add(k);
    questions++;
    if (to.hasCapsule(id)) continue;
    const rec = from.getCapsule(id);
    if (!rec) continue;
    missing.set(k, rec);
    stack.push(...rec.parents);
  }
  return { missing: [...missing.values()].sort((x, y) => x.seq - y.seq), questions };
}

/**
 * Brings two runtimes to the same set of capsules, sending each side only what the other lacks. `onProgress`
 * follows each direction's transfer (`a→b` then `b→a`): capsules ingested so far of those to send.
 */
export function syncPair(
  a: Runtime, b: Runtime,
  opts: { onProgress?: (p: { direction: 'a→b' | 'b→a'; done: number; total: number }) => void } = {},
): PairSyncReport {
  let questions = 0;
  const oneWay = (from: Runtime, to: Runtime, direction: 'a→b' | 'b→a') => {
    const hw = haveWant(from.store, to.store);
    const missing: { logic: Uint8Array | null; bytes: Uint8Array }[] = hw.missing;
    questions += hw.questions;
    // and what `from` holds outside its DAG (orphans, held capsules) that `to` lacks
    for (const w of waitingCapsules(from.store)) {
      questions++;
      if (!to.store.hasCapsule(w.id) && !to.store.hasOrphan(w.id)) missing.push({ logic: parseCapsule(w.bytes).core.logic, bytes: w.bytes });
    }
    const mods = [...new Set(missing.filter((c) => c.logic && !to.store.getModule(c.logic)).map((c) => toHex(c.logic!)))];
    for (const id of mods) {
      const m = from.store.getModule(fromHex(id));
      if (m) to.addModule(m.package);
    }
    opts.onProgress?.({ direction, done: 0, total: missing.length });
    to.ingestBatch(missing.map((c) => c.bytes), opts.onProgress && ((_r, i) => opts.onProgress!({ direction, done: i + 1, total: missing.length })));
    return { capsules: missing.length, modules: mods.length };
  };
  const ab = oneWay(a, b, 'a→b');
  const ba = oneWay(b, a, 'b→a');
  return { aToB: ab.capsules, bToA: ba.capsules, modulesAToB: ab.modules, modulesBToA: ba.modules, questions };
}
