// node:test reporter for `TEST_TIMINGS=1 npm test`: after the run, the test files by time spent in their tests
// (top-level tests summed; each file also pays its process start, ~1 s with tsx), slowest first.
import { relative } from 'node:path';

export default async function* timings(source) {
  const perFile = new Map();
  for await (const e of source) {
    if ((e.type === 'test:pass' || e.type === 'test:fail') && e.data.nesting === 0 && e.data.file) {
      perFile.set(e.data.file, (perFile.get(e.data.file) ?? 0) + (e.data.details?.duration_ms ?? 0));
    }
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, ms]) => s + ms, 0);
  yield `\ntime in tests per file (sum ${(total / 1000).toFixed(1)} s over ${rows.length} files; files run 2 at a time):\n`;
  for (const [file, ms] of rows) yield `${(ms / 1000).toFixed(1).padStart(7)} s  ${relative(process.cwd(), file)}\n`;
}
