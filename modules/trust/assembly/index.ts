// `trust` — keeps the trust statements of `trust` capsules and recomputes trust scores from the device owner's
// perspective (modules/README.md#trust; algorithm in ./graph.ts).
//   payload: {"subject": <hex key>, "weight": -100..100, "topic"?: <1-32 chars>}   (weight 0 retracts)
// kv layout (every value stays far below the host's 64 KiB, whatever the number of identities):
//   "s/<author>/<subject>/<topic>"  one statement: "<weight> <created_at> <capsule id>" (topic "" = global)
//   "n/<author>"                    how many non-zero statements <author> holds (TOO_MANY_STATEMENTS past 500)
//   "g/<author>"                    <author>'s global non-zero statements, 35-byte records (graph.ts), ≤ 17,500 B
//   "scored" / "scored/<page>"      page count / the identities given a score by the last computation,
//                                   1,800 34-byte records a page (≤ 61,200 B), so they can be reset later
// A statement replaces the author's earlier statement on the same (subject, topic) only if it is newer by
// (created_at, capsule id): explicit, so the outcome is the same whatever the order capsules are run in.
import { capsule, owner, payloadText, kvGet, kvSet, kvDelete, kvGetText, kvSetText, utf8, trustScore, setTrustScore, submitText } from "kapsule-guest-sdk";
import { parseJson, failure, JsonOut, J_INT } from "kapsule-guest-sdk";
import { toHex, keyFromHex, fromHex } from "kapsule-guest-sdk";
import { EdgeSource, Graph, propagate, keyRecord, recordKey, KEY_BYTES, EDGE_BYTES } from "./graph";

/** Most non-zero statements one identity may hold (all topics). */
export const MAX_STATEMENTS: i32 = 500;
const PAGE_KEYS: i32 = 1800;

/** Statement order: true when (at, id) is newer than (at2, id2). */
export function newer(at: u64, id: string, at2: u64, id2: string): bool {
  return at > at2 || (at == at2 && id > id2);
}

const HEX_DIGITS = "0123456789abcdef";

/** Reads "g/<hex>" lists; the kv key is built in one of two reused buffers (no allocation per identity read). */
class KvEdges extends EdgeSource {
  private k32: Uint8Array = utf8("g/" + "00".repeat(32));
  private k33: Uint8Array = utf8("g/" + "00".repeat(33));
  edges(rec: Uint8Array): Uint8Array | null {
    const n = <i32>rec[0];
    const k = n == 33 ? this.k33 : this.k32;
    for (let i = 0; i < n; i++) {
      const v = rec[1 + i];
      k[2 + i * 2] = <u8>HEX_DIGITS.charCodeAt(v >> 4);
      k[3 + i * 2] = <u8>HEX_DIGITS.charCodeAt(v & 15);
    }
    return kvGet(k);
  }
}

/** Sets (or, weight 0, removes) the edge to `subject` in an edge list kept sorted by subject record. */
export function setEdge(list: Uint8Array | null, subject: Uint8Array, weight: i32): Uint8Array {
  const n = list === null ? 0 : list.length / EDGE_BYTES;
  let lo = 0, hi = n - 1, at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = memory.compare(list!.dataStart + <usize>(mid * EDGE_BYTES), subject.dataStart, KEY_BYTES);
    if (c == 0) { at = mid; break; }
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  if (at >= 0) {
    if (weight != 0) { const out = list!.slice(); out[at * EDGE_BYTES + KEY_BYTES] = <u8>(<i8>weight); return out; }
    const out = new Uint8Array((n - 1) * EDGE_BYTES);
    out.set(list!.subarray(0, at * EDGE_BYTES), 0);
    out.set(list!.subarray((at + 1) * EDGE_BYTES), at * EDGE_BYTES);
    return out;
  }
  if (weight == 0) return list === null ? new Uint8Array(0) : list;
  const out = new Uint8Array((n + 1) * EDGE_BYTES);
  if (list !== null) out.set(list.subarray(0, lo * EDGE_BYTES), 0);
  out.set(subject, lo * EDGE_BYTES);
  out[lo * EDGE_BYTES + KEY_BYTES] = <u8>(<i8>weight);
  if (list !== null) out.set(list.subarray(lo * EDGE_BYTES), (lo + 1) * EDGE_BYTES);
  return out;
}

/** Writes the scores of `g`, resets the identities scored last time that no longer are, stores the new set. */
function writeScores(g: Graph): i32 {
  let scored = 0;
  for (let i = 0; i < g.count; i++) if (g.level[i] >= 0 && g.score[i] > 0) scored++;
  const list = new Uint8Array(scored * KEY_BYTES);
  let w = 0;
  for (let i = 0; i < g.count; i++) {
    if (g.level[i] < 0 || g.score[i] <= 0) continue;
    const rec = Uint8Array.wrap(g.keys.buffer, i * KEY_BYTES, KEY_BYTES);
    list.set(rec, w * KEY_BYTES);
    w++;
    const key = recordKey(rec, 0);
    if (trustScore(key) != g.score[i]) setTrustScore(key, g.score[i]);
  }
  const pagesText = kvGetText("scored");
  const before = pagesText === null ? 0 : I32.parseInt(pagesText);
  const pages = (scored + PAGE_KEYS - 1) / PAGE_KEYS;
  for (let p = 0; p < before; p++) {
    const old = kvGet(utf8("scored/" + p.toString()));
    if (old === null) continue;
    for (let o = 0; o + KEY_BYTES <= old.length; o += KEY_BYTES) {
      const n = g.find(old, o);
      if (n >= 0 && g.level[n] >= 0 && g.score[n] > 0) continue;
      const key = recordKey(old, o);
      if (trustScore(key) != 0) setTrustScore(key, 0);
    }
    if (p < pages) {
      const end = min((p + 1) * PAGE_KEYS, scored) * KEY_BYTES;
      const mine = list.subarray(p * PAGE_KEYS * KEY_BYTES, end);
      if (old.length != mine.length || memory.compare(old.dataStart, mine.dataStart, mine.length) != 0) kvSet(utf8("scored/" + p.toString()), mine.slice());
    } else kvDelete(utf8("scored/" + p.toString()));
  }
  for (let p = before; p < pages; p++) {
    const end = min((p + 1) * PAGE_KEYS, scored) * KEY_BYTES;
    kvSet(utf8("scored/" + p.toString()), list.slice(p * PAGE_KEYS * KEY_BYTES, end));
  }
  if (pages != before) kvSetText("scored", pages.toString());
  return scored;
}

export function run(): i32 {
  const c = capsule();
  const text = payloadText();
  if (text === null) { submitText(failure("BAD_PAYLOAD", "trust capsules need a payload")); return 0; }
  const p = parseJson(text);
  if (p === null) { submitText(failure("BAD_PAYLOAD", "payload is not strict JSON")); return 0; }
  const subjectHex = p.str("subject");
  const w = p.get("weight");
  if (subjectHex === null || keyFromHex(subjectHex) === null) { submitText(failure("BAD_PAYLOAD", "\"subject\" must be a hex public key")); return 0; }
  if (w === null || w.kind != J_INT || w.n < -100 || w.n > 100) { submitText(failure("BAD_PAYLOAD", "\"weight\" must be an integer in [-100, 100]")); return 0; }
  let topic = "";
  if (p.has("topic")) {
    const t = p.str("topic");
    let ok = t !== null && t.length > 0 && t.length <= 32;
    if (ok) for (let i = 0; i < t!.length; i++) { const ch = t!.charCodeAt(i); if (ch <= 0x20 || ch == 0x2f || ch == 0x7f) { ok = false; break; } }
    if (!ok) { submitText(failure("BAD_PAYLOAD", "\"topic\" must be 1-32 characters without spaces, controls or '/'")); return 0; }
    topic = t!;
  }
  const from = toHex(c.author);
  const ownerKey = owner();
  const ownerHex = toHex(ownerKey);
  if (from == subjectHex) { submitText(failure("SELF_TRUST", "an identity cannot state trust in itself")); return 0; }
  const weight = <i32>w.n;
  const id = toHex(c.id);

  // supersession: newest by (created_at, capsule id) per (author, subject, topic)
  const sKey = "s/" + from + "/" + subjectHex + "/" + topic;
  const prev = kvGetText(sKey);
  let prevWeight = 0;
  let superseded = false;
  if (prev !== null) {
    const parts = prev.split(" ");
    prevWeight = I32.parseInt(parts[0]);
    if (!newer(c.createdAt, id, U64.parseInt(parts[1]), parts[2])) superseded = true;
  }
  const countText = kvGetText("n/" + from);
  let count = countText === null ? 0 : I32.parseInt(countText);
  if (!superseded) {
    if (prevWeight == 0 && weight != 0 && count >= MAX_STATEMENTS) {
      submitText(failure("TOO_MANY_STATEMENTS", "an identity may hold at most 500 non-zero trust statements (weight 0 retracts one)")); return 0;
    }
    kvSetText(sKey, weight.toString() + " " + c.createdAt.toString() + " " + id);
    const nextCount = count + (prevWeight == 0 && weight != 0 ? 1 : 0) - (prevWeight != 0 && weight == 0 ? 1 : 0);
    if (nextCount != count) { count = nextCount; kvSetText("n/" + from, count.toString()); }
    if (topic.length == 0 && weight != prevWeight) {
      const gKey = utf8("g/" + from);
      kvSet(gKey, setEdge(kvGet(gKey), keyRecord(fromHex(subjectHex, 0)!), weight));
    }
  }

  // recompute only when the global graph can have changed as seen from the owner: an unscored author's
  // statements are never read (unreachable, excluded or distrusted identities pass nothing on)
  const changed = !superseded && topic.length == 0 && weight != prevWeight;
  const recompute = changed && (from == ownerHex || trustScore(c.author) > 0);
  let edges = 0, scored = -1;
  let truncated = false;
  const subjectKey = fromHex(subjectHex, 0)!;
  if (recompute) {
    const g = propagate(keyRecord(ownerKey), new KvEdges());
    scored = writeScores(g);
    edges = g.edgesRead;
    truncated = g.truncated;
  }
  submitText(new JsonOut().bool("ok", true).str("subject", subjectHex).int("weight", weight).str("topic", topic)
    .bool("superseded", superseded).int("statements", count).bool("recomputed", recompute).int("edges", edges)
    .int("scored", scored).bool("truncated", truncated)
    .int("subject_score", trustScore(subjectKey)).int("author_score", trustScore(c.author)).toString());
  return 0;
}
