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
  capsule, owner, payloadText, parent, parentCount, child, childCount, trustScore, balance, submitText, Capsule,
} from "../../../guest-sdk/assembly/index";
import { parseJson, failure, JsonOut, J_ARR, J_OBJ } from "../../lib/json";
import { toHex, fromHex, bytesEqual, keyFromHex, parseU64 } from "../../lib/hex";
import { Candidate, Proposal, pinRule, blockRule, sweepRule, DEFAULT_PIN_MIN_TRUST, DEFAULT_HIDE_BELOW } from "./rules";

function candidate(c: Capsule): Candidate {
  const tag = c.flag("tag");
  return new Candidate(toHex(c.id), c.kind, toHex(c.author), tag === null ? "" : tag, trustScore(c.author));
}

function proposalJson(p: Proposal, from: string, ledger: string): string {
  const o = new JsonOut().str("action", p.action);
  if (p.action == "pin") o.str("capsule", p.target);
  if (p.action == "block") o.str("author", p.target).int("hidden", p.count);
  if (p.action == "transfer") o.str("ledger", ledger).str("from", from).str("to", p.target).u64s("amount", p.amount);
  return o.str("reason", p.reason).toString();
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
  const cands: Candidate[] = [];
  const np = parentCount();
  for (let i = 0; i < np; i++) {
    const par = parent(i);
    if (par === null) continue;
    cands.push(candidate(par));
    const nc = childCount(par.id);
    for (let j = 0; j < nc && j < 1000; j++) {
      const ch = child(par.id, j);
      if (ch !== null) cands.push(candidate(ch));
    }
  }
  const proposals: string[] = [];
  const meHex = toHex(me);
  for (let i = 0; i < rules.items.length; i++) {
    const r = rules.items[i];
    const type = r.str("type");
    let got: Proposal[];
    let ledgerOf = "";
    if (type == "pin") {
      const tag = r.str("tag");
      if (tag === null) { submitText(failure("BAD_RULE", "rule " + i.toString() + ": pin needs \"tag\"")); return 0; }
      const minTrust = r.int("min_trust", DEFAULT_PIN_MIN_TRUST);
      if (minTrust < 1 || minTrust > 1_000_000) { submitText(failure("BAD_RULE", "rule " + i.toString() + ": pin \"min_trust\" is in [1, 1000000]")); return 0; }
      got = pinRule(cands, minTrust, tag);
    } else if (type == "block") {
      const n = r.int("min_count", 0);
      if (n < 1 || n > 1000) { submitText(failure("BAD_RULE", "rule " + i.toString() + ": block needs \"min_count\" in [1, 1000]")); return 0; }
      got = blockRule(cands, r.int("hide_below", DEFAULT_HIDE_BELOW), <i32>n, meHex);
    } else if (type == "sweep") {
      const aboveS = r.str("above"), to = r.str("to"), L = r.str("ledger");
      const ok: bool[] = [false];
      const above = aboveS === null ? 0 : parseU64(aboveS, ok);
      const ledger: Uint8Array | null = L === null ? null : fromHex(L, 32);
      if (!ok[0] || to === null || keyFromHex(to) === null || L === null || ledger === null) {
        submitText(failure("BAD_RULE", "rule " + i.toString() + ": sweep needs \"ledger\" (genesis id), \"above\" (decimal) and \"to\" (hex key)")); return 0;
      }
      const acct = new Uint8Array(32 + me.length);
      acct.set(ledger!, 0);
      acct.set(me, 32);
      got = sweepRule(balance(acct), above, to);
      ledgerOf = L;
    } else {
      submitText(failure("BAD_RULE", "rule " + i.toString() + ": unknown type (pin, block, sweep)")); return 0;
    }
    for (let k = 0; k < got.length; k++) proposals.push(proposalJson(got[k], meHex, ledgerOf));
  }
  submitText(new JsonOut().bool("ok", true).int("rules", rules.items.length).int("considered", cands.length)
    .raw("proposals", "[" + proposals.join(",") + "]").toString());
  return 0;
}

