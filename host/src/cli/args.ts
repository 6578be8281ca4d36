/** A small, strict argv parser shared by `kapsule` and `kapsule-pack`. Unknown flags are USAGE errors. */
import { KapsuleError } from '../errors.ts';

export type FlagType = 'string' | 'boolean' | 'list';
export type FlagSpec = Record<string, FlagType>;
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

export function usage(message: string): never {
  throw new KapsuleError('USAGE', 'cli', message);
}

export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const positionals: string[] = [];
  const flags: ParsedArgs['flags'] = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('--') || a === '-') { positionals.push(a); continue; }
    let name = a.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { inline = name.slice(eq + 1); name = name.slice(0, eq); }
    const type = spec[name];
    if (!type) usage(`unknown option --${name}`);
    if (type === 'boolean') {
      if (inline !== undefined) usage(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) usage(`--${name} needs a value`);
    if (type === 'list') {
      const prev = (flags[name] as string[] | undefined) ?? [];
      flags[name] = [...prev, value];
    } else {
      if (flags[name] !== undefined) usage(`--${name} given twice`);
      flags[name] = value;
    }
  }
  return { positionals, flags };
}

export function str(a: ParsedArgs, name: string): string | undefined {
  return a.flags[name] as string | undefined;
}
export function req(a: ParsedArgs, name: string): string {
  const v = a.flags[name];
  if (typeof v !== 'string') usage(`--${name} is required`);
  return v;
}
export function bool(a: ParsedArgs, name: string): boolean {
  return a.flags[name] === true;
}
export function list(a: ParsedArgs, name: string): string[] {
  return (a.flags[name] as string[] | undefined) ?? [];
}
export function int(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const n = bigint(a, name, BigInt(min), BigInt(max));
  return n === undefined ? undefined : Number(n);
}
export function bigint(a: ParsedArgs, name: string, min: bigint, max: bigint): bigint | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) usage(`--${name} must be a non-negative integer, got "${v}"`);
  const n = BigInt(v);
  if (n < min || n > max) usage(`--${name} must be in [${min}, ${max}], got ${n}`);
  return n;
}
