/**
 * `kapsule` — the operator's CLI. `main(argv, io)` is exported and testable; the bin calls it and sets the
 * exit status. Commands: inspect, verify (more are registered as the pipeline grows).
 */
import type { CryptoBackend } from '../crypto/types.ts';
import { nativeBackend } from '../crypto/native.ts';
import { nobleBackend } from '../crypto/noble.ts';
import { parseArgs, usage, bool, str, type FlagSpec, type ParsedArgs } from './args.ts';
import { processIO, runCommand, type CliIO, type CommandResult } from './io.ts';
import { inspectCommand, verifyCommand } from './commands/inspect.ts';
import { DEFAULT_FUEL_CEILING, DEFAULT_MEMORY_PAGES_CEILING, STACK_BUDGET_BYTES, TRANSCRIPT_MAX_BYTES } from '../execute/bounds.ts';

/** Store-backed commands load SQLite and the sandbox only when used (inspect/verify stay light). */
const rt = () => import('./commands/runtime.ts');
const au = () => import('./commands/audit.ts');
const sy = () => import('./commands/sync.ts');

export const KAPSULE_HELP = `kapsule — run signed, encrypted capsules in a deterministic WebAssembly sandbox

usage:
  kapsule inspect <file> [--json]           describe a .kapsule or .kmod (never decrypts)
  kapsule verify <file> [--json]            exit 0 if signature and structure are valid, 1 if not
  kapsule module add <file.kmod>... --db <path>
  kapsule run <file.kapsule> --key <keyfile> --db <path> [--modules <dir>] [--now <ms>]
                                            full pipeline for one capsule: verify, decrypt, execute, store, audit
  kapsule ingest <file|dir>... [--key <keyfile>] --db <path> [--modules <dir>] [--workers N]
                                            batch ingest with a summary (exit 1 if any capsule was rejected);
                                            --workers N verifies and decrypts on N threads (same results)
  kapsule ls --db <path> [--channel c] [--kind k] [--limit N]
  kapsule show <id> --db <path>             one capsule with its result and children
  kapsule orphans --db <path>               capsules waiting for their parents
  kapsule heads --db <path> [--channel c]   DAG heads per channel
  kapsule audit verify --db <path> [--checkpoint <file>]... [--signer <pubfile|alg:hex>]
                                            recompute the audit Merkle tree, check checkpoints; exit 1 on tampering
  kapsule audit show --db <path> [--since N]
  kapsule audit prove <index> --db <path>   inclusion proof against the latest checkpoint
  kapsule audit checkpoint --db <path> --out <file>
                                            export the latest signed checkpoint to keep elsewhere
  kapsule sync export --db <path> --out <file> [--channel c] [--since <ids|heads.json>]
                                            snapshot of capsules (+ modules they use) in DAG order, with heads
  kapsule sync import <file> --db <path> [--key <keyfile>]
                                            every capsule through the full pipeline; corrupt parts reported
  kapsule sync pair --db <a> --peer <b> [--key <keyfile>] [--peer-key <keyfile>]
                                            bring two stores to the same capsules via heads (have/want)
  kapsule agent proposals --db <path>       actions proposed by agent_logic (never applied), with how to sign one
  kapsule graph --db <path> [--channel c] --format dot|mermaid|html [--out <file>]
  kapsule audit replay --db <path> [--from N] [--key <keyfile>]
                                            re-execute every recorded execution; exit 1 on any divergence

common options:
  --json                 one JSON object on stdout: {"ok": true, ...} or {"ok": false, "error": {...}}
  --backend native|noble signature backend (default native; both give the same verdict)
  -h, --help             this help

sandbox bounds (the CLI sets no host policy; docs/ABI.md §Bounds):
  fuel per run           min(manifest, ${DEFAULT_FUEL_CEILING}); a run that uses it all is OUT_OF_FUEL
  memory                 min(manifest, ${DEFAULT_MEMORY_PAGES_CEILING} pages); a larger initial memory is refused (MODULE_INVALID)
  call depth             min(manifest, 5000, ${STACK_BUDGET_BYTES / 1024} KiB of stack / the module's largest frame)
  code                   caps on function and code size, nesting, br_table and compile weight (MODULE_INVALID)
  transcript             ${TRANSCRIPT_MAX_BYTES / 1048576} MiB of hostcall records per run (HOSTCALL_FAULT)

exit status: 0 success, 1 a capsule or module was rejected or failed, 2 usage error
`;

interface Command {
  flags: FlagSpec;
  run(io: CliIO, a: ParsedArgs, b: CryptoBackend): Promise<CommandResult> | CommandResult;
}

function onePositional(a: ParsedArgs, what: string): string {
  if (a.positionals.length !== 1) usage(`expected exactly one ${what}, got ${a.positionals.length}`);
  return a.positionals[0];
}

export const COMMANDS: Record<string, Command> = {
  inspect: { flags: {}, run: (io, a, b) => inspectCommand(io, b, onePositional(a, 'file')) },
  verify: { flags: {}, run: (io, a, b) => verifyCommand(io, b, onePositional(a, 'file')) },
  'module add': { flags: { db: 'string' }, run: async (io, a, b) => (await rt()).moduleAddCommand(io, a, b) },
  run: { flags: { key: 'string', db: 'string', modules: 'string', now: 'string' }, run: async (io, a, b) => (await rt()).runCommandImpl(io, a, b) },
  ingest: { flags: { key: 'string', db: 'string', modules: 'string', workers: 'string' }, run: async (io, a, b) => (await rt()).ingestCommand(io, a, b) },
  ls: { flags: { db: 'string', channel: 'string', kind: 'string', limit: 'string' }, run: async (io, a, b) => (await rt()).lsCommand(io, a, b) },
  show: { flags: { db: 'string' }, run: async (io, a, b) => (await rt()).showCommand(io, a, b) },
  orphans: { flags: { db: 'string' }, run: async (io, a, b) => (await rt()).orphansCommand(io, a, b) },
  'audit verify': { flags: { db: 'string', checkpoint: 'list', signer: 'string' }, run: async (io, a, b) => (await au()).auditVerifyCommand(io, a, b) },
  'audit show': { flags: { db: 'string', since: 'string' }, run: async (io, a) => (await au()).auditShowCommand(io, a) },
  'audit prove': { flags: { db: 'string' }, run: async (io, a, b) => (await au()).auditProveCommand(io, a, b) },
  'audit checkpoint': { flags: { db: 'string', out: 'string' }, run: async (io, a) => (await au()).auditCheckpointCommand(io, a) },
  'audit replay': { flags: { db: 'string', from: 'string', key: 'string' }, run: async (io, a, b) => (await au()).auditReplayCommand(io, a, b) },
  'sync export': { flags: { db: 'string', out: 'string', channel: 'string', since: 'string' }, run: async (io, a, b) => (await sy()).syncExportCommand(io, a, b) },
  'sync import': { flags: { db: 'string', key: 'string' }, run: async (io, a, b) => (await sy()).syncImportCommand(io, a, b) },
  'sync pair': { flags: { db: 'string', key: 'string', peer: 'string', 'peer-key': 'string' }, run: async (io, a, b) => (await sy()).syncPairCommand(io, a, b) },
  graph: { flags: { db: 'string', channel: 'string', format: 'string', out: 'string' }, run: async (io, a) => (await sy()).graphCommand(io, a) },
  'agent proposals': { flags: { db: 'string' }, run: async (io, a, b) => (await import('./commands/agent.ts')).agentProposalsCommand(io, a, b) },
  heads: { flags: { db: 'string', channel: 'string' }, run: async (io, a, b) => (await rt()).headsCommand(io, a, b) },
};

const COMMON: FlagSpec = { json: 'boolean', backend: 'string' };

export function selectBackend(name: string | undefined): CryptoBackend {
  if (name === undefined || name === 'native') return nativeBackend;
  if (name === 'noble') return nobleBackend;
  return usage(`--backend must be native or noble, got "${name}"`);
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(KAPSULE_HELP);
    return name === undefined ? 2 : 0;
  }
  // Subcommand groups ("module add", "audit verify") are registered as "module add".
  let key = name;
  let args = rest;
  if (!(key in COMMANDS) && rest.length > 0 && `${name} ${rest[0]}` in COMMANDS) {
    key = `${name} ${rest[0]}`;
    args = rest.slice(1);
  }
  const json = argv.includes('--json');
  return runCommand(io, json, async () => {
    const cmd = COMMANDS[key];
    if (!cmd) usage(`unknown command "${name}" (see kapsule --help)`);
    const a = parseArgs(args, { ...COMMON, ...cmd.flags });
    if (bool(a, 'help')) usage(KAPSULE_HELP);
    return cmd.run(io, a, selectBackend(str(a, 'backend')));
  });
}
