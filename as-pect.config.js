/**
 * as-pect configuration: AssemblyScript specs run against the REAL host hostcall implementation
 * (host/src/execute/hostcalls/impl.ts), bound to the fixed in-memory input of host/src/execute/testing.ts
 * (payload "hello kapsule", two parents, two children, trust 0.75 for 0x55…, balance 1000 for 0x66…,
 * kv "greeting" = "hi"). Each spec file gets a fresh host state. Specs: guest-sdk/assembly/__tests__,
 * modules/<name>/assembly/__tests__ and the module template's (capsule-packer/template, what `kapsule-pack new`
 * writes). A spec that imports kapsule-guest-sdk/assembly/testing replaces the fixture with its own world of capsules,
 * trust scores, balances and kv (the `kapsule_test` import, see testing.ts) and runs a module's `run()` or `query()`
 * on it. A scaffolded project's as-pect.config.js does the same with `kapsule-rt/testing`.
 */
import { createHash } from 'node:crypto';
import { register } from 'tsx/esm/api';

register();
const { guestTestImports } = await import('./host/src/execute/testing.ts');
const sha256 = (b) => new Uint8Array(createHash('sha256').update(b).digest());

export default {
  // ASPECT_ENTRIES="modules/trust/assembly/__tests__/*.spec.ts" runs a subset (comma-separated globs)
  entries: process.env.ASPECT_ENTRIES ? process.env.ASPECT_ENTRIES.split(',')
    : ['guest-sdk/assembly/__tests__/**/*.spec.ts', 'modules/*/assembly/__tests__/**/*.spec.ts', 'capsule-packer/template/assembly/__tests__/**/*.spec.ts'],
  include: ['guest-sdk/assembly/__tests__/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const host = guestTestImports(sha256);
    const result = await instantiate(binary, createImports({ env: { memory }, ...host.imports }));
    host.bind(result.exports.memory ?? memory);
    return result;
  },
  outputBinary: false,
};
