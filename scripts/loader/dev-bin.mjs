// Development launcher of bin/kapsule.js and bin/kapsule-pack.js inside a clone: registers tsx (a devDependency) and
// the hook that keeps tsx from re-transpiling binaryen (binaryen-as-is.mjs), then exports the CLI entry from the
// TypeScript sources. The published package ships neither this file nor the sources: its bins run lib/.
import { register } from 'tsx/esm/api';
import { register as registerHook } from 'node:module';

register();
registerHook('./binaryen-as-is.mjs', import.meta.url);
export const { runBin } = await import('../../host/src/cli/bin.ts');
