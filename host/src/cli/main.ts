/**
 * `kapsule` — the operator's CLI. `main(argv, io)` is exported and testable; the bin calls it and sets the
 * exit status. Every command, with its options and help, is one entry of COMMANDS.
 */
import type { CryptoBackend } from '../crypto/types.ts';
import { nativeBackend } from '../crypto/native.ts';
import { nobleBackend } from '../crypto/noble.ts';
import { parseArgs, usage, str, type ParsedArgs } from './args.ts';
import { commandHelp, flagsOf, groupHelp, groupsOf, overview, wantsHelp, type CommandSpec, type OptionSpec, type OptionSpecs } from './help.ts';
import { processIO, runCommand, type CliIO, type CommandResult } from './io.ts';
import { inspectCommand, verifyCommand } from './commands/inspect.ts';
import { DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING, STACK_BUDGET_BYTES, TRANSCRIPT_MAX_BYTES } from '../execute/bounds.ts';

/** Store-backed commands load SQLite and the sandbox only when used (inspect/verify stay light). */
const rt = () => import('./commands/runtime.ts');
const au = () => import('./commands/audit.ts');
const sy = () => import('./commands/sync.ts');

const EXIT = 'exit status: 0 success, 1 a capsule or module was rejected or failed, 2 usage error';
const TITLE = 'run signed, encrypted capsules in a deterministic WebAssembly sandbox';

interface Command extends CommandSpec {
  run(io: CliIO, a: ParsedArgs, b: CryptoBackend): Promise<CommandResult> | CommandResult;
}

function onePositional(a: ParsedArgs, what: string): string {
  if (a.positionals.length !== 1) usage(`expected exactly one ${what}, got ${a.positionals.length}`);
  return a.positionals[0];
}

const DB: OptionSpec = { type: 'string', value: 'path', help: 'the SQLite store', required: true };
const DB_RO: OptionSpec = { ...DB, help: 'the SQLite store, opened read-only (never created)' };
const KEY: OptionSpec = { type: 'string', value: 'keyfile', help: "this device's secret key file: decrypts capsules addressed to it, signs audit checkpoints" };
const CHANNEL: OptionSpec = { type: 'string', value: 'channel', help: 'only this channel' };
const CHANNEL_OF_CAPSULE: OptionSpec = { type: 'string', value: 'channel', help: 'the capsule\'s channel (default empty)' };

/** Every command: its parser options, its help and its implementation, in the order `kapsule --help` lists them. */
export const COMMANDS: Record<string, Command> = {
  inspect: {
    args: '<file>', summary: 'describe a .kapsule or .kmod (never decrypts, needs no key)', options: {},
    examples: ['kapsule inspect post.kapsule'],
    run: (io, a, b) => inspectCommand(io, b, onePositional(a, 'file')),
  },
  verify: {
    args: '<file>', summary: 'exit 0 if signature and structure are valid, 1 if not', options: {},
    examples: ['kapsule verify post.kapsule && echo valid'],
    run: (io, a, b) => verifyCommand(io, b, onePositional(a, 'file')),
  },
  'module add': {
    args: '<file.kmod>...', summary: 'verify, validate and register signed module packages', options: { db: DB },
    examples: ['kapsule module add rank.kmod trust.kmod --db my.db'],
    run: async (io, a, b) => (await rt()).moduleAddCommand(io, a, b),
  },
  run: {
    args: '<file.kapsule>', summary: 'full pipeline for one capsule: verify, decrypt, execute, store, audit',
    options: {
      key: { ...KEY, required: true }, db: DB,
      modules: { type: 'string', value: 'dir', help: 'register every .kmod in this folder first' },
      now: { type: 'string', value: 'ms', help: 'the device clock (ms since the epoch; default: now): a capsule dated more than 10 minutes after it is held until then' },
    },
    details: 'Execution happens in canonical order (docs/CONVERGENCE.md): a run\'s own clock is its capsule\'s created_at,\nnever the device\'s; a capsule that sorts before stored ones makes them run again.',
    examples: ['kapsule run post.kapsule --key bob.key --db my.db'],
    run: async (io, a, b) => (await rt()).runCommandImpl(io, a, b),
  },
  query: {
    args: '<module id|name>', summary: 'a module\'s read-only view of the current state at an explicit now (e.g. rank\'s trending)',
    details: 'Runs the module\'s `query` entry point (docs/ABI.md §Queries) with the input as its payload; nothing is\nstored or logged. A name must match exactly one module in the store.',
    options: {
      db: DB, key: KEY,
      input: { type: 'string', value: 'json', help: 'the query input (default {})' },
      'input-file': { type: 'string', value: 'file', help: 'read the query input from a file' },
      now: { type: 'string', value: 'ms', help: 'the view\'s now (milliseconds since the epoch; default: now)' },
    },
    examples: ['kapsule query rank --db my.db --input \'{"op":"trending","channel":"general"}\''],
    run: async (io, a, b) => (await rt()).queryCommand(io, a, b),
  },
  ingest: {
    args: '<file|dir>...', summary: 'ingest many capsules with a summary (exit 1 if any was rejected)',
    details: 'A folder means every .kapsule in it. On a terminal a progress bar shows on stderr; Ctrl-C stops after\nthe capsules in progress are stored, and rerunning the same command resumes (stored capsules are duplicates).',
    options: {
      key: KEY, db: DB,
      modules: { type: 'string', value: 'dir', help: 'register every .kmod in this folder first' },
      workers: { type: 'string', value: 'N', help: 'verify and decrypt on N worker threads (same results; 0 = none)' },
    },
    examples: ['kapsule ingest inbox/ --key bob.key --db my.db --workers 2'],
    run: async (io, a, b) => (await rt()).ingestCommand(io, a, b),
  },
  ls: {
    summary: 'list stored capsules, newest first',
    options: { db: DB_RO, channel: CHANNEL, kind: { type: 'string', value: 'kind', help: 'only this kind' }, limit: { type: 'string', value: 'N', help: 'at most N rows' } },
    examples: ['kapsule ls --db my.db --channel general --limit 20'],
    run: async (io, a, b) => (await rt()).lsCommand(io, a, b),
  },
  show: {
    args: '<id>', summary: 'one capsule with its result, logs and children (an id prefix of 4+ hex digits is enough)',
    options: { db: DB_RO }, examples: ['kapsule show 3fa2c1 --db my.db'],
    run: async (io, a, b) => (await rt()).showCommand(io, a, b),
  },
  orphans: {
    summary: 'capsules waiting for their parents', options: { db: DB_RO }, examples: ['kapsule orphans --db my.db'],
    run: async (io, a, b) => (await rt()).orphansCommand(io, a, b),
  },
  heads: {
    summary: 'DAG heads per channel', options: { db: DB_RO, channel: CHANNEL }, examples: ['kapsule heads --db my.db --json > heads.json'],
    run: async (io, a, b) => (await rt()).headsCommand(io, a, b),
  },
  'audit verify': {
    summary: 'recompute the audit Merkle tree and check checkpoints; exit 1 on tampering',
    options: {
      db: DB_RO,
      checkpoint: { type: 'list', value: 'file', help: 'a checkpoint exported earlier: the log must extend it' },
      signer: { type: 'string', value: 'pubfile|alg:hex', help: "the device's public identity: pins who must have signed the checkpoints" },
    },
    examples: ['kapsule audit verify --db my.db --checkpoint /media/backup/2026-11-01.checkpoint --signer device.key.pub'],
    run: async (io, a, b) => (await au()).auditVerifyCommand(io, a, b),
  },
  'audit show': {
    summary: 'list audit log entries', options: { db: DB_RO, since: { type: 'string', value: 'N', help: 'start at entry N' } },
    examples: ['kapsule audit show --db my.db --since 100'],
    run: async (io, a) => (await au()).auditShowCommand(io, a),
  },
  'audit prove': {
    args: '<index>', summary: 'inclusion proof of one entry against the latest checkpoint (hashes in hex)', options: { db: DB_RO },
    examples: ['kapsule audit prove 42 --db my.db'],
    run: async (io, a, b) => (await au()).auditProveCommand(io, a, b),
  },
  'audit checkpoint': {
    summary: 'export the latest signed checkpoint, to keep elsewhere',
    options: { db: DB_RO, out: { type: 'string', value: 'file', help: 'where to write it', required: true } },
    examples: ['kapsule audit checkpoint --db my.db --out /media/backup/$(date +%F).checkpoint'],
    run: async (io, a) => (await au()).auditCheckpointCommand(io, a),
  },
  'audit replay': {
    summary: 're-execute every recorded execution in a fresh store; exit 1 on any divergence',
    details: 'The store is only read. On a terminal a progress bar shows on stderr.',
    options: { db: DB_RO, from: { type: 'string', value: 'N', help: 'compare executions from entry N on (the replay still rebuilds from 0)' }, key: { ...KEY, help: 'the device key, to re-run encrypted capsules' } },
    examples: ['kapsule audit replay --db my.db --key bob.key'],
    run: async (io, a, b) => (await au()).auditReplayCommand(io, a, b),
  },
  'sync export': {
    summary: 'snapshot of capsules (+ the modules they use) in DAG order, with heads',
    options: {
      db: DB_RO, out: { type: 'string', value: 'file', help: 'the .ksnap file to write', required: true }, channel: CHANNEL,
      since: { type: 'string', value: 'ids|heads.json', help: 'only what is not an ancestor of these heads (comma-separated ids, or a JSON file with "heads")' },
    },
    examples: ['kapsule sync export --db my.db --out all.ksnap', 'kapsule sync export --db my.db --since peer-heads.json --out new.ksnap'],
    run: async (io, a, b) => (await sy()).syncExportCommand(io, a, b),
  },
  'sync import': {
    args: '<file>', summary: 'every capsule of a snapshot through the full pipeline; corrupt parts reported',
    details: 'On a terminal a progress bar shows on stderr; Ctrl-C stops, and rerunning resumes.',
    options: { db: DB, key: KEY }, examples: ['kapsule sync import all.ksnap --db other.db --key bob.key'],
    run: async (io, a, b) => (await sy()).syncImportCommand(io, a, b),
  },
  'sync pair': {
    summary: 'bring two stores to the same capsules via heads (have/want)',
    details: 'Heads are compared first: two stores already in sync exchange nothing else.',
    options: {
      db: DB, peer: { type: 'string', value: 'path', help: 'the other SQLite store', required: true }, key: KEY,
      'peer-key': { type: 'string', value: 'keyfile', help: "the peer store's device key (default: --key)" },
    },
    examples: ['kapsule sync pair --db laptop.db --peer phone.db --key bob.key'],
    run: async (io, a, b) => (await sy()).syncPairCommand(io, a, b),
  },
  graph: {
    summary: 'the capsule DAG as Graphviz dot, Mermaid, or a self-contained HTML page',
    details: 'html: a layered layout (dagre) with pan, zoom, fit, filters, id search and details on click;\nit works offline and stays usable at 10,000 capsules.',
    options: {
      db: DB_RO, channel: CHANNEL, format: { type: 'string', value: 'dot|mermaid|html', help: 'output format (default dot)' },
      out: { type: 'string', value: 'file', help: 'write to this file instead of stdout' },
    },
    examples: ['kapsule graph --db my.db --format html --out dag.html'],
    run: async (io, a) => (await sy()).graphCommand(io, a),
  },
  'dev run': {
    args: '<file.wasm|file.kmod>',
    summary: 'run a module once on a payload: no keys, no capsule files, an in-memory state; prints output, fuel, pages, logs, writes',
    details: 'The real sandbox (instrumentation, fuel, memory and depth bounds, the real hostcalls) over the state a\n' +
      '--state fixture describes (owner, the capsule, capsules held as parents and children, trust, balances, kv:\n' +
      'docs/ABI.md §Trying a module). A .kmod runs with its signed manifest; a .wasm with --manifest module.json\n' +
      '(what kapsule-pack module would sign) or, without one, with the hostcalls it imports and the host\'s ceilings,\n' +
      'so that the fuel and pages it reports size the manifest. A run\'s now is its capsule\'s created_at.',
    options: {
      payload: { type: 'string', value: 'file|-', help: 'the payload (a query\'s input with --query); default none' },
      kind: { type: 'string', value: 'kind', help: 'the capsule\'s kind (or the fixture\'s capsule.kind)' },
      query: { type: 'boolean', help: 'run the read-only query() entry point instead of run()' },
      state: { type: 'string', value: 'fixture.json', help: 'the state the module sees (trust, balances, kv, parents and children)' },
      manifest: { type: 'string', value: 'module.json', help: 'limits and hostcalls of a .wasm, as kapsule-pack module reads them' },
      hostcalls: { type: 'string', value: 'a,b,...', help: 'hostcalls a .wasm may import (default: the manifest\'s, else what it imports)' },
      fuel: { type: 'string', value: 'N', help: 'fuel budget of a .wasm (default: the manifest\'s, else the host ceiling)' },
      'memory-pages': { type: 'string', value: 'N', help: 'memory cap of a .wasm in 64 KiB pages' },
      'max-depth': { type: 'string', value: 'N', help: 'call depth cap of a .wasm' },
      channel: CHANNEL_OF_CAPSULE,
      author: { type: 'string', value: 'hex', help: 'the capsule author\'s signing key (default 22…22)' },
      parent: { type: 'list', value: 'id', help: 'a parent id (its metadata from the fixture\'s capsules); repeat for several' },
      flag: { type: 'list', value: 'key=value', help: 'a flag of the capsule; repeat for several' },
      'created-at': { type: 'string', value: 'ms', help: 'the capsule\'s created_at, which is also the run\'s now' },
      now: { type: 'string', value: 'ms', help: 'a query\'s now (default: now)' },
    },
    examples: [
      'kapsule dev run build/hello.wasm --manifest module.json --kind comment --payload comment.json --state fixture.json',
      'kapsule dev run rank.kmod --query --payload query.json --state fixture.json --now 1767247200000',
    ],
    run: async (io, a, b) => (await import('./commands/dev.ts')).devRunCommand(io, a, b),
  },
  'agent proposals': {
    summary: 'actions proposed by agent_logic (never applied), with how to sign one', options: { db: DB_RO },
    examples: ['kapsule agent proposals --db my.db'],
    run: async (io, a, b) => (await import('./commands/agent.ts')).agentProposalsCommand(io, a, b),
  },
};

export const COMMON: OptionSpecs = {
  json: { type: 'boolean', help: 'one JSON object on stdout: {"ok": true, ...} or {"ok": false, "error": {...}}' },
  backend: { type: 'string', value: 'native|noble', help: 'crypto backend (default native; both give the same verdicts)' },
  help: { type: 'boolean', help: 'this help' },
};

/** What a module may cost when the host sets no policy (the CLI sets none): docs/ABI.md §Bounds. */
const BOUNDS = `sandbox bounds (the CLI sets no host policy; docs/ABI.md §Bounds):
  fuel per run           min(manifest, ${DEFAULT_FUEL_CEILING}); a run that uses it all is OUT_OF_FUEL
  memory                 min(manifest, ${DEFAULT_MEMORY_PAGES_CEILING} pages); a larger initial memory is refused (MODULE_INVALID)
  call depth             min(manifest, 5000, ${STACK_BUDGET_BYTES / 1024} KiB of stack / the module's largest frame)
  code                   caps on function and code size, nesting, br_table and compile weight (MODULE_INVALID)
  transcript             ${TRANSCRIPT_MAX_BYTES / 1048576} MiB of hostcall records per run (HOSTCALL_FAULT)

${EXIT}`;

export const KAPSULE_HELP = overview('kapsule', TITLE, COMMANDS, COMMON, BOUNDS);
const GROUPS = groupsOf(COMMANDS);

export function selectBackend(name: string | undefined): CryptoBackend {
  if (name === undefined || name === 'native') return nativeBackend;
  if (name === 'noble') return nobleBackend;
  return usage(`--backend must be native or noble, got "${name}"`);
}

/** Resolves argv to a command ("audit verify" from ["audit", "verify", ...]) or a group; null: unknown. */
function resolve(argv: string[]): { key: string; args: string[] } | { group: string; args: string[] } | null {
  const [name, ...rest] = argv;
  if (GROUPS.has(name)) {
    const key = `${name} ${rest[0]}`;
    if (rest.length > 0 && key in COMMANDS) return { key, args: rest.slice(1) };
    return { group: name, args: rest };
  }
  return name in COMMANDS ? { key: name, args: rest } : null;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) { io.err(KAPSULE_HELP); return 2; }
  if (name === '-h' || name === '--help') { io.out(KAPSULE_HELP); return 0; }
  const json = argv.includes('--json');
  if (name === 'help') {
    if (rest.length === 0) { io.out(KAPSULE_HELP); return 0; }
    const r = resolve(rest);
    if (r && 'key' in r && r.args.length === 0) { io.out(commandHelp('kapsule', r.key, COMMANDS[r.key], COMMON, EXIT)); return 0; }
    if (r && 'group' in r && r.args.length === 0) { io.out(groupHelp('kapsule', r.group, COMMANDS, EXIT)); return 0; }
    return runCommand(io, json, () => usage(`no such command "${rest.join(' ')}" (see kapsule --help)`));
  }
  const r = resolve(argv);
  if (r && 'group' in r) {
    if (wantsHelp(r.args) || r.args.length === 0) {
      const text = groupHelp('kapsule', r.group, COMMANDS, EXIT);
      if (r.args.length === 0) { io.err(text); return 2; }
      io.out(text);
      return 0;
    }
    return runCommand(io, json, () => usage(`unknown ${r.group} subcommand "${r.args[0]}" (see kapsule ${r.group} --help)`));
  }
  if (r && wantsHelp(r.args)) { io.out(commandHelp('kapsule', r.key, COMMANDS[r.key], COMMON, EXIT)); return 0; }
  return runCommand(io, json, async () => {
    if (!r) usage(`unknown command "${name}" (see kapsule --help)`);
    const cmd = COMMANDS[r.key];
    const a = parseArgs(r.args, flagsOf({ ...COMMON, ...cmd.options }));
    return cmd.run(io, a, selectBackend(str(a, 'backend')));
  });
}
