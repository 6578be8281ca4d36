import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KapsuleError } from '../../host/src/errors.ts';
import { parseCapsule, encodeCore, CAPSULE_VERSION, type CapsuleCore } from '../../host/src/parse/capsule.ts';
import { parseModulePackage } from '../../host/src/parse/module.ts';
import { Reader, Writer } from '../../host/src/parse/codec.ts';
import { DISPLAY_TEXT_PATTERN, KIND_PATTERN } from '../../host/src/parse/limits.ts';

const isFormat = (e: unknown) => e instanceof KapsuleError && e.code === 'FORMAT_INVALID';

test('a claimed body length larger than the limit is refused before slicing', () => {
  const bytes = new Writer().bytes(Uint8Array.of(0x4b, 0x50, 0x53, 0x4c)).u8(CAPSULE_VERSION).u32(0xffffffff).finish();
  assert.throws(() => parseCapsule(bytes), (e: unknown) => isFormat(e) && /body_length/.test((e as Error).message));
});

test('a claimed payload length beyond the input is refused', () => {
  const core: CapsuleCore = {
    kind: 'post', sigAlg: 'ed25519', author: new Uint8Array(32), channel: 'c', createdAt: 1n, parents: [], flags: [],
    logic: null, encryption: { mode: 'public' }, payloadLength: 1000,
  };
  const body = new Writer().bytes(encodeCore(core)).bytes(new Uint8Array(32)).finish();
  const file = new Writer().bytes(Uint8Array.of(0x4b, 0x50, 0x53, 0x4c)).u8(CAPSULE_VERSION).u32(body.length).bytes(body).bytes(new Uint8Array(64)).bytes(new Uint8Array(10)).finish();
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

test('a byte order mark is kept by the decoder, so it can never make two different fields read alike', () => {
  const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
  const field = (text: Uint8Array) => new Writer().u8(text.length).bytes(text).finish();
  const post = new TextEncoder().encode('post');
  // "\uFEFFpost" used to decode as "post" (TextDecoder strips a leading BOM by default)
  assert.throws(() => new Reader(field(new Uint8Array([...bom, ...post])), 'capsule').text('kind', 1, 1, 32, KIND_PATTERN), isFormat);
  assert.equal(new Reader(field(post), 'capsule').text('kind', 1, 1, 32, KIND_PATTERN), 'post');
  // where any UTF-8 is allowed, the BOM round-trips exactly instead of vanishing
  assert.equal(new Reader(field(new Uint8Array([...bom, ...post])), 'capsule').text('note', 1, 0, 64), '\ufeffpost');
  const base: CapsuleCore = {
    kind: 'post', sigAlg: 'ed25519', author: new Uint8Array(32), channel: 'c', createdAt: 1n, parents: [], flags: [],
    logic: null, encryption: { mode: 'public' }, payloadLength: 0,
  };
  assert.throws(() => encodeCore({ ...base, channel: '\ufeffgeneral' }), isFormat);
  assert.throws(() => encodeCore({ ...base, flags: [['lang', '\ufeffen']] }), isFormat);
});

test('channel names and flag values refuse C1 controls, bidi formatting and BOM; other text round-trips', () => {
  const base: CapsuleCore = {
    kind: 'post', sigAlg: 'ed25519', author: new Uint8Array(32), channel: 'c', createdAt: 1n, parents: [], flags: [],
    logic: null, encryption: { mode: 'public' }, payloadLength: 0,
  };
  for (const bad of ['\u009b31m', 'a\u0085b', 'evil\u202egpj', '\u2066x\u2069', '\u200ertl', 'x\u061c', '\u007f', 'a\u0000']) {
    assert.ok(!DISPLAY_TEXT_PATTERN.test(bad), JSON.stringify(bad));
    assert.throws(() => encodeCore({ ...base, channel: bad }), isFormat, `channel ${JSON.stringify(bad)}`);
    assert.throws(() => encodeCore({ ...base, flags: [['cw', bad]] }), isFormat, `flag ${JSON.stringify(bad)}`);
  }
  for (const ok of ['général', '日本語', 'general@0123456789abcdef0123456789abcdef', 'emoji 🎉', 'עברית']) {
    const bytes = encodeCore({ ...base, channel: ok, flags: [['cw', ok]] });
    const r = new Reader(bytes, 'core');
    r.text('kind', 1, 1, 32);
    r.u8('alg'); r.bytes(32, 'author');
    assert.equal(r.text('channel', 1, 0, 64, DISPLAY_TEXT_PATTERN), ok);
  }
});
