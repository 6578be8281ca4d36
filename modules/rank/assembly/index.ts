// `rank` — a trending score for posts (formula in ./hot.ts, modules/README.md#rank).
// Runs on `post` capsules (scores the post itself) and on `comment`/`reaction` capsules that reference rank as
// their logic (re-scores their parent post, counting the new engagement). "now" is the run context's, recorded in
// the audit log: by default the capsule's created_at; `kapsule run --now <ms>` re-ranks at another time.
import {
  capsule, parent, parentCount, child, childCount, trustScore, now, kvSetText, submitText, Capsule,
} from "../../../guest-sdk/assembly/index";
import { failure, JsonOut } from "../../lib/json";
import { toHex, bytesEqual } from "../../lib/hex";
import { ageHours, engagementOf, hotScore } from "./hot";

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
  const authorTrust = trustScore(post.author);
  // distinct engaging authors: stored children, plus this capsule when it is a new child of the post
  const seen: Uint8Array[] = [];
  let engagement: i64 = 0;
  let engaged: i32 = 0, ignored: i32 = 0;
  const consider = (a: Uint8Array, postAuthor: Uint8Array, seenList: Uint8Array[]): i64 => {
    if (bytesEqual(a, postAuthor)) return -1;
    for (let i = 0; i < seenList.length; i++) if (bytesEqual(seenList[i], a)) return -1;
    seenList.push(a);
    return engagementOf(trustScore(a));
  };
  const n = childCount(post.id);
  for (let i = 0; i < n; i++) {
    const ch = child(post.id, i);
    if (ch === null) continue;
    const e = consider(ch.author, post.author, seen);
    if (e > 0) { engagement += e; engaged++; } else if (e == 0) ignored++;
  }
  if (c.kind != "post") {
    const e = consider(c.author, post.author, seen);
    if (e > 0) { engagement += e; engaged++; } else if (e == 0) ignored++;
  }
  const hours = ageHours(now(), post.createdAt);
  const score = hotScore(authorTrust + engagement, hours);
  kvSetText("score:" + toHex(post.id), score.toString());
  submitText(new JsonOut().bool("ok", true).str("post", toHex(post.id)).int("score", score)
    .int("author_trust", authorTrust).int("engagement", engagement).int("engaged", engaged)
    .int("ignored", ignored).int("age_hours", <i64>hours).toString());
  return 0;
}
