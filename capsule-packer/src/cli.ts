/**
 * `kapsule-pack` — for producers: identities, signed module packages, signed and encrypted capsules.
 *   kapsule-pack keygen --out <file> [--sig ed25519|p256] [--name <label>] [--json]
 *   kapsule-pack module <file.wasm> --key <keyfile> (--manifest module.json | --hostcalls <a,b,...>) [--name n]
 *                [--version v] [--fuel N] [--memory-pages N] [--max-depth N] --out <file.kmod> [--json]
 *   kapsule-pack new <name> [--dir path] [--json]
 *   kapsule-pack capsule --kind <kind> --payload <file|-> --key <keyfile> (--to <pubfile>... | --public)
 *                [--channel c] [--created-at <ms|ISO date>] [--logic <file.kmod|module-id>]
 *                [--parent <capsule-id|file.kapsule>]... [--flag key=value]... --out <file.kapsule> [--json]
 */
import { basename, relative, resolve } from 'node:path';
import { fromHex, toHex } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { generateIdentity, identityLabel } from '../../host/src/keys.ts';
import { loadPublicIdentity, loadSecretIdentity, saveIdentity } from '../../host/src/keys-node.ts';
import { writeFileAtomic } from '../../host/src/fsutil.ts';
import { MODULE_MAGIC } from '../../host/src/parse/module.ts';
import { COST_TABLE } from '../../host/src/execute/costs.ts';
import { verifyCapsule, verifyModulePackage } from '../../host/src/verify/index.ts';
import { parseArgs, usage, bool, str, req, list, int, bigint, type ParsedArgs } from '../../host/src/cli/args.ts';
import { commandHelp, flagsOf, overview, wantsHelp, type CommandSpec, type OptionSpec, type OptionSpecs } from '../../host/src/cli/help.ts';
import { processIO, runCommand, type CliIO, type CommandResult } from '../../host/src/cli/io.ts';
import { readInput } from '../../host/src/cli/commands/inspect.ts';
import { buildCapsule, buildModulePackage } from './build.ts';
import { checkModule } from './check.ts';
import { MODULE_DEFAULTS, parseModuleJson } from './manifest.ts';
import { scaffold } from './scaffold.ts';
import { equalBytes } from '../../host/src/bytes.ts';

const TITLE = 'make identities, signed module packages and signed, encrypted capsules';
const EXIT = 'exit status: 0 success, 1 failed, 2 usage error';

const b = nativeBackend;

function keygen(io: CliIO, a: ParsedArgs): CommandResult {
  if (a.positionals.length) usage('keygen takes no positional arguments');
  const out = resolve(io.cwd, req(a, 'out'));
  const sig = str(a, 'sig') ?? 'ed25519';
  if (sig !== 'ed25519' && sig !== 'p256') usage(`--sig must be ed25519 or p256, got "${sig}"`);
  const id = generateIdentity(b, sig, str(a, 'name'));
  const paths = saveIdentity(id, out);
  const json = {
    identity: identityLabel(id.sigAlg, id.sigPublic), sig_alg: id.sigAlg,
    sig_public: toHex(id.sigPublic), enc_public: toHex(id.encPublic),
    secret_key_file: paths.secretPath, public_file: paths.publicPath,
  };
  return {
    status: 0, json,
    text: `identity ${json.identity}\nencryption key x25519:${json.enc_public}\nsecret key: ${paths.secretPath} (mode 0600)\npublic:     ${paths.publicPath}`,
  };
}

/**
 * Reads the wasm and its manifest (`--manifest module.json`, flags override it), checks the module as a host would
 * (check.ts: every import against the declared hostcalls, unknown names, validation, instrumentation) and signs it.
 */
async function moduleCmd(io: CliIO, a: ParsedArgs): Promise<CommandResult> {
  if (a.positionals.length !== 1) usage('module expects exactly one <file.wasm>');
  const wasmPath = a.positionals[0];
  const wasm = readInput(io, wasmPath);
  if (!(wasm.length >= 8 && wasm[0] === 0 && wasm[1] === 0x61 && wasm[2] === 0x73 && wasm[3] === 0x6d)) {
    throw new KapsuleError('MODULE_INVALID', 'pack', `${wasmPath} is not a WebAssembly binary (no \\0asm magic)`);
  }
  const manifestPath = str(a, 'manifest');
  const m = manifestPath !== undefined ? parseModuleJson(new TextDecoder().decode(readInput(io, manifestPath)), manifestPath) : {};
  const flagHostcalls = str(a, 'hostcalls');
  if (flagHostcalls === undefined && m.hostcalls === undefined) usage('give the hostcalls the module may import: --manifest module.json or --hostcalls a,b,...');
  const hostcalls = flagHostcalls !== undefined ? flagHostcalls.split(',').map((x) => x.trim()).filter(Boolean) : m.hostcalls!;
  const name = str(a, 'name') ?? m.name ?? basename(wasmPath).replace(/\.wasm$/, '').toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  const spec = {
    name, version: str(a, 'version') ?? m.version ?? MODULE_DEFAULTS.version, wasm, hostcalls,
    fuel: bigint(a, 'fuel', BigInt(COST_TABLE.runBase), 1n << 62n) ?? m.fuel ?? MODULE_DEFAULTS.fuel, // below a run's start charge, no run could start
    memoryPages: int(a, 'memory-pages', 1, 65536) ?? m.memoryPages ?? MODULE_DEFAULTS.memoryPages,
    maxDepth: int(a, 'max-depth', 1, 1_000_000) ?? m.maxDepth ?? MODULE_DEFAULTS.maxDepth,
  };
  const key = loadSecretIdentity(resolve(io.cwd, req(a, 'key')), b);
  const out = resolve(io.cwd, req(a, 'out'));
  const { instrument } = await import('../../host/src/execute/instrument.ts');
  const checked = checkModule(wasm, spec, { instrumenter: instrument, label: wasmPath });
  const built = buildModulePackage(b, key, spec);
  writeFileAtomic(out, built.bytes, 'pack');
  if (checked.unused.length && !bool(a, 'json')) io.err(`note: ${name} declares hostcalls it does not import: ${checked.unused.join(', ')}\n`);
  return {
    status: 0,
    json: {
      module_id: built.idHex, name, version: spec.version, out, bytes: built.bytes.length,
      hostcalls: [...new Set(hostcalls)].sort(), imports: checked.imports, unused_hostcalls: checked.unused, has_query: checked.hasQuery,
      fuel: spec.fuel, memory_pages: spec.memoryPages, max_depth: spec.maxDepth,
    },
    text: built.idHex,
  };
}

function parseCreatedAt(v: string | undefined): bigint {
  if (v === undefined) return BigInt(Date.now());
  if (/^\d+$/.test(v)) return BigInt(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) usage(`--created-at must be milliseconds since the epoch or an ISO date, got "${v}"`);
  return BigInt(t);
}

/**
 * A parent given as a capsule id, or as its .kapsule file — then its created_at is known too, and the new capsule is
 * never dated before it (the time rule of docs/CONVERGENCE.md: such a capsule would be TIME_INVALID everywhere).
 */
function parseParent(io: CliIO, v: string): { id: Uint8Array; createdAt: bigint | null } {
  if (/^[0-9a-f]{64}$/.test(v)) return { id: fromHex(v), createdAt: null };
  if (!v.endsWith('.kapsule')) usage(`--parent must be a 64-char lowercase hex id or a .kapsule file, got "${v}"`);
  const c = verifyCapsule(b, readInput(io, v));
  return { id: c.id, createdAt: c.core.createdAt };
}

async function capsuleCmd(io: CliIO, a: ParsedArgs): Promise<CommandResult> {
  if (a.positionals.length) usage('capsule takes no positional arguments (use --payload)');
  const kind = req(a, 'kind');
  const key = loadSecretIdentity(resolve(io.cwd, req(a, 'key')), b);
  const tos = list(a, 'to');
  const isPublic = bool(a, 'public');
  if (isPublic && tos.length) usage('--public and --to are mutually exclusive');
  if (!isPublic && !tos.length) usage('give at least one --to <pubfile>, or --public for a plaintext capsule');
  const payloadArg = req(a, 'payload');
  let payload: Uint8Array;
  if (payloadArg === '-') {
    if (!io.stdin) usage('--payload - needs standard input');
    payload = await io.stdin();
  } else payload = readInput(io, payloadArg);
  let logic: Uint8Array | null = null;
  const logicArg = str(a, 'logic');
  if (logicArg !== undefined) {
    if (/^[0-9a-f]{64}$/.test(logicArg)) logic = fromHex(logicArg);
    else {
      const kmod = readInput(io, logicArg);
      if (!equalBytes(kmod.subarray(0, 4), MODULE_MAGIC)) usage(`--logic ${logicArg} is neither a module id nor a .kmod file`);
      logic = verifyModulePackage(b, kmod).id;
    }
  }
  const flags: [string, string][] = [];
  for (const f of list(a, 'flag')) {
    const eq = f.indexOf('=');
    if (eq <= 0) usage(`--flag must be key=value, got "${f}"`);
    flags.push([f.slice(0, eq), f.slice(eq + 1)]);
  }
  if (new Set(flags.map(([k]) => k)).size !== flags.length) usage('a --flag key is given twice');
  const parents = list(a, 'parent').map((p) => parseParent(io, p));
  const latest = parents.reduce((m, p) => (p.createdAt !== null && p.createdAt > m ? p.createdAt : m), 0n);
  const given = str(a, 'created-at');
  let createdAt = parseCreatedAt(given);
  if (createdAt < latest) {
    if (given !== undefined) usage(`--created-at ${createdAt} is before a parent's created_at (${latest}): time may not run backwards along the DAG`);
    createdAt = latest; // the clock is behind the parent's: date the reply at the parent's time, never before it
  }
  const built = buildCapsule(b, key, {
    kind, channel: str(a, 'channel') ?? '', createdAt,
    parents: parents.map((p) => p.id), flags, logic, payload,
    to: isPublic ? 'public' : tos.map((t) => loadPublicIdentity(resolve(io.cwd, t)).encPublic),
  });
  const out = resolve(io.cwd, req(a, 'out'));
  writeFileAtomic(out, built.bytes, 'pack');
  return {
    status: 0,
    json: { capsule_id: built.idHex, kind, out, bytes: built.bytes.length, encrypted: !isPublic, recipients: tos.length },
    text: built.idHex,
  };
}

function newCmd(io: CliIO, a: ParsedArgs): CommandResult {
  if (a.positionals.length !== 1) usage('new expects exactly one <name>');
  const name = a.positionals[0];
  const dir = resolve(io.cwd, str(a, 'dir') ?? name);
  const r = scaffold(name, dir);
  const shown = relative(io.cwd, dir) || '.';
  return {
    status: 0,
    json: { name, dir, files: r.files, dependencies: { 'kapsule-rt': r.values.rtRange, 'kapsule-guest-sdk': r.values.sdkRange } },
    text: [
      `created ${shown}/ (${r.files.length} files): module ${name} with run() and query(), its spec, module.json, examples`,
      'next:',
      `  cd ${shown} && npm install`,
      '  npm run build        # asc → build/' + name + '.wasm',
      '  npm test             # the as-pect specs (run() and query() on the spec world)',
      '  npm run dev          # kapsule dev run on examples/: output, fuel, pages, writes',
      '  npm run keygen && npm run pack    # a signed build/' + name + '.kmod',
    ].join('\n'),
  };
}

interface Command extends CommandSpec { run: (io: CliIO, a: ParsedArgs) => CommandResult | Promise<CommandResult> }

const KEY: OptionSpec = { type: 'string', value: 'keyfile', help: 'your secret key file (signs what is made)', required: true };
const OUT: OptionSpec = { type: 'string', value: 'file', help: 'where to write it', required: true };

/** Every command: its parser options, its help and its implementation. */
export const COMMANDS: Record<string, Command> = {
  keygen: {
    summary: 'make an identity: <out> (secret, mode 0600) and <out>.pub (public, give it to others)',
    options: {
      out: { ...OUT, help: 'the secret key file to create (never overwritten); the public identity goes to <file>.pub' },
      sig: { type: 'string', value: 'ed25519|p256', help: 'signature algorithm (default ed25519)' },
      name: { type: 'string', value: 'label', help: 'a label stored in both files' },
    },
    examples: ['kapsule-pack keygen --out alice.key'],
    run: keygen,
  },
  module: {
    args: '<file.wasm>', summary: 'sign a WebAssembly module with its manifest (hostcalls, fuel, memory, depth) into a .kmod',
    options: {
      key: KEY,
      manifest: { type: 'string', value: 'module.json', help: 'the manifest: name, version, hostcalls, fuel, memoryPages, maxDepth (flags override it)' },
      hostcalls: { type: 'string', value: 'a,b,...', help: 'the hostcalls the module may import (required without --manifest)' },
      name: { type: 'string', value: 'n', help: 'module name (default: the manifest\'s, else the file name)' },
      version: { type: 'string', value: 'v', help: `module version (default ${MODULE_DEFAULTS.version})` },
      fuel: { type: 'string', value: 'N', help: `fuel budget per run (default ${MODULE_DEFAULTS.fuel})` },
      'memory-pages': { type: 'string', value: 'N', help: `memory cap in 64 KiB pages (default ${MODULE_DEFAULTS.memoryPages})` },
      'max-depth': { type: 'string', value: 'N', help: `call depth cap (default ${MODULE_DEFAULTS.maxDepth})` },
      out: OUT,
    },
    details: 'Before signing, the wasm is checked as a host will check it (validation, instrumentation): an import the\nhostcalls do not declare, an unknown hostcall name or an invalid module is refused (MODULE_INVALID), all named.',
    examples: [
      'kapsule-pack module build/modules/rank.wasm --manifest modules/rank/module.json --key alice.key --out rank.kmod',
      'kapsule-pack module hello.wasm --key alice.key --hostcalls get_payload,submit_capsule_result --fuel 1000000 --out hello.kmod',
    ],
    run: moduleCmd,
  },
  new: {
    args: '<name>', summary: 'start a module project: AssemblyScript module, spec, module.json, build and test scripts',
    details: 'Writes a standalone project (package.json depending on kapsule-rt and kapsule-guest-sdk, asconfig.json,\n' +
      'assembly/index.ts with run() and query(), an as-pect spec on the spec world, module.json, examples for\n' +
      'kapsule dev run). npm install, then npm run build, npm test, npm run dev, npm run pack.',
    options: { dir: { type: 'string', value: 'path', help: 'where to write it (default ./<name>; must not exist or be empty)' } },
    examples: ['kapsule-pack new hello && cd hello && npm install && npm run build && npm test'],
    run: newCmd,
  },
  capsule: {
    summary: 'make a signed capsule, encrypted to its recipients (--to) or public (--public)',
    options: {
      kind: { type: 'string', value: 'kind', help: 'what it is: post, comment, trust, ledger, ...', required: true },
      payload: { type: 'string', value: 'file|-', help: 'the payload (- reads standard input)', required: true },
      key: KEY,
      to: { type: 'list', value: 'pubfile', help: "a recipient's public identity file (name.key.pub); repeat for several" },
      public: { type: 'boolean', help: 'no encryption (instead of --to)' },
      channel: { type: 'string', value: 'c', help: 'channel name (default empty)' },
      'created-at': { type: 'string', value: 'ms|ISO date', help: 'creation time (default now)' },
      logic: { type: 'string', value: 'file.kmod|module-id', help: 'the module that runs on it' },
      parent: { type: 'list', value: 'capsule-id|file.kapsule', help: 'a parent in the DAG; repeat for several. Given as its .kapsule file, the new capsule is never dated before it' },
      flag: { type: 'list', value: 'key=value', help: 'a signed flag; repeat for several' },
      out: OUT,
    },
    examples: [
      'kapsule-pack capsule --kind post --channel general --payload post.json --key alice.key --to bob.key.pub --out post.kapsule',
      'echo hello | kapsule-pack capsule --kind post --payload - --key alice.key --public --out hello.kapsule',
    ],
    run: capsuleCmd,
  },
};

const COMMON: OptionSpecs = {
  json: { type: 'boolean', help: 'one JSON object on stdout: {"ok": true, ...} or {"ok": false, "error": {...}}' },
  help: { type: 'boolean', help: 'this help' },
};

export const PACK_HELP = overview('kapsule-pack', TITLE, COMMANDS, COMMON, EXIT);

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) { io.err(PACK_HELP); return 2; }
  if (name === '-h' || name === '--help') { io.out(PACK_HELP); return 0; }
  const json = argv.includes('--json');
  if (name === 'help') {
    if (rest.length === 0) { io.out(PACK_HELP); return 0; }
    if (rest.length === 1 && rest[0] in COMMANDS) { io.out(commandHelp('kapsule-pack', rest[0], COMMANDS[rest[0]], COMMON, EXIT)); return 0; }
    return runCommand(io, json, () => usage(`no such command "${rest.join(' ')}" (see kapsule-pack --help)`));
  }
  if (name in COMMANDS && wantsHelp(rest)) { io.out(commandHelp('kapsule-pack', name, COMMANDS[name], COMMON, EXIT)); return 0; }
  return runCommand(io, json, () => {
    const cmd = COMMANDS[name];
    if (!cmd) usage(`unknown command "${name}" (see kapsule-pack --help)`);
    return cmd.run(io, parseArgs(rest, flagsOf({ ...COMMON, ...cmd.options })));
  });
}
