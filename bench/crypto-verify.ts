/**
 * Signature verify throughput of each backend (native node:crypto fast path vs portable noble), plus X25519 and
 * XChaCha20-Poly1305 open of 1 KiB — each printed with the native/noble ratio measured in the same run.
 */
import { nativeBackend } from '../host/src/crypto/native.ts';
import { nobleBackend } from '../host/src/crypto/noble.ts';
import type { CryptoBackend, SigAlg } from '../host/src/crypto/types.ts';

export interface CryptoBenchRow { op: string; nativePerSec: number; noblePerSec: number; ratio: number }

function perSec(f: () => void, minMs: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) { for (let i = 0; i < 20; i++) f(); n += 20; t = performance.now(); }
  return n / ((t - t0) / 1000);
}

export function runCryptoBench(minMs = 600): CryptoBenchRow[] {
  const rows: CryptoBenchRow[] = [];
  const msg = nobleBackend.randomBytes(300);
  const both = (op: string, make: (b: CryptoBackend) => () => void) => {
    make(nativeBackend)(); make(nobleBackend)(); // warm caches (key admission, key objects)
    const n = perSec(make(nativeBackend), minMs), m = perSec(make(nobleBackend), minMs);
    rows.push({ op, nativePerSec: n, noblePerSec: m, ratio: n / m });
  };
  for (const alg of ['ed25519', 'p256'] as SigAlg[]) {
    const sk = nobleBackend.randomBytes(32);
    const pk = nobleBackend.sigPublicKey(alg, sk);
    const sig = nobleBackend.sign(alg, sk, msg);
    both(`${alg} verify`, (b) => () => { if (!b.verify(alg, pk, msg, sig)) throw new Error('bench signature must verify'); });
  }
  const a = nobleBackend.randomBytes(32), B = nobleBackend.x25519PublicKey(nobleBackend.randomBytes(32));
  both('x25519 shared secret', (b) => () => { b.x25519(a, B); });
  const key = nobleBackend.randomBytes(32), nonce = nobleBackend.randomBytes(24), aad = nobleBackend.randomBytes(32);
  const ct = nobleBackend.xchachaSeal(key, nonce, aad, nobleBackend.randomBytes(1024));
  both('xchacha20-poly1305 open 1 KiB', (b) => () => { if (!b.xchachaOpen(key, nonce, aad, ct)) throw new Error('must open'); });
  return rows;
}

export function formatCryptoBench(rows: CryptoBenchRow[]): string {
  return rows.map((r) => `${r.op.padEnd(32)} native ${r.nativePerSec.toFixed(0).padStart(8)}/s  noble ${r.noblePerSec.toFixed(0).padStart(7)}/s  ratio ${r.ratio.toFixed(1)}×`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(formatCryptoBench(runCryptoBench()));
