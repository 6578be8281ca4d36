/**
 * TEST-ONLY fixtures: deterministic identities derived from public strings. These keys are published in this
 * repository and protect nothing — never use them outside tests.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, type SecretIdentity } from '../../host/src/keys.ts';
import type { CryptoBackend, SigAlg } from '../../host/src/crypto/types.ts';
import type { CliIO } from '../../host/src/cli/io.ts';

export { DEV_NODE_ARGS } from '../../scripts/dev-node-args.ts';

export function testSeed(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`kapsule-rt TEST-ONLY key material: ${label}`).digest());
}

export function testIdentity(b: CryptoBackend, name: string, alg: SigAlg = 'ed25519'): SecretIdentity {
  return generateIdentity(b, alg, `TEST-ONLY-${name}`, { sig: testSeed(`${name}/${alg}/sig`), enc: testSeed(`${name}/enc`) });
}

export function tempDir(prefix = 'kapsule-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An in-memory CLI sink for calling `main(argv, io)` in-process. */
export function captureIO(cwd: string, stdin?: Uint8Array): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '', stderr: '', isTTY: false, cwd,
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
    stdin: stdin ? async () => stdin : undefined,
  };
  return io;
}
