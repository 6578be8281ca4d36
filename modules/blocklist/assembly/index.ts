// `blocklist` — moderation of `comment` capsules by their thread's channel policy (modules/README.md#blocklist).
//
// Authority: a channel named "<label>@<32 lowercase hex>" is owned by the identity whose signing key, in hex,
// starts with those 32 digits; any other channel is owned by the device owner. Only the owner's `policy` capsules
// set the channel's policy (others: NOT_CHANNEL_OWNER); each accepted one replaces the previous one, so the policy
// in force is the owner's latest in the canonical order. Nobody can take a channel over by sending first or by
// dating earlier.
// A comment gets a verdict, checks in this order:
//   reject CHANNEL_MISMATCH  its channel is not its parents' (the thread's) channel
//   reject BLOCKED_CONTENT   it, or an ancestor, is a blocked capsule id
//   reject BLOCKED_THREAD    an ancestor was rejected (blocking is transitive down the DAG)
//   allow  NO_POLICY         the channel has no policy
//   reject BLOCKED_AUTHOR, TOO_LONG (payload over 16 KiB), BANNED_TERM (normalize.ts, policy.ts), TOO_COMPLEX
//   allow  OK                the channel owner and the device owner are never hidden
//   hide   LOW_TRUST         trust score below min_trust
//   hide   RATE_LIMITED      ≥ max earlier comments by the author under a parent within window_ms, or ≥ per_parent
//                            earlier comments by the author under that parent at all (timestamps cannot evade it)
//   allow  OK
// kv: "p/<channel hex>" page count and "p/<channel hex>/<i>" pages of the compiled policy (policy.ts);
//     "c/<id>" for every comment judged: u8 rejected ‖ up to 64 ancestor ids (nearest first), so later replies
//     see rejections and blocked ids up the thread without walking it.
import { Capsule, capsule, owner, payloadText, trustScore, childCount, parentCount, MetaView, kvGet, kvSet, kvDelete, kvGetText, kvSetText, utf8, submitText } from "kapsule-guest-sdk";
import { parseJson, failure, JsonOut, JValue, J_ARR, J_STR, J_INT, J_OBJ, quote } from "kapsule-guest-sdk";
import { parseKeyHex, parseHex, hexOf } from "kapsule-guest-sdk";
import { Analysis } from "./normalize";
import { compile, findTerm, Policy, TOO_COMPLEX } from "./policy";

export const MAX_LIST: i32 = 1000;
export const MAX_TEXT_BYTES: u32 = 16 * 1024;
export const MAX_ANCESTORS: i32 = 64;
const PAGE_BYTES: i32 = 60_000;
const MAX_PAGES: i32 = 64;
export const DEFAULT_PER_PARENT: i32 = 20;

function strings(v: JValue | null, check: (s: string) => bool): string[] | null {
  const out: string[] = [];
  if (v === null) return out;
  if (v.kind != J_ARR || v.items.length > MAX_LIST) return null;
  for (let i = 0; i < v.items.length; i++) {
    const it = v.items[i];
    if (it.kind != J_STR || !check(it.s)) return null;
    out.push(it.s);
  }
  return out;
}

function isKey(s: string): bool { return parseKeyHex(s) !== null; }
function isId(s: string): bool { return parseHex(s, 32) !== null; }
function isTerm(s: string): bool { return s.length > 0 && s.length <= 64; }

function verdict(v: string, reason: string, detail: string): string {
  const o = new JsonOut().bool("ok", true).str("verdict", v).str("reason", reason);
  if (detail.length) o.str("detail", detail);
  return o.toString();
}

function channelKey(channel: string): string { return "p/" + hexOf(Uint8Array.wrap(String.UTF8.encode(channel))); }

/** The 32 hex digits of a "<label>@<32 lowercase hex>" channel, or null. */
export function channelOwnerPrefix(channel: string): string | null {
  const at = channel.lastIndexOf("@");
  if (at < 0 || channel.length - at - 1 != 32) return null;
  for (let i = at + 1; i < channel.length; i++) {
    const c = channel.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return null;
  }
  return channel.substring(at + 1);
}

/** Does `author` own `channel` (see the header)? */
export function ownsChannel(channel: string, author: Uint8Array, deviceOwner: Uint8Array): bool {
  const prefix = channelOwnerPrefix(channel);
  if (prefix !== null) return author.length >= 16 && hexOf(author, 0, 16) == prefix;
  return author.length == deviceOwner.length && memory.compare(author.dataStart, deviceOwner.dataStart, <usize>author.length) == 0;
}

function loadPolicy(channel: string): Policy | null {
  const base = channelKey(channel);
  const pages = kvGetText(base);
  if (pages === null) return null;
  const n = I32.parseInt(pages);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = kvGet(utf8(base + "/" + i.toString()));
    if (p === null) return null;
    parts.push(p);
    total += p.length;
  }
  let blob: Uint8Array;
  if (n == 1) blob = parts[0];
  else {
    blob = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < n; i++) { blob.set(parts[i], at); at += parts[i].length; }
  }
  const p = new Policy(blob);
  return p.valid() ? p : null;
}

function setPolicy(): i32 {
  const c = capsule();
  if (!ownsChannel(c.channel, c.author, owner())) {
    submitText(failure("NOT_CHANNEL_OWNER", channelOwnerPrefix(c.channel) !== null
      ? "only the identity whose key starts with the channel's 32 hex digits sets its policy"
      : "only the device owner sets the policy of a channel without an owner key in its name")); return 0;
  }
  const text = payloadText();
  let p: JValue | null = null;
  if (text !== null) p = parseJson(text);
  if (p === null || p.kind != J_OBJ) { submitText(failure("BAD_PAYLOAD", "a policy is a JSON object")); return 0; }
  const authors = strings(p.get("blocked_authors"), isKey);
  const capsules = strings(p.get("blocked_capsules"), isId);
  const terms = strings(p.get("banned_terms"), isTerm);
  if (authors === null || capsules === null || terms === null) { submitText(failure("BAD_PAYLOAD", "lists are arrays of at most 1000 hex keys, capsule ids and 1-64 character terms")); return 0; }
  const mt = p.get("min_trust");
  if (mt !== null && (mt.kind != J_INT || mt.n < 0 || mt.n > 1_000_000)) { submitText(failure("BAD_PAYLOAD", "min_trust is an integer in [0, 1000000]")); return 0; }
  const minTrust: i64 = mt === null ? 0 : mt.n;
  let maxCount: i64 = 0, window: i64 = 0, perParent: i64 = 0;
  const rl = p.get("rate_limit");
  if (rl !== null) {
    const mv = rl.get("max"), wv = rl.get("window_ms"), pv = rl.get("per_parent");
    if (rl.kind != J_OBJ || mv === null || wv === null || mv.kind != J_INT || wv.kind != J_INT || mv.n < 1 || wv.n < 1 || mv.n > 1_000_000 ||
      (pv !== null && (pv.kind != J_INT || pv.n < 1 || pv.n > 1_000_000))) {
      submitText(failure("BAD_PAYLOAD", "rate_limit is {\"max\": n ≥ 1, \"window_ms\": ms ≥ 1, \"per_parent\"?: n ≥ 1}")); return 0;
    }
    maxCount = mv.n; window = wv.n;
    perParent = pv !== null ? pv.n : (mv.n > DEFAULT_PER_PARENT ? mv.n : DEFAULT_PER_PARENT);
  }
  const r = compile(authors, capsules, terms, minTrust, <i32>maxCount, <u64>window, <i32>perParent);
  const blob = r.blob;
  if (blob === null) { submitText(failure("BAD_PAYLOAD", r.error)); return 0; }
  const pages = (blob.length + PAGE_BYTES - 1) / PAGE_BYTES;
  if (pages > MAX_PAGES) { submitText(failure("POLICY_TOO_LARGE", "the compiled policy exceeds " + (MAX_PAGES * PAGE_BYTES).toString() + " bytes")); return 0; }
  // each accepted policy replaces the previous one: the owner's latest in the canonical order is in force
  const base = channelKey(c.channel);
  const before = kvGetText(base);
  const had = before === null ? 0 : I32.parseInt(before);
  for (let i = 0; i < pages; i++) kvSet(utf8(base + "/" + i.toString()), blob.slice(i * PAGE_BYTES, min((i + 1) * PAGE_BYTES, blob.length)));
  for (let i = pages; i < had; i++) kvDelete(utf8(base + "/" + i.toString()));
  kvSetText(base, pages.toString());
  submitText(new JsonOut().bool("ok", true).str("policy", "set").str("channel", c.channel)
    .int("blocked_authors", authors.length).int("blocked_capsules", capsules.length).int("banned_terms", terms.length)
    .int("ignored_terms", r.ignoredTerms).toString());
  return 0;
}

/** The judged comment's thread: ancestors (nearest first), whether one was rejected, channel agreement. */
class Thread {
  ids: Uint8Array = new Uint8Array(MAX_ANCESTORS * 32);
  count: i32 = 0;
  mismatch: string | null = null;
  add(id: Uint8Array, at: i32): void {
    if (this.count >= MAX_ANCESTORS) return;
    for (let i = 0; i < this.count; i++) if (memory.compare(this.ids.dataStart + <usize>(i * 32), id.dataStart + <usize>at, 32) == 0) return;
    memory.copy(this.ids.dataStart + <usize>(this.count * 32), id.dataStart + <usize>at, 32);
    this.count++;
  }
  id(i: i32): Uint8Array { return this.ids.subarray(i * 32, i * 32 + 32); }
}

function record(id: Uint8Array): string { return "c/" + hexOf(id); }

function thread(c: Capsule): Thread {
  const t = new Thread();
  const mv = new MetaView();
  const channel = c.channel;
  const n = parentCount();
  for (let i = 0; i < c.parents.length; i++) t.add(c.parents[i], 0); // declared parents, held or not
  // parents first (nearest), then what each parent's record says about its own ancestors
  const paths: (Uint8Array | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (!mv.loadParent(i)) { paths.push(null); continue; }
    if (t.mismatch === null && !mv.channelIs(channel)) t.mismatch = mv.channel();
    const pid = mv.id();
    t.add(pid, 0);
    const rec = kvGet(utf8(record(pid)));
    if (rec !== null) { paths.push(rec); continue; }
    // a parent this module did not judge (a post): its own parents
    const grand = new Uint8Array(mv.parentCount() * 32 + 1);
    for (let k = 0; k < mv.parentCount(); k++) grand.set(mv.parentId(k), 1 + k * 32);
    paths.push(grand);
  }
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    if (p === null) continue;
    for (let o = 1; o + 32 <= p.length; o += 32) t.add(p, o);
  }
  return t;
}

function finish(id: Uint8Array, t: Thread, rejected: bool, result: string): i32 {
  const rec = new Uint8Array(1 + t.count * 32);
  rec[0] = rejected ? 1 : 0;
  memory.copy(rec.dataStart + 1, t.ids.dataStart, <usize>(t.count * 32));
  kvSet(utf8(record(id)), rec);
  submitText(result);
  return 0;
}

/** Earlier comments by `author` under parent `pid`: [within the window, in all]. Allocation-free walk. */
function earlier(pid: Uint8Array, author: Uint8Array, at: u64, id: Uint8Array, window: u64, mv: MetaView, out: i64[]): void {
  const n = childCount(pid);
  for (let j = 0; j < n; j++) {
    if (!mv.loadChild(pid, j)) continue;
    if (!mv.kindIs("comment") || !mv.authorIs(author)) continue;
    const sat = mv.createdAt();
    // earlier in the canonical order among siblings: (created_at, id) below this comment's
    if (sat > at) continue;
    if (sat == at && memory.compare(mv.id().dataStart, id.dataStart, 32) >= 0) continue;
    out[1]++;
    if (at - sat < window) out[0]++;
  }
}

function judgeComment(): i32 {
  const c = capsule();
  const t = thread(c);
  if (t.mismatch !== null) return finish(c.id, t, true, verdict("reject", "CHANNEL_MISMATCH", t.mismatch!));
  const policy = loadPolicy(c.channel);
  if (policy !== null) {
    if (policy.blockedCapsule(c.id)) return finish(c.id, t, true, verdict("reject", "BLOCKED_CONTENT", hexOf(c.id)));
    for (let i = 0; i < t.count; i++) if (policy.blockedCapsule(t.id(i))) return finish(c.id, t, true, verdict("reject", "BLOCKED_CONTENT", hexOf(t.id(i))));
  }
  for (let i = 0; i < t.count; i++) {
    const rec = kvGet(utf8(record(t.id(i))));
    if (rec !== null && rec.length > 0 && rec[0] == 1) return finish(c.id, t, true, verdict("reject", "BLOCKED_THREAD", hexOf(t.id(i))));
  }
  if (policy === null) return finish(c.id, t, false, verdict("allow", "NO_POLICY", ""));
  if (policy.blockedAuthor(c.author)) return finish(c.id, t, true, verdict("reject", "BLOCKED_AUTHOR", ""));
  if (c.payloadLength > MAX_TEXT_BYTES) return finish(c.id, t, true, verdict("reject", "TOO_LONG", "over " + MAX_TEXT_BYTES.toString() + " bytes"));
  const text = payloadText();
  let p: JValue | null = null;
  if (text !== null) p = parseJson(text);
  let body: string | null = null;
  if (p !== null) body = p.str("text");
  if (body === null) return finish(c.id, t, true, failure("BAD_PAYLOAD", "a comment is {\"text\": \"...\"}"));
  const a = new Analysis();
  a.run(body, 0x69);
  let found = findTerm(a, policy);
  if (found == -1 && a.hasOne) { a.run(body, 0x6c); found = findTerm(a, policy); }
  if (found == TOO_COMPLEX) return finish(c.id, t, true, verdict("reject", "TOO_COMPLEX", "single-letter runs too long to check"));
  if (found >= 0) return finish(c.id, t, true, verdict("reject", "BANNED_TERM", policy.termText(found)));
  const deviceOwner = owner();
  if (ownsChannel(c.channel, c.author, deviceOwner) ||
    (c.author.length == deviceOwner.length && memory.compare(c.author.dataStart, deviceOwner.dataStart, <usize>c.author.length) == 0)) {
    return finish(c.id, t, false, verdict("allow", "OK", ""));
  }
  if (policy.minTrust > 0 && trustScore(c.author) < policy.minTrust) return finish(c.id, t, false, verdict("hide", "LOW_TRUST", ""));
  if (policy.max > 0) {
    const mv = new MetaView();
    const counts: i64[] = [0, 0];
    for (let i = 0; i < c.parents.length; i++) {
      counts[0] = 0; counts[1] = 0;
      earlier(c.parents[i], c.author, c.createdAt, c.id, policy.window, mv, counts);
      if (counts[0] >= <i64>policy.max) return finish(c.id, t, false, verdict("hide", "RATE_LIMITED", counts[0].toString() + " within the window"));
      if (counts[1] >= <i64>policy.perParent) return finish(c.id, t, false, verdict("hide", "RATE_LIMITED", counts[1].toString() + " under this parent"));
    }
  }
  return finish(c.id, t, false, verdict("allow", "OK", ""));
}

export function run(): i32 {
  const kind = capsule().kind;
  if (kind == "policy") return setPolicy();
  if (kind == "comment") return judgeComment();
  submitText(failure("WRONG_KIND", "blocklist judges comment capsules and sets policy from policy capsules"));
  return 0;
}

/**
 * Read-only view: {"op": "policy", "channel": c} → the policy in force in that channel, in the shape of a policy
 * payload (so a client can merge into it and sign the result: `kapsule agent proposals` does), or `"policy": null`.
 */
export function query(): i32 {
  const text = payloadText();
  const q: JValue | null = text === null ? null : parseJson(text);
  if (q === null || q.kind != J_OBJ) { submitText(failure("BAD_QUERY", "a query is a JSON object")); return 0; }
  const op = q.str("op"), channel = q.str("channel");
  if (op != "policy" || channel === null) { submitText(failure("BAD_QUERY", "{\"op\": \"policy\", \"channel\": c}")); return 0; }
  const prefix = channelOwnerPrefix(channel);
  const out = new JsonOut().bool("ok", true).str("channel", channel).str("owner", prefix !== null ? prefix : hexOf(owner()));
  const p = loadPolicy(channel);
  if (p === null) { submitText(out.raw("policy", "null").toString()); return 0; }
  const b = p.bytes;
  const authors: string[] = [];
  const base = <i32>load<u32>(b.dataStart + 57);
  for (let i = 0; i < p.authors; i++) authors.push(quote(hexOf(b, base + i * 34 + 1, <i32>b[base + i * 34])));
  const ids: string[] = [];
  const cbase = <i32>load<u32>(b.dataStart + 61);
  for (let i = 0; i < p.capsules; i++) ids.push(quote(hexOf(b, cbase + i * 32, 32)));
  const terms: string[] = [];
  for (let i = 0; i < p.terms; i++) terms.push(quote(p.termText(i)));
  const policy = new JsonOut().raw("blocked_authors", "[" + authors.join(",") + "]").raw("blocked_capsules", "[" + ids.join(",") + "]")
    .raw("banned_terms", "[" + terms.join(",") + "]").int("min_trust", p.minTrust);
  if (p.max > 0) policy.raw("rate_limit", new JsonOut().int("max", p.max).int("window_ms", <i64>p.window).int("per_parent", p.perParent).toString());
  submitText(out.raw("policy", policy.toString()).toString());
  return 0;
}
