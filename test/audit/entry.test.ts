/** Audit entry encoding: round trip for every type, one pinned layout, strict rejection of anything else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes, toHex } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import {
  decodeEntry, encodeEntry, entryToJSON, ENTRY_TYPES, ENTRY_TYPE_CODES, ENTRY_VERSION, type AuditEntry,
} from '../../host/src/audit/entry.ts';

const isAudit = (e: unknown) => e instanceof KapsuleError && e.code === 'AUDIT_INVALID' && e.stage === 'audit';
const H = (n: number) => new Uint8Array(32).fill(n);

const SAMPLES: AuditEntry[] = [
  { type: 'capsule_rejected', capsuleId: H(1), bytesHash: H(2), code: 'SIGNATURE_INVALID', stage: 'verify' },
  { type: 'capsule_rejected', capsuleId: null, bytesHash: H(2), code: 'FORMAT_INVALID', stage: 'parse' },
  { type: 'capsule_duplicate', capsuleId: H(3) },
  { type: 'capsule_orphaned', capsuleId: H(4), missing: [H(5)] },
  { type: 'capsule_orphaned', capsuleId: H(4), missing: Array.from({ length: 255 }, (_, i) => H(i)) },
  { type: 'orphan_resolved', capsuleId: H(6) },
  { type: 'capsule_stored', capsuleId: H(7), status: 'stored' },
  { type: 'capsule_stored', capsuleId: H(7), status: 'not-recipient' },
  {
    type: 'capsule_executed', capsuleId: H(8), moduleId: H(9), instrumenterVersion: 'kapsule-instrument/1 binaryen/132.0.0',
    costTableHash: H(10), inputHash: H(11), transcriptHash: H(12), outputHash: H(13), fuel: 123456789n, outcome: 'ok', now: 1_700_000_000_000n,
  },
  {
    type: 'capsule_executed', capsuleId: H(8), moduleId: H(9), instrumenterVersion: 'v', costTableHash: H(10),
    inputHash: H(11), transcriptHash: null, outputHash: null, fuel: (1n << 64n) - 1n, outcome: 'OUT_OF_FUEL', now: 0n,
  },
  { type: 'module_added', moduleId: H(14), packageHash: H(15) },
  { type: 'checkpoint', size: 0, root: H(16) },
  { type: 'checkpoint', size: Number.MAX_SAFE_INTEGER, root: H(17) },
  { type: 'capsule_stored', capsuleId: H(7), status: 'undecryptable' },
  { type: 'capsule_stored', capsuleId: H(7), status: 'awaiting-module' },
  { type: 'capsule_held', capsuleId: H(18), until: 1_800_000_000_000n },
  {
    type: 'result_changed', capsuleId: H(8), moduleId: H(9), instrumenterVersion: 'v', costTableHash: H(10),
    inputHash: H(11), transcriptHash: H(12), outputHash: H(13), fuel: 77n, outcome: 'ok', now: 5n,
    previousOutcome: 'TRAP', previousOutputHash: null, previousFuel: 99n,
  },
  {
    type: 'result_changed', capsuleId: H(8), moduleId: H(9), instrumenterVersion: 'v', costTableHash: H(10),
    inputHash: H(11), transcriptHash: null, outputHash: null, fuel: 1n, outcome: 'OUT_OF_FUEL', now: 5n,
    previousOutcome: 'ok', previousOutputHash: H(19), previousFuel: 0n,
  },
  { type: 'runs_rolled_back', capsuleId: H(20), count: 12345n },
];

test('every entry type round-trips, and every type is sampled', () => {
  assert.deepEqual(new Set(SAMPLES.map((e) => e.type)), new Set(ENTRY_TYPES));
  for (const e of SAMPLES) {
    const bytes = encodeEntry(e);
    assert.equal(bytes[0], ENTRY_VERSION);
    assert.equal(bytes[1], ENTRY_TYPE_CODES[e.type]);
    assert.deepEqual(decodeEntry(bytes), e, e.type);
    assert.deepEqual(encodeEntry(decodeEntry(bytes)), bytes, `${e.type}: canonical`);
  }
});

test('the capsule_executed layout is pinned', () => {
  const e = SAMPLES[9];
  const hex = toHex(encodeEntry(e));
  const expected = [
    '03', '06', toHex(H(8)), toHex(H(9)), '01', '76', toHex(H(10)), toHex(H(11)), '00', '00',
    'ffffffffffffffff', '0b', toHex(new TextEncoder().encode('OUT_OF_FUEL')), '0000000000000000',
  ].join('');
  assert.equal(hex, expected);
});

test('truncation at every byte and any trailing byte are rejected', () => {
  for (const e of SAMPLES) {
    const bytes = encodeEntry(e);
    for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeEntry(bytes.subarray(0, n)), isAudit, `${e.type} cut at ${n}`);
    assert.throws(() => decodeEntry(concatBytes(bytes, Uint8Array.of(0))), isAudit, `${e.type} + trailing byte`);
  }
});

test('malformed fields are rejected on decode', () => {
  const patch = (e: AuditEntry, at: number, v: number) => { const b = encodeEntry(e); b[at] = v; return b; };
  const executed = SAMPLES[9];
  const exec = encodeEntry(executed);
  const bad: [string, Uint8Array][] = [
    ['version 2', patch(SAMPLES[2], 0, 2)],
    ['version 4', patch(SAMPLES[2], 0, 4)],
    ['type 0', patch(SAMPLES[2], 1, 0)],
    ['type 12', patch(SAMPLES[2], 1, 12)],
    ['presence tag 2', patch(SAMPLES[0], 2, 2)],
    ['status 0', patch(SAMPLES[6], 34, 0)],
    ['status 5', patch(SAMPLES[6], 34, 5)],
    ['orphaned with no parents', patch(SAMPLES[3], 34, 0)],
    ['empty instrumenter version', patch(executed, 66, 0)],
    ['control char in instrumenter version', patch(executed, 67, 0x0a)],
    ['non-ASCII in instrumenter version', patch(executed, 67, 0xc3)],
    ['unknown outcome', (() => { const b = exec.slice(); b[b.length - 10] = 'X'.charCodeAt(0); return b; })()],
    ['checkpoint size past 2^53', (() => { const b = encodeEntry(SAMPLES[12]); b[2] = 0xff; return b; })()],
    ['unknown previous outcome', (() => { const b = encodeEntry(SAMPLES[16]); b[b.length - 8 - 1 - 1] = 'X'.charCodeAt(0); return b; })()],
  ];
  // a code/stage that is not an ErrorCode/Stage
  const rej = encodeEntry(SAMPLES[0]);
  const codeAt = 2 + 33 + 32 + 1;
  const rejBad = rej.slice(); rejBad[codeAt] = 'Z'.charCodeAt(0);
  bad.push(['unknown error code', rejBad]);
  for (const [what, bytes] of bad) assert.throws(() => decodeEntry(bytes), isAudit, what);
});

test('the encoder refuses values outside the layout', () => {
  const base = SAMPLES[8] as Extract<AuditEntry, { type: 'capsule_executed' }>;
  const bad: unknown[] = [
    { type: 'nope' },
    { ...base, capsuleId: new Uint8Array(31) },
    { ...base, fuel: -1n },
    { ...base, fuel: 1n << 64n },
    { ...base, now: -5n },
    { ...base, outcome: 'exploded' },
    { ...base, instrumenterVersion: '' },
    { ...base, instrumenterVersion: 'x'.repeat(256) },
    { ...base, instrumenterVersion: 'caf\u00e9' },
    { type: 'capsule_stored', capsuleId: H(1), status: 'executed' },
    { type: 'capsule_orphaned', capsuleId: H(1), missing: [] },
    { type: 'capsule_orphaned', capsuleId: H(1), missing: Array.from({ length: 256 }, () => H(0)) },
    { type: 'capsule_rejected', capsuleId: null, bytesHash: H(1), code: 'NOPE', stage: 'parse' },
    { type: 'capsule_rejected', capsuleId: null, bytesHash: H(1), code: 'TRAP', stage: 'nowhere' },
    { type: 'checkpoint', size: 1.5, root: H(1) },
    { type: 'checkpoint', size: 2 ** 53, root: H(1) },
  ];
  for (const e of bad) assert.throws(() => encodeEntry(e as AuditEntry), isAudit, JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
});

test('entryToJSON: snake_case, hex hashes, JSON-safe counters', () => {
  const j = entryToJSON(SAMPLES[9]);
  assert.deepEqual(j, {
    type: 'capsule_executed', capsule_id: toHex(H(8)), module_id: toHex(H(9)), instrumenter_version: 'v',
    cost_table_hash: toHex(H(10)), input_hash: toHex(H(11)), transcript_hash: null, output_hash: null,
    fuel: '18446744073709551615', outcome: 'OUT_OF_FUEL', now: 0,
  });
  assert.doesNotThrow(() => JSON.stringify(SAMPLES.map(entryToJSON)));
  assert.deepEqual(entryToJSON(SAMPLES[3]).missing, [toHex(H(5))]);
});
