// `trust` — maintains the trust graph from `trust` capsules and recomputes trust scores from the device owner's
// perspective (modules/README.md#trust; algorithm in ./graph.ts).
//   payload: {"subject": <hex key>, "weight": -100..100, "topic"?: <string>}
// kv: "edges" = one line per edge "<from> <to> <weight> <created_at> <capsule id>"; the newest statement per
// (from, to, topic) wins, newest by (created_at, capsule id) so the graph does not depend on arrival order.
// Topic statements are stored and reported; global scores use statements without a topic.
import { capsule, owner, payloadText, kvGetText, kvSetText, setTrustScore, submitText } from "../../../guest-sdk/assembly/index";
import { parseJson, failure, JsonOut, J_INT } from "../../lib/json";
import { toHex, keyFromHex } from "../../lib/hex";
import { Edge, propagate } from "./graph";

class Line {
  constructor(public src: string, public dst: string, public topic: string, public weight: i32, public at: u64, public id: string) {}
  key(): string { return this.src + " " + this.dst + " " + this.topic; }
  newerThan(o: Line): bool { return this.at > o.at || (this.at == o.at && this.id > o.id); }
  encode(): string {
    return this.src + " " + this.dst + " " + (this.topic.length ? this.topic : "-") + " " + this.weight.toString() + " " + this.at.toString() + " " + this.id;
  }
  static decode(s: string): Line | null {
    const p = s.split(" ");
    if (p.length != 6) return null;
    return new Line(p[0], p[1], p[2] == "-" ? "" : p[2], I32.parseInt(p[3]), U64.parseInt(p[4]), p[5]);
  }
}

function compareLines(a: Line, b: Line): i32 {
  const ka = a.key(), kb = b.key();
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function loadLines(): Line[] {
  const text = kvGetText("edges");
  const out: Line[] = [];
  if (text === null || text.length == 0) return out;
  const rows = text.split("\n");
  for (let i = 0; i < rows.length; i++) {
    const l = Line.decode(rows[i]);
    if (l !== null) out.push(l);
  }
  return out;
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
    if (t === null || t.length == 0 || t.length > 32 || t.includes(" ") || t.includes("\n") || t == "-") {
      submitText(failure("BAD_PAYLOAD", "\"topic\" must be 1-32 characters without spaces")); return 0;
    }
    topic = t;
  }
  const from = toHex(c.author);
  if (from == subjectHex) { submitText(failure("SELF_TRUST", "an identity cannot state trust in itself")); return 0; }

  // merge the statement: newest per (from, to, topic) wins
  const line = new Line(from, subjectHex, topic, <i32>w.n, c.createdAt, toHex(c.id));
  const lines = loadLines();
  let replaced = false, superseded = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].key() == line.key()) {
      if (line.newerThan(lines[i])) lines[i] = line; else superseded = true;
      replaced = true;
      break;
    }
  }
  if (!replaced) lines.push(line);
  lines.sort(compareLines);
  const enc: string[] = [];
  for (let i = 0; i < lines.length; i++) enc.push(lines[i].encode());
  kvSetText("edges", enc.join("\n"));

  // recompute global scores
  const edges: Edge[] = [];
  for (let i = 0; i < lines.length; i++) if (lines[i].topic.length == 0) edges.push(new Edge(lines[i].src, lines[i].dst, lines[i].weight));
  const me = toHex(owner());
  const scores = propagate(me, edges);
  const previous = kvGetText("scored");
  const prev = previous === null || previous.length == 0 ? new Array<string>(0) : previous.split(",");
  const now = new Set<string>();
  let subjectScore: i64 = 0, authorScore: i64 = 0;
  for (let i = 0; i < scores.length; i++) {
    const k = keyFromHex(scores[i].node);
    if (k === null) continue;
    setTrustScore(k, scores[i].score);
    now.add(scores[i].node);
    if (scores[i].node == subjectHex) subjectScore = scores[i].score;
    if (scores[i].node == from) authorScore = scores[i].score;
  }
  for (let i = 0; i < prev.length; i++) {
    if (!now.has(prev[i])) { const k = keyFromHex(prev[i]); if (k !== null) setTrustScore(k, 0); }
  }
  const list: string[] = [];
  for (let i = 0; i < scores.length; i++) list.push(scores[i].node);
  kvSetText("scored", list.join(","));

  submitText(new JsonOut().bool("ok", true).str("subject", subjectHex).int("weight", w.n).str("topic", topic)
    .bool("superseded", superseded).int("edges", lines.length).int("scored", scores.length)
    .int("subject_score", subjectScore).int("author_score", authorScore).toString());
  return 0;
}
