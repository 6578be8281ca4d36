// Rule evaluation of `agent_logic` — pure code over plain inputs, tested on its own.
// A rule never acts: it only produces proposals that the owner may turn into signed capsules. A proposal must be one
// the owner would sign: never against the owner, never against an identity the owner trusts, never promoting an
// identity the owner does not trust.

/** Default trust an author needs before the agent proposes pinning their post (fixed point, 1.0 = 1_000_000). */
export const DEFAULT_PIN_MIN_TRUST: i64 = 200_000;
/** Default trust below which an author's comments count as hidden (the blocklist's LOW_TRUST threshold). */
export const DEFAULT_HIDE_BELOW: i64 = 50_000;

export class Candidate {
  constructor(public id: string, public kind: string, public author: string, public tag: string, public trust: i64, public channel: string = "") {}
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

/** A comment under a named capsule, reduced to what the block rule needs: its author and channel as indexes. */
export class Comment {
  constructor(public author: i32, public trust: i64, public channel: i32) {}
}

/** A block proposal before names are attached: author index, channel index, how many hidden comments. */
export class BlockHit {
  constructor(public author: i32, public channel: i32, public count: i32) {}
}

/**
 * "propose blocking an author whose comments were hidden N times" in a channel: comments by authors below the hide
 * threshold, counted per (channel, author) — a block is a change to one channel's policy. The caller leaves out the
 * owner's own comments; anyone at or above the threshold is never counted. Hits come in order of first appearance.
 */
export function blockRule(comments: Comment[], hideBelow: i64, minCount: i32): BlockHit[] {
  const hits: BlockHit[] = [];
  const index = new Map<i64, i32>();
  for (let i = 0; i < comments.length; i++) {
    const c = comments[i];
    if (c.trust >= hideBelow) continue;
    const k: i64 = (<i64>c.author << 8) | <i64>c.channel;
    if (index.has(k)) { hits[index.get(k)].count++; continue; }
    index.set(k, hits.length);
    hits.push(new BlockHit(c.author, c.channel, 1));
  }
  const out: BlockHit[] = [];
  for (let i = 0; i < hits.length; i++) if (hits[i].count >= minCount) out.push(hits[i]);
  return out;
}

/** "move the balance above B to account S" (one ledger's balance: the caller reads it for that ledger only). */
export function sweepRule(balance: u64, above: u64, to: string): Proposal[] {
  const out: Proposal[] = [];
  if (balance > above) out.push(new Proposal("transfer", to, balance - above, 0, "balance " + balance.toString() + " above " + above.toString()));
  return out;
}
