/**
 * The hostile corpus (test/corpus/*.wat) through the real CLI: each module is signed into a .kmod with the limits
 * its headers give (`kapsule-pack module`, which refuses at pack time exactly what a host refuses at load: those are
 * then signed with the API, which does not look at the wasm), added to a store (`kapsule module add`: load-time
 * refusals surface here as MODULE_INVALID) and run from a capsule (`kapsule run`: the pipeline, on the calling thread, with no host
 * policy, so the default fuel ceiling applies). Every module gets its documented typed outcome and the process
 * carries on. `npm test` runs one module per expected outcome, plus the stack-budget one; `npm run faults`
 * (CORPUS_CLI=all) runs all of them, including the two that take seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { main as pack } from '../../capsule-packer/src/cli.ts';
import { captureIO, tempDir } from '../helpers/fixtures.ts';
import { corpusWasm, readCorpus, root } from '../execute/_helpers.ts';
import { buildModulePackage } from '../../capsule-packer/src/build.ts';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { loadSecretIdentity } from '../../host/src/keys-node.ts';

/** Modules that run for seconds (2^30 fuel of a loop, a 64 MiB transcript): only with CORPUS_CLI=all. */
const SLOW = new Set(['infinite-loop-2p62.wat', 'log-flood.wat']);
const all = process.env.CORPUS_CLI === 'all';
const every = readdirSync(join(root, 'test/corpus')).filter((f) => f.endsWith('.wat')).sort();
const sample = (): string[] => {
  const byOutcome = new Map<string, string>();
  for (const f of every) if (!SLOW.has(f) && !byOutcome.has(readCorpus(f).expect)) byOutcome.set(readCorpus(f).expect, f);
  return [...new Set([...byOutcome.values(), 'big-frame.wat'])].sort();
};
const files = all ? every : sample();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function run(cli: typeof kapsule, cwd: string, argv: string[]): Promise<{ code: number; json: any }> {
  const io = captureIO(cwd);
  const code = await cli([...argv, '--json'], io);
  return { code, json: JSON.parse(io.stdout) };
}

test(`the hostile corpus through the CLI (${files.length} of ${every.length} modules${all ? '' : '; all with CORPUS_CLI=all'})`, async () => {
  const d = tempDir();
  assert.equal((await run(pack, d, ['keygen', '--out', 'dev.key'])).code, 0);
  assert.equal((await run(pack, d, ['keygen', '--out', 'author.key'])).code, 0);
  writeFileSync(join(d, 'payload.txt'), 'hello kapsule');
  const seen: Record<string, string> = {};
  for (const [i, file] of files.entries()) {
    const c = readCorpus(file);
    writeFileSync(join(d, `${i}.wasm`), await corpusWasm(c));
    const hostcalls = c.hostcalls.length ? c.hostcalls : ['log'];
    const packed = await run(pack, d, ['module', `${i}.wasm`, '--key', 'author.key', '--name', `m${i}`,
      '--hostcalls', hostcalls.join(','), '--fuel', String(c.fuel),
      '--memory-pages', String(Math.max(1, c.pages)), '--max-depth', String(c.depth), '--out', `${i}.kmod`]);
    const refusedAtPack = packed.code !== 0;
    if (refusedAtPack) {
      // kapsule-pack refuses what a host would refuse, for the same reason (it runs the host's validation) ...
      assert.equal(packed.json.error.code, 'MODULE_INVALID', `${file}: pack ${JSON.stringify(packed.json)}`);
      assert.equal(packed.json.error.stage, 'pack');
      if (c.detail) assert.ok(packed.json.error.message.includes(c.detail), `${file}: pack "${packed.json.error.message}" lacks "${c.detail}"`);
      for (const [k, v] of Object.entries(c.details)) assert.equal(String(packed.json.error.details?.[k]), v, `${file}: pack details.${k}`);
      // ... and a host still refuses it when it is signed anyway (buildModulePackage does not look at the wasm)
      const built = buildModulePackage(nativeBackend, loadSecretIdentity(join(d, 'author.key')), {
        name: `m${i}`, version: '0.1.0', wasm: await corpusWasm(c), hostcalls, fuel: c.fuel, memoryPages: Math.max(1, c.pages), maxDepth: c.depth,
      });
      writeFileSync(join(d, `${i}.kmod`), built.bytes);
    }
    const added = await run(kapsule, d, ['module', 'add', `${i}.kmod`, '--db', 'dev.db']);
    assert.equal(refusedAtPack, added.code !== 0 && added.json.error?.code === 'MODULE_INVALID', `${file}: the packer and the host disagree (${JSON.stringify(packed.json.error ?? added.json.error ?? null)})`);
    let outcome: string;
    let error: { code: string; stage: string; message: string; details?: Record<string, unknown> } | undefined;
    if (added.code !== 0) {
      error = added.json.error;
      outcome = error!.code;
    } else {
      const cap = await run(pack, d, ['capsule', '--kind', 'post', '--payload', 'payload.txt', '--key', 'author.key', '--to', 'dev.key.pub',
        '--logic', `${i}.kmod`, '--created-at', String(1000 + i), '--out', `${i}.kapsule`]);
      assert.equal(cap.code, 0, `${file}: capsule`);
      const r = await run(kapsule, d, ['run', `${i}.kapsule`, '--key', 'dev.key', '--db', 'dev.db']);
      error = r.json.error;
      outcome = r.json.status === 'executed' ? 'ok' : (error?.code ?? `status ${r.json.status}`);
      if (outcome === 'ok' && c.fuelUsed !== null) assert.equal(BigInt(r.json.fuel), c.fuelUsed, `${file}: fuel`);
    }
    seen[file] = outcome;
    assert.equal(outcome, c.expect, `${file}: ${error ? `${error.code}: ${error.message}` : 'ran'}`);
    if (error) {
      assert.equal(error.stage, 'execute', `${file}: stage`);
      if (c.detail) assert.ok(error.message.includes(c.detail), `${file}: "${error.message}" lacks "${c.detail}"`);
      for (const [k, v] of Object.entries(c.details)) assert.equal(String(error.details?.[k]), v, `${file}: details.${k}`);
    }
  }
  assert.equal(Object.keys(seen).length, files.length);
  // the store is intact: the audit log verifies after every refusal and failure
  const audit = await run(kapsule, d, ['audit', 'verify', '--db', 'dev.db']);
  assert.equal(audit.code, 0, JSON.stringify(audit.json));
});
