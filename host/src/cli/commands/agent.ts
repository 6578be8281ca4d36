/** `kapsule agent proposals --db <path>`: the actions agent_logic proposed, and how to turn one into a capsule. */
import { toHex } from '../../bytes.ts';
import type { CryptoBackend } from '../../crypto/types.ts';
import { decodeForDisplay } from '../describe.ts';
import { escapeControls } from '../escape.ts';
import type { ParsedArgs } from '../args.ts';
import type { CliIO, CommandResult } from '../io.ts';
import { withReadOnlyRuntime } from '../store.ts';

interface Proposal { action: string; capsule?: string; author?: string; from?: string; to?: string; amount?: string; hidden?: number; reason?: string }

/** The kapsule-pack invocation (and payload) that would carry out a proposal, for the owner to review and sign. */
function howTo(p: Proposal): { kind: string; payload: unknown; command: string } {
  if (p.action === 'pin') {
    const payload = { pin: p.capsule };
    return { kind: 'pin', payload, command: `kapsule-pack capsule --kind pin --payload pin.json --key <owner.key> --parent ${p.capsule} --public --out pin.kapsule` };
  }
  if (p.action === 'block') {
    const payload = { blocked_authors: [p.author] };
    return { kind: 'policy', payload, command: 'kapsule-pack capsule --kind policy --payload policy.json --key <owner.key> --logic <blocklist.kmod> --to <device.pub> --out policy.kapsule   # merge into your current policy first' };
  }
  const payload = { op: 'transfer', from: p.from, to: p.to, amount: p.amount, nonce: '<your next nonce>' };
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
      for (const p of out.proposals) rows.push({ agent_capsule: toHex(c.id), created_at: c.createdAt, ...p, to_capsule: howTo(p) });
    }
    const text = rows.length === 0 ? '(no proposals)' : rows.map((r, i) => {
      const p = r as unknown as Proposal & { agent_capsule: string; to_capsule: { kind: string; payload: unknown; command: string } };
      const what = p.action === 'pin' ? `pin ${p.capsule}` : p.action === 'block' ? `block author ${p.author} (${p.hidden}× hidden)` : `transfer ${p.amount} to ${p.to}`;
      return `#${i + 1} ${escapeControls(what)}\n    why: ${escapeControls(String(p.reason))}\n    from agent capsule ${p.agent_capsule.slice(0, 16)}…\n    payload (${p.to_capsule.kind}): ${JSON.stringify(p.to_capsule.payload)}\n    ${p.to_capsule.command}`;
    }).join('\n');
    return { status: 0, json: { proposals: rows }, text };
  });
}
