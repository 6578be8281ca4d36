/** `kapsule agent proposals --db <path>`: the actions agent_logic proposed, and how to turn one into a capsule. */
import { toHex, utf8 } from '../../bytes.ts';
import type { Runtime } from '../../runtime.ts';
import type { CryptoBackend } from '../../crypto/types.ts';
import { decodeForDisplay } from '../describe.ts';
import { escapeControls } from '../escape.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliIO, CommandResult } from '../io.ts';
import { withReadOnlyRuntime } from '../store.ts';

interface Proposal { action: string; capsule?: string; author?: string; channel?: string; ledger?: string; from?: string; to?: string; amount?: string; hidden?: number; reason?: string }

/**
 * The account's next nonce in a ledger, asked of the module that runs the ledger (its genesis capsule's logic) through
 * its read-only query; null when that is not possible here.
 */
function nextNonce(rt: Runtime, ledger: string | undefined, account: string | undefined): string | null {
  if (!ledger || !account || !/^[0-9a-f]{64}$/.test(ledger)) return null;
  const genesis = rt.get(ledger);
  if (!genesis?.logic) return null;
  try {
    const q = rt.queryModule(toHex(genesis.logic), utf8.encode(JSON.stringify({ op: 'account', ledger, account })), { now: BigInt(genesis.createdAt) });
    const r = JSON.parse(utf8.decode(q.output)) as { ok?: boolean; next_nonce?: string };
    return r.ok && typeof r.next_nonce === 'string' ? r.next_nonce : null;
  } catch { return null; }
}

/**
 * The policy in force in a channel, asked of the module that runs the channel's policies (blocklist) through its
 * read-only query, so a block is proposed as the current policy plus one author — never a policy that drops the
 * channel's terms and limits. null when no policy module answers here.
 */
function currentPolicy(rt: Runtime, channel: string): Record<string, unknown> | null | undefined {
  const policies = rt.query({ kind: 'policy', channel });
  const ids = [...new Set(policies.filter((c) => c.logic).map((c) => toHex(c.logic!)))];
  for (const id of ids) {
    try {
      const q = rt.queryModule(id, utf8.encode(JSON.stringify({ op: 'policy', channel })), { now: BigInt(Date.now()) });
      const r = JSON.parse(utf8.decode(q.output)) as { ok?: boolean; policy?: Record<string, unknown> | null };
      if (r.ok) return r.policy ?? null;
    } catch { /* not a module with that query: try the next */ }
  }
  return undefined;
}

/** The kapsule-pack invocation (and payload) that would carry out a proposal, for the owner to review and sign. */
function howTo(rt: Runtime, p: Proposal): { kind: string; payload: unknown; command: string } {
  if (p.action === 'pin') {
    const payload = { pin: p.capsule };
    return { kind: 'pin', payload, command: `kapsule-pack capsule --kind pin --payload pin.json --key <owner.key> --parent ${p.capsule} --public --out pin.kapsule` };
  }
  if (p.action === 'block') {
    const channel = p.channel ?? '';
    const current = currentPolicy(rt, channel);
    const base = current ?? {};
    const authors = Array.isArray(base.blocked_authors) ? base.blocked_authors as string[] : [];
    const payload = { ...base, blocked_authors: [...new Set([...authors, p.author!])].sort() };
    const note = current === undefined ? '   # no policy module answered here: merge into the channel\'s current policy before signing' : '';
    return { kind: 'policy', payload, command: `kapsule-pack capsule --kind policy --channel ${JSON.stringify(channel)} --payload policy.json --key <owner.key> --logic <blocklist.kmod> --to <device.pub> --out policy.kapsule${note}` };
  }
  const next = nextNonce(rt, p.ledger, p.from);
  const payload = { op: 'transfer', ledger: p.ledger, from: p.from, to: p.to, amount: p.amount, nonce: next !== null ? Number(next) : '<your next nonce>' };
  return { kind: 'ledger', payload, command: 'kapsule-pack capsule --kind ledger --payload transfer.json --key <owner.key> --logic <transfer.kmod> --to <device.pub> --out transfer.kapsule' };
}

export function agentProposalsCommand(io: CliIO, a: ParsedArgs, b: CryptoBackend): CommandResult {
  return withReadOnlyRuntime(io, a, b, (rt) => {
    const rows: Record<string, unknown>[] = [];
    for (const c of rt.query({ kind: 'agent', order: 'asc' })) {
      const res = rt.get(c.id)?.result;
      if (!res?.output) continue;
      const d = decodeForDisplay(res.output);
      const out = d.value as { ok?: boolean; proposals?: Proposal[] };
      if (d.encoding !== 'json' || !out.ok || !Array.isArray(out.proposals)) continue;
      for (const p of out.proposals) rows.push({ agent_capsule: toHex(c.id), created_at: c.createdAt, ...p, to_capsule: howTo(rt, p) });
    }
    const text = rows.length === 0 ? '(no proposals)' : rows.map((r, i) => {
      const p = r as unknown as Proposal & { agent_capsule: string; to_capsule: { kind: string; payload: unknown; command: string } };
      const what = p.action === 'pin' ? `pin ${p.capsule}` : p.action === 'block' ? `block author ${p.author} in #${p.channel} (${p.hidden}× hidden)` : `transfer ${p.amount} to ${p.to}`;
      return `#${i + 1} ${escapeControls(what)}\n    why: ${escapeControls(String(p.reason))}\n    from agent capsule ${p.agent_capsule.slice(0, 16)}…\n    payload (${p.to_capsule.kind}): ${JSON.stringify(p.to_capsule.payload)}\n    ${p.to_capsule.command}`;
    }).join('\n');
    return { status: 0, json: { proposals: rows }, text };
  });
}
