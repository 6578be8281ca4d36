// `trust` — maintains the trust graph from `trust` capsules and recomputes trust scores from the device owner's
// perspective (modules/README.md#trust; algorithm in ./graph.ts).
//   payload: {"subject": <hex key>, "weight": -100..100, "topic"?: <string>}
// kv layout (values stay under the host's 64 KiB per value):
//   "out:<from>"      one line per statement of <from>: "<to> <topic|-> <weight> <created_at> <capsule id>", sorted
//   "authors:<xx>"    the authors whose key starts with hex <xx>, sorted (256 buckets)
//   "scored:<xx>"     the subjects given a score > 0 by the last computation, per bucket (to reset them later)
// The newest statement per (from, to, topic) wins, newest by (created_at, capsule id): the graph, and so the
// scores, do not depend on the order in which capsules arrived. Topic statements are stored and reported;
// global scores use statements without a topic.
import { capsule, owner, payloadText, kvGetText, kvSetText, setTrustScore, submitText } from "../../../guest-sdk/assembly/index";
import { parseJson, failure, JsonOut, J_INT } from "../../lib/json";
import { toHex, keyFromHex } from "../../lib/hex";
import { Edge, propagate } from "./graph";

/** Longest per-author statement list kept (one kv value). */
const MAX_STATEMENTS_PER_AUTHOR: i32 = 500;

class Line {
  /** (to, topic): the identity of a statement within its author's list. */
  key: string;
  constructor(public dst: string, public topic: string, public weight: i32, public at: u64, public id: string) {
    this.key = dst + " " + topic;
  }
  newerThan(o: Line): bool { return this.at > o.at || (this.at == o.at && this.id > o.id); }
  encode(): string {
    return this.dst + " " + (this.topic.length ? this.topic : "-") + " " + this.weight.toString() + " " + this.at.toString() + " " + this.id;
  }
  static decode(s: string): Line | null {
    const p = s.split(" ");
    if (p.length != 5) return null;
    return new Line(p[0], p[1] == "-" ? "" : p[1], I32.parseInt(p[2]), U64.parseInt(p[3]), p[4]);
  }
}

function lines(text: string | null): string[] {
  return text === null || text.length == 0 ? new Array<string>(0) : text.split("\n");
}

function loadStatements(author: string): Line[] {
  const rows = lines(kvGetText("out:" + author));
  const out: Line[] = [];
  for (let i = 0; i < rows.length; i++) {
    const l = Line.decode(rows[i]);
    if (l !== null) out.push(l);
  }
  return out;
}

/** Position of `key` in lines sorted by key, or -(insertion point) - 1. */
function search(list: Line[], key: string): i32 {
  let lo = 0, hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = list[mid].key;
    if (k == key) return mid;
    if (k < key) lo = mid + 1; else hi = mid - 1;
  }
  return -lo - 1;
}

function insertSorted(list: string[], s: string): bool {
  let lo = 0, hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] == s) return false;
    if (list[mid] < s) lo = mid + 1; else hi = mid - 1;
  }
  list.push(s);
  for (let i = list.length - 1; i > lo; i--) list[i] = list[i - 1];
  list[lo] = s;
  return true;
}

const HEX = "0123456789abcdef";
function bucket(i: i32): string { return HEX.charAt(i >> 4) + HEX.charAt(i & 15); }

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
    if (t === null || t.length == 0 || t.length > 32 || t.includes(" ") || t.includes("\n") || t == "-") {
      submitText(failure("BAD_PAYLOAD", "\"topic\" must be 1-32 characters without spaces")); return 0;
    }
    topic = t;
  }
  const from = toHex(c.author);
  if (from == subjectHex) { submitText(failure("SELF_TRUST", "an identity cannot state trust in itself")); return 0; }

  // merge the statement into its author's list: newest per (to, topic) wins
  const line = new Line(subjectHex, topic, <i32>w.n, c.createdAt, toHex(c.id));
  const mine = loadStatements(from);
  let superseded = false;
  const at = search(mine, line.key);
  if (at >= 0) {
    if (line.newerThan(mine[at])) mine[at] = line; else superseded = true;
  } else {
    if (mine.length >= MAX_STATEMENTS_PER_AUTHOR) { submitText(failure("TOO_MANY_STATEMENTS", "an identity may hold at most 500 trust statements")); return 0; }
    const pos = -at - 1;
    mine.push(line);
    for (let i = mine.length - 1; i > pos; i--) mine[i] = mine[i - 1];
    mine[pos] = line;
  }
  const enc: string[] = [];
  for (let i = 0; i < mine.length; i++) enc.push(mine[i].encode());
  kvSetText("out:" + from, enc.join("\n"));
  const bucketKey = "authors:" + from.slice(0, 2);
  const authorsHere = lines(kvGetText(bucketKey));
  if (insertSorted(authorsHere, from)) kvSetText(bucketKey, authorsHere.join("\n"));

  // recompute global scores over the whole graph, read in canonical order
  const edges: Edge[] = [];
  let statements = 0;
  for (let bk = 0; bk < 256; bk++) {
    const authors = bk == <i32>I32.parseInt(from.slice(0, 2), 16) ? authorsHere : lines(kvGetText("authors:" + bucket(bk)));
    for (let i = 0; i < authors.length; i++) {
      const list = authors[i] == from ? mine : loadStatements(authors[i]);
      statements += list.length;
      for (let j = 0; j < list.length; j++) if (list[j].topic.length == 0) edges.push(new Edge(authors[i], list[j].dst, list[j].weight));
    }
  }
  const scores = propagate(toHex(owner()), edges);
  // write scores; reset subjects scored last time that no longer are, bucket by bucket
  let subjectScore: i64 = 0, authorScore: i64 = 0;
  let k = 0;
  for (let bk = 0; bk < 256; bk++) {
    const prefix = bucket(bk);
    const now: string[] = [];
    while (k < scores.length && scores[k].node.slice(0, 2) == prefix) {
      const key = keyFromHex(scores[k].node);
      if (key !== null) {
        setTrustScore(key, scores[k].score);
        now.push(scores[k].node);
        if (scores[k].node == subjectHex) subjectScore = scores[k].score;
        if (scores[k].node == from) authorScore = scores[k].score;
      }
      k++;
    }
    const before = lines(kvGetText("scored:" + prefix));
    for (let i = 0; i < before.length; i++) {
      if (!now.includes(before[i])) { const key = keyFromHex(before[i]); if (key !== null) setTrustScore(key, 0); }
    }
    if (before.length != 0 || now.length != 0) {
      const joined = now.join("\n");
      if (joined != before.join("\n")) kvSetText("scored:" + prefix, joined);
    }
  }

  submitText(new JsonOut().bool("ok", true).str("subject", subjectHex).int("weight", w.n).str("topic", topic)
    .bool("superseded", superseded).int("edges", statements).int("scored", scores.length)
    .int("subject_score", subjectScore).int("author_score", authorScore).toString());
  return 0;
}
