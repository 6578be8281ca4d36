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
}

export function progress(io: CliIO, label: string, json: boolean, hint = 'Ctrl-C stops; rerun resumes'): Progress {
  const show = io.isTTY && !json;
  let drawn = false;
  let at = 0;
  return {
    update(done, total, l = label) {
      if (!show) return;
      const now = Date.now();
      if (now - at < 100 && done < total) return;
      at = now;
      const w = 30;
      const filled = total > 0 ? Math.min(w, Math.round((done / total) * w)) : 0;
      // \x1b[K clears what a longer previous line left
      io.err(`\r${l} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${done}/${total}  (${hint})\x1b[K`);
      drawn = true;
    },
    end() {
      if (drawn) io.err('\n');
      drawn = false;
    },
  };
}
