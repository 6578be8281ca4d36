/**
 * Opening the store for commands that only read it (ls, show, heads, orphans, audit verify/show/prove/checkpoint,
 * graph, agent proposals, sync export, the source of audit replay): read-only, never created, never migrated, and
 * usable by someone who may only read the file.
 *
 * A missing path is STORE_ERROR "no such store" (a typo in --db must not leave a fresh empty database behind).
 *
 * WAL databases need care. SQLite reads a WAL database through its `-shm` index: a reader that may not write the
 * directory can use an existing `-shm` (a writer has the file open) but cannot create one, and after the last
 * writer closed cleanly there is none. In that one case the file (and its `-wal`, if a crashed writer left one) is
 * copied into a private temporary folder (mode 0700, removed on close) and read there: the copy holds nothing the
 * user could not read already, and the original is never touched. SQLite's `immutable` URI flag would avoid the
 * copy, but better-sqlite3 is built without URI filenames.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { KapsuleError } from '../errors.ts';
import type { CryptoBackend } from '../crypto/types.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { Runtime } from '../runtime.ts';
import { req, type ParsedArgs } from './args.ts';
import type { CliIO } from './io.ts';

export interface ReadOnlyStore {
  store: SqliteStore;
  /** Set when the store is read from a private copy (see the file header). */
  copiedTo: string | null;
  close(): void;
}

function isWal(path: string): boolean {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try { readSync(fd, header, 0, 20, 0); } finally { closeSync(fd); }
  // bytes 18 and 19: file format write/read version, 2 = WAL
  return header.subarray(0, 16).toString('latin1') === 'SQLite format 3\0' && header[18] === 2 && header[19] === 2;
}

function canWrite(dir: string): boolean {
  try { accessSync(dir, constants.W_OK); return true; } catch { return false; }
}

/** Opens `path` read-only (see the file header). `shown` is how the user wrote the path, for messages. */
export function openReadOnlyStore(path: string, shown = path): ReadOnlyStore {
  let st;
  try { st = statSync(path); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KapsuleError('STORE_ERROR', 'store', `no such store: ${shown} (nothing was created; check --db)`, { path });
    }
    throw new KapsuleError('STORE_ERROR', 'store', `cannot open store ${shown}: ${code ?? 'error'}`, { path });
  }
  if (st.isDirectory()) throw new KapsuleError('STORE_ERROR', 'store', `${shown} is a directory, not a store`, { path });
  let source = path;
  let copiedTo: string | null = null;
  try {
    if (isWal(path) && !existsSync(`${path}-shm`) && !canWrite(dirname(path))) {
      copiedTo = mkdtempSync(join(tmpdir(), 'kapsule-ro-'));
      source = join(copiedTo, basename(path));
      copyFileSync(path, source);
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${source}-wal`);
    }
  } catch (e) {
    if (copiedTo) rmSync(copiedTo, { recursive: true, force: true });
    throw new KapsuleError('STORE_ERROR', 'store', `cannot read store ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
  let store: SqliteStore;
  try { store = new SqliteStore(source, { readonly: true }); } catch (e) {
    if (copiedTo) rmSync(copiedTo, { recursive: true, force: true });
    if (e instanceof KapsuleError && copiedTo) throw new KapsuleError(e.code, e.stage, e.message.split(source).join(shown), e.details);
    throw e;
  }
  return {
    store, copiedTo,
    close: () => {
      store.close();
      if (copiedTo) rmSync(copiedTo, { recursive: true, force: true });
    },
  };
}

/** `--db` of a read-only command, opened read-only. */
export function openReadOnlyFromArgs(io: CliIO, a: ParsedArgs, flag = 'db'): ReadOnlyStore {
  const shown = req(a, flag);
  return openReadOnlyStore(resolve(io.cwd, shown), shown);
}

export function withReadOnlyStore<T>(io: CliIO, a: ParsedArgs, f: (store: SqliteStore) => T): T {
  const s = openReadOnlyFromArgs(io, a);
  try { return f(s.store); } finally { s.close(); }
}

/**
 * A Runtime over the read-only store, for its query helpers (get, query, children, heads, orphans): no identity,
 * no instrumenter, and no orphan resumption (that writes).
 */
export function withReadOnlyRuntime<T>(io: CliIO, a: ParsedArgs, b: CryptoBackend, f: (rt: Runtime) => T): T {
  const s = openReadOnlyFromArgs(io, a);
  try {
    return f(new Runtime({ store: s.store, backend: b, identity: null, instrumenter: null }));
  } finally { s.close(); }
}
