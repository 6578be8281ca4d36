/**
 * Worker-thread entry of the precheck pool (./pool.ts): parse → verify → decrypt on node:crypto, for batches the
 * main thread posts. Replies carry only successes (see `Precheck`); anything that fails here is left to the main
 * thread's pipeline, which rejects it with the canonical error.
 */
import { parentPort, workerData, isMainThread } from 'node:worker_threads';
import { nativeBackend as b } from '../crypto/native.ts';
import { parseCapsule } from '../parse/capsule.ts';
import { LIMITS } from '../parse/limits.ts';
import { verifyParsedCapsule } from './index.ts';
import { decryptCapsule } from '../decrypt/index.ts';
import type { Precheck } from '../pipeline.ts';

export interface PrecheckWorkerData {
  kind: 'kapsule-precheck';
  enc: { encSecret: Uint8Array; encPublic: Uint8Array } | null;
}
export interface PrecheckRequest { items: Uint8Array[] }
export type PrecheckReply = { out: (Precheck | null)[] } | { ready: true };

/** The precheck of one capsule, or null (the pipeline will do, and report, the work itself). */
export function precheckOne(bytes: Uint8Array, enc: PrecheckWorkerData['enc']): Precheck | null {
  if (!(bytes instanceof Uint8Array) || bytes.length > LIMITS.maxCapsuleBytes) return null;
  try {
    const v = verifyParsedCapsule(b, parseCapsule(bytes));
    const pre: Precheck = { id: v.id, recipient: enc?.encPublic ?? null };
    if (v.core.encryption.mode === 'public') return pre;
    try {
      pre.decrypted = decryptCapsule(b, v, enc).plaintext;
    } catch (e) {
      if ((e as { code?: string })?.code === 'NOT_RECIPIENT') pre.decrypted = 'not-recipient';
    }
    return pre;
  } catch {
    return null;
  }
}

const wd = workerData as PrecheckWorkerData | null;
if (!isMainThread && parentPort && wd?.kind === 'kapsule-precheck') {
  const port = parentPort;
  port.on('message', (req: PrecheckRequest) => {
    const out = req.items.map((bytes) => precheckOne(bytes, wd.enc));
    port.postMessage({ out } satisfies PrecheckReply);
  });
  port.postMessage({ ready: true } satisfies PrecheckReply);
}
