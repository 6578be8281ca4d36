/**
 * The demo's story, per reference module. Each block packs the capsules that show what the module decides.
 * Blocks for modules that are not built are skipped.
 */
import type { SecretIdentity } from '../host/src/keys.ts';
import type { CapsuleSpec } from '../capsule-packer/src/build.ts';

export interface DemoKit {
  people: Record<string, SecretIdentity>;
  cap(label: string, who: string, spec: Omit<CapsuleSpec, 'createdAt' | 'channel'> & { channel?: string; at?: bigint }): { id: Uint8Array; bytes: Uint8Array };
  json(o: unknown): Uint8Array;
  logicOf(name: string): Uint8Array | null;
  hex(b: Uint8Array): string;
}

export function demoScenario(k: DemoKit): void {
  const { people, cap, json } = k;
  const post = cap('alice: welcome post', 'alice', { kind: 'post', payload: json({ title: 'Welcome to #general', body: 'Capsules are signed and end-to-end encrypted.' }), to: [people.bob.encPublic, people.carol.encPublic], flags: { lang: 'en' } });
  cap('carol: comment on it', 'carol', { kind: 'comment', parents: [post.id], payload: json({ text: 'Nice! Glad to be here.' }), to: [people.bob.encPublic, people.alice.encPublic] });
}
