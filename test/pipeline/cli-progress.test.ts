/**
 * Long commands on a terminal: ingest, audit replay, sync import and sync pair draw progress on stderr; Ctrl-C stops
 * them with a message that says what was kept and that rerunning resumes (exit 130), and the rerun does resume.
 * In-process runs use a test terminal whose "Ctrl-C" fires when progress is drawn (deterministic); the last test
 * presses a real Ctrl-C in a pseudo-terminal (script(1)) on the real binary, whose sync import runs in a worker
 * thread, and then reruns it to completion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { utf8 } from '../../host/src/bytes.ts';
import { saveIdentity } from '../../host/src/keys-node.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

const me = testIdentity(b, 'progress/device');
const root = new URL('../..', import.meta.url).pathname;

function capsules(n: number, encrypted = true): Uint8Array[] {
  let prev: Uint8Array[] = [];
  return Array.from({ length: n }, (_, i) => {
    const c = buildCapsule(b, me, { kind: 'post', channel: `c${i % 4}`, createdAt: BigInt(1000 + i), parents: prev, payload: utf8.encode(`{"i":${i}}`), to: encrypted && i % 2 ? [me.encPublic] : 'public' });
    prev = i % 5 ? [c.id] : [];
    return c.bytes;
  });
}

/**
 * A terminal (isTTY). With `pressWhen`, it also takes Ctrl-C listeners (so jobs run in a worker thread, as in a real
 * process) and presses Ctrl-C once, as soon as what was drawn on stderr satisfies `pressWhen`.
 */
function terminal(cwd: string, pressWhen?: (stderr: string) => boolean) {
  const io = captureIO(cwd);
  let handler: (() => void) | null = null;
  let pressed = false;
  Object.assign(io, {
    isTTY: true,
    ...(pressWhen ? { onInterrupt: (h: () => void) => { handler = h; return () => { handler = null; }; } } : {}),
    err: (t: string) => {
      io.stderr += t;
      if (!pressed && handler && pressWhen?.(io.stderr)) { pressed = true; handler(); }
    },
  });
  return io;
}

async function storedCount(cwd: string, db: string): Promise<number> {
  const io = captureIO(cwd);
  assert.equal(await kapsule(['ls', '--db', db, '--json'], io), 0, io.stdout);
  return JSON.parse(io.stdout).capsules.length;
}

test('ingest on a terminal: a progress bar; Ctrl-C stops after what was read is stored, says so, and a rerun resumes', async () => {
  const d = tempDir();
  saveIdentity(me, join(d, 'test-only-device.key'));
  mkdirSync(join(d, 'in'));
  capsules(600).forEach((c, i) => writeFileSync(join(d, 'in', `${String(i).padStart(4, '0')}.kapsule`), c));
  const io = terminal(d, (err) => /ingesting \[[#.]+\] [1-9]\d*\/600/.test(err));
  const code = await kapsule(['ingest', 'in', '--key', 'test-only-device.key', '--db', 'a.db'], io);
  assert.equal(code, 130, io.stderr);
  assert.match(io.stderr, /\ringesting \[/);
  assert.match(io.stderr, /error INTERRUPTED \(cli\): interrupted after 256 of 600 capsule files: those are stored, logged and checkpointed; rerun the same command to resume/);
  assert.match(io.stdout, /^ingested 256 of 600 capsule file\(s\)/);
  assert.equal(await storedCount(d, 'a.db'), 256);
  const audit = captureIO(d);
  assert.equal(await kapsule(['audit', 'verify', '--db', 'a.db', '--json'], audit), 0);
  assert.equal(JSON.parse(audit.stdout).checkpoints, 1, 'the interrupted batch was checkpointed');
  const again = terminal(d);
  assert.equal(await kapsule(['ingest', 'in', '--key', 'test-only-device.key', '--db', 'a.db'], again), 0, again.stderr);
  assert.match(again.stderr, /ingesting \[#{30}\] 600\/600/);
  assert.match(again.stdout, /duplicate +256/);
  assert.equal(await storedCount(d, 'a.db'), 600);
});

test('audit replay, sync import and sync pair draw progress on a terminal (nothing with --json)', async () => {
  const d = tempDir();
  saveIdentity(me, join(d, 'test-only-device.key'));
  const rt = openRuntime({ db: join(d, 'a.db'), identity: me });
  rt.ingestBatch(capsules(300));
  rt.close();
  const runs: [string[], RegExp][] = [
    [['audit', 'replay', '--db', 'a.db', '--key', 'test-only-device.key'], /comparing \[#{30}\] 300\/300/],
    [['sync', 'export', '--db', 'a.db', '--out', 's.ksnap'], /^$/],
    [['sync', 'import', 's.ksnap', '--db', 'b.db', '--key', 'test-only-device.key'], /importing capsules \[#{30}\] 300\/300/],
    [['sync', 'pair', '--db', 'a.db', '--peer', 'c.db', '--key', 'test-only-device.key'], /sending to peer \[#{30}\] 300\/300/],
  ];
  for (const [argv, bar] of runs) {
    const io = terminal(d);
    assert.equal(await kapsule(argv, io), 0, `${argv.join(' ')}: ${io.stderr}`);
    assert.match(io.stderr, bar, argv.join(' '));
    const json = terminal(d);
    await kapsule([...argv.map((x) => x.replace(/^([bc])\.db$/, 'j$1.db')), '--json'], json);
    assert.equal(json.stderr, '', `${argv.join(' ')} --json draws nothing`);
  }
  assert.equal(await storedCount(d, 'b.db'), 300);
  assert.equal(await storedCount(d, 'c.db'), 300);
});

test('a real Ctrl-C in a terminal: kapsule sync import prints the resume hint and exits 130', { timeout: 120_000 }, async () => {
  const d = tempDir();
  const rt = openRuntime({ db: join(d, 'a.db'), identity: me });
  rt.ingestBatch(capsules(1200, false));
  rt.close();
  assert.equal(await kapsule(['sync', 'export', '--db', 'a.db', '--out', 's.ksnap'], captureIO(d)), 0);
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'bin/kapsule.js'))} sync import s.ksnap --db b.db`;
  // script(1) gives the command a pseudo-terminal; ^C typed into it is a SIGINT for the command, as at a keyboard
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: d, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let pressed = false;
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdout.on('data', (x: Buffer) => {
    out += x.toString();
    if (!pressed && /importing capsules \[[#.]+\] [1-9]\d*\/1200/.test(out)) { pressed = true; child.stdin.write('\x03'); }
  });
  const code = await exit;
  assert.ok(pressed, `no progress was drawn: ${out}`);
  assert.equal(code, 130, out);
  assert.match(out, /error INTERRUPTED \(cli\): interrupted with at least \d+ of 1200 capsules imported: .*rerun the same command to resume/);
  const audit = captureIO(d);
  assert.equal(await kapsule(['audit', 'verify', '--db', 'b.db'], audit), 0, audit.stdout + audit.stderr);
  assert.ok(await storedCount(d, 'b.db') <= 1200);
  // the rerun resumes: everything imported, the log still verifies
  const again = captureIO(d);
  assert.equal(await kapsule(['sync', 'import', 's.ksnap', '--db', 'b.db'], again), 0, again.stderr);
  assert.equal(await storedCount(d, 'b.db'), 1200);
  assert.equal(await kapsule(['audit', 'verify', '--db', 'b.db'], captureIO(d)), 0);
});
