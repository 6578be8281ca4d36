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
  capsule, parent, parentCount, now, payloadText, kvGetText, kvSetText, submitText, Capsule, TRUST_ONE,
} from "../../../guest-sdk/assembly/index";
import * as env from "../../../guest-sdk/assembly/env";
import { failure, parseJson, JsonOut, JValue, J_INT, quote } from "../../lib/json";
import { toHex, fromHex, bytesEqual } from "../../lib/hex";
import { ageHours, engagementOf, hotScore } from "./hot";
import { AuthorSet } from "./engage";

/** Posts per index page (one kv value: ≈ 150 bytes each, well under 64 KiB). */
const PAGE: i32 = 256;
/** Posts a trending view considers by default (the newest), and at most. */
const DEFAULT_WINDOW: i32 = 200;
const MAX_WINDOW: i32 = 1000;
/** Children of one post read by a view (distinct authors beyond this are not counted). */
const MAX_CHILDREN: i32 = 5000;

function countKey(channel: string): string { return "pc:" + channel; }
function pageKey(channel: string, page: i32): string { return "pp:" + channel + ":" + page.toString(); }

function postCount(channel: string): i32 {
  const t = kvGetText(countKey(channel));
  return t === null ? 0 : I32.parseInt(t);
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
    submitText(new JsonOut().bool("ok", true).str("post", toHex(post.id)).bool("engagement", !bytesEqual(c.author, post.author)).toString());
    return 0;
  }
  const n = postCount(c.channel);
  const key = pageKey(c.channel, n / PAGE);
  const line = toHex(c.id) + " " + toHex(c.author) + " " + c.createdAt.toString();
  const old = kvGetText(key);
  kvSetText(key, old === null || old.length == 0 ? line : old + "\n" + line);
  kvSetText(countKey(c.channel), (n + 1).toString());
  submitText(new JsonOut().bool("ok", true).str("post", toHex(c.id)).str("channel", c.channel).int("index", n).toString());
  return 0;
}

// ---- the view ----

class Scored {
  constructor(
    public post: string, public author: string, public createdAt: u64, public score: i64, public authorTrust: i64,
    public engagement: i64, public engaged: i32, public ignored: i32, public hours: u64,
  ) {}
  json(): string {
    return new JsonOut().str("post", this.post).int("score", this.score).str("author", this.author)
      .int("author_trust", this.authorTrust).int("engagement", this.engagement).int("engaged", this.engaged)
      .int("ignored", this.ignored).int("age_hours", <i64>this.hours).toString();
  }
}

const seen = new AuthorSet();
let meta = new Uint8Array(1024);
const postId = new Uint8Array(32);

/** Reads child `i` of `postId` into `meta` (grown once if needed); its length, or < 0. */
function childMeta(i: i32): i32 {
  let n = env.get_child_metadata(postId.dataStart, i, meta.dataStart, meta.length);
  if (n > meta.length) {
    meta = new Uint8Array(n);
    n = env.get_child_metadata(postId.dataStart, i, meta.dataStart, meta.length);
  }
  return n;
}

function trustAt(ptr: usize, len: i32): i64 {
  const t = env.get_trust_score(ptr, len);
  return t > TRUST_ONE ? TRUST_ONE : t < 0 ? 0 : t;
}

/** Scores one indexed post at `at`: trust of its author plus trusted distinct engagement, with gravity. */
function score(idHex: string, authorHex: string, createdAt: u64, at: u64): Scored | null {
  const id = fromHex(idHex, 32);
  const author = fromHex(authorHex, 0);
  if (id === null || author === null) return null;
  memory.copy(postId.dataStart, id.dataStart, 32);
  const authorTrust = trustAt(author.dataStart, author.length);
  let kids = env.get_child_count(postId.dataStart);
  if (kids < 0) kids = 0;
  if (kids > MAX_CHILDREN) kids = MAX_CHILDREN;
  seen.reset(kids + 1);
  seen.add(author.dataStart, author.length); // the author's own replies are not engagement
  let engagement: i64 = 0;
  let engaged: i32 = 0, ignored: i32 = 0;
  for (let i = 0; i < kids; i++) {
    const n = childMeta(i);
    if (n < 36) continue;
    // metadata: version u8, id[32], kind_len u8, kind, author_alg u8, author_len u8, author (docs/ABI.md §Metadata)
    const kindLen = <i32>meta[33];
    const lenAt = 35 + kindLen;
    if (lenAt >= n) continue;
    const alen = <i32>meta[lenAt];
    const aptr = meta.dataStart + <usize>(lenAt + 1);
    if (lenAt + 1 + alen > n || !seen.add(aptr, alen)) continue;
    const e = engagementOf(trustAt(aptr, alen));
    if (e > 0) { engagement += e; engaged++; } else ignored++;
  }
  const hours = ageHours(at, createdAt);
  return new Scored(idHex, authorHex, createdAt, hotScore(authorTrust + engagement, hours), authorTrust, engagement, engaged, ignored, hours);
}

function byScore(a: Scored, b: Scored): i32 {
  if (a.score != b.score) return a.score > b.score ? -1 : 1;
  return a.post < b.post ? -1 : a.post > b.post ? 1 : 0;
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
    for (let page = first / PAGE; page * PAGE < total; page++) {
      const body = kvGetText(pageKey(channel, page));
      if (body === null) continue;
      const lines = body.split("\n");
      for (let j = 0; j < lines.length; j++) {
        if (page * PAGE + j < first) continue;
        const f = lines[j].split(" ");
        if (f.length != 3) continue;
        const createdAt = U64.parseInt(f[2]);
        if (createdAt > at) { future++; continue; } // not yet posted at this `now`
        const s = score(f[0], f[1], createdAt, at);
        if (s !== null) out.push(s);
      }
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
    if (post === null || fromHex(post, 32) === null || channel === null) {
      submitText(failure("BAD_QUERY", "score needs \"channel\" and \"post\" (a capsule id)")); return 0;
    }
    const total = postCount(channel);
    for (let page = 0; page * PAGE < total; page++) {
      const body = kvGetText(pageKey(channel, page));
      if (body === null) continue;
      const lines = body.split("\n");
      for (let j = 0; j < lines.length; j++) {
        if (!lines[j].startsWith(post)) continue;
        const f = lines[j].split(" ");
        const s = score(f[0], f[1], U64.parseInt(f[2]), at);
        if (s === null) break;
        submitText("{\"ok\":true,\"op\":\"score\",\"now\":" + quote(at.toString()) + ",\"post\":" + s.json() + "}");
        return 0;
      }
    }
    submitText(failure("NO_POST", "no post " + post + " is indexed in #" + channel)); return 0;
  }
  submitText(failure("BAD_QUERY", "unknown op (trending, score)"));
  return 0;
}
