/** File helpers (Node only): atomic writes so a failure never leaves a half-written output. */
import { renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { KapsuleError, type Stage } from './errors.ts';

export function writeFileAtomic(path: string, data: Uint8Array | string, stage: Stage, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* not created */ }
    throw new KapsuleError('IO_ERROR', stage, `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
