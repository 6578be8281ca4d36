import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KapsuleError } from '../../host/src/errors.ts';
import { parseCapsule, encodeCore, type CapsuleCore } from '../../host/src/parse/capsule.ts';
import { parseModulePackage } from '../../host/src/parse/module.ts';
import { Writer } from '../../host/src/parse/codec.ts';

const isFormat = (e: unknown) => e instanceof KapsuleError && e.code === 'FORMAT_INVALID';

test('a claimed body length larger than the limit is refused before slicing', () => {
  const bytes = new Writer().bytes(Uint8Array.of(0x4b, 0x50, 0x53, 0x4c)).u8(1).u32(0xffffffff).finish();
  assert.throws(() => parseCapsule(bytes), (e: unknown) => isFormat(e) && /body_length/.test((e as Error).message));
});

test('a claimed payload length beyond the input is refused', () => {
  const core: CapsuleCore = {
    kind: 'post', sigAlg: 'ed25519', author: new Uint8Array(32), channel: 'c', createdAt: 1n, parents: [], flags: [],
    logic: null, encryption: { mode: 'public' }, payloadLength: 1000,
  };
  const body = new Writer().bytes(encodeCore(core)).bytes(new Uint8Array(32)).finish();
  const file = new Writer().bytes(Uint8Array.of(0x4b, 0x50, 0x53, 0x4c)).u8(1).u32(body.length).bytes(body).bytes(new Uint8Array(64)).bytes(new Uint8Array(10)).finish();
  assert.throws(() => parseCapsule(file), (e: unknown) => isFormat(e) && /payload/.test((e as Error).message));
});

test('non-canonical encodings are refused: unsorted parents, unsorted flags, bad kind', () => {
  const base: CapsuleCore = {
    kind: 'post', sigAlg: 'ed25519', author: new Uint8Array(32), channel: 'c', createdAt: 1n, parents: [], flags: [],
    logic: null, encryption: { mode: 'public' }, payloadLength: 0,
  };
  assert.throws(() => encodeCore({ ...base, parents: [new Uint8Array(32).fill(2), new Uint8Array(32).fill(1)] }), isFormat);
  assert.throws(() => encodeCore({ ...base, parents: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(1)] }), isFormat);
  assert.throws(() => encodeCore({ ...base, flags: [['z', '1'], ['a', '2']] }), isFormat);
  assert.throws(() => encodeCore({ ...base, kind: 'Post' }), isFormat);
  assert.throws(() => encodeCore({ ...base, channel: 'a\nb' }), isFormat);
  assert.throws(() => encodeCore({ ...base, parents: Array.from({ length: 33 }, (_, i) => new Uint8Array(32).fill(i)) }), isFormat);
});

test('garbage and empty inputs are typed errors', () => {
  for (const input of [new Uint8Array(0), new Uint8Array(3), new TextEncoder().encode('KPSL'), new Uint8Array(100).fill(0xff)]) {
    assert.throws(() => parseCapsule(input), isFormat);
    assert.throws(() => parseModulePackage(input), isFormat);
  }
});
