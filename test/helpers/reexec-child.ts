/**
 * Child process for the re-execution crash test: opens the store (which resumes any interrupted drain), prints
 * "ready", ingests one capsule file (a late capsule that makes every later run pending), prints its status, "done".
 */
import { readFileSync } from 'node:fs';
import { openRuntime } from '../../host/src/node.ts';

const [file, db, key] = process.argv.slice(2);
const rt = openRuntime({ db, identity: key });
process.stdout.write('ready\n');
const r = rt.ingest(new Uint8Array(readFileSync(file)));
process.stdout.write(`${r.status}\n`);
rt.close();
process.stdout.write('done\n');
