#!/usr/bin/env node
// The `kapsule` bin (also `kapsule-rt`, so that `npx kapsule-rt …` works where nothing is installed): runs the compiled
// CLI under lib/ with plain node. In a clone, where the TypeScript sources and scripts/ are, the development launcher
// runs the sources through tsx instead, so a clone needs no build step and never runs a stale lib/.
import { existsSync } from 'node:fs';

const dev = new URL('../scripts/loader/dev-bin.mjs', import.meta.url);
const { runBin } = await import(existsSync(dev) ? dev.href : '../lib/host/src/cli/bin.js');
await runBin('kapsule');
