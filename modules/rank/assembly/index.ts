// `rank` — trending posts (formula in ./hot.ts, modules/README.md#rank).
//
// "Trending" depends on when you ask, so it is a read-time view, never a stored fact (docs/CONVERGENCE.md):
//   run()   — on a `post`: appends the post to its channel's index in kv (in canonical order, so the index is
//             the same on every device); on a `comment`/`reaction`: acknowledges the engagement. Results hold no
//             time-dependent number.
//   query() — {"op": "trending", "channel": c, "limit"?: n, "window"?: m} or {"op": "score", "post": id}: scores
//             the newest `window` posts of the channel at the query's explicit `now` (the context), from the DAG as
//             it stands: engagement = distinct child authors (any kind, any logic) weighted by their current trust.
import {
  capsule, parent, parentCount, now, payloadText, kvGet, kvSet, kvGetText, kvSetText, submitText, utf8, Capsule, MetaView, TRUST_ONE,
} from "kapsule-guest-sdk";
import * as env from "kapsule-guest-sdk/assembly/env";
import { failure, parseJson, JsonOut, JValue, J_INT, quote } from "kapsule-guest-sdk";
import { hexOf, parseHex, bytesEqual } from "kapsule-guest-sdk";
import { ageHours, engagementOf, hotScore } from "./hot";
import { KeySet } from "kapsule-guest-sdk";

/** Posts a trending view considers by default (the newest), and at most. */
const DEFAULT_WINDOW: i32 = 200;
const MAX_WINDOW: i32 = 1000;
/** Children of one post read by a view (distinct authors beyond this are not counted). */
const MAX_CHILDREN: i32 = 5000;

// The channel index, one small kv value per post so a run writes (and a rollback restores) ~80 bytes, not a page:
//   "n:<channel>"        number of posts indexed (decimal)
//   "i:<channel>:<k>"    post k (in canonical order): id[32] ‖ created_at u64 LE ‖ u8 key_len ‖ author key
//   "x:" ‖ id[32]        the same record, to find a post by id
function countKey(channel: string): string { return "n:" + channel; }
function itemKey(channel: string, k: i32): string { return "i:" + channel + ":" + k.toString(); }
function idKey(id: Uint8Array): Uint8Array {
  const k = new Uint8Array(34);
  k[0] = 0x78; k[1] = 0x3a; // "x:"
  k.set(id, 2);
  return k;
}

function postCount(channel: string): i32 {
  const t = kvGetText(countKey(channel));
  return t === null ? 0 : I32.parseInt(t);
}

function record(c: Capsule): Uint8Array {
  const r = new Uint8Array(41 + c.author.length);
  r.set(c.id, 0);
  store<u64>(r.dataStart + 32, c.createdAt);
  r[40] = <u8>c.author.length;
  r.set(c.author, 41);
  return r;
}

/** The post a capsule engages with: itself, or its first parent that is a post. */
function targetPost(c: Capsule): Capsule | null {
  if (c.kind == "post") return c;
  const n = parentCount();
  for (let i = 0; i < n; i++) {
    const p = parent(i);
    if (p !== null && p.kind == "post") return p;
  }
  return null;
}

export function run(): i32 {
  const c = capsule();
  const post = targetPost(c);
  if (post === null) { submitText(failure("NO_POST", "rank scores posts: this capsule is not a post and has no post parent")); return 0; }
  if (c.kind != "post") {
    submitText(new JsonOut().bool("ok", true).str("post", hexOf(post.id)).bool("engagement", !bytesEqual(c.author, post.author)).toString());
    return 0;
  }
  const n = postCount(c.channel);
  const rec = record(c);
  kvSet(utf8(itemKey(c.channel, n)), rec);
  kvSet(idKey(c.id), rec);
  kvSetText(countKey(c.channel), (n + 1).toString());
  submitText(new JsonOut().bool("ok", true).str("post", hexOf(c.id)).str("channel", c.channel).int("index", n).toString());
  return 0;
}

// ---- the view ----

class Scored {
  constructor(
    public rec: Uint8Array, public score: i64, public authorTrust: i64,
    public engagement: i64, public engaged: i32, public ignored: i32, public hours: u64,
  ) {}
  /** Rendered only for the posts a view returns: hex is built for the top `limit`, not for every post scored. */
  json(): string {
    return new JsonOut().str("post", hexOf(this.rec, 0, 32)).int("score", this.score).str("author", hexOf(this.rec, 41, <i32>this.rec[40]))
      .int("author_trust", this.authorTrust).int("engagement", this.engagement).int("engaged", this.engaged)
      .int("ignored", this.ignored).int("age_hours", <i64>this.hours).toString();
  }
}

const seen = new KeySet();
const view = new MetaView();
const postId = new Uint8Array(32);

function trustAt(ptr: usize, len: i32): i64 {
  const t = env.get_trust_score(ptr, len);
  return t > TRUST_ONE ? TRUST_ONE : t < 0 ? 0 : t;
}

/** Scores one indexed post (its record) at `at`: trust of its author plus trusted distinct engagement, with gravity. */
function score(rec: Uint8Array, at: u64): Scored | null {
  if (rec.length < 42 || rec.length != 41 + <i32>rec[40]) return null;
  memory.copy(postId.dataStart, rec.dataStart, 32);
  const createdAt = load<u64>(rec.dataStart + 32);
  const aptr0 = rec.dataStart + 41, alen0 = <i32>rec[40];
  const authorTrust = trustAt(aptr0, alen0);
  let kids = env.get_child_count(postId.dataStart);
  if (kids < 0) kids = 0;
  if (kids > MAX_CHILDREN) kids = MAX_CHILDREN;
  seen.reset(kids + 1);
  seen.add(aptr0, alen0); // the author's own replies are not engagement
  let engagement: i64 = 0;
  let engaged: i32 = 0, ignored: i32 = 0;
  for (let i = 0; i < kids; i++) {
    if (!view.loadChild(postId, i)) continue;
    const aptr = view.authorPtr(), alen = view.authorLength();
    if (!seen.add(aptr, alen)) continue;
    const e = engagementOf(trustAt(aptr, alen));
    if (e > 0) { engagement += e; engaged++; } else ignored++;
  }
  const hours = ageHours(at, createdAt);
  return new Scored(rec, hotScore(authorTrust + engagement, hours), authorTrust, engagement, engaged, ignored, hours);
}

function byScore(a: Scored, b: Scored): i32 {
  if (a.score != b.score) return a.score > b.score ? -1 : 1;
  return memory.compare(a.rec.dataStart, b.rec.dataStart, 32); // ties: by post id
}

export function query(): i32 {
  const text = payloadText();
  if (text === null) { submitText(failure("BAD_QUERY", "a query is a JSON object")); return 0; }
  const q = parseJson(text);
  if (q === null) { submitText(failure("BAD_QUERY", "a query is a JSON object")); return 0; }
  const op = q.str("op");
  const channel = q.str("channel");
  const at = now();
  if (op == "trending") {
    if (channel === null) { submitText(failure("BAD_QUERY", "trending needs \"channel\"")); return 0; }
    const lim: JValue | null = q.get("limit"), win: JValue | null = q.get("window");
    if ((lim !== null && (lim.kind != J_INT || lim.n < 1 || lim.n > MAX_WINDOW)) || (win !== null && (win.kind != J_INT || win.n < 1 || win.n > MAX_WINDOW))) {
      submitText(failure("BAD_QUERY", "\"limit\" and \"window\" are integers in [1, " + MAX_WINDOW.toString() + "]")); return 0;
    }
    const limit = lim === null ? 20 : <i32>lim.n;
    const window = win === null ? DEFAULT_WINDOW : <i32>win.n;
    const total = postCount(channel);
    const first = total > window ? total - window : 0;
    const out: Scored[] = [];
    let future: i32 = 0;
    for (let k = first; k < total; k++) {
      const rec = kvGet(utf8(itemKey(channel, k)));
      if (rec === null || rec.length < 40) continue;
      if (load<u64>(rec.dataStart + 32) > at) { future++; continue; } // not yet posted at this `now`
      const s = score(rec, at);
      if (s !== null) out.push(s);
    }
    out.sort(byScore);
    const items: string[] = [];
    for (let i = 0; i < out.length && i < limit; i++) items.push(out[i].json());
    submitText(new JsonOut().bool("ok", true).str("op", "trending").str("channel", channel).u64s("now", at)
      .int("considered", out.length).int("not_yet", future).raw("posts", "[" + items.join(",") + "]").toString());
    return 0;
  }
  if (op == "score") {
    const post = q.str("post");
    const id: Uint8Array | null = post === null ? null : parseHex(post, 32);
    if (id === null) { submitText(failure("BAD_QUERY", "score needs \"post\" (a capsule id)")); return 0; }
    const rec = kvGet(idKey(id));
    const s: Scored | null = rec === null ? null : score(rec, at);
    if (s === null) { submitText(failure("NO_POST", "no post " + post! + " is indexed")); return 0; }
    submitText("{\"ok\":true,\"op\":\"score\",\"now\":" + quote(at.toString()) + ",\"post\":" + s.json() + "}");
    return 0;
  }
  submitText(failure("BAD_QUERY", "unknown op (trending, score)"));
  return 0;
}
