/**
 * The checkpoint witness on disk (Node only): `<db>.witness`, next to the database, holding the last checkpoint the
 * device signed for that database's log and the signer's key. A rollback or replacement of the database file alone
 * (restoring an old copy, another process writing the file) does not reach it, so the device refuses to sign a
 * forked history (audit/log.ts) and `kapsule audit verify` reports the rollback and pins the signer from it.
 *
 * It holds no secret (mode 0644). Move or back up a database together with its witness; after restoring a database
 * from a backup on purpose, delete the witness (its checkpoints after the backup are gone with the rollback).
 */
import { readFileSync } from 'node:fs';
import { KapsuleError } from '../errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import type { CheckpointWitness } from './log.ts';
import { parseCheckpoint } from './checkpoint.ts';
import { parseSigner } from './verify.ts';

export const WITNESS_FORMAT = 'kapsule-checkpoint-witness';

/** Where the witness of the database at `db` lives. */
export function witnessPath(db: string): string { return `${db}.witness`; }

/** Reads a witness file; null if there is none. A witness that exists but does not parse is AUDIT_INVALID. */
export function readWitness(path: string): { text: string; signer: string } | null {
  let raw: string;
  try { raw = readFileSync(path, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new KapsuleError('IO_ERROR', 'audit', `cannot read the checkpoint witness ${path}: ${code ?? 'error'}`);
  }
  function bad(why: string): never {
    throw new KapsuleError('AUDIT_INVALID', 'audit', `the checkpoint witness ${path} is not valid (${why}); it records the last checkpoint this device signed — find out who changed it before deleting it`);
  }
  let o: { format?: unknown; version?: unknown; signer?: unknown; checkpoint?: unknown } | null;
  try { o = JSON.parse(raw); } catch { bad('not JSON'); }
  if (o === null || typeof o !== 'object' || o.format !== WITNESS_FORMAT || o.version !== 1) bad(`not a ${WITNESS_FORMAT} v1 file`);
  const { signer, checkpoint } = o;
  if (typeof signer !== 'string' || typeof checkpoint !== 'string') bad('signer or checkpoint missing');
  try { parseSigner(signer); parseCheckpoint(checkpoint); } catch (e) { bad((e as Error).message); }
  return { text: checkpoint, signer };
}

export function fileWitness(path: string): CheckpointWitness {
  return {
    where: path,
    last: () => readWitness(path),
    save: (text, signer) => writeFileAtomic(path, JSON.stringify({ format: WITNESS_FORMAT, version: 1, signer, checkpoint: text }, null, 2) + '\n', 'audit'),
  };
}
