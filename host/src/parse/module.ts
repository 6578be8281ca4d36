/**
 * The `.kmod` v2 module package (docs/FORMAT.md §Module package):
 *   file     = "KMOD" ‖ u8 version(2) ‖ u32 manifestLen ‖ manifest ‖ signature(64) ‖ wasm(wasmLen)
 *   manifest = sig_alg ‖ author ‖ name ‖ version ‖ wasm_hash(32) ‖ u32 wasmLen ‖ hostcalls ‖ u64 fuel
 *              ‖ u32 memoryPages ‖ u32 maxDepth
 * The module id is SHA-256 of the manifest bytes: it commits to the wasm (through wasm_hash) AND to the limits it
 * runs under, so two packages of one wasm are two modules and a capsule names exactly one of them. The manifest is
 * signed under PAE("kapsule/module-manifest/v2").
 */
import { compareBytes } from '../bytes.ts';
import { KapsuleError } from '../errors.ts';
import { SIG_SIZES, type SigAlg } from '../crypto/types.ts';
import { Reader, Writer } from './codec.ts';
import { SIG_ALG_CODES } from './capsule.ts';
import {
  HOSTCALL_NAME_PATTERN, LIMITS, MODULE_NAME_PATTERN, MODULE_VERSION_PATTERN,
} from './limits.ts';

export const MODULE_MAGIC: Uint8Array = Uint8Array.of(0x4b, 0x4d, 0x4f, 0x44); // "KMOD"
export const MODULE_VERSION = 2;
const SIG_ALG_BY_CODE: Record<number, SigAlg> = { 1: 'ed25519', 2: 'p256' };

export interface ModuleManifest {
  sigAlg: SigAlg;
  author: Uint8Array;
  name: string;
  version: string;
  /** SHA-256 of the original wasm bytes (never of an instrumented form). */
  wasmHash: Uint8Array;
  wasmLength: number;
  /** Allowed hostcall names, strictly ascending. */
  hostcalls: string[];
  fuel: bigint;
  memoryPages: number;
  maxDepth: number;
}

export interface ParsedModulePackage {
  manifest: ModuleManifest;
  manifestBytes: Uint8Array;
  signature: Uint8Array;
  wasm: Uint8Array;
  bytes: Uint8Array;
}

export function encodeManifest(m: ModuleManifest): Uint8Array {
  const w = new Writer().u8(SIG_ALG_CODES[m.sigAlg]).bytes(m.author).text(m.name, 1).text(m.version, 1)
    .bytes(m.wasmHash).u32(m.wasmLength).u8(m.hostcalls.length);
  for (const h of m.hostcalls) w.text(h, 1);
  const out = w.u64(m.fuel).u32(m.memoryPages).u32(m.maxDepth).finish();
  const r = new Reader(out, 'module manifest', 'pack');
  parseManifest(r);
  r.end();
  return out;
}

function parseManifest(r: Reader): ModuleManifest {
  const code = r.u8('sig_alg');
  const sigAlg = SIG_ALG_BY_CODE[code];
  if (!sigAlg) r.fail('sig_alg', `unknown algorithm code ${code}`);
  const author = r.bytes(SIG_SIZES[sigAlg].publicKey, 'author');
  const name = r.text('name', 1, 1, 64, MODULE_NAME_PATTERN);
  const version = r.text('version', 1, 1, 32, MODULE_VERSION_PATTERN);
  const wasmHash = r.bytes(32, 'wasm_hash');
  const wasmLength = r.u32('wasm_length');
  if (wasmLength < 8 || wasmLength > LIMITS.maxWasmBytes) r.fail('wasm_length', `${wasmLength} outside [8, ${LIMITS.maxWasmBytes}]`);
  const n = r.u8('hostcall_count');
  if (n > LIMITS.maxManifestHostcalls) r.fail('hostcall_count', `${n} exceeds ${LIMITS.maxManifestHostcalls}`);
  const hostcalls: string[] = [];
  for (let i = 0; i < n; i++) {
    const h = r.text(`hostcalls[${i}]`, 1, 1, 48, HOSTCALL_NAME_PATTERN);
    if (i > 0 && !(hostcalls[i - 1] < h)) r.fail(`hostcalls[${i}]`, 'names are not strictly ascending');
    hostcalls.push(h);
  }
  const fuel = r.u64('fuel');
  if (fuel === 0n || fuel > (1n << 62n)) r.fail('fuel', 'must be in [1, 2^62]');
  const memoryPages = r.u32('memory_pages');
  if (memoryPages < 1 || memoryPages > 65536) r.fail('memory_pages', `${memoryPages} outside [1, 65536]`);
  const maxDepth = r.u32('max_depth');
  if (maxDepth < 1 || maxDepth > 1_000_000) r.fail('max_depth', `${maxDepth} outside [1, 1000000]`);
  return { sigAlg, author, name, version, wasmHash, wasmLength, hostcalls, fuel, memoryPages, maxDepth };
}

export function encodeModulePackage(manifestBytes: Uint8Array, signature: Uint8Array, wasm: Uint8Array): Uint8Array {
  return new Writer().bytes(MODULE_MAGIC).u8(MODULE_VERSION).u32(manifestBytes.length).bytes(manifestBytes)
    .bytes(signature).bytes(wasm).finish();
}

/** Parse and structurally validate a `.kmod`. Throws FORMAT_INVALID; signature and hash are checked by verify. */
export function parseModulePackage(bytes: Uint8Array): ParsedModulePackage {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseModulePackage expects a Uint8Array');
  if (bytes.length > LIMITS.maxModuleBytes) {
    throw new KapsuleError('FORMAT_INVALID', 'receive', `module package is ${bytes.length} bytes, limit ${LIMITS.maxModuleBytes}`);
  }
  const r = new Reader(bytes, 'module package');
  if (compareBytes(r.bytes(4, 'magic'), MODULE_MAGIC) !== 0) r.fail('magic', 'is not "KMOD"');
  const version = r.u8('version');
  if (version !== MODULE_VERSION) r.fail('version', `unsupported version ${version}`);
  const len = r.u32('manifest_length');
  if (len > LIMITS.maxManifestBytes) r.fail('manifest_length', `${len} exceeds ${LIMITS.maxManifestBytes}`);
  const manifestBytes = r.bytes(len, 'manifest');
  const mr = new Reader(manifestBytes, 'module manifest');
  const manifest = parseManifest(mr);
  mr.end();
  const signature = r.bytes(SIG_SIZES[manifest.sigAlg].signature, 'signature');
  const wasm = r.bytes(manifest.wasmLength, 'wasm');
  r.end();
  return { manifest, manifestBytes, signature, wasm, bytes };
}
