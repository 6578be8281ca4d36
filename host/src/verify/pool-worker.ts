/**
 * Worker-thread entry of the precheck pool (./pool.ts): parse → verify → decrypt, on the crypto backend the main
 * thread uses (native by default, noble when asked: `--backend noble` holds for the workers too), for batches the
 * main thread posts. Replies carry only successes (see `Precheck`); anything that fails here is left to the main
 * thread's pipeline, which rejects it with the canonical error.
 */
import { parentPort, workerData, isMainThread } from 'node:worker_threads';
import { nativeBackend } from '../crypto/native.ts';
import { nobleBackend } from '../crypto/noble.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import { parseCapsule } from '../parse/capsule.ts';
import { LIMITS } from '../parse/limits.ts';
import { verifyParsedCapsule } from './index.ts';
import { decryptCapsule } from '../decrypt/index.ts';
import type { Precheck } from '../pipeline.ts';

export type PrecheckBackend = 'native' | 'noble';
export interface PrecheckWorkerData {
  kind: 'kapsule-precheck';
  enc: { encSecret: Uint8Array; encPublic: Uint8Array } | null;
  /** The crypto backend to verify and decrypt with (default native). */
  backend?: PrecheckBackend;
}
export interface PrecheckRequest { items: Uint8Array[] }
/** `ready` names the backend the worker actually loaded. */
export type PrecheckReply = { out: (Precheck | null)[] } | { ready: true; backend: string };

const BACKENDS: Record<PrecheckBackend, CryptoBackend> = { native: nativeBackend, noble: nobleBackend };

/** The precheck of one capsule, or null (the pipeline will do, and report, the work itself). */
export function precheckOne(bytes: Uint8Array, enc: PrecheckWorkerData['enc'], b: CryptoBackend = nativeBackend): Precheck | null {
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
  const b = BACKENDS[wd.backend ?? 'native'];
  port.on('message', (req: PrecheckRequest) => {
    const out = req.items.map((bytes) => precheckOne(bytes, wd.enc, b));
    port.postMessage({ out } satisfies PrecheckReply);
  });
  port.postMessage({ ready: true, backend: b.name } satisfies PrecheckReply);
}
