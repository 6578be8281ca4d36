/**
 * Audit entries: a canonical binary encoding with a version and a type, never payload plaintext — only ids and
 * hashes. entry = u8 version(1) ‖ u8 type ‖ fields (fixed order; texts u8-length-prefixed ASCII).
 */
import { toHex } from '../bytes.ts';
import { Reader, Writer } from '../parse/codec.ts';

export const ENTRY_VERSION = 1;

export type AuditEvent =
  | { type: 'capsule_rejected'; capsuleId: Uint8Array | null; bytesHash: Uint8Array; code: string; stage: string }
  | { type: 'capsule_duplicate'; capsuleId: Uint8Array }
  | { type: 'capsule_orphaned'; capsuleId: Uint8Array; missing: Uint8Array[] }
  | { type: 'orphan_resolved'; capsuleId: Uint8Array }
  | { type: 'capsule_stored'; capsuleId: Uint8Array; status: string }
  | {
      type: 'capsule_executed'; capsuleId: Uint8Array; moduleId: Uint8Array; inputHash: Uint8Array;
      transcriptHash: Uint8Array | null; outputHash: Uint8Array | null; fuel: bigint; outcome: string; now: bigint;
    }
  | { type: 'module_added'; moduleId: Uint8Array; packageHash: Uint8Array };

export const ENTRY_TYPES = [
  'capsule_rejected', 'capsule_duplicate', 'capsule_orphaned', 'orphan_resolved', 'capsule_stored',
  'capsule_executed', 'module_added',
] as const;

const TEXT = /^[A-Za-z0-9_.:-]{1,64}$/;

function optHash(w: Writer, h: Uint8Array | null): void {
  if (h) w.u8(1).bytes(h); else w.u8(0);
}

export function encodeEntry(e: AuditEvent): Uint8Array {
  const w = new Writer().u8(ENTRY_VERSION).u8(ENTRY_TYPES.indexOf(e.type) + 1);
  switch (e.type) {
    case 'capsule_rejected': optHash(w, e.capsuleId); w.bytes(e.bytesHash).text(e.code, 1).text(e.stage, 1); break;
    case 'capsule_duplicate': case 'orphan_resolved': w.bytes(e.capsuleId); break;
    case 'capsule_orphaned': w.bytes(e.capsuleId).u8(e.missing.length); e.missing.forEach((m) => w.bytes(m)); break;
    case 'capsule_stored': w.bytes(e.capsuleId).text(e.status, 1); break;
    case 'capsule_executed':
      w.bytes(e.capsuleId).bytes(e.moduleId).bytes(e.inputHash);
      optHash(w, e.transcriptHash); optHash(w, e.outputHash);
      w.u64(e.fuel).text(e.outcome, 1).u64(e.now);
      break;
    case 'module_added': w.bytes(e.moduleId).bytes(e.packageHash); break;
  }
  return w.finish();
}

export function decodeEntry(bytes: Uint8Array): AuditEvent {
  const r = new Reader(bytes, 'audit entry', 'audit');
  const v = r.u8('version');
  if (v !== ENTRY_VERSION) r.fail('version', `unsupported ${v}`);
  const t = ENTRY_TYPES[r.u8('type') - 1];
  if (!t) r.fail('type', 'unknown');
  const h = (f: string) => r.bytes(32, f);
  const opt = (f: string) => { const tag = r.u8(f); if (tag > 1) r.fail(f, 'bad tag'); return tag ? h(f) : null; };
  const text = (f: string) => r.text(f, 1, 1, 64, TEXT);
  let e: AuditEvent;
  switch (t) {
    case 'capsule_rejected': e = { type: t, capsuleId: opt('capsule_id'), bytesHash: h('bytes_hash'), code: text('code'), stage: text('stage') }; break;
    case 'capsule_duplicate': case 'orphan_resolved': e = { type: t, capsuleId: h('capsule_id') }; break;
    case 'capsule_orphaned': {
      const capsuleId = h('capsule_id');
      const n = r.u8('missing_count');
      e = { type: t, capsuleId, missing: Array.from({ length: n }, (_, i) => h(`missing[${i}]`)) };
      break;
    }
    case 'capsule_stored': e = { type: t, capsuleId: h('capsule_id'), status: text('status') }; break;
    case 'capsule_executed':
      e = {
        type: t, capsuleId: h('capsule_id'), moduleId: h('module_id'), inputHash: h('input_hash'),
        transcriptHash: opt('transcript_hash'), outputHash: opt('output_hash'), fuel: r.u64('fuel'),
        outcome: text('outcome'), now: r.u64('now'),
      };
      break;
    case 'module_added': e = { type: t, moduleId: h('module_id'), packageHash: h('package_hash') }; break;
  }
  r.end();
  return e;
}

/** JSON view for the CLI. */
export function entryToJSON(e: AuditEvent): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    const key = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    o[key] = v instanceof Uint8Array ? toHex(v) : Array.isArray(v) ? v.map((x) => (x instanceof Uint8Array ? toHex(x) : x)) : v;
  }
  return o;
}
