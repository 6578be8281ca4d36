// Rule evaluation of `agent_logic` — pure code over plain inputs, tested on its own.
// A rule never acts: it only produces proposals that the owner may turn into signed capsules.

export class Candidate {
  constructor(public id: string, public kind: string, public author: string, public tag: string, public trust: i64) {}
}

export class Proposal {
  constructor(public action: string, public target: string, public amount: u64, public count: i32, public reason: string) {}
}

/** "pin posts by authors with trust ≥ minTrust tagged `tag`". */
export function pinRule(cands: Candidate[], minTrust: i64, tag: string): Proposal[] {
  const out: Proposal[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i];
    if (c.kind != "post" || c.tag != tag || c.trust < minTrust || seen.has(c.id)) continue;
    seen.add(c.id);
    out.push(new Proposal("pin", c.id, 0, 0, "tagged " + tag + ", author trust " + c.trust.toString()));
  }
  return out;
}

/** "propose blocking an author hidden N times": comments whose author's trust is below the hide threshold. */
export function blockRule(cands: Candidate[], hideBelow: i64, minCount: i32): Proposal[] {
  const authors: string[] = [];
  const counts: i32[] = [];
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i];
    if (c.kind != "comment" || c.trust >= hideBelow) continue;
    const k = authors.indexOf(c.author);
    if (k < 0) { authors.push(c.author); counts.push(1); } else counts[k]++;
  }
  const out: Proposal[] = [];
  for (let i = 0; i < authors.length; i++) {
    if (counts[i] >= minCount) out.push(new Proposal("block", authors[i], 0, counts[i], "hidden " + counts[i].toString() + " times"));
  }
  return out;
}

/** "move balance above B to account S". */
export function sweepRule(balance: u64, above: u64, to: string): Proposal[] {
  const out: Proposal[] = [];
  if (balance > above) out.push(new Proposal("transfer", to, balance - above, 0, "balance " + balance.toString() + " above " + above.toString()));
  return out;
}
