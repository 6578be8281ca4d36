/**
 * One error type for the whole runtime: a stable string `code` (documented in docs/ERRORS.md) and the
 * pipeline `stage` it came from. Expected failures are KapsuleErrors; anything else is a bug.
 */

export const ERROR_CODES = [
  'FORMAT_INVALID',
  'SIGNATURE_INVALID',
  'TIME_INVALID',
  'NOT_RECIPIENT',
  'DECRYPT_FAILED',
  'MODULE_NOT_FOUND',
  'MODULE_INVALID',
  'OUT_OF_FUEL',
  'MEMORY_LIMIT',
  'STACK_LIMIT',
  'TRAP',
  'HOSTCALL_FAULT',
  'TIMEOUT',
  'USAGE',
  'KEY_INVALID',
  'KEY_PERMISSIONS',
  'IO_ERROR',
  'STORE_ERROR',
  'AUDIT_INVALID',
  'SNAPSHOT_INVALID',
  'NOT_FOUND',
  'INTERRUPTED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const STAGES = [
  'receive', 'parse', 'verify', 'decrypt', 'execute', 'store', 'audit', 'pack', 'cli', 'key', 'sync',
] as const;
export type Stage = (typeof STAGES)[number];

export class KapsuleError extends Error {
  override readonly name = 'KapsuleError';
  readonly code: ErrorCode;
  readonly stage: Stage;
  /** Machine-readable extra facts (offending import, index, needed size...). Never secret bytes. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, stage: Stage, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.stage = stage;
    if (details !== undefined) this.details = details;
  }

  toJSON(): { code: ErrorCode; stage: Stage; message: string; details?: Record<string, unknown> } {
    const out: { code: ErrorCode; stage: Stage; message: string; details?: Record<string, unknown> } = {
      code: this.code, stage: this.stage, message: this.message,
    };
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

export function isKapsuleError(e: unknown): e is KapsuleError {
  return e instanceof KapsuleError;
}

/**
 * Exit status contract: 0 success, 1 a capsule or module was rejected or failed, 2 usage error; 130 (128 + SIGINT,
 * as shells report it) when Ctrl-C interrupted a long command.
 */
export function exitCodeFor(e: KapsuleError): 1 | 2 | 130 {
  return e.code === 'USAGE' ? 2 : e.code === 'INTERRUPTED' ? 130 : 1;
}
