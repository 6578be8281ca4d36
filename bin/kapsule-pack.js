#!/usr/bin/env node
// The `kapsule-pack` bin: runs the compiled CLI under lib/ with plain node (in a clone: the sources, see kapsule.js).
import { existsSync } from 'node:fs';

const dev = new URL('../scripts/loader/dev-bin.mjs', import.meta.url);
const { runBin } = await import(existsSync(dev) ? dev.href : '../lib/host/src/cli/bin.js');
await runBin('kapsule-pack');
