/** Shared kit for the reference-module end-to-end tests: built .kmod files, identities, a runtime, capsules. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import type { Runtime } from '../../host/src/runtime.ts';
import { buildCapsule, type CapsuleSpec } from '../../capsule-packer/src/build.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import type { SecretIdentity } from '../../host/src/keys.ts';
import { tempDir, testIdentity } from '../helpers/fixtures.ts';

const root = new URL('../../', import.meta.url).pathname;
export const kmodPath = (name: string) => join(root, 'build', 'modules', `${name}.kmod`);
/** A test-corpus module built on a registry library (test/corpus/modules/<name>, built into build/test-modules). */
export const testKmodPath = (name: string) => join(root, 'build', 'test-modules', `${name}.kmod`);

export class Kit {
  readonly rt: Runtime;
  readonly moduleId: Uint8Array;
  readonly people = new Map<string, SecretIdentity>();
  private t = 1_767_225_600_000n;

  constructor(readonly module: string, readonly owner = 'owner', db?: string, kmod = kmodPath(module)) {
    this.rt = openRuntime({ db: db ?? join(tempDir(), 'm.db'), identity: this.who(owner) });
    this.moduleId = Uint8Array.from(Buffer.from(this.rt.addModule(new Uint8Array(readFileSync(kmod))).id, 'hex'));
  }

  who(name: string): SecretIdentity {
    let p = this.people.get(name);
    if (!p) { p = testIdentity(b, `module-e2e/${name}`); this.people.set(name, p); }
    return p;
  }
  key(name: string): string { return toHex(this.who(name).sigPublic); }

  /** Packs a capsule (encrypted to the owner) referencing this kit's module. */
  capsule(author: string, kind: string, payload: unknown, extra: Partial<CapsuleSpec> & { at?: bigint } = {}) {
    this.t += 60_000n;
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return buildCapsule(b, this.who(author), {
      kind, channel: extra.channel ?? 'c', createdAt: extra.at ?? this.t, parents: extra.parents ?? [],
      flags: extra.flags, logic: extra.logic === undefined ? this.moduleId : extra.logic,
      payload: utf8.encode(text), to: [this.who(this.owner).encPublic],
    });
  }

  /** Ingests and returns the decoded JSON result (throws on a non-executed status). `now` is the device clock. */
  run(c: { bytes: Uint8Array }, now?: bigint): any {
    const r = this.rt.ingest(c.bytes, now !== undefined ? { now } : {});
    if (r.status !== 'executed') throw new Error(`status ${r.status} ${r.error?.code ?? ''} ${r.error?.message ?? ''}`);
    return JSON.parse(new TextDecoder().decode(r.output));
  }

  /** The module's read-only view at an explicit `now`, decoded. */
  query(input: unknown, now: bigint): any {
    const out = this.rt.queryModule(toHex(this.moduleId), utf8.encode(JSON.stringify(input)), { now });
    return JSON.parse(new TextDecoder().decode(out.output));
  }

  /** The stored result of a capsule, decoded (null when it has none). */
  result(c: { id: Uint8Array }): any {
    const r = this.rt.get(c.id)?.result;
    return r?.output ? JSON.parse(new TextDecoder().decode(r.output)) : null;
  }
}
