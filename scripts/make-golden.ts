/**
 * Regenerates the golden `.kapsule`/`.kmod` vectors in test/vectors/golden/ from TEST-ONLY keys and fixed
 * randomness (see test/vectors/golden/README.md). `test/format/golden.test.ts` re-derives them byte for byte;
 * run this only when the format changes on purpose.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenCases } from '../test/helpers/golden.ts';

const dir = new URL('../test/vectors/golden/', import.meta.url).pathname;
for (const c of goldenCases()) {
  writeFileSync(join(dir, c.file), c.bytes);
  console.log(`${c.file}  ${c.bytes.length} bytes  ${c.id}`);
}
