/**
 * TEST-ONLY: a store holding a realistic capsule DAG of any size, for the graph page tests: threads (a post, then
 * comments and reactions replying to earlier capsules of the thread, 3% of them to two: about half the threads have
 * such a merge) over 8 channels and 40 authors;
 * about 15% run a small verdict module (executed, verdict "allow" or "hide"), 10% are encrypted to someone else
 * (not-recipient: encryption is what makes a fixture slow to build), the rest are public (stored). Deterministic: same size, same capsules.
 */
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule, buildModulePackage } from '../../capsule-packer/src/build.ts';
import { fromHex, toHex, utf8 } from '../../host/src/bytes.ts';
import { wat2wasm } from '../execute/_helpers.ts';
import { testIdentity } from './fixtures.ts';

/** Submits {"verdict":"hide"} when the payload starts with "1", else {"verdict":"allow"}. */
const VERDICT_WAT = `(module
  (import "kapsule_v1" "get_payload" (func $get_payload (param i32 i32) (result i32)))
  (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 100) "{\\"verdict\\":\\"allow\\"}")
  (data (i32.const 200) "{\\"verdict\\":\\"hide\\"}")
  (func (export "run") (result i32)
    (drop (call $get_payload (i32.const 0) (i32.const 1)))
    (if (result i32) (i32.eq (i32.load8_u (i32.const 0)) (i32.const 49))
      (then (drop (call $submit (i32.const 200) (i32.const 18))) (i32.const 0))
      (else (drop (call $submit (i32.const 100) (i32.const 19))) (i32.const 0)))))`;

export interface DagStore {
  db: string;
  total: number;
  byStatus: Record<string, number>;
  byChannel: Record<string, number>;
  byVerdict: Record<string, number>;
  ids: string[];
}

export async function buildDagStore(dir: string, n: number): Promise<DagStore> {
  const device = testIdentity(b, 'dag/device');
  const other = testIdentity(b, 'dag/other');
  const authors = Array.from({ length: 40 }, (_, i) => testIdentity(b, `dag/author${i}`));
  const mod = buildModulePackage(b, authors[0], {
    name: 'verdict', version: '1.0.0', wasm: await wat2wasm(VERDICT_WAT), hostcalls: ['get_payload', 'submit_capsule_result'],
    fuel: 10_000_000n, memoryPages: 1, maxDepth: 100,
  });
  const db = join(dir, 'dag.db');
  const rt = openRuntime({ db, identity: device });
  rt.addModule(mod.bytes);
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: DagStore = { db, total: n, byStatus: {}, byChannel: {}, byVerdict: {}, ids: [] };
  const bump = (o: Record<string, number>, k: string) => { o[k] = (o[k] ?? 0) + 1; };
  const batch: Uint8Array[] = [];
  let made = 0;
  while (made < n) {
    const size = Math.min(n - made, 1 + Math.floor(rnd() * 40));
    const channel = `ch${Math.floor(rnd() * 8)}`;
    const thread: Uint8Array[] = [];
    for (let k = 0; k < size; k++, made++) {
      const parents: Uint8Array[] = [];
      if (k > 0) {
        parents.push(thread[Math.floor(rnd() * k)]);
        if (k > 2 && rnd() < 0.03) {
          const p2 = thread[Math.floor(rnd() * k)];
          if (toHex(p2) !== toHex(parents[0])) parents.push(p2);
        }
      }
      const r = rnd();
      const kind = k === 0 ? 'post' : rnd() < 0.75 ? 'comment' : 'reaction';
      const executed = r < 0.15;
      const hidden = executed && rnd() < 0.3;
      const notRecipient = !executed && r < 0.25;
      const c = buildCapsule(b, authors[Math.floor(rnd() * authors.length)], {
        kind, channel, createdAt: BigInt(1_767_225_600_000 + made * 1000), parents,
        logic: executed ? fromHex(mod.idHex) : null, payload: utf8.encode(hidden ? '1' : '0'),
        to: notRecipient ? [other.encPublic] : 'public',
      });
      thread.push(c.id);
      batch.push(c.bytes);
      out.ids.push(toHex(c.id));
      bump(out.byStatus, executed ? 'executed' : notRecipient ? 'not-recipient' : 'stored');
      bump(out.byChannel, channel);
      if (executed) bump(out.byVerdict, hidden ? 'hide' : 'allow');
    }
  }
  rt.ingestBatch(batch, (r) => { if (r.status === 'rejected') throw new Error(`fixture capsule rejected: ${r.error?.code}`); });
  rt.close();
  return out;
}
