/** Plain-object views of capsules and module packages, shared by inspect/show/ls (JSON and text). */
import { toHex, utf8 } from '../bytes.ts';
import type { ParsedCapsule } from '../parse/capsule.ts';
import type { ParsedModulePackage } from '../parse/module.ts';
import { escapeControls } from './escape.ts';

export function describeCapsule(p: ParsedCapsule, id: Uint8Array): Record<string, unknown> {
  const c = p.core;
  return {
    type: 'capsule',
    id: toHex(id),
    kind: c.kind,
    author: { alg: c.sigAlg, key: toHex(c.author) },
    channel: c.channel,
    created_at: Number(c.createdAt),
    created_at_iso: new Date(Number(c.createdAt)).toISOString(),
    parents: c.parents.map(toHex),
    flags: Object.fromEntries(c.flags),
    logic: c.logic ? toHex(c.logic) : null,
    encryption: c.encryption.mode,
    recipients: c.encryption.mode === 'public' ? [] : c.encryption.recipients.map((r) => toHex(r.recipient)),
    sizes: { total: p.bytes.length, body: p.body.length, payload: p.payload.length },
    payload_hash: toHex(p.payloadHash),
  };
}

export function describeModule(p: ParsedModulePackage, sha256: (b: Uint8Array) => Uint8Array): Record<string, unknown> {
  const m = p.manifest;
  return {
    type: 'module',
    id: toHex(sha256(p.manifestBytes)),
    wasm_hash: toHex(m.wasmHash),
    name: m.name,
    version: m.version,
    author: { alg: m.sigAlg, key: toHex(m.author) },
    hostcalls: m.hostcalls,
    fuel: m.fuel,
    memory_pages: m.memoryPages,
    max_depth: m.maxDepth,
    sizes: { total: p.bytes.length, manifest: p.manifestBytes.length, wasm: p.wasm.length },
  };
}

/**
 * Renders a description as aligned "key  value" lines (arrays one element per line). Values are escaped one by one
 * (escape.ts): a channel or a log line cannot break out of its row. `undefined` values are left out.
 */
export function renderText(d: Record<string, unknown>): string {
  const lines: string[] = [];
  const entries = Object.entries(d).filter(([, v]) => v !== undefined);
  const width = Math.max(...entries.map(([k]) => k.length));
  const one = (v: unknown) => escapeControls(typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const [k, v] of entries) {
    let s: string;
    if (Array.isArray(v)) s = v.length === 0 ? '(none)' : v.map(one).join('\n' + ' '.repeat(width + 2));
    else if (v && typeof v === 'object') {
      const kv = Object.entries(v as Record<string, unknown>);
      s = kv.length === 0 ? '(none)' : kv.map(([a, b]) => `${escapeControls(a)}=${one(b)}`).join('  ');
    } else s = v === null ? '(none)' : one(v);
    lines.push(`${k.padEnd(width)}  ${s}`);
  }
  return lines.join('\n') + '\n';
}

/** A module's output as one display value: JSON compact, text as it is, anything else hex. */
export function displayOutput(b: Uint8Array): string {
  const d = decodeForDisplay(b);
  return d.encoding === 'json' ? JSON.stringify(d.value) : String(d.value);
}

/** Decodes bytes for display: JSON if it parses, UTF-8 text if valid, else hex. */
export function decodeForDisplay(b: Uint8Array): { encoding: 'json' | 'text' | 'hex'; value: unknown } {
  let text: string;
  try { text = utf8.decode(b); } catch { return { encoding: 'hex', value: toHex(b) }; }
  try { return { encoding: 'json', value: JSON.parse(text) }; } catch { /* not JSON */ }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { encoding: 'hex', value: toHex(b) };
  return { encoding: 'text', value: text };
}
