/**
 * Audit entries: a fixed binary layout, versioned and typed, canonical by construction (one encoding per value:
 * fixed field order and widths, strict presence tags, closed alphabets, no trailing bytes). Entries never hold
 * payload plaintext — only ids, hashes, codes and counters.
 *
 *   entry  = version u8 (= 3) ‖ type u8 ‖ fields
 *   hash   = 32 bytes                      opt(hash) = 0x00 | 0x01 ‖ hash
 *   u64    = 8 bytes big-endian            text      = len u8 (≥ 1) ‖ ASCII from the field's alphabet
 *
 *   1 capsule_rejected      opt(capsule_id) bytes_hash code:text(ErrorCode) stage:text(Stage)
 *   2 capsule_duplicate     capsule_id                       (not written since version 3: a duplicate changes nothing)
 *   3 capsule_orphaned      capsule_id count:u8 (1–255) missing_id × count
 *   4 orphan_resolved       capsule_id                       (a waiting capsule — orphan or held — was released)
 *   5 capsule_stored        capsule_id status:u8 (1 stored: no logic; 2 not-recipient; 3 undecryptable;
 *                           4 awaiting-module) — a runnable capsule is recorded by its execution instead
 *   6 capsule_executed      capsule_id module_id instrumenter_version:text(printable, ≤ 255) cost_table_hash
 *                           input_hash opt(transcript_hash) opt(output_hash) fuel:u64 outcome:text("ok"|ErrorCode)
 *                           now:u64                          (the first run of a capsule)
 *   7 module_added          module_id package_hash
 *   8 checkpoint            size:u64 (≤ 2^53 − 1) root
 *   9 capsule_held          capsule_id until:u64            (dated beyond the clock skew: waits until the device clock)
 *  10 result_changed        the fields of type 6, then previous_outcome:text opt(previous_output_hash)
 *                           previous_fuel:u64               (a re-execution in canonical order changed the result)
 *  11 runs_rolled_back      capsule_id count:u64             (inserting capsule_id made `count` later runs pending)
 *
 * Version history: 1 had no instrumenter version / cost-table hash in type 6, and status as free text in type 5;
 * 2 had no types 9–11 and only statuses 1–2 (format 1, arrival-order results).
 * Decoding is strict: anything else is AUDIT_INVALID (stage 'audit').
 */
import { toHex, utf8 } from '../bytes.ts';
import { ERROR_CODES, KapsuleError, STAGES, type ErrorCode, type Stage } from '../errors.ts';

export const ENTRY_VERSION = 3;

export type StoredStatus = 'stored' | 'not-recipient' | 'undecryptable' | 'awaiting-module';
export type ExecOutcome = 'ok' | ErrorCode;

export interface CapsuleExecutedEntry {
  type: 'capsule_executed';
  capsuleId: Uint8Array;
  moduleId: Uint8Array;
  /** Identity of the metering that produced `fuel` (execute/costs.ts INSTRUMENTER_VERSION). */
  instrumenterVersion: string;
  /** SHA-256 of the cost table (execute/costs.ts COST_TABLE_HASH). */
  costTableHash: Uint8Array;
  inputHash: Uint8Array;
  transcriptHash: Uint8Array | null;
  outputHash: Uint8Array | null;
  fuel: bigint;
  outcome: ExecOutcome;
  /** The run context's `now`. */
  now: bigint;
}

export interface ResultChangedEntry extends Omit<CapsuleExecutedEntry, 'type'> {
  type: 'result_changed';
  previousOutcome: ExecOutcome;
  previousOutputHash: Uint8Array | null;
  previousFuel: bigint;
}

export type AuditEntry =
  | { type: 'capsule_rejected'; capsuleId: Uint8Array | null; bytesHash: Uint8Array; code: ErrorCode; stage: Stage }
  | { type: 'capsule_duplicate'; capsuleId: Uint8Array }
  | { type: 'capsule_orphaned'; capsuleId: Uint8Array; missing: Uint8Array[] }
  | { type: 'orphan_resolved'; capsuleId: Uint8Array }
  | { type: 'capsule_stored'; capsuleId: Uint8Array; status: StoredStatus }
  | CapsuleExecutedEntry
  | { type: 'module_added'; moduleId: Uint8Array; packageHash: Uint8Array }
  | { type: 'checkpoint'; size: number; root: Uint8Array }
  | { type: 'capsule_held'; capsuleId: Uint8Array; until: bigint }
  | ResultChangedEntry
  | { type: 'runs_rolled_back'; capsuleId: Uint8Array; count: bigint };

/**
 * What callers hand `AuditLog.record`: an entry, except that capsule_executed may leave the metering identity
 * out, in which case the log records this build's INSTRUMENTER_VERSION and COST_TABLE_HASH.
 */
type Metered = 'instrumenterVersion' | 'costTableHash';
export type AuditEvent =
  | Exclude<AuditEntry, CapsuleExecutedEntry | ResultChangedEntry>
  | (Omit<CapsuleExecutedEntry, Metered> & Partial<Pick<CapsuleExecutedEntry, Metered>>)
  | (Omit<ResultChangedEntry, Metered> & Partial<Pick<ResultChangedEntry, Metered>>);

export type EntryType = AuditEntry['type'];

/** Wire type codes. Append only; never renumber. */
export const ENTRY_TYPE_CODES: Readonly<Record<EntryType, number>> = {
  capsule_rejected: 1,
  capsule_duplicate: 2,
  capsule_orphaned: 3,
  orphan_resolved: 4,
  capsule_stored: 5,
  capsule_executed: 6,
  module_added: 7,
  checkpoint: 8,
  capsule_held: 9,
  result_changed: 10,
  runs_rolled_back: 11,
};
export const ENTRY_TYPES = Object.keys(ENTRY_TYPE_CODES) as EntryType[];
const TYPE_BY_CODE = new Map(ENTRY_TYPES.map((t) => [ENTRY_TYPE_CODES[t], t] as const));

const STATUS_CODES: Record<StoredStatus, number> = { stored: 1, 'not-recipient': 2, undecryptable: 3, 'awaiting-module': 4 };
const STATUS_BY_CODE = new Map(Object.entries(STATUS_CODES).map(([k, v]) => [v, k as StoredStatus] as const));
const ERROR_SET = new Set<string>(ERROR_CODES);
const STAGE_SET = new Set<string>(STAGES);
const PRINTABLE = /^[\x20-\x7e]+$/;
const U64_MAX = (1n << 64n) - 1n;

function invalid(message: string, details?: Record<string, unknown>): never {
  throw new KapsuleError('AUDIT_INVALID', 'audit', `audit entry: ${message}`, details);
}

class W {
  private parts: number[] = [];
  u8(v: number): this { this.parts.push(v); return this; }
  hash(field: string, h: Uint8Array): this {
    if (!(h instanceof Uint8Array) || h.length !== 32) invalid(`${field} must be 32 bytes`, { field });
    for (const x of h) this.parts.push(x);
    return this;
  }
  opt(field: string, h: Uint8Array | null): this { return h === null ? this.u8(0) : this.u8(1).hash(field, h); }
  u64(field: string, v: bigint, max = U64_MAX): this {
    if (typeof v !== 'bigint' || v < 0n || v > max) invalid(`${field} must be an integer in [0, ${max}]`, { field });
    for (let s = 56n; s >= 0n; s -= 8n) this.parts.push(Number((v >> s) & 0xffn));
    return this;
  }
  text(field: string, s: string, ok: (s: string) => boolean): this {
    if (typeof s !== 'string' || s.length === 0 || s.length > 255 || !PRINTABLE.test(s) || !ok(s)) invalid(`${field} is not allowed: ${JSON.stringify(String(s).slice(0, 64))}`, { field });
    this.u8(s.length);
    for (let i = 0; i < s.length; i++) this.parts.push(s.charCodeAt(i));
    return this;
  }
  finish(): Uint8Array { return Uint8Array.from(this.parts); }
}

class R {
  private off = 0;
  constructor(private readonly buf: Uint8Array) {}
  take(n: number, field: string): Uint8Array {
    if (this.buf.length - this.off < n) invalid(`truncated at ${field} (offset ${this.off})`, { field, offset: this.off });
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(field: string): number { return this.take(1, field)[0]; }
  hash(field: string): Uint8Array { return this.take(32, field); }
  opt(field: string): Uint8Array | null {
    const tag = this.u8(field);
    if (tag > 1) invalid(`${field}: presence tag ${tag} is neither 0 nor 1`, { field });
    return tag === 1 ? this.hash(field) : null;
  }
  u64(field: string, max = U64_MAX): bigint {
    let v = 0n;
    for (const x of this.take(8, field)) v = (v << 8n) | BigInt(x);
    if (v > max) invalid(`${field} ${v} exceeds ${max}`, { field });
    return v;
  }
  text(field: string, ok: (s: string) => boolean): string {
    const n = this.u8(field);
    if (n === 0) invalid(`${field} is empty`, { field });
    const raw = this.take(n, field);
    let s: string;
    try { s = utf8.decode(raw); } catch { invalid(`${field} is not UTF-8`, { field }); }
    if (!PRINTABLE.test(s) || !ok(s)) invalid(`${field} is not allowed: ${JSON.stringify(s.slice(0, 64))}`, { field });
    return s;
  }
  end(): void {
    if (this.off !== this.buf.length) invalid(`${this.buf.length - this.off} trailing bytes`, { offset: this.off });
  }
}

const anyText = () => true;
const isCode = (s: string) => ERROR_SET.has(s);
const isStage = (s: string) => STAGE_SET.has(s);
const isOutcome = (s: string) => s === 'ok' || ERROR_SET.has(s);
const MAX_SIZE = BigInt(Number.MAX_SAFE_INTEGER);

export function encodeEntry(e: AuditEntry): Uint8Array {
  const code = ENTRY_TYPE_CODES[e?.type as EntryType];
  if (code === undefined) invalid(`unknown type ${JSON.stringify(String(e?.type))}`);
  const w = new W().u8(ENTRY_VERSION).u8(code);
  switch (e.type) {
    case 'capsule_rejected':
      w.opt('capsule_id', e.capsuleId).hash('bytes_hash', e.bytesHash).text('code', e.code, isCode).text('stage', e.stage, isStage);
      break;
    case 'capsule_duplicate': case 'orphan_resolved': w.hash('capsule_id', e.capsuleId); break;
    case 'capsule_orphaned':
      if (!Array.isArray(e.missing) || e.missing.length < 1 || e.missing.length > 255) invalid('missing must list 1–255 parents');
      w.hash('capsule_id', e.capsuleId).u8(e.missing.length);
      e.missing.forEach((m, i) => w.hash(`missing[${i}]`, m));
      break;
    case 'capsule_stored': {
      const s = STATUS_CODES[e.status];
      if (s === undefined) invalid(`status ${JSON.stringify(String(e.status))} is not one of ${Object.keys(STATUS_CODES).join(' | ')}`);
      w.hash('capsule_id', e.capsuleId).u8(s);
      break;
    }
    case 'capsule_executed': case 'result_changed':
      w.hash('capsule_id', e.capsuleId).hash('module_id', e.moduleId)
        .text('instrumenter_version', e.instrumenterVersion, anyText).hash('cost_table_hash', e.costTableHash)
        .hash('input_hash', e.inputHash).opt('transcript_hash', e.transcriptHash).opt('output_hash', e.outputHash)
        .u64('fuel', e.fuel).text('outcome', e.outcome, isOutcome).u64('now', e.now);
      if (e.type === 'result_changed') {
        w.text('previous_outcome', e.previousOutcome, isOutcome).opt('previous_output_hash', e.previousOutputHash).u64('previous_fuel', e.previousFuel);
      }
      break;
    case 'capsule_held': w.hash('capsule_id', e.capsuleId).u64('until', e.until); break;
    case 'runs_rolled_back': w.hash('capsule_id', e.capsuleId).u64('count', e.count); break;
    case 'module_added': w.hash('module_id', e.moduleId).hash('package_hash', e.packageHash); break;
    case 'checkpoint':
      if (!Number.isSafeInteger(e.size) || e.size < 0) invalid('checkpoint size must be a safe non-negative integer');
      w.u64('size', BigInt(e.size), MAX_SIZE).hash('root', e.root);
      break;
  }
  return w.finish();
}

/** Strict decode: exactly one entry, nothing before or after it. Throws AUDIT_INVALID. */
export function decodeEntry(bytes: Uint8Array): AuditEntry {
  if (!(bytes instanceof Uint8Array)) invalid('expected bytes');
  const r = new R(bytes);
  const v = r.u8('version');
  if (v !== ENTRY_VERSION) invalid(`unsupported version ${v}`, { version: v });
  const code = r.u8('type');
  const t = TYPE_BY_CODE.get(code);
  if (!t) invalid(`unknown type code ${code}`, { type: code });
  let e: AuditEntry;
  switch (t) {
    case 'capsule_rejected':
      e = { type: t, capsuleId: r.opt('capsule_id'), bytesHash: r.hash('bytes_hash'), code: r.text('code', isCode) as ErrorCode, stage: r.text('stage', isStage) as Stage };
      break;
    case 'capsule_duplicate': case 'orphan_resolved': e = { type: t, capsuleId: r.hash('capsule_id') }; break;
    case 'capsule_orphaned': {
      const capsuleId = r.hash('capsule_id');
      const n = r.u8('missing_count');
      if (n === 0) invalid('capsule_orphaned lists no missing parent');
      e = { type: t, capsuleId, missing: Array.from({ length: n }, (_, i) => r.hash(`missing[${i}]`)) };
      break;
    }
    case 'capsule_stored': {
      const capsuleId = r.hash('capsule_id');
      const s = r.u8('status');
      const status = STATUS_BY_CODE.get(s);
      if (!status) invalid(`unknown status ${s}`);
      e = { type: t, capsuleId, status };
      break;
    }
    case 'capsule_executed': case 'result_changed': {
      const x: CapsuleExecutedEntry = {
        type: 'capsule_executed', capsuleId: r.hash('capsule_id'), moduleId: r.hash('module_id'),
        instrumenterVersion: r.text('instrumenter_version', anyText), costTableHash: r.hash('cost_table_hash'),
        inputHash: r.hash('input_hash'), transcriptHash: r.opt('transcript_hash'), outputHash: r.opt('output_hash'),
        fuel: r.u64('fuel'), outcome: r.text('outcome', isOutcome) as ExecOutcome, now: r.u64('now'),
      };
      e = t === 'capsule_executed' ? x : {
        ...x, type: t, previousOutcome: r.text('previous_outcome', isOutcome) as ExecOutcome,
        previousOutputHash: r.opt('previous_output_hash'), previousFuel: r.u64('previous_fuel'),
      };
      break;
    }
    case 'capsule_held': e = { type: t, capsuleId: r.hash('capsule_id'), until: r.u64('until') }; break;
    case 'runs_rolled_back': e = { type: t, capsuleId: r.hash('capsule_id'), count: r.u64('count') }; break;
    case 'module_added': e = { type: t, moduleId: r.hash('module_id'), packageHash: r.hash('package_hash') }; break;
    case 'checkpoint': e = { type: t, size: Number(r.u64('size', MAX_SIZE)), root: r.hash('root') }; break;
  }
  r.end();
  return e;
}

const jsonValue = (v: unknown): unknown =>
  v instanceof Uint8Array ? toHex(v)
    : typeof v === 'bigint' ? (v <= MAX_SIZE ? Number(v) : v.toString())
      : Array.isArray(v) ? v.map(jsonValue) : v;

/** JSON view for the CLI: snake_case keys, hashes as hex, counters as numbers (decimal strings past 2^53). */
export function entryToJSON(e: AuditEntry): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) o[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = jsonValue(v);
  return o;
}
