/**
 * Pool of host-created memories for modules that import `env.memory` (the fast path: no guarded region is
 * reserved per instance). A memory is wiped before reuse; one that grew during a run is discarded, because
 * `memory.size` is observable and must start at the module's declared initial size on every run. Portable.
 *
 * The wipe is host work no fuel pays for, so only memories of at most POOL_MAX_PAGES pages are pooled (a wipe of
 * at most 4 MiB). A larger memory is created fresh for every run and dropped after it: the OS hands out zeroed
 * pages lazily, so a run pays (in time and RSS) only for the pages it touches, and touching costs fuel.
 */
import { POOL_MAX_PAGES } from './bounds.ts';

const PAGE = 65536;

export class MemoryPool {
  private readonly free = new Map<string, WebAssembly.Memory[]>();
  created = 0;
  reused = 0;

  constructor(private readonly perShape = 4) {}

  acquire(initial: number, maximum: number): WebAssembly.Memory {
    if (initial > POOL_MAX_PAGES) { this.created++; return new WebAssembly.Memory({ initial, maximum }); }
    const list = this.free.get(`${initial}/${maximum}`);
    const m = list?.pop();
    if (m) {
      new Uint8Array(m.buffer).fill(0);
      this.reused++;
      return m;
    }
    this.created++;
    return new WebAssembly.Memory({ initial, maximum });
  }

  release(m: WebAssembly.Memory, initial: number, maximum: number): void {
    if (initial > POOL_MAX_PAGES) return; // never pooled
    if (m.buffer.byteLength !== initial * PAGE) return; // grew: discard
    const key = `${initial}/${maximum}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    if (list.length < this.perShape) list.push(m);
  }
}
