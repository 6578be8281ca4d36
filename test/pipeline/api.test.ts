/**
 * The public API's shape: `kapsule-rt/node` (host/src/node.ts) is everything of `kapsule-rt` (host/src/index.ts)
 * plus the Node additions, the same bindings (one KapsuleError class whichever entry an app imports); the
 * capsule-building API is there; key files load path-first, and the old backend-first order still works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as portable from '../../host/src/index.ts';
import * as node from '../../host/src/node.ts';
import { tempDir } from '../helpers/fixtures.ts';

test('kapsule-rt/node re-exports the whole portable API (same bindings) and adds the Node surface', () => {
  const n = node as Record<string, unknown>;
  const p = portable as Record<string, unknown>;
  for (const k of Object.keys(p)) {
    assert.ok(k in n, `${k} is missing from kapsule-rt/node`);
    if (k !== 'checkModule') assert.equal(n[k], p[k], `${k} is another binding in kapsule-rt/node`);
  }
  assert.equal(typeof (n.nativeBackend as { sign?: unknown }).sign, 'function');
  for (const k of ['openRuntime', 'SqliteStore', 'Sandbox', 'loadSecretIdentity', 'loadPublicIdentity', 'saveIdentity',
    'PrecheckPool', 'defaultWorkers', 'checkModule']) assert.equal(typeof n[k], 'function', `kapsule-rt/node.${k}`);
  for (const k of ['buildCapsule', 'buildModulePackage', 'checkModule', 'parseModuleJson', 'devRun', 'parseStateFixture', 'generateIdentity']) {
    assert.equal(typeof p[k], 'function', `kapsule-rt.${k}`);
  }
});

test('loadSecretIdentity(path), (path, backend) and the old (backend, path) load the same identity', () => {
  const d = tempDir();
  const path = join(d, 'k.key');
  const id = node.generateIdentity(node.nobleBackend, 'p256', 'test');
  node.saveIdentity(id, path);
  const a = node.loadSecretIdentity(path);
  const b = node.loadSecretIdentity(path, node.nobleBackend);
  const c = node.loadSecretIdentity(node.nativeBackend, path);
  for (const x of [a, b, c]) assert.deepEqual(x.sigPublic, id.sigPublic);
  assert.deepEqual(node.loadPublicIdentity(`${path}.pub`).sigPublic, id.sigPublic);
  assert.throws(() => node.loadSecretIdentity(path, {} as never), TypeError);
  assert.throws(() => (node.loadSecretIdentity as (x: unknown) => unknown)(42), TypeError);
});

test('the capsule-building API makes what the pipeline accepts', () => {
  const b = node.nobleBackend;
  const alice = node.generateIdentity(b, 'ed25519');
  const bob = node.generateIdentity(b, 'ed25519');
  const cap = node.buildCapsule(b, alice, { kind: 'post', channel: 'c', createdAt: 1n, payload: node.utf8.encode('hi'), to: [bob.encPublic] });
  const rt = new node.Runtime({ store: new node.MemoryStore(), backend: b, identity: bob });
  const r = rt.ingest(cap.bytes, { now: 10n });
  assert.equal(r.status, 'stored');
  assert.equal(r.id, cap.idHex);
  assert.equal(rt.query({}).length, 1);
  assert.ok('result' in rt.query({})[0], 'query() records carry their result');
});
