#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx (a bundled single-file CLI is built by `npm run build`).
import { register } from 'tsx/esm/api';
import { register as registerHook } from 'node:module';
register();
registerHook('../scripts/loader/binaryen-as-is.mjs', import.meta.url);
const { runBin } = await import('../host/src/cli/bin.ts');
await runBin('kapsule');
