/**
 * The sandbox worker's wall-clock backstop times the run, not the worker's start: its timer is armed only when the
 * worker reports ready. Checked with mocked timers, so the verdict does not depend on how fast the machine is: the
 * backstop's whole budget elapses (mocked) before the worker can possibly have started — an armed-at-spawn timer
 * fires then (TIMEOUT), an armed-at-ready one does not exist yet. A run that really exceeds its budget after
 * starting is still stopped (determinism.test.ts).
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox } from '../../host/src/execute/index.ts';
import { runInWorker } from '../../host/src/execute/worker.ts';
import { fixtureInput } from '../../host/src/execute/testing.ts';
import { readCorpus, sha256, wat2wasm } from './_helpers.ts';

test('the backstop is armed when the worker is ready, not when it is spawned', async () => {
  const echo = readCorpus('guest-echo.wat');
  const wasm = await wat2wasm(echo.text);
  const limits = { hostcalls: echo.hostcalls, fuel: 1n << 40n, memoryPages: 4, maxDepth: 100 };
  const sb = new Sandbox({ sha256 });
  const compiled = sb.compiledModule(sb.load(wasm, limits));
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const run = runInWorker({ wasm, limits, input: fixtureInput(), timeoutMs: 1000, compiled });
    mock.timers.tick(1001); // the whole budget, spent before the worker could run a line
    const out = await run;
    assert.equal(out.ok, true);
  } finally {
    mock.timers.reset();
  }
});
