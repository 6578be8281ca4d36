/**
 * The host side of the hostcall table: one function per row of table.ts, plus `env.abort` and `env.trace`.
 * Portable. Functions are created once per Sandbox and act on the current run's `RunState` (runs are
 * synchronous and never re-entrant: no hostcall calls back into a guest).
 *
 * Every hostcall: charges fuel (base + perByte × bytes moved) BEFORE doing work, bounds-checks every guest
 * range (HOSTCALL_FAULT), copies once, and appends a record to the run's transcript.
 */
import { COST_TABLE } from '../costs.ts';
import { KapsuleError } from '../../errors.ts';
import { toHex } from '../../bytes.ts';
import type { ExecInput, StateWrites } from '../types.ts';
import { encodeContext, encodeMeta } from '../meta.ts';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { HOSTCALLS, HOSTCALL_BY_NAME, HOSTCALL_LIMITS as L, HOSTCALL_NAMESPACE, STATUS, type HostcallSpec } from './table.ts';
import { TRANSCRIPT_CHUNK_BYTES, TRANSCRIPT_MAX_BYTES } from '../bounds.ts';

/** Transcript call ids of the env imports (hostcalls use their index in HOSTCALLS). */
export const TRANSCRIPT_ID = { abort: 0xf0, trace: 0xf1 } as const;
/** Byte strings up to this size go into the transcript as is; longer ones as their SHA-256. */
const INLINE_BYTES = 4096;
const TRANSCRIPT_DOMAIN = new TextEncoder().encode('kapsule/transcript/v1');

/** An incremental SHA-256 (node:crypto `createHash('sha256')`, or @noble/hashes `sha256.create()`). */
export interface IncrementalHash { update(data: Uint8Array): unknown; digest(): Uint8Array }
export type IncrementalSha256 = () => IncrementalHash;

/** The portable incremental SHA-256 (@noble/hashes). */
export const nobleSha256Stream: IncrementalSha256 = () => nobleSha256.create();

/**
 * Appends canonical transcript records (docs/ABI.md §Transcript) and hashes them as they come: records collect in
 * a buffer of at most TRANSCRIPT_CHUNK_BYTES; a full buffer is fed to an incremental SHA-256 and reused, so a run
 * holds at most one chunk whatever it logs. A transcript that never fills a chunk (nearly every run) is hashed once
 * with the one-shot `sha256`; the value is SHA-256 of the same byte stream either way. More than
 * TRANSCRIPT_MAX_BYTES in one run is HOSTCALL_FAULT.
 */
export class Transcript {
  private buf = new Uint8Array(1024);
  private dv = new DataView(this.buf.buffer);
  private n = 0;
  /** Bytes already fed to `stream`. */
  private flushed = 0;
  private stream: IncrementalHash | null = null;
  constructor(private readonly sha256: (b: Uint8Array) => Uint8Array, private readonly sha256Stream: IncrementalSha256 = nobleSha256Stream) {
    this.raw(TRANSCRIPT_DOMAIN);
  }
  /** Empties the transcript for the next run (keeps its buffer, at most one chunk). */
  reset(): this {
    this.n = 0;
    this.flushed = 0;
    this.stream = null;
    this.raw(TRANSCRIPT_DOMAIN);
    return this;
  }
  /** Bytes recorded so far. */
  get size(): number { return this.flushed + this.n; }
  private need(k: number): void {
    if (this.n + k <= this.buf.length) return;
    if (this.buf.length < TRANSCRIPT_CHUNK_BYTES) {
      const next = new Uint8Array(Math.max(Math.min(this.buf.length * 2, TRANSCRIPT_CHUNK_BYTES), this.n + k));
      next.set(this.buf.subarray(0, this.n));
      this.buf = next;
      this.dv = new DataView(next.buffer);
      if (this.n + k <= this.buf.length) return;
    }
    (this.stream ??= this.sha256Stream()).update(this.buf.subarray(0, this.n));
    this.flushed += this.n;
    this.n = 0;
  }
  private raw(b: Uint8Array): void { this.need(b.length); this.buf.set(b, this.n); this.n += b.length; }
  private u32(v: number): void { this.need(4); this.dv.setUint32(this.n, v, true); this.n += 4; }
  private i64(v: number | bigint): void {
    this.need(8);
    if (typeof v === 'number') { // i32 arguments and results: no BigInt on the hot path
      this.dv.setInt32(this.n, v, true);
      this.dv.setInt32(this.n + 4, v < 0 ? -1 : 0, true);
    } else this.dv.setBigInt64(this.n, BigInt.asIntN(64, v), true);
    this.n += 8;
  }
  private bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.raw(b.length <= INLINE_BYTES ? b : this.sha256(b));
  }
  /** call_id ‖ u8 argc ‖ i64 args ‖ bytes_in ‖ bytes_out ‖ i64 result; bytes = u32 len ‖ (≤4096 B raw | SHA-256). */
  record(id: number, args: readonly (number | bigint)[], inBytes: Uint8Array, outBytes: Uint8Array, result: number | bigint): void {
    const size = 2 + 8 * args.length + 8 + 8 + (inBytes.length <= INLINE_BYTES ? inBytes.length : 32) + (outBytes.length <= INLINE_BYTES ? outBytes.length : 32);
    if (this.size + size > TRANSCRIPT_MAX_BYTES) {
      const name = HOSTCALLS[id]?.name ?? (id === TRANSCRIPT_ID.abort ? 'abort' : 'trace');
      fault(name, `the run's transcript would exceed ${TRANSCRIPT_MAX_BYTES} bytes`, { limit: 'transcript', transcriptBytes: this.size });
    }
    this.need(2);
    this.buf[this.n++] = id;
    this.buf[this.n++] = args.length;
    for (const a of args) this.i64(typeof a === 'number' ? a | 0 : a);
    this.bytes(inBytes);
    this.bytes(outBytes);
    this.i64(typeof result === 'number' ? result | 0 : result);
  }
  hash(): Uint8Array {
    if (this.stream === null) return this.sha256(this.buf.subarray(0, this.n));
    this.stream.update(this.buf.subarray(0, this.n));
    return new Uint8Array(this.stream.digest());
  }
}

/** Everything a hostcall may touch during one run. */
export interface RunState {
  input: ExecInput;
  moduleId: string;
  memory: WebAssembly.Memory | null;
  /**
   * Subtracts `amount` (u32) from the guest's fuel counter and returns 1 while it is still >= 0, else 0. The
   * instrumenter exports it from the guest (`__kapsule_charge`), so no BigInt is made per hostcall.
   */
  charge: ((amount: number) => number) | null;
  writes: StateWrites;
  output: Uint8Array;
  logs: string[];
  logTruncated: boolean;
  transcript: Transcript;
  /** Encoded capsule metadata and context, computed on first use. */
  metaBytes: Uint8Array | null;
  contextBytes: Uint8Array | null;
  /**
   * Encodings computed during the run, kept so that a size probe followed by the read (or repeated probes) encodes
   * once: each parent's metadata (at most 32), and the last child's. Optional: created on first use.
   */
  encoded?: { parents: (Uint8Array | undefined)[]; child: { key: string; bytes: Uint8Array } | null };
  /** Capsules (hex) whose children this run has listed: the first read of a list is charged per child (costs.ts). */
  listed?: Set<string>;
}

const EMPTY = new Uint8Array(0);
const lossy = new TextDecoder('utf-8');

function fault(name: string, message: string, details: Record<string, unknown> = {}): never {
  throw new KapsuleError('HOSTCALL_FAULT', 'execute', `${name}: ${message}`, { hostcall: name, ...details });
}

export class HostEnv {
  current: RunState | null = null;
  private view: Uint8Array = EMPTY;
  /** The `kapsule_v1` namespace: one function per table row. */
  readonly hostcalls: Record<string, (...args: never[]) => number | bigint | void>;
  readonly abort: (msg: number, file: number, line: number, col: number) => void;
  readonly trace: (msg: number, n: number, a0: number, a1: number, a2: number, a3: number, a4: number) => void;

  constructor() {
    const impl = this.implementations();
    this.hostcalls = {};
    for (const spec of HOSTCALLS) {
      const f = impl[spec.name];
      if (!f) throw new Error(`hostcall ${spec.name} has no implementation`);
      if (f.length !== spec.params.length) throw new Error(`hostcall ${spec.name}: implementation takes ${f.length} args, table says ${spec.params.length}`);
      this.hostcalls[spec.name] = f;
    }
    for (const name of Object.keys(impl)) if (!HOSTCALL_BY_NAME.has(name)) throw new Error(`implementation ${name} is not in the table`);
    this.abort = (msg, file, line, col) => this.doAbort(msg, file, line, col);
    this.trace = (msg, n, a0, a1, a2, a3, a4) => this.doTrace(msg, n, [a0, a1, a2, a3, a4]);
  }

  importObject(memory: WebAssembly.Memory | null): WebAssembly.Imports {
    const env: Record<string, WebAssembly.ImportValue> = { abort: this.abort, trace: this.trace };
    if (memory) env.memory = memory;
    return { [HOSTCALL_NAMESPACE]: this.hostcalls as unknown as Record<string, WebAssembly.ImportValue>, env };
  }

  private rs(): RunState {
    const rs = this.current;
    if (!rs) throw new Error('hostcall outside of a run');
    return rs;
  }

  private mem(rs: RunState): Uint8Array {
    if (!rs.memory) return EMPTY;
    if (this.view.byteLength === 0 || this.view.buffer !== rs.memory.buffer) this.view = new Uint8Array(rs.memory.buffer);
    return this.view;
  }

  private charge(rs: RunState, spec: HostcallSpec, bytes: number): void {
    this.chargeAmount(rs, spec, spec.cost.base + spec.cost.perByte * bytes);
  }
  /** Only the per-byte part (the base was charged earlier in the same call). */
  private chargeBytes(rs: RunState, spec: HostcallSpec, bytes: number): void {
    this.chargeAmount(rs, spec, spec.cost.perByte * bytes);
  }
  /**
   * The first read of `id`'s children in this run lists them (a store query returning every child with its bytes):
   * COST_TABLE.childListPerChild per child listed, once per list per run (cost table 3).
   */
  private chargeList(rs: RunState, spec: HostcallSpec, id: Uint8Array, count: (id: Uint8Array) => number): void {
    const k = toHex(id);
    const listed = (rs.listed ??= new Set());
    if (listed.has(k)) return;
    listed.add(k);
    const n = count(id);
    if (n > 0) this.chargeAmount(rs, spec, n * COST_TABLE.childListPerChild);
  }
  private chargeAmount(rs: RunState, spec: HostcallSpec, amount: number): void {
    if (!rs.charge!(amount > 0x7fffffff ? 0x7fffffff : amount)) throw new KapsuleError('OUT_OF_FUEL', 'execute', `out of fuel in hostcall ${spec.name}`, { hostcall: spec.name });
  }

  /** Bounds-checked range of guest memory (a view, not a copy). */
  private range(rs: RunState, name: string, ptr: number, len: number): Uint8Array {
    const p = ptr >>> 0, n = len >>> 0;
    const m = this.mem(rs);
    if (p + n > m.length) fault(name, `range [${p}, ${p + n}) is outside guest memory (${m.length} bytes)`, { ptr: p, len: n });
    return m.subarray(p, p + n);
  }

  /**
   * The buffer convention: returns value.length; copies only when it fits in out_cap. The out range must be
   * inside memory whatever the answer: calls that may return a status instead (ABSENT, OUT_OF_RANGE,
   * UNAVAILABLE) check it themselves first, so a bad buffer faults the same way whatever the state holds.
   */
  /**
   * `produced`: the host read or built `value` for this call (a store read, a metadata encoding), so its bytes are
   * charged even when they do not fit (HOSTCALL_CHARGE_VERSION 2); otherwise only bytes copied out are charged.
   */
  private deliver(rs: RunState, spec: HostcallSpec, id: number, args: number[], inBytes: Uint8Array, value: Uint8Array, outPtr: number, outCap: number, produced = false): number {
    const dst = this.range(rs, spec.name, outPtr, outCap);
    const fits = value.length <= dst.length;
    this.charge(rs, spec, inBytes.length + (fits || produced ? value.length : 0));
    if (fits) dst.set(value);
    rs.transcript.record(id, args, inBytes, fits ? value : EMPTY, value.length);
    return value.length;
  }

  private status(rs: RunState, spec: HostcallSpec, id: number, args: (number | bigint)[], inBytes: Uint8Array, code: number): number {
    this.charge(rs, spec, inBytes.length);
    rs.transcript.record(id, args, inBytes, EMPTY, code);
    return code;
  }

  private id(rs: RunState, name: string, ptr: number, len: number, min: number, max: number): Uint8Array {
    const n = len >>> 0;
    if (n < min || n > max) fault(name, `length ${n} outside [${min}, ${max}]`, { len: n });
    return this.range(rs, name, ptr, n).slice();
  }

  private implementations(): Record<string, (...args: never[]) => number | bigint | void> {
    const spec = (name: string) => HOSTCALL_BY_NAME.get(name)!;
    const idx = (name: string) => HOSTCALLS.indexOf(spec(name));
    const S = {
      get_context: spec('get_context'), get_capsule_metadata: spec('get_capsule_metadata'), get_payload: spec('get_payload'),
      get_parent_count: spec('get_parent_count'), get_parent_metadata: spec('get_parent_metadata'),
      get_child_count: spec('get_child_count'), get_child_metadata: spec('get_child_metadata'),
      submit_capsule_result: spec('submit_capsule_result'), get_trust_score: spec('get_trust_score'),
      set_trust_score: spec('set_trust_score'), get_balance: spec('get_balance'), set_balance: spec('set_balance'),
      kv_get: spec('kv_get'), kv_set: spec('kv_set'), kv_delete: spec('kv_delete'), log: spec('log'),
    };
    const I = Object.fromEntries(Object.keys(S).map((k) => [k, idx(k)])) as Record<keyof typeof S, number>;

    return {
      get_context: (outPtr: number, outCap: number): number => {
        const rs = this.rs();
        rs.contextBytes ??= encodeContext(rs.input.context);
        return this.deliver(rs, S.get_context, I.get_context, [outPtr, outCap], EMPTY, rs.contextBytes, outPtr, outCap);
      },
      get_capsule_metadata: (outPtr: number, outCap: number): number => {
        const rs = this.rs();
        this.range(rs, 'get_capsule_metadata', outPtr, outCap); // checked on the status path too (see deliver)
        if (rs.input.capsule === null) return this.status(rs, S.get_capsule_metadata, I.get_capsule_metadata, [outPtr, outCap], EMPTY, STATUS.ABSENT);
        rs.metaBytes ??= encodeMeta(rs.input.capsule);
        return this.deliver(rs, S.get_capsule_metadata, I.get_capsule_metadata, [outPtr, outCap], EMPTY, rs.metaBytes, outPtr, outCap);
      },
      get_payload: (outPtr: number, outCap: number): number => {
        const rs = this.rs();
        this.range(rs, 'get_payload', outPtr, outCap); // checked on the status path too (see deliver)
        const p = rs.input.payload;
        if (p === null) return this.status(rs, S.get_payload, I.get_payload, [outPtr, outCap], EMPTY, STATUS.ABSENT);
        return this.deliver(rs, S.get_payload, I.get_payload, [outPtr, outCap], EMPTY, p, outPtr, outCap);
      },
      get_parent_count: (): number => {
        const rs = this.rs();
        return this.status(rs, S.get_parent_count, I.get_parent_count, [], EMPTY, rs.input.parents.length);
      },
      get_parent_metadata: (index: number, outPtr: number, outCap: number): number => {
        const rs = this.rs();
        const i = index >>> 0;
        const args = [index, outPtr, outCap];
        this.range(rs, 'get_parent_metadata', outPtr, outCap);
        if (i >= rs.input.parents.length) return this.status(rs, S.get_parent_metadata, I.get_parent_metadata, args, EMPTY, STATUS.OUT_OF_RANGE);
        const m = rs.input.parents[i];
        if (m === null) return this.status(rs, S.get_parent_metadata, I.get_parent_metadata, args, EMPTY, STATUS.ABSENT);
        const enc = (rs.encoded ??= { parents: [], child: null });
        const fresh = enc.parents[i] === undefined;
        const bytes = (enc.parents[i] ??= encodeMeta(m));
        // the encoding's bytes are charged when made (even if they do not fit) or copied out; a repeated size probe
        // of a parent this run already encoded costs the base
        return this.deliver(rs, S.get_parent_metadata, I.get_parent_metadata, args, EMPTY, bytes, outPtr, outCap, fresh);
      },
      get_child_count: (idPtr: number): number => {
        const rs = this.rs();
        const id = this.range(rs, 'get_child_count', idPtr, 32).slice();
        const st = rs.input.state;
        if (!st.childCount) return this.status(rs, S.get_child_count, I.get_child_count, [idPtr], id, STATUS.UNAVAILABLE);
        this.charge(rs, S.get_child_count, id.length);
        this.chargeList(rs, S.get_child_count, id, st.childCount);
        const n = st.childCount(id);
        rs.transcript.record(I.get_child_count, [idPtr], id, EMPTY, n);
        return n;
      },
      get_child_metadata: (idPtr: number, index: number, outPtr: number, outCap: number): number => {
        const rs = this.rs();
        const id = this.range(rs, 'get_child_metadata', idPtr, 32).slice();
        const args = [idPtr, index, outPtr, outCap];
        const dst = this.range(rs, 'get_child_metadata', outPtr, outCap);
        const st = rs.input.state;
        if (!st.childMetadata) return this.status(rs, S.get_child_metadata, I.get_child_metadata, args, id, STATUS.UNAVAILABLE);
        // base + the id, charged once, before the state read; then the metadata's bytes, fitting or not
        // (HOSTCALL_CHARGE_VERSION 2: version 1 charged the base a second time here, and no bytes on a miss)
        this.charge(rs, S.get_child_metadata, id.length);
        if (st.childCount) this.chargeList(rs, S.get_child_metadata, id, st.childCount);
        const m = st.childMetadata(id, index >>> 0);
        if (m === null) {
          rs.transcript.record(I.get_child_metadata, args, id, EMPTY, STATUS.OUT_OF_RANGE);
          return STATUS.OUT_OF_RANGE;
        }
        const enc = (rs.encoded ??= { parents: [], child: null });
        const key = `${toHex(id)}/${index >>> 0}`;
        const fresh = enc.child?.key !== key;
        if (fresh) enc.child = { key, bytes: encodeMeta(m) };
        const value = enc.child!.bytes;
        const fits = value.length <= dst.length;
        // decoding and encoding a child, and its bytes, are charged when done (a size probe then a read of the same
        // child decode it once); bytes copied out are charged whenever they are (cost table 3)
        if (fresh) this.chargeAmount(rs, S.get_child_metadata, COST_TABLE.childDecode);
        if (fresh || fits) this.chargeBytes(rs, S.get_child_metadata, value.length);
        if (fits) dst.set(value);
        rs.transcript.record(I.get_child_metadata, args, id, fits ? value : EMPTY, value.length);
        return value.length;
      },
      submit_capsule_result: (ptr: number, len: number): number => {
        const rs = this.rs();
        if (len >>> 0 > L.maxResultBytes) fault('submit_capsule_result', `result of ${len >>> 0} bytes exceeds ${L.maxResultBytes}`, { len: len >>> 0 });
        const src = this.range(rs, 'submit_capsule_result', ptr, len);
        this.charge(rs, S.submit_capsule_result, src.length);
        rs.output = src.slice();
        rs.transcript.record(I.submit_capsule_result, [ptr, len], rs.output, EMPTY, STATUS.OK);
        return STATUS.OK;
      },
      get_trust_score: (ptr: number, len: number): bigint => {
        const rs = this.rs();
        const subject = this.id(rs, 'get_trust_score', ptr, len, 1, L.maxIdBytes);
        this.charge(rs, S.get_trust_score, subject.length);
        const key = toHex(subject);
        const v = rs.writes.trust.get(key) ?? rs.input.state.trustScore(subject);
        const r = BigInt.asIntN(64, v);
        rs.transcript.record(I.get_trust_score, [ptr, len], subject, EMPTY, r);
        return r;
      },
      set_trust_score: (ptr: number, len: number, score: bigint): number => {
        const rs = this.rs();
        this.writable(rs, 'set_trust_score');
        const subject = this.id(rs, 'set_trust_score', ptr, len, 1, L.maxIdBytes);
        if (score < 0n) fault('set_trust_score', `score ${score} is negative`);
        this.charge(rs, S.set_trust_score, subject.length);
        rs.writes.trust.set(toHex(subject), score);
        rs.transcript.record(I.set_trust_score, [ptr, len, score], subject, EMPTY, STATUS.OK);
        return STATUS.OK;
      },
      get_balance: (ptr: number, len: number): bigint => {
        const rs = this.rs();
        const account = this.id(rs, 'get_balance', ptr, len, 1, L.maxIdBytes);
        this.charge(rs, S.get_balance, account.length);
        const v = rs.writes.balances.get(toHex(account)) ?? rs.input.state.balance(account);
        const r = BigInt.asIntN(64, v);
        rs.transcript.record(I.get_balance, [ptr, len], account, EMPTY, r);
        return r;
      },
      set_balance: (ptr: number, len: number, amount: bigint): number => {
        const rs = this.rs();
        this.writable(rs, 'set_balance');
        const account = this.id(rs, 'set_balance', ptr, len, 1, L.maxIdBytes);
        if (amount < 0n) fault('set_balance', `amount ${BigInt.asUintN(64, amount)} is >= 2^63`);
        this.charge(rs, S.set_balance, account.length);
        rs.writes.balances.set(toHex(account), amount);
        rs.transcript.record(I.set_balance, [ptr, len, amount], account, EMPTY, STATUS.OK);
        return STATUS.OK;
      },
      kv_get: (keyPtr: number, keyLen: number, outPtr: number, outCap: number): number => {
        const rs = this.rs();
        const key = this.id(rs, 'kv_get', keyPtr, keyLen, 0, L.maxKvKeyBytes);
        const hex = toHex(key);
        const args = [keyPtr, keyLen, outPtr, outCap];
        this.range(rs, 'kv_get', outPtr, outCap);
        const v = rs.writes.kv.has(hex) ? rs.writes.kv.get(hex)! : rs.input.state.kvGet(rs.moduleId, key);
        if (v === null) return this.status(rs, S.kv_get, I.kv_get, args, key, STATUS.ABSENT);
        return this.deliver(rs, S.kv_get, I.kv_get, args, key, v, outPtr, outCap, true);
      },
      kv_set: (keyPtr: number, keyLen: number, valuePtr: number, valueLen: number): number => {
        const rs = this.rs();
        this.writable(rs, 'kv_set');
        const key = this.id(rs, 'kv_set', keyPtr, keyLen, 0, L.maxKvKeyBytes);
        if (valueLen >>> 0 > L.maxKvValueBytes) fault('kv_set', `value of ${valueLen >>> 0} bytes exceeds ${L.maxKvValueBytes}`, { len: valueLen >>> 0 });
        const value = this.range(rs, 'kv_set', valuePtr, valueLen);
        const hex = toHex(key);
        if (!rs.writes.kv.has(hex) && rs.writes.kv.size >= L.maxKvWrites) fault('kv_set', `more than ${L.maxKvWrites} keys written in one run`);
        this.charge(rs, S.kv_set, key.length + value.length);
        const copy = value.slice();
        rs.writes.kv.set(hex, copy);
        rs.transcript.record(I.kv_set, [keyPtr, keyLen, valuePtr, valueLen], concat2(key, copy), EMPTY, STATUS.OK);
        return STATUS.OK;
      },
      kv_delete: (keyPtr: number, keyLen: number): number => {
        const rs = this.rs();
        this.writable(rs, 'kv_delete');
        const key = this.id(rs, 'kv_delete', keyPtr, keyLen, 0, L.maxKvKeyBytes);
        const hex = toHex(key);
        if (!rs.writes.kv.has(hex) && rs.writes.kv.size >= L.maxKvWrites) fault('kv_delete', `more than ${L.maxKvWrites} keys written in one run`);
        this.charge(rs, S.kv_delete, key.length);
        rs.writes.kv.set(hex, null);
        rs.transcript.record(I.kv_delete, [keyPtr, keyLen], key, EMPTY, STATUS.OK);
        return STATUS.OK;
      },
      log: (ptr: number, len: number): void => {
        const rs = this.rs();
        const src = this.range(rs, 'log', ptr, len);
        const line = src.subarray(0, L.maxLogLineBytes);
        this.charge(rs, S.log, line.length);
        this.pushLog(rs, lossy.decode(line));
        rs.transcript.record(I.log, [ptr, len], line, EMPTY, 0);
      },
    };
  }

  /** A query (the read-only entry point) may not write: any write hostcall faults. */
  private writable(rs: RunState, name: string): void {
    if (rs.input.entry === 'query') fault(name, 'a query is read-only: it may not write state');
  }

  private pushLog(rs: RunState, line: string): void {
    if (rs.logs.length < L.maxLogLines) rs.logs.push(line);
    else if (!rs.logTruncated) { rs.logTruncated = true; rs.logs.push('[log truncated]'); }
  }

  /** An AssemblyScript string (UTF-16LE, byte length at ptr − 4), bounded; null when absent or out of bounds. */
  private asString(rs: RunState, ptr: number): string | null {
    const p = ptr >>> 0;
    const m = this.mem(rs);
    if (p === 0 || p < 4 || p > m.length) return null;
    const byteLen = (m[p - 4] | (m[p - 3] << 8) | (m[p - 2] << 16) | (m[p - 1] << 24)) >>> 0;
    const n = Math.min(byteLen >>> 1, L.maxAbortChars);
    if (p + n * 2 > m.length) return null;
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(m[p + 2 * i] | (m[p + 2 * i + 1] << 8));
    return (byteLen >>> 1) > n ? `${s}…` : s;
  }

  private doAbort(msg: number, file: number, line: number, col: number): never {
    const rs = this.rs();
    const message = this.asString(rs, msg) ?? '(no message)';
    const fileName = this.asString(rs, file) ?? '?';
    rs.transcript.record(TRANSCRIPT_ID.abort, [msg, file, line, col], EMPTY, EMPTY, 0);
    throw new KapsuleError('TRAP', 'execute', `guest aborted: ${message} at ${fileName}:${line >>> 0}:${col >>> 0}`, {
      abort: { message, file: fileName, line: line >>> 0, column: col >>> 0 },
    });
  }

  private doTrace(msg: number, n: number, args: number[]): void {
    const rs = this.rs();
    const spec = HOSTCALL_BY_NAME.get('log')!;
    const text = this.asString(rs, msg) ?? '';
    const k = Math.max(0, Math.min(n | 0, 5));
    const line = k > 0 ? `${text} ${args.slice(0, k).map((x) => String(x)).join(', ')}` : text;
    const bytes = new TextEncoder().encode(line).subarray(0, L.maxLogLineBytes);
    this.chargeAmount(rs, spec, COST_TABLE.traceBase + spec.cost.perByte * bytes.length);
    this.pushLog(rs, lossy.decode(bytes));
    rs.transcript.record(TRANSCRIPT_ID.trace, [msg, n], bytes, EMPTY, 0);
  }
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
