/** Process entry for both binaries: runs `main`, sets the exit status, reports bugs without hiding them. */
import { processIO } from './io.ts';

export async function runBin(which: 'kapsule' | 'kapsule-pack'): Promise<void> {
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
