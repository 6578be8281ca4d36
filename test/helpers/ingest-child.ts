/** Child process for crash tests: ingests every .kapsule in a folder into a db, printing one line per capsule. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRuntime } from '../../host/src/node.ts';

const [dir, db, key] = process.argv.slice(2);
const rt = openRuntime({ db, identity: key });
process.stdout.write('ready\n');
for (const f of readdirSync(dir).filter((x) => x.endsWith('.kapsule')).sort()) {
  const r = rt.ingest(new Uint8Array(readFileSync(join(dir, f))));
  process.stdout.write(`${r.status}\n`);
}
rt.checkpoint();
rt.close();
process.stdout.write('done\n');
