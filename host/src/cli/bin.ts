/** Process entry for both binaries: runs `main`, sets the exit status, reports bugs without hiding them. */
import { isMainThread } from 'node:worker_threads';
import { processIO } from './io.ts';

/**
 * Output to a closed pipe (`kapsule ls | head -1`) ends the process quietly, as Unix tools do: no `write EPIPE`
 * crash, exit status 0 unless the command had already failed. Whatever it was doing is abandoned exactly like a
 * kill; every command is safe to kill (stores commit atomically, reruns resume).
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}

export async function runBin(which: 'kapsule' | 'kapsule-pack'): Promise<void> {
  // the single-file CLI bundle, started as a worker thread, is a job worker (jobs.ts), not a second CLI
  if (!isMainThread) { await import('./jobs.ts'); return; }
  quietOnClosedPipe();
  const io = processIO();
  try {
    const mod = which === 'kapsule'
      ? await import('./main.ts')
      : await import('../../../capsule-packer/src/cli.ts');
    process.exitCode = await mod.main(process.argv.slice(2), io);
  } catch (e) {
    io.err(`internal error (a bug in ${which}; please report it): ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
