/** Small statistics and clocks shared by the benchmarks. */
import { readFileSync } from 'node:fs';

/** The middle value (upper middle for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let schedstat: boolean | null = null;

/**
 * CPU time consumed by the calling thread so far, µs. On Linux this is the scheduler's own account of the thread
 * (`/proc/thread-self/schedstat`, ns resolution): the main thread's CPU, without GC helper threads, worker threads
 * or the time other processes on a shared machine take. Elsewhere it falls back to `process.cpuUsage()` (the whole
 * process). A read costs a few µs: take it around a measured stretch, not inside it.
 */
export function threadCpuUs(): number {
  if (schedstat !== false) {
    try {
      const v = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]) / 1000;
      schedstat = true;
      return v;
    } catch { schedstat = false; }
  }
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Which clock `threadCpuUs` reads, for the method notes. */
export function cpuClockName(): string {
  threadCpuUs();
  return schedstat ? 'main-thread CPU (/proc/thread-self/schedstat)' : 'process CPU (process.cpuUsage)';
}

export interface Timed { wallUs: number; cpuUs: number }

/** Wall time and calling-thread CPU time of `f()`, µs. */
export function timed(f: () => void): Timed {
  const c0 = threadCpuUs(), t0 = performance.now();
  f();
  const wallUs = (performance.now() - t0) * 1000;
  return { wallUs, cpuUs: threadCpuUs() - c0 };
}

/** `timed` for an async `f`. Only meaningful when nothing else runs on this thread meanwhile. */
export async function timedAsync(f: () => Promise<unknown>): Promise<Timed> {
  const c0 = threadCpuUs(), t0 = performance.now();
  await f();
  const wallUs = (performance.now() - t0) * 1000;
  return { wallUs, cpuUs: threadCpuUs() - c0 };
}

/** Per-item medians over rounds: { wallUs, cpuUs } of each round divided by `n`, then the median of each. */
export function perItemMedian(rounds: Timed[], n: number): Timed {
  return { wallUs: median(rounds.map((r) => r.wallUs / n)), cpuUs: median(rounds.map((r) => r.cpuUs / n)) };
}
