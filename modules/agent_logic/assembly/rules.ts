// Rule evaluation of `agent_logic` — pure code over plain inputs, tested on its own.
// A rule never acts: it only produces proposals that the owner may turn into signed capsules. A proposal must be one
// the owner would sign: never against the owner, never against an identity the owner trusts, never promoting an
// identity the owner does not trust.

/** Default trust an author needs before the agent proposes pinning their post (fixed point, 1.0 = 1_000_000). */
export const DEFAULT_PIN_MIN_TRUST: i64 = 200_000;
/** Default trust below which an author's comments count as hidden (the blocklist's LOW_TRUST threshold). */
export const DEFAULT_HIDE_BELOW: i64 = 50_000;

export class Candidate {
  constructor(public id: string, public kind: string, public author: string, public tag: string, public trust: i64) {}
}

export class Proposal {
  constructor(public action: string, public target: string, public amount: u64, public count: i32, public reason: string) {}
}

/** "pin posts by authors with trust ≥ minTrust tagged `tag`" (minTrust ≥ 1: an untrusted author is never pinned). */
export function pinRule(cands: Candidate[], minTrust: i64, tag: string): Proposal[] {
  const out: Proposal[] = [];
  const floor: i64 = minTrust < 1 ? 1 : minTrust;
  const seen = new Set<string>();
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i];
    if (c.kind != "post" || c.tag != tag || c.trust < floor || seen.has(c.id)) continue;
    seen.add(c.id);
    out.push(new Proposal("pin", c.id, 0, 0, "tagged " + tag + ", author trust " + c.trust.toString()));
  }
  return out;
}

/**
 * "propose blocking an author whose comments were hidden N times": comments by authors below the hide threshold.
 * The owner is never proposed, nor is anyone at or above the threshold.
 */
export function blockRule(cands: Candidate[], hideBelow: i64, minCount: i32, owner: string): Proposal[] {
  const authors: string[] = [];
  const counts: i32[] = [];
  const index = new Map<string, i32>();
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i];
    if (c.kind != "comment" || c.trust >= hideBelow || c.author == owner) continue;
    if (index.has(c.author)) { const k = index.get(c.author); counts[k]++; continue; }
    index.set(c.author, authors.length);
    authors.push(c.author);
    counts.push(1);
  }
  const out: Proposal[] = [];
  for (let i = 0; i < authors.length; i++) {
    if (counts[i] >= minCount) out.push(new Proposal("block", authors[i], 0, counts[i], "hidden " + counts[i].toString() + " times (trust below " + hideBelow.toString() + ")"));
  }
  return out;
}

/** "move the balance above B to account S" (one ledger's balance: the caller reads it for that ledger only). */
export function sweepRule(balance: u64, above: u64, to: string): Proposal[] {
  const out: Proposal[] = [];
  if (balance > above) out.push(new Proposal("transfer", to, balance - above, 0, "balance " + balance.toString() + " above " + above.toString()));
  return out;
}
