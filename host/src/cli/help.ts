/**
 * Help for both binaries, generated from the one table of commands each keeps: the options a command's parser
 * accepts are the options its help lists (one list, not two), each with a sentence and the command with an example.
 * `kapsule <command> --help` / `-h`, `kapsule help <command>` and `kapsule <group> --help` all print from here.
 */
import type { FlagSpec, FlagType } from './args.ts';

export interface OptionSpec {
  type: FlagType;
  /** Placeholder shown after the flag: `--db <path>`. */
  value?: string;
  help: string;
  /** Shown without brackets in the synopsis (the command checks it). */
  required?: boolean;
}
export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec {
  /** Positional arguments, as shown in the synopsis: `<file>`, `<file|dir>...`. */
  args?: string;
  summary: string;
  /** More lines, shown under the summary in the command's own help. */
  details?: string;
  options: OptionSpecs;
  examples: string[];
}

/** The parser's view of a command's options. */
export function flagsOf(o: OptionSpecs): FlagSpec {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.type]));
}

/** `-h` or `--help` anywhere before a `--`. */
export function wantsHelp(argv: string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '-h' || a === '--help') return true;
  }
  return false;
}

function flagText(name: string, o: OptionSpec): string {
  const v = o.type === 'boolean' ? '' : ` <${o.value ?? 'value'}>`;
  return `--${name}${v}${o.type === 'list' ? '...' : ''}`;
}

export function synopsis(bin: string, name: string, c: CommandSpec): string {
  const parts = [bin, name];
  if (c.args) parts.push(c.args);
  for (const [k, o] of Object.entries(c.options)) parts.push(o.required ? flagText(k, o) : `[${flagText(k, o)}]`);
  return parts.join(' ');
}

function optionLines(opts: OptionSpecs): string[] {
  const rows = Object.entries(opts).map(([k, o]) => [flagText(k, o) + (k === 'help' ? ', -h' : ''), o.help + (o.required ? ' (required)' : '')]);
  const w = Math.min(30, Math.max(0, ...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`);
}

/** `kapsule ls --help`. */
export function commandHelp(bin: string, name: string, c: CommandSpec, common: OptionSpecs, exit: string): string {
  const lines = [`${bin} ${name} — ${c.summary}`, '', 'usage:', `  ${synopsis(bin, name, c)}`];
  if (c.details) lines.push('', ...c.details.split('\n').map((l) => `  ${l}`));
  if (Object.keys(c.options).length) lines.push('', 'options:', ...optionLines(c.options));
  lines.push('', 'common options:', ...optionLines(common));
  if (c.examples.length) lines.push('', c.examples.length === 1 ? 'example:' : 'examples:', ...c.examples.map((e) => `  ${e}`));
  lines.push('', exit);
  return lines.join('\n') + '\n';
}

/** The command table: each command with its positionals and required options, then its summary. */
function commandList(bin: string, commands: Record<string, CommandSpec>, prefix?: string): string[] {
  const names = Object.keys(commands).filter((n) => prefix === undefined || n.startsWith(`${prefix} `));
  return names.flatMap((n) => {
    const c = commands[n];
    const req = Object.entries(c.options).filter(([, o]) => o.required).map(([k, o]) => flagText(k, o));
    return [`  ${[bin, n, ...(c.args ? [c.args] : []), ...req].join(' ')}`, `      ${c.summary}`];
  });
}

/** `kapsule --help`. */
export function overview(bin: string, title: string, commands: Record<string, CommandSpec>, common: OptionSpecs, exit: string): string {
  return [
    `${bin} — ${title}`, '', 'commands:', ...commandList(bin, commands), '',
    'common options:', ...optionLines(common), '',
    `${bin} <command> --help (or ${bin} help <command>) shows a command's options and an example.`, '',
    exit, '',
  ].join('\n');
}

/** `kapsule audit --help`: the subcommands of one group. */
export function groupHelp(bin: string, group: string, commands: Record<string, CommandSpec>, exit: string): string {
  return [
    `${bin} ${group} — subcommands:`, '', ...commandList(bin, commands, group), '',
    `${bin} ${group} <subcommand> --help shows its options and an example.`, '', exit, '',
  ].join('\n');
}

/** Names of the subcommand groups in a table ("audit verify" → "audit"). */
export function groupsOf(commands: Record<string, CommandSpec>): Set<string> {
  return new Set(Object.keys(commands).filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]));
}
