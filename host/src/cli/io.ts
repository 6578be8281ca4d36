/**
 * CLI plumbing shared by both binaries: the IO sink (so tests run `main` in-process), the JSON envelope
 * `{"ok": true, ...}` / `{"ok": false, "error": {code, stage, message}}`, and the exit-status contract
 * (0 success, 1 rejected/failed, 2 usage). Library code never calls process.exit.
 */
import { exitCodeFor, KapsuleError } from '../errors.ts';
import { escapeControls } from './escape.ts';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  /** Working directory for relative paths. */
  cwd: string;
  stdin?: () => Promise<Uint8Array>;
  /**
   * Calls `handler` on Ctrl-C (SIGINT) instead of dying at once, until the returned function is called. Only a real
   * process has it: long commands then stop cleanly and say how to resume (without it they run to the end).
   */
  onInterrupt?: (handler: () => void) => () => void;
}

export function processIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY),
    cwd: process.cwd(),
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    onInterrupt: (handler) => {
      let seen = false;
      // a second Ctrl-C while the first is being honoured ends the process at once
      const h = () => { if (seen) process.exit(130); seen = true; handler(); };
      process.on('SIGINT', h);
      return () => { process.off('SIGINT', h); };
    },
  };
}

/**
 * JSON with bigint support (as decimal strings would lose type: bigints become numbers when safe, else strings), and
 * no raw control or bidi character (escape.ts): the same values, safe on a terminal.
 */
export function toJson(v: unknown): string {
  return escapeControls(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x.toString()) : x)));
}

export interface CommandResult {
  /** Exit status: 0 ok, 1 rejected/failed, 130 interrupted (with an INTERRUPTED error). */
  status: 0 | 1 | 130;
  /** Fields for the --json object (ok is added). */
  json: Record<string, unknown>;
  /** Human-readable text (already formatted). */
  text: string;
  /** When status is 1 because of a typed error, that error (for the JSON envelope; one line on stderr in text mode). */
  error?: KapsuleError;
  /** Warnings and notes for a person (stderr, text mode only: the JSON object carries what matters). */
  diagnostics?: string[];
}

/** `error CODE (stage): message`, the one line a typed error gets on stderr. */
export function errorLine(e: KapsuleError): string {
  return escapeControls(`error ${e.code} (${e.stage}): ${e.message}`) + '\n';
}

export async function runCommand(io: CliIO, json: boolean, f: () => Promise<CommandResult> | CommandResult): Promise<number> {
  try {
    const r = await f();
    if (json) {
      const obj: Record<string, unknown> = { ok: r.status === 0, ...r.json };
      if (r.error) obj.error = r.error.toJSON();
      io.out(toJson(obj) + '\n');
    } else {
      // results on stdout whatever the status; diagnostics and the error on stderr
      if (r.text) io.out(escapeControls(r.text.endsWith('\n') ? r.text : r.text + '\n', 'lines'));
      for (const d of r.diagnostics ?? []) io.err(escapeControls(d, 'lines') + '\n');
      if (r.error) io.err(errorLine(r.error));
    }
    return r.status;
  } catch (e) {
    if (!(e instanceof KapsuleError)) throw e;
    if (json) io.out(toJson({ ok: false, error: e.toJSON() }) + '\n');
    else io.err(errorLine(e));
    return exitCodeFor(e);
  }
}
