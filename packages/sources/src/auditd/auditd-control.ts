// The machine side of the auditd source: af_unix plugin config, the daemon, kernel audit settings and our rules.
// Never leaves anything behind: `restore` undoes every recorded change (a crashed run's too, via the journal); idempotent.

import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VigilError } from '@vigil/common';

export const RULE_KEY = 'vigil';

/**
 * Our audit rules (auditctl arguments after -a/-d). Failed lookups (ENOENT, -2) are filtered out: shells and
 * execvp try every PATH entry. exit_group never returns, so it cannot be filtered on exit.
 */
export const AUDIT_RULES: readonly (readonly string[])[] = [
  ['always,exit', '-F', 'arch=b64', '-S', 'execve,execveat', '-F', 'exit!=-2', '-k', RULE_KEY],
  ['always,exit', '-F', 'arch=b32', '-S', 'execve,execveat', '-F', 'exit!=-2', '-k', RULE_KEY],
  ['always,exit', '-F', 'arch=b64', '-S', 'exit_group', '-k', RULE_KEY],
  ['always,exit', '-F', 'arch=b32', '-S', 'exit_group', '-k', RULE_KEY],
  ['always,exit', '-F', 'arch=b64', '-S', 'init_module,finit_module,delete_module', '-k', RULE_KEY],
  ['always,exit', '-F', 'arch=b32', '-S', 'init_module,finit_module,delete_module', '-k', RULE_KEY],
  // ptrace only for the requests that take over or write into another process (ATTACH, SEIZE, POKE*): debuggers'
  // PEEKs would flood. a0 is the request.
  ...[['b64'], ['b32']].flatMap(([arch]) => ['0x10', '0x4206', '0x4', '0x5', '0x6'].map((request) => ['always,exit', '-F', `arch=${arch!}`, '-S', 'ptrace', '-F', `a0=${request}`, '-k', RULE_KEY])),
  ['always,exit', '-F', 'arch=b64', '-S', 'process_vm_writev', '-k', RULE_KEY],
  ['always,exit', '-F', 'arch=b32', '-S', 'process_vm_writev', '-k', RULE_KEY],
];

export interface AuditdControlOptions {
  /** Where auditd's af_unix plugin listens; at most 107 bytes, no spaces. */
  socketPath: string;
  pluginConfPath?: string;
  auditdPath?: string;
  auditctlPath?: string;
  /** Kernel backlog raised to at least this while we run (default 8192). */
  backlogLimit?: number;
  /**
   * Longest a process waits for room in a full kernel backlog, in jiffies, while we run (default 25: 100 ms at HZ=250).
   * The kernel default (60 s) turns a burst the consumer cannot absorb into minutes of blocked processes; a short wait
   * throttles the burst and, beyond it, loses records instead (counted as serial gaps). docs/telemetry-linux.md.
   */
  backlogWaitTime?: number;
  /** auditd's own config; its `q_depth` is raised to `queueDepth` while we run and the file restored byte for byte. */
  auditdConfPath?: string;
  /**
   * auditd's plugin queue depth while we run (default 65536, auditd accepts at most 99999). auditd drops what does not
   * fit (overflow_action), so the 2000 of a stock auditd.conf loses execs in bursts the agent reads late.
   */
  queueDepth?: number;
  /** How long to wait for auditd and its socket, in ms (default 10000). */
  readyTimeoutMs?: number;
  /** Where the prior state is recorded while we run, so a run after a crash can restore it (default /var/lib/vigil/auditd-source.json). */
  journalPath?: string;
  /** Rules added after AUDIT_RULES (file watches); one that fails is reported through `warn` and skipped. */
  extraRules?: readonly (readonly string[])[];
  warn?: (message: string, fields?: Record<string, unknown>) => void;
}

/** What the machine looked like before `setUp`. */
export interface AuditdPriorState {
  daemonPid: number;
  enabled: number;
  backlogLimit: number;
  /** `auditctl -l` output. */
  rules: string;
  /** The plugin config bytes, or undefined when the file did not exist. */
  pluginConf: Buffer | undefined;
}

export interface AuditdControl {
  /** Writes our plugin config, starts or reloads auditd, waits for the socket, raises the backlog. */
  setUp(): Promise<void>;
  /** Restarts auditd (after `setUp`) so it re-creates the af_unix socket; it keeps running on `restore` only if it ran before. */
  restartDaemon(): Promise<void>;
  /** Sends a user message (AUDIT_USER, `text=<text>`) through the kernel to auditd. */
  probe(text: string): Promise<void>;
  /** Adds our rules; a rule that already existed is left alone and is not removed by `restore`. */
  installRules(): Promise<void>;
  /** Undoes everything done so far, in reverse order; collects failures and throws one VigilError at the end. */
  restore(): Promise<void>;
  prior(): AuditdPriorState | undefined;
}

/** The state before the first change, on disk while we run: a crashed run leaves it for the next one to restore. */
interface Journal {
  version: 1;
  /** base64 of the plugin config, or null when the file did not exist. */
  pluginConf: string | null;
  daemonRunning: boolean;
  enabled: number;
  backlogLimit: number;
  /** backlog_wait_time before we changed it (absent in journals of older versions and on kernels without it). */
  backlogWaitTime?: number;
  /** Rules we added (auditctl arguments after -a). */
  rules: string[][];
  /** base64 of auditd.conf before we raised q_depth; absent when we did not change it (and in older journals). */
  auditdConf?: string;
  /** The journal's directory when the first run created it, to remove it at the end. */
  createdDir: string | null;
}

function parseJournal(text: string): Journal | undefined {
  try {
    const value = JSON.parse(text) as Partial<Journal>;
    if (value.version !== 1 || typeof value.daemonRunning !== 'boolean' || typeof value.enabled !== 'number' || typeof value.backlogLimit !== 'number') return undefined;
    if (!(value.pluginConf === null || typeof value.pluginConf === 'string') || !Array.isArray(value.rules)) return undefined;
    const rules = value.rules.filter((r): r is string[] => Array.isArray(r) && r.every((a) => typeof a === 'string'));
    const createdDir = typeof value.createdDir === 'string' ? value.createdDir : null;
    const wait = typeof value.backlogWaitTime === 'number' ? { backlogWaitTime: value.backlogWaitTime } : {};
    const conf = typeof value.auditdConf === 'string' ? { auditdConf: value.auditdConf } : {};
    return { version: 1, pluginConf: value.pluginConf, daemonRunning: value.daemonRunning, enabled: value.enabled, backlogLimit: value.backlogLimit, ...wait, rules, createdDir, ...conf };
  } catch {
    return undefined;
  }
}

export interface AuditStatus {
  enabled: number;
  pid: number;
  backlogLimit: number;
  /** In jiffies; undefined on kernels that do not report it. */
  backlogWaitTime?: number;
}

/** Parses `auditctl -s` output (`enabled 1`, `pid 123`, `backlog_limit 64`, ...). */
export function parseAuditStatus(text: string): AuditStatus {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+)\s+(-?\d+)/.exec(line.trim());
    if (match) values.set(match[1]!, Number(match[2]));
  }
  const need = (key: string) => {
    const value = values.get(key);
    if (value === undefined) throw new VigilError('system', `auditctl -s printed no "${key}"; is this auditctl 3.x?`);
    return value;
  };
  const wait = values.get('backlog_wait_time');
  return { enabled: need('enabled'), pid: need('pid'), backlogLimit: need('backlog_limit'), ...(wait !== undefined ? { backlogWaitTime: wait } : {}) };
}

export function pluginConfig(socketPath: string): string {
  return [
    '# Written by the Vigil agent while its auditd source runs; the previous file is restored when it stops.',
    'active = yes',
    'direction = out',
    'path = builtin_af_unix',
    'type = builtin',
    `args = 0600 ${socketPath}`,
    'format = string',
    '',
  ].join('\n');
}

/**
 * auditd.conf text with `q_depth` raised to `depth` (the line replaced in place, or appended when absent); every
 * other byte is kept. Undefined when q_depth is already at least `depth`: nothing to change.
 */
export function withQueueDepth(conf: string, depth: number): string | undefined {
  const line = /^[ \t]*q_depth[ \t]*=[ \t]*(\d+)[ \t]*$/im;
  const match = line.exec(conf);
  if (match) return Number(match[1]) >= depth ? undefined : conf.replace(line, `q_depth = ${depth}`);
  return `${conf}${conf === '' || conf.endsWith('\n') ? '' : '\n'}q_depth = ${depth}\n`;
}

const PID_FILE = '/var/run/auditd.pid';
/** How long a reload may take to create or remove the af_unix socket before auditd is restarted instead. */
const RELOAD_TIMEOUT_MS = 3000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSocket();
  } catch {
    return false;
  }
}

/** True while the process exists and is not a zombie. */
async function isAlive(pid: number): Promise<boolean> {
  if (pid <= 0) return false;
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Sends a signal; a process that is already gone is not an error. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new VigilError('unavailable', `timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], timeoutMs = 15000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new VigilError('system', `cannot run ${file} ${args.join(' ')}: ${error.message}`, { cause: error }));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

async function firstExecutable(candidates: readonly string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export function createAuditdControl(options: AuditdControlOptions): AuditdControl {
  const socketPath = options.socketPath;
  const confPath = options.pluginConfPath ?? '/etc/audit/plugins.d/af_unix.conf';
  const readyTimeoutMs = options.readyTimeoutMs ?? 10000;
  const wantBacklog = options.backlogLimit ?? 8192;
  const wantWait = options.backlogWaitTime ?? 25;
  const journalPath = options.journalPath ?? '/var/lib/vigil/auditd-source.json';
  const auditdConfPath = options.auditdConfPath ?? '/etc/audit/auditd.conf';
  const wantQueueDepth = options.queueDepth ?? 65536;
  let journal: Journal | undefined;
  const warn = options.warn ?? (() => undefined);

  let auditctl = options.auditctlPath ?? '';
  let auditdPath = options.auditdPath ?? '';
  let prior: AuditdPriorState | undefined;
  let restoreConf = async (): Promise<void> => undefined;
  /** Each change we made, with its undo; `restore` runs them last-in first-out. */
  const undo: Array<{ what: string; run: () => Promise<void>; onlyIfClean?: boolean }> = [];

  const ctl = async (args: readonly string[], what: string): Promise<RunResult> => {
    const result = await run(auditctl, args);
    if (result.code !== 0) {
      throw new VigilError('system', `${what} failed (auditctl ${args.join(' ')}, exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
    }
    return result;
  };
  const status = async () => parseAuditStatus((await ctl(['-s'], 'reading the kernel audit status')).stdout);

  const preflight = async (): Promise<void> => {
    if (process.platform !== 'linux') throw new VigilError('unavailable', 'the auditd source runs only on Linux');
    if (/\s/.test(socketPath) || Buffer.byteLength(socketPath) > 107 || !socketPath.startsWith('/')) {
      throw new VigilError('invalid_config', `auditd socket path must be absolute, at most 107 bytes and without spaces: ${JSON.stringify(socketPath)}`);
    }
    const auditd = await firstExecutable(options.auditdPath ? [options.auditdPath] : ['/usr/sbin/auditd', '/sbin/auditd']);
    const found = await firstExecutable(options.auditctlPath ? [options.auditctlPath] : ['/usr/sbin/auditctl', '/sbin/auditctl']);
    if (!auditd || !found) throw new VigilError('unavailable', 'auditd is not installed: apt-get install auditd (or dnf install audit)');
    auditctl = found;
    auditdPath = auditd;
    if (process.getuid?.() !== 0) throw new VigilError('system', 'the auditd source must run as root (it changes audit rules and /etc/audit)');
    try {
      if (!(await stat(dirname(confPath))).isDirectory()) throw new Error('not a directory');
    } catch (cause) {
      throw new VigilError('system', `auditd plugin directory ${dirname(confPath)} is missing: reinstall auditd`, { cause });
    }
  };

  /** Starts auditd (it daemonizes; the launcher exits 0 once the daemon runs) and returns its pid. */
  const startDaemon = async (): Promise<number> => {
    const launcher = spawn(auditdPath, [], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    launcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    const code = await new Promise<number>((resolve, reject) => {
      launcher.on('error', (error) => reject(new VigilError('system', `cannot start ${auditdPath}: ${error.message}`, { cause: error })));
      launcher.on('exit', (exitCode) => resolve(exitCode ?? -1));
    });
    if (code !== 0) throw new VigilError('system', `${auditdPath} exited with ${code}: ${stderr.trim() || 'see syslog'}`);
    let pid = 0;
    await waitFor('auditd to register with the kernel', readyTimeoutMs, async () => {
      pid = (await status()).pid;
      return pid > 0 && (await isAlive(pid));
    });
    return pid;
  };

  const stopDaemon = async (pid: number): Promise<void> => {
    if (!(await isAlive(pid))) return;
    signal(pid, 'SIGTERM');
    try {
      await waitFor(`auditd (pid ${pid}) to exit`, readyTimeoutMs, async () => !(await isAlive(pid)));
    } catch {
      warn('auditd did not exit after SIGTERM; killing it', { pid });
      signal(pid, 'SIGKILL');
      await waitFor(`auditd (pid ${pid}) to die`, readyTimeoutMs, async () => !(await isAlive(pid)));
    }
  };

  const saveJournal = async (): Promise<void> => {
    if (!journal) return;
    try {
      await writeFile(journalPath, JSON.stringify(journal), { mode: 0o600 });
    } catch (cause) {
      throw new VigilError('system', `cannot write the recovery journal ${journalPath}`, { cause });
    }
  };

  /** The pid of the audit daemon registered with the kernel now (auditd may have been restarted by anyone). */
  const currentDaemon = async (): Promise<number> => {
    const pid = (await status()).pid || Number((await readFile(PID_FILE, 'utf8').catch(() => '')).trim()) || 0;
    return (await isAlive(pid)) ? pid : 0;
  };

  const waitForSocket = (timeoutMs: number, pid: () => number) =>
    waitFor(`auditd to create ${socketPath} (see syslog for af_unix plugin errors)`, timeoutMs, async () => {
      if (!(await isAlive(pid()))) throw new VigilError('unavailable', `auditd (pid ${pid()}) exited while starting; see syslog`);
      return isSocket(socketPath);
    });

  /** Restarts the running auditd so it reads the plugin config afresh; a reload cannot always apply it. */
  const restartDaemon = async (reason: string): Promise<void> => {
    warn(`restarting auditd: ${reason}`);
    const old = await currentDaemon();
    if (old > 0) await stopDaemon(old);
    const pid = await startDaemon();
    await waitForSocket(readyTimeoutMs, () => pid);
  };

  return {
    prior: () => prior,

    async setUp() {
      await preflight();
      const current = await status();
      if (current.enabled === 2) {
        throw new VigilError('system', 'audit rules are locked (auditctl -s shows enabled 2, set by -e 2); rules can only change after a reboot');
      }
      const runningNow = current.pid > 0 && (await isAlive(current.pid));
      const leftover = parseJournal(await readFile(journalPath, 'utf8').catch(() => ''));
      let pluginConf: Buffer | undefined;
      let daemonRunning: boolean;
      let before: { enabled: number; backlogLimit: number; backlogWaitTime?: number };
      if (leftover) {
        warn(`a previous run did not stop cleanly; restoring the state it recorded in ${journalPath}`);
        pluginConf = leftover.pluginConf === null ? undefined : Buffer.from(leftover.pluginConf, 'base64');
        daemonRunning = leftover.daemonRunning;
        before = { enabled: leftover.enabled, backlogLimit: leftover.backlogLimit, ...(leftover.backlogWaitTime !== undefined ? { backlogWaitTime: leftover.backlogWaitTime } : {}) };
        for (const rule of leftover.rules) await run(auditctl, ['-d', ...rule]);
      } else {
        try {
          pluginConf = await readFile(confPath);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new VigilError('system', `cannot read ${confPath}`, { cause: error });
        }
        daemonRunning = runningNow;
        before = { enabled: current.enabled, backlogLimit: current.backlogLimit, ...(current.backlogWaitTime !== undefined ? { backlogWaitTime: current.backlogWaitTime } : {}) };
      }
      const rules = (await ctl(['-l'], 'listing audit rules')).stdout;
      prior = { daemonPid: daemonRunning && runningNow ? current.pid : 0, enabled: before.enabled, backlogLimit: before.backlogLimit, rules, pluginConf };

      const made = await mkdir(dirname(journalPath), { recursive: true, mode: 0o700 }).catch((cause: unknown) => {
        throw new VigilError('system', `cannot create ${dirname(journalPath)} for the recovery journal`, { cause });
      });
      const createdDir = leftover ? leftover.createdDir : (made ?? null);
      journal = {
        version: 1,
        pluginConf: pluginConf ? pluginConf.toString('base64') : null,
        daemonRunning,
        enabled: before.enabled,
        backlogLimit: before.backlogLimit,
        ...(before.backlogWaitTime !== undefined ? { backlogWaitTime: before.backlogWaitTime } : {}),
        rules: [],
        createdDir,
      };
      await saveJournal();
      // Runs last of all, and only when everything else is back: otherwise the next run restores from it.
      undo.push({
        what: `remove the recovery journal ${journalPath}`,
        onlyIfClean: true,
        run: async () => {
          journal = undefined;
          await unlink(journalPath).catch(() => undefined);
          if (createdDir) await rmdir(createdDir).catch(() => undefined);
        },
      });
      // auditd turns auditing on when it starts and leaves it on when it stops: put the flags back after it is gone.
      undo.push({
        what: `restore kernel audit settings (enabled ${before.enabled}, backlog_limit ${before.backlogLimit})`,
        run: async () => {
          const now = await status();
          if (now.backlogLimit !== before.backlogLimit) await ctl(['-b', String(before.backlogLimit)], 'restoring the audit backlog limit');
          if (before.backlogWaitTime !== undefined && now.backlogWaitTime !== undefined && now.backlogWaitTime !== before.backlogWaitTime) {
            await ctl(['--backlog_wait_time', String(before.backlogWaitTime)], 'restoring the audit backlog wait time');
          }
          if (now.enabled !== before.enabled && now.enabled !== 2) await ctl(['-e', String(before.enabled)], 'restoring the audit enabled flag');
        },
      });
      if (rules.includes(`key=${RULE_KEY}`)) warn(`audit rules with key "${RULE_KEY}" exist already and are kept`, { rules });
      if (pluginConf && /^\s*active\s*=\s*yes/m.test(pluginConf.toString('utf8'))) {
        warn(`${confPath} was active for another consumer; auditd 3.0 has one af_unix plugin, so it is redirected to Vigil until stop`);
      }

      if (await exists(socketPath)) {
        if (!(await isSocket(socketPath))) throw new VigilError('system', `${socketPath} exists and is not a socket; choose another socketPath`);
        await unlink(socketPath);
      }
      undo.push({
        what: `remove ${socketPath}`,
        run: async () => {
          if (await isSocket(socketPath)) await unlink(socketPath);
        },
      });

      let confDirty = true;
      restoreConf = async () => {
        if (!confDirty) return;
        if (pluginConf === undefined) await unlink(confPath).catch(() => undefined);
        else await writeFile(confPath, pluginConf);
        confDirty = false;
      };
      undo.push({ what: `restore ${confPath}`, run: () => restoreConf() });
      try {
        await writeFile(confPath, pluginConfig(socketPath), { mode: 0o640 });
      } catch (cause) {
        throw new VigilError('system', `cannot write ${confPath}`, { cause });
      }

      // auditd sizes its plugin queue when it starts: the raised q_depth needs a (re)start, and so does its restore.
      const originalAuditdConf = leftover?.auditdConf !== undefined ? Buffer.from(leftover.auditdConf, 'base64') : await readFile(auditdConfPath).catch(() => undefined);
      const raisedAuditdConf = originalAuditdConf && withQueueDepth(originalAuditdConf.toString('utf8'), wantQueueDepth);
      let restoreAuditdConf = async (): Promise<void> => undefined;
      if (!originalAuditdConf) {
        warn(`cannot read ${auditdConfPath}; auditd's plugin queue depth is left as it is`);
      } else if (raisedAuditdConf !== undefined) {
        journal.auditdConf = originalAuditdConf.toString('base64');
        await saveJournal();
        let auditdConfDirty = true;
        restoreAuditdConf = async () => {
          if (!auditdConfDirty) return;
          await writeFile(auditdConfPath, originalAuditdConf);
          auditdConfDirty = false;
        };
        undo.push({ what: `restore ${auditdConfPath}`, run: () => restoreAuditdConf() });
        try {
          await writeFile(auditdConfPath, raisedAuditdConf);
        } catch (cause) {
          throw new VigilError('system', `cannot write ${auditdConfPath}`, { cause });
        }
      }
      const queueRaised = raisedAuditdConf !== undefined;

      if (daemonRunning) {
        undo.push({
          what: 'reload auditd with the restored plugin config',
          run: async () => {
            await restoreConf();
            await restoreAuditdConf();
            const pid = await currentDaemon();
            if (pid === 0) return;
            if (queueRaised) {
              warn('restarting auditd so it runs with its own q_depth again');
              await stopDaemon(pid);
              await startDaemon();
              if (await isSocket(socketPath)) await unlink(socketPath);
              return;
            }
            signal(pid, 'SIGHUP');
            try {
              await waitFor(`auditd to close ${socketPath}`, RELOAD_TIMEOUT_MS, async () => !(await isSocket(socketPath)));
            } catch {
              await restartDaemon('a reload did not apply the restored af_unix config');
              if (await isSocket(socketPath)) await unlink(socketPath);
            }
          },
        });
      } else {
        undo.push({
          what: 'stop the auditd started by Vigil',
          run: async () => {
            const pid = await currentDaemon();
            if (pid > 0) await stopDaemon(pid);
          },
        });
      }
      if (runningNow && queueRaised) {
        await restartDaemon(`its plugin queue depth (q_depth) is raised to ${wantQueueDepth}`);
      } else if (runningNow) {
        // auditd 3.0 applies a changed af_unix config on SIGHUP only when the plugin's active flag changes.
        signal(current.pid, 'SIGHUP');
        try {
          await waitForSocket(RELOAD_TIMEOUT_MS, () => current.pid);
        } catch {
          await restartDaemon('a reload did not apply the af_unix config');
        }
      } else {
        const pid = await startDaemon();
        await waitForSocket(readyTimeoutMs, () => pid);
      }

      const now = await status();
      if (now.enabled === 0) await ctl(['-e', '1'], 'enabling kernel auditing');
      if (now.backlogLimit < wantBacklog) await ctl(['-b', String(wantBacklog)], 'raising the audit backlog limit');
      if (now.backlogWaitTime !== undefined && now.backlogWaitTime > wantWait) await ctl(['--backlog_wait_time', String(wantWait)], 'bounding the audit backlog wait time');
    },

    restartDaemon: () => restartDaemon('auditd accepted no connection on its af_unix socket (a plugin re-enabled by a reload does not accept on auditd 3.0.9)'),

    async probe(text) {
      await ctl(['-m', text], 'sending a probe message to auditd');
    },

    async installRules() {
      const extra = options.extraRules ?? [];
      for (const [index, rule] of [...AUDIT_RULES, ...extra].entries()) {
        const result = await run(auditctl, ['-a', ...rule]);
        if (result.code === 0) {
          journal?.rules.push([...rule]);
          await saveJournal();
          undo.push({ what: `delete rule ${rule.join(' ')}`, run: async () => void (await ctl(['-d', ...rule], 'deleting an audit rule')) });
          continue;
        }
        const message = (result.stderr || result.stdout).trim();
        if (/exists/i.test(message)) {
          warn('audit rule exists already; keeping it and leaving it in place on stop', { rule: rule.join(' ') });
        } else if (index >= AUDIT_RULES.length) {
          warn('cannot add an audit rule; what it watches is not reported', { rule: rule.join(' '), error: message });
        } else if (rule.includes('arch=b32')) {
          warn('cannot add a 32-bit audit rule (no 32-bit syscall support?); 32-bit programs are not seen', { rule: rule.join(' '), error: message });
        } else {
          throw new VigilError('system', `adding audit rule "${rule.join(' ')}" failed: ${message}`);
        }
      }
    },

    async restore() {
      const failures: string[] = [];
      while (undo.length > 0) {
        const step = undo.pop()!;
        if (step.onlyIfClean && failures.length > 0) continue;
        try {
          await step.run();
        } catch (error) {
          failures.push(`${step.what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (failures.length > 0) {
        throw new VigilError('system', `could not restore the audit configuration: ${failures.join('; ')}`, {
          details: failures.map((message) => ({ message })),
        });
      }
    },
  };
}
