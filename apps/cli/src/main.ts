// The `vigil` command: parses arguments, runs one subcommand, maps errors to exit codes and readable messages.
// Subcommands are thin: they call into @vigil/server and @vigil/agent and own only process lifecycle and output.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { VIGIL_VERSION, VigilError, describeError } from '@vigil/common';
// The server's code is loaded only by the commands that run it, so `vigil agent` does not carry it in memory.
import { defaultServerConfig } from '@vigil/server/config';
const serverModule = () => import('@vigil/server');
import { startAgent, enroll, isEnrolled } from '@vigil/agent';
/** Loaded by the server commands only: its X.509 library would cost `vigil agent` ~15 MB RSS. */
const formatFingerprint = async (hex: string) => (await import('@vigil/pki')).formatFingerprint(hex);
import { readFileSync } from 'node:fs';
import { agentInventory, agentSources } from './wiring.js';
import { createAgentFilter, loadAgentConfig } from '@vigil/sources';
// The rule and EVTX commands load the detection engine: imported when they run, so `vigil agent` does not carry it.
const rulesCommand = () => import('./rules-command.js');
const evtxCommand = () => import('./evtx-command.js');
import { apiRequest, apiTarget } from './api-client.js';
import { formatHuntTable } from './hunt-command.js';
import { taskCommand } from './task-command.js';
import { intelCommand } from './intel-command.js';
import { yaraCommand } from './yara-command.js';
import { basename, resolve as resolvePath } from 'node:path';
import { parseSize } from '@vigil/agent';

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: Record<string, string>;
  /** Sub-commands and paths after the command name (e.g. `rules import ./pack`); refused when not set. */
  positionals?: boolean;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number | 'running'>;
}

const DEFAULT_SERVER_DIR = '/var/lib/vigil/server';
const DEFAULT_AGENT_DIR = '/var/lib/vigil/agent';
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'vigil.js');

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new VigilError('invalid_config', `--${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
};

function onSignals(handler: (signal: string) => void): void {
  let fired = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (fired) return;
      fired = true;
      handler(signal);
    });
  }
}

const serverOptions: Options = {
  'data-dir': { type: 'string' },
  listen: { type: 'string' },
  'api-port': { type: 'string' },
  'agent-port': { type: 'string' },
  'public-name': { type: 'string', multiple: true },
};
const serverHelp = {
  '--data-dir DIR': `where the server keeps its CA, control plane and event store (default ${DEFAULT_SERVER_DIR}, env VIGIL_DATA_DIR)`,
  '--listen ADDR': 'address to bind (default 0.0.0.0, env VIGIL_LISTEN_HOST)',
  '--api-port N': 'console, REST API and enrollment port (default 8443, env VIGIL_API_PORT)',
  '--agent-port N': 'agent mTLS port (default 8444, env VIGIL_AGENT_PORT)',
  '--public-name NAME': 'extra DNS name or IP for the server certificate; repeatable (env VIGIL_PUBLIC_NAMES, comma-separated)',
};

function serverConfigFrom(values: Record<string, unknown>) {
  return defaultServerConfig({
    dataDir: str(values['data-dir']) ?? process.env.VIGIL_DATA_DIR ?? DEFAULT_SERVER_DIR,
    ...(str(values.listen) ? { listenHost: str(values.listen)! } : {}),
    ...(values['api-port'] !== undefined ? { apiPort: num(values['api-port'], 'api-port')! } : {}),
    ...(values['agent-port'] !== undefined ? { agentPort: num(values['agent-port'], 'agent-port')! } : {}),
    ...(Array.isArray(values['public-name']) ? { publicNames: values['public-name'] as string[] } : {}),
  });
}

const commands: Record<string, Command> = {
  server: {
    summary: 'run the Vigil server (API, console, agent listener, event store)',
    usage: 'vigil server [options]',
    options: serverOptions,
    help: serverHelp,
    async run(values) {
      const { startServer } = await serverModule();
      const server = await startServer(serverConfigFrom(values));
      console.log(`Vigil server ${VIGIL_VERSION}\n  console/API: ${server.apiUrl}/\n  agents:      ${server.agentUrl}\n  CA fingerprint (SHA-256): ${await formatFingerprint(server.caFingerprint)}`);
      if (server.generatedAdminPassword) console.log(`  first admin: user "admin", password "${server.generatedAdminPassword}" (shown once; set VIGIL_ADMIN_PASSWORD to choose it)`);
      onSignals(() => void server.close().then(() => process.exit(0)));
      return 'running';
    },
  },
  agent: {
    summary: 'run the endpoint agent (collects events, spools them, sends them over mTLS)',
    usage: 'vigil agent [options]',
    options: { 'state-dir': { type: 'string' }, endpoint: { type: 'string' }, 'spool-max': { type: 'string' }, 'flush-ms': { type: 'string' }, config: { type: 'string' } },
    help: {
      '--state-dir DIR': `identity, certificate and spool (default ${DEFAULT_AGENT_DIR})`,
      '--config FILE': 'operator configuration: event filters, inventory and change records (YAML or JSON; env VIGIL_AGENT_CONFIG; docs/telemetry-linux.md)',
      '--endpoint HOST:PORT': 'override the server agent endpoint received at enrollment',
      '--spool-max SIZE': 'upper bound of the on-disk spool, e.g. 512MiB (default)',
      '--flush-ms N': 'longest an event waits before a partial batch is sent (default 200)',
    },
    async run(values) {
      const stateDir = str(values['state-dir']) ?? DEFAULT_AGENT_DIR;
      const config = loadAgentConfig(str(values.config) ?? process.env.VIGIL_AGENT_CONFIG);
      const inventory = agentInventory(process.platform, config);
      const agent = await startAgent({
        stateDir,
        sources: agentSources(process.platform, { stateDir, config, ...(inventory ? { inventory } : {}) }),
        filter: createAgentFilter(config),
        ...(inventory ? { inventory } : {}),
        ...(str(values.endpoint) ? { endpoint: str(values.endpoint)! } : {}),
        ...(str(values['spool-max']) ? { spoolMaxBytes: parseSize(str(values['spool-max'])!) } : {}),
        ...(values['flush-ms'] !== undefined ? { flushMs: num(values['flush-ms'], 'flush-ms')! } : {}),
      });
      onSignals(() => void agent.stop().then(() => process.exit(0), () => process.exit(1)));
      return 'running';
    },
  },
  enroll: {
    summary: 'enroll this endpoint with a server using an enrollment token',
    usage: 'vigil enroll --server https://HOST:8443 --token TOKEN (--ca-fingerprint SHA256 | --ca-file FILE) [--state-dir DIR]',
    options: { server: { type: 'string' }, token: { type: 'string' }, 'ca-fingerprint': { type: 'string' }, 'ca-file': { type: 'string' }, 'state-dir': { type: 'string' }, hostname: { type: 'string' } },
    help: {
      '--server URL': 'server API URL, as printed by `vigil server` or `vigil up`',
      '--token TOKEN': 'enrollment token from the console or `vigil token create` (env VIGIL_ENROLL_TOKEN)',
      '--ca-fingerprint HEX': 'SHA-256 fingerprint of the server CA (pins the server before the token is sent)',
      '--ca-file FILE': 'the server CA certificate instead of a fingerprint',
      '--state-dir DIR': `where to keep the identity (default ${DEFAULT_AGENT_DIR})`,
      '--hostname NAME': 'name to register (default: this host name)',
    },
    async run(values) {
      const token = str(values.token) ?? process.env.VIGIL_ENROLL_TOKEN;
      const server = str(values.server);
      if (!server || !token) throw new VigilError('invalid_config', 'enroll needs --server and --token');
      const identity = await enroll({
        serverUrl: server,
        token,
        stateDir: str(values['state-dir']) ?? DEFAULT_AGENT_DIR,
        ...(str(values['ca-fingerprint']) ? { caFingerprint: str(values['ca-fingerprint'])! } : {}),
        ...(str(values['ca-file']) ? { caPem: readFileSync(str(values['ca-file'])!, 'utf8') } : {}),
        ...(str(values.hostname) ? { hostname: str(values.hostname)! } : {}),
      });
      console.log(`enrolled as agent ${identity.agentId}; agent endpoint ${identity.agentEndpoint}`);
      return 0;
    },
  },
  token: {
    summary: 'create an enrollment token (run on the server machine; writes to its control plane)',
    usage: 'vigil token create [--data-dir DIR] [--uses N] [--expires-in SECONDS] [--description TEXT]',
    options: { 'data-dir': { type: 'string' }, uses: { type: 'string' }, 'expires-in': { type: 'string' }, description: { type: 'string' } },
    help: {
      '--data-dir DIR': `server data directory (default ${DEFAULT_SERVER_DIR})`,
      '--uses N': 'how many agents may enroll with it; 0 = unlimited until expiry (default 1)',
      '--expires-in SECONDS': 'lifetime (default 86400)',
      '--description TEXT': 'what the token is for',
    },
    async run(values) {
      const dataDir = str(values['data-dir']) ?? process.env.VIGIL_DATA_DIR ?? DEFAULT_SERVER_DIR;
      const { ControlPlane } = await serverModule();
      const controlPlane = new ControlPlane(join(dataDir, 'control.sqlite'));
      try {
        const { record, token } = controlPlane.createEnrollmentToken({
          description: str(values.description) ?? 'created with vigil token create',
          createdBy: `cli:${process.env.USER ?? 'root'}`,
          ttlSeconds: num(values['expires-in'], 'expires-in') ?? 86400,
          maxUses: num(values.uses, 'uses') ?? 1,
        });
        controlPlane.audit(`cli:${process.env.USER ?? 'root'}`, 'enrollment_token.create', record.id, 'success', { max_uses: record.maxUses });
        console.log(token);
        console.error(`token ${record.id}: ${record.maxUses || 'unlimited'} use(s), expires ${record.expiresAt}`);
      } finally {
        controlPlane.close();
      }
      return 0;
    },
  },
  hunt: {
    summary: "run a hunt in the query language against a server (vigil hunt 'process where ...')",
    usage: "vigil hunt '<query>' [--start ISO] [--end ISO] [--host ID] [--limit N] [--json] [--server URL] [--token TOKEN] [--ca-file FILE]",
    positionals: true,
    options: { start: { type: 'string' }, end: { type: 'string' }, host: { type: 'string', multiple: true }, limit: { type: 'string' }, json: { type: 'boolean' }, server: { type: 'string' }, token: { type: 'string' }, 'ca-file': { type: 'string' }, 'data-dir': { type: 'string' } },
    help: {
      '--start ISO, --end ISO': 'time range of the events searched (default: all)',
      '--host ID': 'only these hosts (repeat)',
      '--limit N': 'most rows (default 1000)',
      '--json': 'print the rows as JSON lines instead of a table',
      '--server URL': 'server API URL (default env VIGIL_SERVER or https://127.0.0.1:8443)',
      '--token TOKEN': 'API token (env VIGIL_API_TOKEN)',
      '--ca-file FILE': `server CA certificate (default <data-dir>/pki/ca.crt, data dir ${DEFAULT_SERVER_DIR} or env VIGIL_DATA_DIR)`,
    },
    async run(values, positionals) {
      if (positionals.length !== 1) throw new VigilError('invalid_config', "give the query as one argument, in quotes: vigil hunt 'process where process.name == \"curl\"'");
      const target = apiTarget({ server: str(values.server), token: str(values.token), caFile: str(values['ca-file']), dataDir: str(values['data-dir']) }, DEFAULT_SERVER_DIR);
      const hosts = values.host as string[] | undefined;
      const result = await apiRequest<{ kind: string; columns: { name: string; type: string }[]; rows: Record<string, unknown>[]; took_ms: number; truncated: boolean }>(target, 'POST', '/api/v1/hunt', {
        query: positionals[0],
        ...(str(values.start) ? { start: str(values.start) } : {}),
        ...(str(values.end) ? { end: str(values.end) } : {}),
        ...(hosts?.length ? { host_ids: hosts } : {}),
        ...(values.limit !== undefined ? { limit: num(values.limit, 'limit') } : {}),
      });
      if (values.json) for (const row of result.rows) console.log(JSON.stringify(row));
      else console.log(formatHuntTable(result.columns, result.rows));
      console.error(`${result.rows.length} row(s)${result.truncated ? ' (more matched: raise --limit)' : ''} in ${result.took_ms} ms`);
      return 0;
    },
  },
  task: taskCommand(DEFAULT_SERVER_DIR),
  intel: intelCommand(DEFAULT_SERVER_DIR),
  yara: yaraCommand(DEFAULT_SERVER_DIR),
  rules: {
    summary: 'check Sigma rules locally, or import a rule pack (directory, .zip or .yml) into a server',
    usage: 'vigil rules check <dir|pack.zip|rule.yml>\n       vigil rules import <dir|pack.zip|rule.yml> [--pack NAME] [--version V] [--server URL] [--token TOKEN] [--ca-file FILE]',
    positionals: true,
    options: { pack: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' }, server: { type: 'string' }, token: { type: 'string' }, 'ca-file': { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' } },
    help: {
      '--pack NAME': 'pack name on the server (default: the directory or archive name)',
      '--version V': 'pack version (default: a hash of the files, so re-importing the same files is recognisable)',
      '--description TEXT': 'what the pack is',
      '--server URL': 'server API URL (default env VIGIL_SERVER or https://127.0.0.1:8443)',
      '--token TOKEN': 'API token with the rules:manage permission (env VIGIL_API_TOKEN)',
      '--ca-file FILE': `server CA certificate (default <data-dir>/pki/ca.crt, data dir ${DEFAULT_SERVER_DIR} or env VIGIL_DATA_DIR)`,
      '--json': 'print the load report as JSON on stdout',
      '--force': 'import even when some rules have errors (they are skipped by the server)',
    },
    async run(values, positionals) {
      const [action, path, ...extra] = positionals;
      if ((action !== 'check' && action !== 'import') || !path || extra.length) {
        throw new VigilError('invalid_config', 'say "vigil rules check <path>" or "vigil rules import <path>"');
      }
      const { checkRuleSources, contentVersion, formatReport, ruleSourcesFrom, uploadPack } = await rulesCommand();
      const sources = ruleSourcesFrom(path);
      if (!sources.length) throw new VigilError('invalid_input', `${path}: no .yml or .yaml rule files found`);
      const report = checkRuleSources(sources, !values.json);
      if (values.json) console.log(JSON.stringify({ ...report, problems: report.problems }, null, 2));
      else console.error(formatReport(report));
      if (action === 'check') return report.errors ? 1 : 0;
      if (report.errors && !values.force) {
        console.error(`vigil rules import: ${report.errors} rule error(s); fix them or pass --force to import the rest`);
        return 1;
      }
      const target = apiTarget({ server: str(values.server), token: str(values.token), caFile: str(values['ca-file']), dataDir: str(values['data-dir']) }, DEFAULT_SERVER_DIR);
      const pack = str(values.pack) ?? basename(resolvePath(path)).replace(/\.(zip|ya?ml)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-');
      const result = await uploadPack(target, sources, {
        pack,
        version: str(values.version) ?? contentVersion(sources),
        description: str(values.description) ?? `imported from ${basename(path)}`,
      });
      console.error(`server: pack ${String(result.pack)} version ${String(result.version)}: ${String(result.rules_loaded)} rules loaded from ${String(result.files)} files, ${String(result.errors)} errors, ${String(result.warnings)} warnings`);
      return 0;
    },
  },
  evtx: {
    summary: 'triage Windows event logs offline with the Sigma engine (scan), or send their events to a server (import)',
    usage:
      'vigil evtx scan <file.evtx|dir>... [--rules <dir|zip|yml>]... [--no-builtin-rules] [--min-level LEVEL] [--timeline out.csv|out.jsonl] [--top N] [--json]\n' +
      '       vigil evtx import <file.evtx|dir>... [--server URL] [--token TOKEN] [--ca-file FILE] [--batch N]',
    positionals: true,
    options: {
      rules: { type: 'string', multiple: true },
      'no-builtin-rules': { type: 'boolean' },
      'min-level': { type: 'string' },
      timeline: { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      batch: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      'ca-file': { type: 'string' },
      'data-dir': { type: 'string' },
    },
    help: {
      '<file|dir>': '.evtx files, directories (every .evtx below them), evtx_dump .json or rendered-event .xml files',
      '--rules PATH': 'Sigma rules to add: a directory, a .zip or one .yml; repeatable (default: only the packs in content/rules)',
      '--no-builtin-rules': 'leave out the packs shipped in content/rules',
      '--min-level LEVEL': 'informational, low, medium, high or critical: lower rules are not run or reported',
      '--timeline FILE': 'write one row per detection, sorted by time, as CSV (.csv) or JSON lines (.jsonl)',
      '--top N': 'rows of the rule and computer tables (default 20)',
      '--json': 'print the report as JSON instead of tables',
      '--quiet': 'no progress bar',
      '--batch N': 'import: events per request (default 1000)',
      '--server URL, --token TOKEN, --ca-file FILE': 'import: the server, an API token with the events:import permission (admin or analyst role; env VIGIL_SERVER, VIGIL_API_TOKEN) and its CA',
    },
    async run(values, positionals) {
      const [action, ...paths] = positionals;
      const { runEvtxImport, runEvtxScan } = await evtxCommand();
      if (action === 'scan') return runEvtxScan(values as Parameters<typeof runEvtxScan>[0], paths);
      if (action === 'import') {
        return runEvtxImport(values as Parameters<typeof runEvtxImport>[0], paths, () =>
          apiTarget({ server: str(values.server), token: str(values.token), caFile: str(values['ca-file']), dataDir: str(values['data-dir']) }, DEFAULT_SERVER_DIR),
        );
      }
      throw new VigilError('invalid_config', 'say "vigil evtx scan <file|dir>..." or "vigil evtx import <file|dir>..."');
    },
  },
  up: {
    summary: 'run the standalone system on this machine: server, console and a local agent',
    usage: 'vigil up [server options] [--agent-state-dir DIR] [--no-agent]',
    options: { ...serverOptions, 'agent-state-dir': { type: 'string' }, 'no-agent': { type: 'boolean' } },
    help: { ...serverHelp, '--agent-state-dir DIR': `local agent identity and spool (default ${DEFAULT_AGENT_DIR})`, '--no-agent': 'run without the local agent' },
    async run(values) {
      const config = serverConfigFrom(values);
      const { startServer } = await serverModule();
      const server = await startServer(config);
      const agentDir = str(values['agent-state-dir']) ?? DEFAULT_AGENT_DIR;
      let child: ChildProcess | undefined;
      let stopping = false;
      if (!values['no-agent']) {
        if (!isEnrolled(agentDir)) {
          const { token } = server.controlPlane.createEnrollmentToken({ description: 'local agent of vigil up', createdBy: 'vigil up', ttlSeconds: 600, maxUses: 1 });
          await enroll({ serverUrl: `https://127.0.0.1:${server.apiPort}`, token, caPem: server.caCertPem, stateDir: agentDir });
        }
        const launch = () => {
          child = spawn(process.execPath, [bin, 'agent', '--state-dir', agentDir, '--endpoint', `127.0.0.1:${server.agentPort}`], { stdio: 'inherit' });
          child.on('exit', (code, signal) => {
            if (stopping) return;
            console.error(`local agent exited (${signal ?? code}); restarting in 3 s`);
            setTimeout(() => !stopping && launch(), 3000);
          });
        };
        launch();
      }
      const lines = [
        '',
        `Vigil ${VIGIL_VERSION} is up.`,
        `  Console:         ${server.apiUrl}/`,
        `  CA fingerprint:  SHA256 ${await formatFingerprint(server.caFingerprint)}`,
        server.generatedAdminPassword ? `  Admin login:     admin / ${server.generatedAdminPassword}   (shown once)` : '  Admin login:     admin / the password in VIGIL_ADMIN_PASSWORD (or the one printed at first start)',
        `  Agents connect:  ${server.agentUrl}   (local agent: ${values['no-agent'] ? 'off' : agentDir})`,
        `  Enroll another:  vigil token create --data-dir ${config.dataDir}  then on the endpoint:`,
        `                   vigil enroll --server ${server.apiUrl} --token TOKEN --ca-fingerprint ${server.caFingerprint}`,
        '  Stop with Ctrl-C (the agent removes its audit rules on the way out).',
        '',
      ];
      console.log(lines.join('\n'));
      onSignals(() => {
        stopping = true;
        const waitChild = child && child.exitCode === null ? new Promise((r) => child!.once('exit', r)) : Promise.resolve();
        child?.kill('SIGTERM');
        void Promise.race([waitChild, new Promise((r) => setTimeout(r, 15000))])
          .then(() => server.close())
          .then(() => process.exit(0));
      });
      return 'running';
    },
  },
  version: {
    summary: 'print the version',
    usage: 'vigil version',
    options: {},
    help: {},
    async run() {
      console.log(VIGIL_VERSION);
      return 0;
    },
  },
};

function commandHelp(command: Command): string {
  const width = Math.max(0, ...Object.keys(command.help).map((k) => k.length));
  const lines = [`${command.summary}\n\nusage: ${command.usage}`];
  if (Object.keys(command.help).length) lines.push('\noptions:', ...Object.entries(command.help).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`));
  lines.push(`  ${'--help'.padEnd(width)}  show this help`);
  return lines.join('\n');
}

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    `vigil ${VIGIL_VERSION}: open-source endpoint detection and response`,
    '',
    'usage: vigil <command> [options]   (vigil <command> --help for details)',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(overview());
    return;
  }
  const command = commands[name];
  if (!command) {
    console.error(`vigil: unknown command "${name}"\n\n${overview()}`);
    process.exitCode = 2;
    return;
  }
  const args = name === 'token' ? rest.filter((a, i) => !(i === 0 && a === 'create')) : rest;
  if (name === 'token' && rest[0] !== 'create' && !rest.includes('--help')) {
    console.error(`vigil token: say "vigil token create"\n\n${commandHelp(command)}`);
    process.exitCode = 2;
    return;
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[] = [];
  try {
    const parsed = parseArgs({ args, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: Boolean(command.positionals) });
    values = parsed.values as typeof values;
    positionals = parsed.positionals;
  } catch (error) {
    console.error(`vigil ${name}: ${(error as Error).message}\n\n${commandHelp(command)}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    console.log(commandHelp(command));
    return;
  }
  try {
    const result = await command.run(values, positionals);
    if (result !== 'running') process.exitCode = result;
  } catch (error) {
    console.error(`vigil ${name}: ${describeError(error)}`);
    process.exitCode = error instanceof VigilError && error.code === 'invalid_config' ? 2 : 1;
  }
}
