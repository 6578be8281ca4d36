// A kapsule module: counts notes per author.
//   run()   on a capsule whose payload is {"text": "..."}: counts it for its author, answers
//           {"ok":true,"author_notes":n,"total":t}; a malformed payload is a normal, recorded refusal
//           {"ok":false,"code":...,"reason":...} (never a trap: the same decision on every device).
//   query() on {"author": "<hex key>"}: how many notes that author wrote, and the total — a read-only view.
// Manifest (module.json): get_capsule_metadata, get_payload, kv_get, kv_set, log, submit_capsule_result.
// Rules the sandbox enforces (docs/ABI.md): no Math.random, no Date.now (the run's time is now() from the SDK), every
// run is a fresh instance — module globals never carry state between capsules: keep it in the kv space.
import {
  capsule, payloadJson, queryInput, submitJson, submitFailure, kvGetText, kvSetText, log, hexOf, JsonOut, J_STR,
} from "kapsule-guest-sdk";

const MAX_TEXT: i32 = 1000;

function count(key: string): i64 {
  const v = kvGetText(key);
  return v === null ? 0 : I64.parseInt(v);
}

/** Entry point for a capsule: 0 = success (output and writes are kept); any other value = TRAP, nothing is kept. */
export function run(): i32 {
  const p = payloadJson();
  if (p === null) { submitFailure("BAD_PAYLOAD", "the payload must be a JSON object"); return 0; }
  const text = p.get("text");
  if (text === null || text.kind != J_STR) { submitFailure("BAD_PAYLOAD", "\"text\" must be a string"); return 0; }
  if (text.s.length > MAX_TEXT) { submitFailure("TOO_LONG", "at most " + MAX_TEXT.toString() + " characters"); return 0; }

  const author = hexOf(capsule().author);
  const mine = count("notes/" + author) + 1;
  const total = count("total") + 1;
  kvSetText("notes/" + author, mine.toString());
  kvSetText("total", total.toString());
  log("note #" + total.toString() + " by " + author.slice(0, 8));
  submitJson(new JsonOut().bool("ok", true).int("author_notes", mine).int("total", total));
  return 0;
}

/** The read-only view: never writes (a write hostcall in a query is a fault). */
export function query(): i32 {
  const q = queryInput();
  const author: string | null = q === null ? null : q.str("author");
  if (author === null) { submitFailure("BAD_INPUT", "want {\"author\": \"<hex key>\"}"); return 0; }
  submitJson(new JsonOut().str("author", author).int("notes", count("notes/" + author)).int("total", count("total")));
  return 0;
}
