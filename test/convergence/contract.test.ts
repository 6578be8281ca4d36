/**
 * The parts of the convergence contract that need a capsule or a module made for the purpose: module identity is
 * exact, nothing waits forever and nothing is dropped (a missing module, a stanza one recipient cannot open, a
 * capsule dated in the future), and time may not run backwards along the DAG. Each is checked in both arrival
 * orders (or on both devices) and must give the same state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime, type Runtime } from '../../host/src/node.ts';
import { buildCapsule, buildModulePackage } from '../../capsule-packer/src/build.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { pae, SIGNING_TYPES } from '../../host/src/pae.ts';
import {
  AEAD_TAG_BYTES, encodeBody, encodeCapsule, encodeCore, type CapsuleCore,
} from '../../host/src/parse/capsule.ts';
import { encryptPayload, keyCommitment, makeStanza, payloadKeys } from '../../host/src/decrypt/envelope.ts';
import { decodeEntry } from '../../host/src/audit/entry.ts';
import { compareBytes } from '../../host/src/bytes.ts';
import { testIdentity, testSeed } from '../helpers/fixtures.ts';
import { wat2wasm } from '../execute/_helpers.ts';
import { fingerprint, firstDifference } from '../helpers/scenario.ts';

const alice = testIdentity(b, 'contract/alice');
const bob = testIdentity(b, 'contract/bob');
const author = testIdentity(b, 'contract/author');
const T = 1_767_225_600_000n;
const counterWat = readFileSync(new URL('../corpus/counter.wat', import.meta.url), 'utf8');

function device(who = alice): Runtime { return openRuntime({ db: ':memory:', identity: who }); }
const u32 = (o: Uint8Array | undefined) => (o ? new DataView(o.buffer, o.byteOffset).getUint32(0, true) : null);
function post(at: bigint, logic: Uint8Array | null, parents: Uint8Array[] = [], to: Uint8Array[] | 'public' = 'public') {
  return buildCapsule(b, author, { kind: 'post', channel: 'c', createdAt: at, parents, logic, payload: utf8.encode(`{"at":${at}}`), to });
}

test('two packages of one wasm are two modules: each capsule runs under its own limits, on every device, in any order', async () => {
  const wasm = await wat2wasm(counterWat);
  const spec = { name: 'counter', version: '1', wasm, hostcalls: ['kv_get', 'kv_set', 'submit_capsule_result'], memoryPages: 1, maxDepth: 16 };
  const generous = buildModulePackage(b, author, { ...spec, fuel: 10_000_000n });
  // what an attacker does: re-sign the same public wasm with fuel 1, and get it to a device first
  const starved = buildModulePackage(b, testIdentity(b, 'contract/attacker'), { ...spec, fuel: 1n });
  assert.notEqual(generous.idHex, starved.idHex);
  const c1 = post(T, generous.id), c2 = post(T + 1n, starved.id), c3 = post(T + 2n, generous.id);
  const states = [];
  for (const order of [[starved, generous], [generous, starved]]) {
    for (const capsFirst of [false, true]) {
      const rt = device();
      if (!capsFirst) for (const m of order) rt.addModule(m.bytes);
      rt.ingestBatch([c3.bytes, c2.bytes, c1.bytes]);
      if (capsFirst) for (const m of order) rt.addModule(m.bytes);
      assert.equal(rt.get(c1.id)!.status, 'executed');
      assert.equal(u32(rt.get(c3.id)!.result!.output ?? undefined), 2, 'the generous package has its own counter');
      assert.equal(rt.get(c2.id)!.status, 'failed');
      assert.equal(rt.get(c2.id)!.result!.outcome, 'OUT_OF_FUEL', 'the starved package runs under its own fuel');
      states.push(fingerprint(rt));
      rt.close();
    }
  }
  for (const s of states.slice(1)) assert.equal(firstDifference(states[0], s), null);
});

test('a capsule whose module is not held waits in the DAG (children accepted), and runs in its place when it arrives', async () => {
  const wasm = await wat2wasm(counterWat);
  const m = buildModulePackage(b, author, { name: 'counter', version: '1', wasm, hostcalls: ['kv_get', 'kv_set', 'submit_capsule_result'], fuel: 10_000_000n, memoryPages: 1, maxDepth: 16 });
  const first = post(T, m.id);
  const child = post(T + 5n, null, [first.id]);
  const later = post(T + 10n, m.id, [child.id]);
  const rt = device();
  rt.ingestBatch([first.bytes, child.bytes]);
  assert.equal(rt.get(first.id)!.status, 'awaiting-module');
  assert.equal(rt.get(child.id)!.status, 'stored', 'its child is in the DAG, not an orphan');
  const reference = device();
  reference.addModule(m.bytes);
  reference.ingestBatch([first.bytes, child.bytes, later.bytes]);
  rt.ingest(later.bytes);
  assert.equal(rt.get(later.id)!.status, 'awaiting-module');
  const added = rt.addModule(m.bytes);
  assert.equal(added.runnable, 2);
  assert.equal(u32(rt.get(first.id)!.result!.output ?? undefined), 1, 'ran in its canonical place, first');
  assert.equal(u32(rt.get(later.id)!.result!.output ?? undefined), 2);
  assert.equal(firstDifference(fingerprint(reference), fingerprint(rt)), null);
  rt.close(); reference.close();
});

/** A hostile author's capsule: Alice's stanza opens, Bob's wraps a different key (signed all the same). */
function splitCapsule(): { bytes: Uint8Array; id: Uint8Array } {
  const cek = testSeed('contract/cek'), other = testSeed('contract/other-cek');
  const nonce = testSeed('contract/nonce').subarray(0, 24);
  const stanzas = [
    makeStanza(b, cek, alice.encPublic, testSeed('contract/eph-a')),
    makeStanza(b, other, bob.encPublic, testSeed('contract/eph-b')),
  ].sort((x, y) => compareBytes(x.recipient, y.recipient));
  const plaintext = utf8.encode('{"for":"alice only, really"}');
  const core: CapsuleCore = {
    kind: 'post', sigAlg: author.sigAlg, author: author.sigPublic, channel: 'c', createdAt: T + 100n, parents: [], flags: [],
    logic: null, encryption: { mode: 'x25519-xchacha20poly1305', recipients: stanzas, nonce }, payloadLength: plaintext.length + AEAD_TAG_BYTES,
  };
  const coreBytes = encodeCore(core);
  const keys = payloadKeys(b, cek, nonce);
  const commit = keyCommitment(b, keys, coreBytes);
  const payload = encryptPayload(b, keys, nonce, coreBytes, commit, plaintext);
  const body = encodeBody(coreBytes, commit, b.sha256(payload));
  const sig = b.sign(author.sigAlg, author.sigSecret, pae(SIGNING_TYPES.capsule, body));
  return { bytes: encodeCapsule(body, sig, payload), id: b.sha256(body) };
}

test('a stanza one recipient cannot open: stored as undecryptable and logged there, never orphaning children', () => {
  const split = splitCapsule();
  const reply = buildCapsule(b, alice, { kind: 'comment', channel: 'c', createdAt: T + 200n, parents: [split.id], payload: utf8.encode('{}'), to: 'public' });
  const heads = [];
  for (const who of [alice, bob]) {
    for (const order of [[split, reply], [reply, split]]) {
      const rt = device(who);
      rt.ingestBatch(order.map((c) => c.bytes));
      const status = rt.get(split.id)!.status;
      assert.equal(status, who === alice ? 'stored' : 'undecryptable');
      assert.equal(rt.get(reply.id)!.status, 'stored', 'the reply is in the DAG on both devices');
      if (who === bob) {
        const logged = rt.store.auditRange(0, rt.audit.size()).map((r) => decodeEntry(r.entry))
          .find((e) => e.type === 'capsule_stored' && toHex(e.capsuleId) === toHex(split.id));
        assert.deepEqual(logged && logged.type === 'capsule_stored' && logged.status, 'undecryptable');
      }
      heads.push(JSON.stringify(rt.heads()));
      rt.close();
    }
  }
  assert.equal(new Set(heads).size, 1, 'the same DAG on every device');
});

test('a capsule dated beyond the clock skew is held until the device clock reaches it; its children wait too', () => {
  const skew = 600_000n;
  const now = T;
  const early = post(now + skew, null);                    // exactly at the skew: accepted
  const ahead = post(now + 3_600_000n, null);              // an hour ahead: held
  const reply = post(now + 3_600_001n, null, [ahead.id]);  // a child is never older than its parent: held as well
  const rt = device();
  assert.equal(rt.ingest(early.bytes, { now }).status, 'stored');
  const held = rt.ingest(ahead.bytes, { now });
  assert.equal(held.status, 'held');
  assert.equal(held.holdUntil, Number(now + 3_600_000n - skew));
  assert.equal(rt.ingest(reply.bytes, { now }).status, 'held');
  assert.equal(rt.ingest(ahead.bytes, { now }).status, 'duplicate');
  assert.equal(rt.orphans().length, 2);
  rt.resume({ now: now + 3_000_000n - 1n });
  assert.equal(rt.get(ahead.id), null, 'still early: nothing moves');
  const released = rt.resume({ now: now + 3_000_000n });
  assert.deepEqual(released.map((r) => [r.id, r.status]), [[toHex(ahead.id), 'stored']]);
  assert.equal(rt.orphans().length, 1);
  // any later call with the clock past it releases the child (here: an unrelated ingest)
  rt.ingest(post(now + 5n, null).bytes, { now: now + 3_000_001n });
  assert.equal(rt.get(reply.id)!.status, 'stored');
  assert.equal(rt.orphans().length, 0);
  // a device whose clock was already there accepts both at once: the same DAG
  const other = device();
  other.ingestBatch([reply.bytes, ahead.bytes, early.bytes, post(now + 5n, null).bytes], undefined, { now: now + 4_000_000n });
  assert.equal(firstDifference(fingerprint(rt), fingerprint(other)), null);
  rt.close(); other.close();
});

test('time may not run backwards along an edge: TIME_INVALID, the same verdict whatever the order', () => {
  const parent = post(T + 1000n, null);
  const backwards = post(T + 999n, null, [parent.id]);
  const same = post(T + 1000n, null, [parent.id]);
  for (const order of [[parent, backwards, same], [same, backwards, parent]]) {
    const rt = device();
    const rs = rt.ingestBatch(order.map((c) => c.bytes));
    const r = rs[order.indexOf(backwards)];
    if (order[0] === parent) assert.equal(r.error?.code, 'TIME_INVALID');
    assert.equal(rt.get(backwards.id), null);
    assert.equal(rt.get(same.id)!.status, 'stored', 'equal created_at is allowed (depth orders them)');
    rt.close();
  }
});
