/**
 * Progress bars on stderr for long commands (ingest, audit replay, sync import, sync pair), on a terminal only and
 * never with --json; redrawn at most every 100 ms, so a fast run costs nothing.
 */
import type { CliIO } from './io.ts';

export interface Progress {
  /** `done` of `total` (units named by the label) so far. */
  update(done: number, total: number, label?: string): void;
  /** Ends the bar's line (if one was drawn). */
  end(): void;
  /** The last counts seen, for an interruption message. */
  readonly last: { done: number; total: number; label: string };
}

export function progress(io: CliIO, label: string, json: boolean): Progress {
  const show = io.isTTY && !json;
  let drawn = false;
  let at = 0;
  const last = { done: 0, total: 0, label };
  return {
    last,
    update(done, total, l = last.label) {
      last.done = done; last.total = total; last.label = l;
      if (!show) return;
      const now = Date.now();
      if (now - at < 100 && done < total) return;
      at = now;
      const w = 30;
      const filled = total > 0 ? Math.min(w, Math.round((done / total) * w)) : 0;
      io.err(`\r${l} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${done}/${total}  (Ctrl-C stops; rerun resumes)`);
      drawn = true;
    },
    end() {
      if (drawn) io.err('\n');
      drawn = false;
    },
  };
}
