/**
 * TEST-ONLY: runs several `kapsule` command lines in one process (argv: a JSON array of argument arrays) and prints
 * one JSON array of {code, stdout, stderr} — so a test can run many commands as another user in one spawn.
 */
import { main } from '../../host/src/cli/main.ts';
import { captureIO } from './fixtures.ts';

const runs = JSON.parse(process.argv[2]) as string[][];
const out: { code: number; stdout: string; stderr: string }[] = [];
for (const argv of runs) {
  const io = captureIO(process.cwd());
  const code = await main(argv, io);
  out.push({ code, stdout: io.stdout, stderr: io.stderr });
}
process.stdout.write(JSON.stringify(out));
