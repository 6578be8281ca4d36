/**
 * Worker state reads under stress: 2 workers × 10 runs of a module making 20,000 alternating trust / balance
 * reads, every read served by the calling thread over the shared channel. Each read must get its own answer:
 * with one Atomics.wait and no sequence check, a late notify made the worker read the previous answer again
 * (1–4 of 20 runs had wrong output and fuel). Every run here must equal the main thread's run bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, type ExecOutcome } from '../../host/src/execute/index.ts';
import { runManyInWorker } from '../../host/src/execute/worker.ts';
import { FIXTURE, fixtureInput, memoryState } from '../../host/src/execute/testing.ts';
import { toHex } from '../../host/src/bytes.ts';
import { sha256, wat2wasm } from './_helpers.ts';

const READS = 20_000;
const hex = (b: Uint8Array) => [...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('');

// acc = acc × 31 + trust(subject) ; acc = acc × 31 + balance(account)  (READS / 2 times), then submit acc
const MODULE = `(module
  (import "kapsule_v1" "get_trust_score" (func $trust (param i32 i32) (result i64)))
  (import "kapsule_v1" "get_balance" (func $balance (param i32 i32) (result i64)))
  (import "kapsule_v1" "submit_capsule_result" (func $submit (param i32 i32) (result i32)))
  (memory 1 1)
  (data (i32.const 0) "${hex(FIXTURE.trustSubject)}")
  (data (i32.const 32) "${hex(FIXTURE.account)}")
  (func (export "run") (result i32) (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (call $trust (i32.const 0) (i32.const 32))))
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (call $balance (i32.const 32) (i32.const 32))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${READS / 2}))))
    (i64.store (i32.const 64) (local.get $acc))
    (drop (call $submit (i32.const 64) (i32.const 8)))
    (i32.const 0)))`;

const fp = (o: ExecOutcome) => `${toHex(o.output)}/${o.fuelUsed}/${toHex(o.transcriptHash)}`;

test('2 workers × 10 runs × 20,000 alternating state reads: every run equals the main thread\'s', async () => {
  const wasm = await wat2wasm(MODULE);
  const limits = { hostcalls: ['get_trust_score', 'get_balance', 'submit_capsule_result'], fuel: 1_000_000_000n, memoryPages: 1, maxDepth: 10 };
  // trust and balance differ, so a stale answer of the other kind changes the result
  const input = () => fixtureInput({
    state: memoryState({ trust: { [toHex(FIXTURE.trustSubject)]: 750_000n }, balances: { [toHex(FIXTURE.account)]: 1000n } }),
  });
  const sb = new Sandbox({ sha256 });
  const mod = sb.load(wasm, limits);
  const main = fp(sb.run(mod, input()));
  const compiled = sb.compiledModule(mod);
  const runs = await Promise.all([0, 1].map(() => runManyInWorker({ wasm, limits, input: input(), timeoutMs: 600_000, compiled }, 10)));
  const got = runs.flat().map(fp);
  assert.equal(got.length, 20);
  assert.deepEqual(got.filter((x) => x !== main), [], 'runs whose output, fuel or transcript differ from the main thread');
});
