#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx (a bundled single-file CLI is built by `npm run build`).
import { register } from 'tsx/esm/api';
register();
const { runBin } = await import('../host/src/cli/bin.ts');
await runBin('kapsule-pack');
