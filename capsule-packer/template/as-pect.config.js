// as-pect runs the specs in assembly/__tests__ against kapsule-rt's real hostcalls (kapsule-rt/testing): a spec
// builds a World of capsules, trust, balances and kv (kapsule-guest-sdk/assembly/testing) and runs this module's own
// run() and query() on it.
import { createHash } from 'node:crypto';
import { guestTestImports } from 'kapsule-rt/testing';

const sha256 = (b) => new Uint8Array(createHash('sha256').update(b).digest());

export default {
  entries: ['assembly/__tests__/**/*.spec.ts'],
  include: ['assembly/__tests__/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const host = guestTestImports(sha256);
    const result = await instantiate(binary, createImports({ env: { memory }, ...host.imports }));
    host.bind(result.exports.memory ?? memory);
    return result;
  },
  outputBinary: false,
};
