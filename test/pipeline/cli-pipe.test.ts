/**
 * `kapsule ls --db big.db | head -1`: output to a closed pipe ends the process quietly with exit 0 — no
 * `write EPIPE` stack, as Unix tools behave. The reader's end is closed before the CLI writes anything, so
 * every write the CLI makes hits a closed pipe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { utf8 } from '../../host/src/bytes.ts';
import { tempDir, testIdentity } from '../helpers/fixtures.ts';

const root = new URL('../..', import.meta.url).pathname;

function intoClosedPipe(cwd: string, bin: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', bin), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes away at once (head -0)
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('ls, heads, audit show, --help into a closed pipe: exit 0, nothing on stderr', async () => {
  const d = tempDir();
  const me = testIdentity(b, 'pipe/device');
  const rt = openRuntime({ db: join(d, 'p.db'), identity: me });
  let parents: Uint8Array[] = [];
  const caps = [];
  for (let i = 0; i < 300; i++) {
    const c = buildCapsule(b, me, { kind: 'post', channel: `c${i % 7}`, createdAt: BigInt(1000 + i), parents, payload: utf8.encode(`{"i":${i}}`), to: 'public' });
    parents = i % 3 === 0 ? [] : [c.id];
    caps.push(c.bytes);
  }
  rt.ingestBatch(caps);
  rt.close();
  const runs: [string, string[]][] = [
    ['kapsule.js', ['ls', '--db', 'p.db']],
    ['kapsule.js', ['heads', '--db', 'p.db']],
    ['kapsule.js', ['audit', 'show', '--db', 'p.db']],
    ['kapsule-pack.js', ['--help']],
  ];
  for (const [bin, args] of runs) {
    const r = await intoClosedPipe(d, bin, args);
    assert.equal(r.stderr, '', `${bin} ${args.join(' ')}: nothing on stderr`);
    assert.equal(r.code, 0, `${bin} ${args.join(' ')}: exit 0`);
  }
});
