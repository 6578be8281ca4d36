// `agent_logic` — evaluates the owner's goal rules against store state and outputs PROPOSED actions
// (modules/README.md#agent_logic). It holds no write capability: proposals are recorded as its result, never
// applied; `kapsule agent proposals --db` lists them and the owner packs the ones they want with kapsule-pack.
//   payload: {"rules": [
//     {"type": "pin",   "tag": "rust", "min_trust": 300000},
//     {"type": "block", "min_count": 3, "hide_below": 50000},
//     {"type": "sweep", "ledger": "<genesis id>", "above": "1000", "to": "<hex key>"} ]}
// The agent looks at the capsules its own capsule names as parents, and their children that precede it in
// canonical order. Proposals are ones the owner would sign: never against the owner or someone the owner trusts,
// never pinning an untrusted author, and a sweep reads one named ledger (balance of ledger ‖ owner) only.
import {
  capsule, owner, payloadText, parent, parentCount, childCount, trustScore, balance, submitText, Capsule, MetaView,
} from "kapsule-guest-sdk";
import * as env from "kapsule-guest-sdk/assembly/env";
import { parseJson, failure, JsonOut, J_ARR, J_OBJ } from "kapsule-guest-sdk";
import { hexOf, fromHex, bytesEqual, keyFromHex, parseU64 } from "kapsule-guest-sdk";
import { Candidate, Comment, Proposal, pinRule, blockRule, sweepRule, DEFAULT_PIN_MIN_TRUST, DEFAULT_HIDE_BELOW } from "./rules";
import { KeySet } from "kapsule-guest-sdk";

/** Children read per named capsule, and in all (the rest, later in canonical order, are not considered). */
const MAX_CHILDREN: i32 = 1000;
const MAX_CHILDREN_TOTAL: i32 = 10_000;

function candidate(c: Capsule): Candidate {
  const tag = c.flag("tag");
  return new Candidate(hexOf(c.id), c.kind, hexOf(c.author), tag === null ? "" : tag, trustScore(c.author), c.channel);
}

/**
 * The comments under a named capsule that some block rule could count (author below `hideBelow`, not the owner),
 * read in place (MetaView) and reduced to indexes: anyone can put a thousand comments under a post the owner names,
 * and `runtime: stub` never frees, so nothing is allocated per comment. A comment counts in its thread's channel
 * (the named capsule's), like the blocklist judges it.
 */
function comments(id: Uint8Array, channel: i32, hideBelow: i64, me: Uint8Array, view: MetaView, authors: KeySet, out: Comment[], budget: i32): i32 {
  const n = childCount(id);
  let read = 0;
  for (let j = 0; j < n && j < MAX_CHILDREN && read < budget; j++) {
    if (!view.loadChild(id, j)) continue;
    read++;
    if (!view.kindIs("comment") || view.authorIs(me)) continue;
    const trust = env.get_trust_score(view.authorPtr(), view.authorLength());
    if (trust >= hideBelow) continue;
    const a = authors.indexOf(view.authorPtr(), view.authorLength(), true);
    if (a >= 0) out.push(new Comment(a, trust, channel));
  }
  return read;
}

function proposalJson(p: Proposal, from: string, ledger: string): string {
  const o = new JsonOut().str("action", p.action);
  if (p.action == "pin") o.str("capsule", p.target);
  if (p.action == "transfer") o.str("ledger", ledger).str("from", from).str("to", p.target).u64s("amount", p.amount);
  return o.str("reason", p.reason).toString();
}

function badRule(i: i32, why: string): i32 {
  submitText(failure("BAD_RULE", "rule " + i.toString() + ": " + why));
  return 0;
}

function blockJson(author: string, channel: string, count: i32, hideBelow: i64): string {
  return new JsonOut().str("action", "block").str("author", author).str("channel", channel).int("hidden", count)
    .str("reason", "hidden " + count.toString() + " times (trust below " + hideBelow.toString() + ")").toString();
}

export function run(): i32 {
  const c = capsule();
  const me = owner();
  if (!bytesEqual(c.author, me)) { submitText(failure("NOT_OWNER", "agent rules are only taken from the device owner")); return 0; }
  const text = payloadText();
  if (text === null) { submitText(failure("BAD_PAYLOAD", "agent capsules need a payload")); return 0; }
  const p = parseJson(text);
  if (p === null || p.kind != J_OBJ) { submitText(failure("BAD_PAYLOAD", "payload is not a JSON object")); return 0; }
  const rules = p.get("rules");
  if (rules === null || rules.kind != J_ARR || rules.items.length == 0 || rules.items.length > 32) {
    submitText(failure("BAD_PAYLOAD", "\"rules\" must be an array of 1-32 rules")); return 0;
  }
  // check every rule first: what the children are read for depends on the block rules' thresholds
  let maxHide: i64 = -1;
  for (let i = 0; i < rules.items.length; i++) {
    const r = rules.items[i];
    const type = r.str("type");
    if (type == "pin") {
      const minTrust = r.int("min_trust", DEFAULT_PIN_MIN_TRUST);
      if (r.str("tag") === null) return badRule(i, "pin needs \"tag\"");
      if (minTrust < 1 || minTrust > 1_000_000) return badRule(i, "pin \"min_trust\" is in [1, 1000000]");
    } else if (type == "block") {
      const n = r.int("min_count", 0), h = r.int("hide_below", DEFAULT_HIDE_BELOW);
      if (n < 1 || n > 1000) return badRule(i, "block needs \"min_count\" in [1, 1000]");
      if (h < 1 || h > 1_000_000) return badRule(i, "block \"hide_below\" is in [1, 1000000]");
      if (h > maxHide) maxHide = h;
    } else if (type == "sweep") {
      const aboveS = r.str("above"), to = r.str("to"), L = r.str("ledger");
      const ok: bool[] = [false];
      if (aboveS !== null) parseU64(aboveS, ok);
      if (!ok[0] || to === null || keyFromHex(to) === null || L === null || fromHex(L, 32) === null) {
        return badRule(i, "sweep needs \"ledger\" (genesis id), \"above\" (decimal) and \"to\" (hex key)");
      }
    } else return badRule(i, "unknown type (pin, block, sweep)");
  }

  const cands: Candidate[] = [];
  const channels: string[] = [];
  const authors = new KeySet();
  authors.reset(MAX_CHILDREN_TOTAL);
  const found: Comment[] = [];
  const view = new MetaView();
  let considered = 0;
  const np = parentCount();
  for (let i = 0; i < np; i++) {
    const par = parent(i);
    if (par === null) continue;
    cands.push(candidate(par));
    considered++;
    let ch = channels.indexOf(par.channel);
    if (ch < 0) { ch = channels.length; channels.push(par.channel); }
    if (maxHide >= 0 && considered < MAX_CHILDREN_TOTAL) considered += comments(par.id, ch, maxHide, me, view, authors, found, MAX_CHILDREN_TOTAL - considered);
  }
  const proposals: string[] = [];
  const meHex = hexOf(me);
  for (let i = 0; i < rules.items.length; i++) {
    const r = rules.items[i];
    const type = r.str("type");
    if (type == "pin") {
      const got = pinRule(cands, r.int("min_trust", DEFAULT_PIN_MIN_TRUST), r.str("tag")!);
      for (let k = 0; k < got.length; k++) proposals.push(proposalJson(got[k], meHex, ""));
    } else if (type == "block") {
      const hide = r.int("hide_below", DEFAULT_HIDE_BELOW);
      const hits = blockRule(found, hide, <i32>r.int("min_count", 0));
      for (let k = 0; k < hits.length; k++) proposals.push(blockJson(authors.hex(hits[k].author), channels[hits[k].channel], hits[k].count, hide));
    } else {
      const L = r.str("ledger")!;
      const ok: bool[] = [false];
      const acct = new Uint8Array(32 + me.length);
      acct.set(fromHex(L, 32)!, 0);
      acct.set(me, 32);
      const got = sweepRule(balance(acct), parseU64(r.str("above")!, ok), r.str("to")!);
      for (let k = 0; k < got.length; k++) proposals.push(proposalJson(got[k], meHex, L));
    }
  }
  submitText(new JsonOut().bool("ok", true).int("rules", rules.items.length).int("considered", considered)
    .raw("proposals", "[" + proposals.join(",") + "]").toString());
  return 0;
}

