/**
 * Snapshot files (docs/FORMAT.md §Snapshot): a manifest, then self-delimiting records that can be recovered one by
 * one, so a truncated or corrupted snapshot still yields every intact record.
 *
 *   file     = "KSNP" ‖ u8 version(1) ‖ u32 manifest_len ‖ manifest (UTF-8 JSON) ‖ SHA-256(manifest) ‖ record*
 *   record   = "KREC" ‖ u8 type (1 module package, 2 capsule) ‖ u32 len ‖ SHA-256(payload) ‖ payload
 *
 * Nothing in a snapshot is trusted: every capsule and module goes through the full pipeline on import.
 */
import { KapsuleError } from '../errors.ts';
import { equalBytes, utf8 } from '../bytes.ts';
import { Writer } from '../parse/codec.ts';
import { LIMITS } from '../parse/limits.ts';

export const SNAPSHOT_MAGIC: Uint8Array = utf8.encode('KSNP');
export const RECORD_MAGIC: Uint8Array = utf8.encode('KREC');
export const SNAPSHOT_VERSION = 1;
export const RECORD_MODULE = 1;
export const RECORD_CAPSULE = 2;
const MAX_MANIFEST = 1024 * 1024;
const RECORD_HEADER = 4 + 1 + 4 + 32;

export interface SnapshotManifest {
  format: 'kapsule-snapshot';
  version: 1;
  channel: string | null;
  /** Heads of the exported DAG (per channel). */
  heads: { channel: string; id: string }[];
  /** Ids the receiver was said to have (export --since): their ancestors are not included. */
  since: string[];
  capsules: number;
  modules: number;
}

export type SnapshotRecord = { type: 'module' | 'capsule'; bytes: Uint8Array; offset: number };
export interface SnapshotProblem { offset: number; code: 'SNAPSHOT_INVALID'; message: string }

export function encodeSnapshot(manifest: SnapshotManifest, records: { type: 'module' | 'capsule'; bytes: Uint8Array }[], sha256: (b: Uint8Array) => Uint8Array): Uint8Array {
  const m = utf8.encode(JSON.stringify(manifest));
  const w = new Writer().bytes(SNAPSHOT_MAGIC).u8(SNAPSHOT_VERSION).u32(m.length).bytes(m).bytes(sha256(m));
  for (const r of records) {
    w.bytes(RECORD_MAGIC).u8(r.type === 'module' ? RECORD_MODULE : RECORD_CAPSULE).u32(r.bytes.length).bytes(sha256(r.bytes)).bytes(r.bytes);
  }
  return w.finish();
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);

/**
 * Decodes what it can. A bad manifest is reported (manifest null) but records are still scanned; a bad record is
 * reported with its offset and the scan resumes at the next record marker.
 */
export function decodeSnapshot(bytes: Uint8Array, sha256: (b: Uint8Array) => Uint8Array): {
  manifest: SnapshotManifest | null; records: SnapshotRecord[]; problems: SnapshotProblem[];
} {
  const problems: SnapshotProblem[] = [];
  const records: SnapshotRecord[] = [];
  const bad = (offset: number, message: string) => {
    if (problems.length >= 10_000) throw new KapsuleError('SNAPSHOT_INVALID', 'sync', 'too many problems: this is not a snapshot');
    problems.push({ offset, code: 'SNAPSHOT_INVALID', message });
  };
  let manifest: SnapshotManifest | null = null;
  let pos = 0;
  if (bytes.length >= 9 && equalBytes(bytes.subarray(0, 4), SNAPSHOT_MAGIC)) {
    if (bytes[4] !== SNAPSHOT_VERSION) bad(4, `unsupported snapshot version ${bytes[4]}`);
    const len = u32(bytes, 5);
    if (len > MAX_MANIFEST || 9 + len + 32 > bytes.length) bad(5, `manifest length ${len} exceeds the file or the limit`);
    else if (!equalBytes(sha256(bytes.subarray(9, 9 + len)), bytes.subarray(9 + len, 9 + len + 32))) {
      bad(9, 'manifest hash mismatch (corrupted)');
      pos = 9 + len + 32;
    } else {
      try {
        const m = JSON.parse(utf8.decode(bytes.subarray(9, 9 + len))) as SnapshotManifest;
        if (m.format !== 'kapsule-snapshot' || m.version !== 1 || !Array.isArray(m.heads)) throw new Error('not a v1 manifest');
        manifest = m;
      } catch (e) { bad(9, `manifest does not parse: ${(e as Error).message}`); }
      pos = 9 + len + 32;
    }
  } else {
    bad(0, 'not a snapshot file (no "KSNP" magic)');
  }
  // After a bad record the scan resynchronises at the next record marker; the skipped bytes belong to the
  // problem already reported, so they are not reported again.
  let resyncing = false;
  while (pos < bytes.length) {
    const at = indexOf(bytes, RECORD_MAGIC, pos);
    if (at < 0) { if (!resyncing) bad(pos, `${bytes.length - pos} trailing bytes are not a record`); break; }
    if (at > pos && !resyncing) bad(pos, `${at - pos} unexpected bytes before the next record`);
    resyncing = true;
    if (at + RECORD_HEADER > bytes.length) { bad(at, 'record header truncated'); break; }
    const type = bytes[at + 4];
    const len = u32(bytes, at + 5);
    const maxLen = type === RECORD_MODULE ? LIMITS.maxModuleBytes : LIMITS.maxCapsuleBytes;
    if ((type !== RECORD_MODULE && type !== RECORD_CAPSULE) || len > maxLen) {
      bad(at, type !== RECORD_MODULE && type !== RECORD_CAPSULE ? `unknown record type ${type}` : `record length ${len} exceeds the limit`);
      pos = at + 4;
      continue;
    }
    const start = at + RECORD_HEADER;
    if (start + len > bytes.length) { bad(at, `record truncated (${bytes.length - start} of ${len} bytes)`); pos = at + 4; continue; }
    const payload = bytes.subarray(start, start + len);
    if (!equalBytes(sha256(payload), bytes.subarray(at + 9, at + 41))) { bad(at, 'record hash mismatch (corrupted)'); pos = at + 4; continue; }
    // records are copied so that callers may keep them after the snapshot buffer is gone
    const copy = payload.slice();
    records.push({ type: type === RECORD_MODULE ? 'module' : 'capsule', bytes: copy, offset: at });
    pos = start + len;
    resyncing = false;
  }
  if (manifest && problems.length === 0) { // a cut exactly between two records leaves no other trace
    const caps = records.filter((r) => r.type === 'capsule').length;
    const mods = records.length - caps;
    if (caps !== manifest.capsules || mods !== manifest.modules) {
      bad(bytes.length, `the manifest lists ${manifest.capsules} capsule(s) and ${manifest.modules} module(s), ${caps} and ${mods} are intact (truncated or damaged)`);
    }
  }
  return { manifest, records, problems };
}
