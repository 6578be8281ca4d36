// `blocklist` — moderation of `comment` capsules by a channel policy (modules/README.md#blocklist).
// A `policy` capsule run through this module sets the policy of its channel. The channel owner is the author of
// the channel's first policy capsule (trust on first use, recorded in kv); later policies from anyone else are
// refused. A comment gets a verdict: allow / hide / reject, with a reason code:
//   reject BLOCKED_AUTHOR, BLOCKED_CONTENT (the comment or a parent is a blocked capsule id), BANNED_TERM;
//   hide   LOW_TRUST (author's trust < min_trust), RATE_LIMITED (more than max comments by the author under the
//          same parent within window_ms, counted over the DAG); allow OK or NO_POLICY.
import {
  capsule, payloadText, trustScore, childCount, child, kvGetText, kvSetText, submitText,
} from "../../../guest-sdk/assembly/index";
import { parseJson, failure, JsonOut, JValue, J_ARR, J_STR, J_INT, J_OBJ, quote } from "../../lib/json";
import { toHex, keyFromHex, fromHex } from "../../lib/hex";
import { findBanned } from "./normalize";

function strings(v: JValue | null, what: string, check: (s: string) => bool): string[] | null {
  const out: string[] = [];
  if (v === null) return out;
  if (v.kind != J_ARR || v.items.length > 1000) return null;
  for (let i = 0; i < v.items.length; i++) {
    const it = v.items[i];
    if (it.kind != J_STR || !check(it.s)) return null;
    out.push(it.s);
  }
  return out;
}

function isKey(s: string): bool { return keyFromHex(s) !== null; }
function isId(s: string): bool { return fromHex(s, 32) !== null; }
function isTerm(s: string): bool { return s.length > 0 && s.length <= 64; }

function verdict(v: string, reason: string, detail: string): string {
  const o = new JsonOut().bool("ok", true).str("verdict", v).str("reason", reason);
  if (detail.length) o.str("detail", detail);
  return o.toString();
}

function arr(list: string[]): string {
  const q: string[] = [];
  for (let i = 0; i < list.length; i++) q.push(quote(list[i]));
  return "[" + q.join(",") + "]";
}

function setPolicy(): i32 {
  const c = capsule();
  const text = payloadText();
  let p: JValue | null = null;
  if (text !== null) p = parseJson(text);
  if (p === null || p.kind != J_OBJ) { submitText(failure("BAD_PAYLOAD", "a policy is a JSON object")); return 0; }
  const ownerKey = "owner:" + c.channel;
  const owner = kvGetText(ownerKey);
  const author = toHex(c.author);
  if (owner !== null && owner != author) { submitText(failure("NOT_CHANNEL_OWNER", "only the channel owner (author of its first policy) can change it")); return 0; }
  const authors = strings(p.get("blocked_authors"), "blocked_authors", isKey);
  const capsules = strings(p.get("blocked_capsules"), "blocked_capsules", isId);
  const terms = strings(p.get("banned_terms"), "banned_terms", isTerm);
  if (authors === null || capsules === null || terms === null) { submitText(failure("BAD_PAYLOAD", "lists must be arrays of hex keys, capsule ids and 1-64 character terms")); return 0; }
  const minTrust = p.int("min_trust", 0);
  let max: i64 = 0, window: i64 = 0;
  const rl = p.get("rate_limit");
  if (rl !== null) {
    const mv = rl.get("max"), wv = rl.get("window_ms");
    if (rl.kind != J_OBJ || mv === null || wv === null || mv.kind != J_INT || wv.kind != J_INT || mv.n < 1 || wv.n < 1) {
      submitText(failure("BAD_PAYLOAD", "rate_limit is {\"max\": n ≥ 1, \"window_ms\": ms ≥ 1}")); return 0;
    }
    max = mv.n; window = wv.n;
  }
  if (minTrust < 0 || minTrust > 1_000_000) { submitText(failure("BAD_PAYLOAD", "min_trust is in [0, 1000000]")); return 0; }
  const stored = new JsonOut().raw("blocked_authors", arr(authors)).raw("blocked_capsules", arr(capsules))
    .raw("banned_terms", arr(terms)).int("min_trust", minTrust).int("max", max).int("window_ms", window)
    .int("at", <i64>c.createdAt).toString();
  // newest policy (by created_at) wins, so arrival order does not matter
  const prev = kvGetText("policy:" + c.channel);
  if (prev !== null) {
    const pv = parseJson(prev);
    if (pv !== null && pv.int("at", 0) > <i64>c.createdAt) { submitText(verdict("allow", "SUPERSEDED", "a newer policy is in force")); return 0; }
  }
  if (owner === null) kvSetText(ownerKey, author);
  kvSetText("policy:" + c.channel, stored);
  submitText(new JsonOut().bool("ok", true).str("policy", "set").str("channel", c.channel)
    .int("blocked_authors", authors.length).int("blocked_capsules", capsules.length).int("banned_terms", terms.length).toString());
  return 0;
}

function listOf(p: JValue, key: string): string[] {
  const out: string[] = [];
  const v = p.get(key);
  if (v !== null) for (let i = 0; i < v.items.length; i++) out.push(v.items[i].s);
  return out;
}

function judgeComment(): i32 {
  const c = capsule();
  const stored = kvGetText("policy:" + c.channel);
  if (stored === null) { submitText(verdict("allow", "NO_POLICY", "")); return 0; }
  const policy = parseJson(stored)!;
  const author = toHex(c.author);
  if (listOf(policy, "blocked_authors").includes(author)) { submitText(verdict("reject", "BLOCKED_AUTHOR", "")); return 0; }
  const blocked = listOf(policy, "blocked_capsules");
  if (blocked.includes(toHex(c.id))) { submitText(verdict("reject", "BLOCKED_CONTENT", toHex(c.id))); return 0; }
  for (let i = 0; i < c.parents.length; i++) {
    if (blocked.includes(toHex(c.parents[i]))) { submitText(verdict("reject", "BLOCKED_CONTENT", toHex(c.parents[i]))); return 0; }
  }
  const text = payloadText();
  let p: JValue | null = null;
  if (text !== null) p = parseJson(text);
  let body: string | null = null;
  if (p !== null) body = p.str("text");
  if (body === null) { submitText(failure("BAD_PAYLOAD", "a comment is {\"text\": \"...\"}")); return 0; }
  const banned = findBanned(body, listOf(policy, "banned_terms"));
  if (banned !== null) { submitText(verdict("reject", "BANNED_TERM", banned)); return 0; }
  const minTrust = policy.int("min_trust", 0);
  if (minTrust > 0 && trustScore(c.author) < minTrust) { submitText(verdict("hide", "LOW_TRUST", "")); return 0; }
  const max = policy.int("max", 0), window = policy.int("window_ms", 0);
  if (max > 0) {
    let recent: i64 = 0;
    for (let i = 0; i < c.parents.length; i++) {
      const n = childCount(c.parents[i]);
      for (let j = 0; j < n; j++) {
        const s = child(c.parents[i], j);
        if (s === null || toHex(s.author) != author || toHex(s.id) == toHex(c.id)) continue;
        if (s.createdAt <= c.createdAt && <i64>(c.createdAt - s.createdAt) < window) recent++;
      }
    }
    if (recent >= max) { submitText(verdict("hide", "RATE_LIMITED", recent.toString() + " recent")); return 0; }
  }
  submitText(verdict("allow", "OK", ""));
  return 0;
}

export function run(): i32 {
  const kind = capsule().kind;
  if (kind == "policy") return setPolicy();
  if (kind == "comment") return judgeComment();
  submitText(failure("WRONG_KIND", "blocklist judges comment capsules and sets policy from policy capsules"));
  return 0;
}
