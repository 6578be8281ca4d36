// A minimal kapsule module. Copy this folder to modules/<name>/ and change the import below to
// "../../../guest-sdk/assembly/index". Build: `npm run build` (asc --config asconfig.json --target module).
// Manifest hostcalls this module needs: get_payload, kv_get, kv_set, log, submit_capsule_result.
import { payloadText, kvGetText, kvSetText, log, submitText } from "../../assembly/index";

/** Entry point: 0 = success (output and writes are kept); any other value = TRAP, nothing is kept. */
export function run(): i32 {
  const text = payloadText();
  if (text === null) return 1; // this module needs a payload

  const seen = kvGetText("count");
  const count = seen === null ? 1 : I32.parseInt(seen) + 1;
  kvSetText("count", count.toString());

  log("greeting #" + count.toString());
  submitText("hello, " + text + " (#" + count.toString() + ")");
  return 0;
}
