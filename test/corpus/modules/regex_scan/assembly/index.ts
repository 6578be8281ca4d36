// `regex_scan` — a test-corpus module built on a registry regular-expression engine (assemblyscript-regex 1.6.4,
// which needs a 3-line patch to compile on AssemblyScript 0.27: patches/assemblyscript-regex@1.6.4.json), on the
// stub runtime. Not a reference module: see test/corpus/modules/README.md.
//
// Payload: a post's text. The module finds hashtags, mentions, e-mail addresses and web links with fixed patterns
// (the author of a capsule never supplies a pattern) and counts each hashtag across posts in kv ("#<tag>").
// Result: {"tags": [[tag, count so far]...] in order of first appearance, "mentions": [...], "emails": [...],
// "links": [...]} — every list holds distinct matches, at most 32 of each.
import { RegExp } from "assemblyscript-regex/assembly/index";
import { payloadText, kvGetText, kvSetText, submitText } from "../../../../../guest-sdk/assembly/index";

const MAX_ITEMS = 32;

function scan(pattern: string, text: string): string[] {
  const re = new RegExp(pattern, "g");
  const out = new Array<string>();
  let m = re.exec(text);
  while (m !== null && out.length < MAX_ITEMS) {
    const s = m.matches[0];
    if (!out.includes(s)) out.push(s);
    m = re.exec(text);
  }
  return out;
}

function list(xs: string[]): string {
  let s = "[";
  for (let i = 0; i < xs.length; i++) s += (i > 0 ? ',"' : '"') + xs[i] + '"';
  return s + "]";
}

export function run(): i32 {
  const text = payloadText();
  if (text === null) return 1;
  const tags = scan("#[a-z][a-z0-9_]*", text);
  const mentions = scan("@[a-z0-9_]+", text);
  const emails = scan("[a-z0-9._]+@[a-z0-9-]+\\.[a-z]+", text);
  const links = scan("https?://[a-z0-9.-]+(/[a-z0-9._/-]*)?", text);
  let t = "[";
  for (let i = 0; i < tags.length; i++) {
    const key = tags[i];
    const seen = kvGetText(key);
    const n = (seen === null ? 0 : I32.parseInt(seen)) + 1;
    kvSetText(key, n.toString());
    t += (i > 0 ? ',["' : '["') + key + '",' + n.toString() + "]";
  }
  submitText('{"tags":' + t + '],"mentions":' + list(mentions) + ',"emails":' + list(emails) + ',"links":' + list(links) + "}");
  return 0;
}
