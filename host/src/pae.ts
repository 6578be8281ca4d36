/**
 * Pre-authentication encoding (DSSE style), the domain separation of every signature in kapsule-rt:
 *   PAE(type, body) = "KAPSULEv1" SP len(type) SP type SP len(body) SP body
 * lengths in ASCII decimal, SP = 0x20. Each record kind signs under its own `type` string.
 */
import { concatBytes, utf8 } from './bytes.ts';

export const SIGNING_TYPES = {
  capsule: 'kapsule/capsule/v2',
  moduleManifest: 'kapsule/module-manifest/v2',
  checkpoint: 'kapsule/checkpoint/v1',
} as const;

/** "KAPSULEv1 len(type) type" per type string: the same few types sign everything, so each is encoded once. */
const heads = new Map<string, Uint8Array>();

export function pae(type: string, body: Uint8Array): Uint8Array {
  let head = heads.get(type);
  if (head === undefined) {
    const t = utf8.encode(type);
    head = concatBytes(utf8.encode(`KAPSULEv1 ${t.length} `), t);
    if (heads.size < 64) heads.set(type, head);
  }
  return concatBytes(head, utf8.encode(` ${body.length} `), body);
}
