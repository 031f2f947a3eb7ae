// The machine side of the auditd source: af_unix plugin config, the daemon, kernel audit settings and our rules.
// Never leaves anything behind: `restore` puts back exactly what `setUp` and `installRules` changed, and is idempotent.

import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, lstat, readFile, stat, unlink, writeFile } from 'node:fs/promises';
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
];

export interface AuditdControlOptions {
  /** Where auditd's af_unix plugin listens; at most 107 bytes, no spaces. */
  socketPath: string;
  pluginConfPath?: string;
  auditdPath?: string;
  auditctlPath?: string;
  /** Kernel backlog raised to at least this while we run (default 8192). */
  backlogLimit?: number;
  /** How long to wait for auditd and its socket, in ms (default 10000). */
  readyTimeoutMs?: number;
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
  /** Sends a user message (AUDIT_USER, `text=<text>`) through the kernel to auditd. */
  probe(text: string): Promise<void>;
  /** Adds our rules; a rule that already existed is left alone and is not removed by `restore`. */
  installRules(): Promise<void>;
  /** Undoes everything done so far, in reverse order; collects failures and throws one VigilError at the end. */
  restore(): Promise<void>;
  prior(): AuditdPriorState | undefined;
}

export interface AuditStatus {
  enabled: number;
  pid: number;
  backlogLimit: number;
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
  return { enabled: need('enabled'), pid: need('pid'), backlogLimit: need('backlog_limit') };
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

const PID_FILE = '/var/run/auditd.pid';

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
  const warn = options.warn ?? (() => undefined);

  let auditctl = options.auditctlPath ?? '';
  let prior: AuditdPriorState | undefined;
  let restoreConf = async (): Promise<void> => undefined;
  /** Each change we made, with its undo; `restore` runs them last-in first-out. */
  const undo: Array<{ what: string; run: () => Promise<void> }> = [];

  const ctl = async (args: readonly string[], what: string): Promise<RunResult> => {
    const result = await run(auditctl, args);
    if (result.code !== 0) {
      throw new VigilError('system', `${what} failed (auditctl ${args.join(' ')}, exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
    }
    return result;
  };
  const status = async () => parseAuditStatus((await ctl(['-s'], 'reading the kernel audit status')).stdout);

  const preflight = async (): Promise<string> => {
    if (process.platform !== 'linux') throw new VigilError('unavailable', 'the auditd source runs only on Linux');
    if (/\s/.test(socketPath) || Buffer.byteLength(socketPath) > 107 || !socketPath.startsWith('/')) {
      throw new VigilError('invalid_config', `auditd socket path must be absolute, at most 107 bytes and without spaces: ${JSON.stringify(socketPath)}`);
    }
    const auditd = await firstExecutable(options.auditdPath ? [options.auditdPath] : ['/usr/sbin/auditd', '/sbin/auditd']);
    const found = await firstExecutable(options.auditctlPath ? [options.auditctlPath] : ['/usr/sbin/auditctl', '/sbin/auditctl']);
    if (!auditd || !found) throw new VigilError('unavailable', 'auditd is not installed: apt-get install auditd (or dnf install audit)');
    auditctl = found;
    if (process.getuid?.() !== 0) throw new VigilError('system', 'the auditd source must run as root (it changes audit rules and /etc/audit)');
    try {
      if (!(await stat(dirname(confPath))).isDirectory()) throw new Error('not a directory');
    } catch (cause) {
      throw new VigilError('system', `auditd plugin directory ${dirname(confPath)} is missing: reinstall auditd`, { cause });
    }
    return auditd;
  };

  /** Starts auditd; it daemonizes, and the launcher exits 0 once the daemon runs. Registers the stop step first. */
  const startDaemon = async (auditd: string): Promise<number> => {
    const launcher = spawn(auditd, [], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    launcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    const code = await new Promise<number>((resolve, reject) => {
      launcher.on('error', (error) => reject(new VigilError('system', `cannot start ${auditd}: ${error.message}`, { cause: error })));
      launcher.on('exit', (exitCode) => resolve(exitCode ?? -1));
    });
    if (code !== 0) throw new VigilError('system', `${auditd} exited with ${code}: ${stderr.trim() || 'see syslog'}`);
    let pid = 0;
    undo.push({
      what: 'stop the auditd started by Vigil',
      run: async () => {
        const target = pid || (await status()).pid || Number((await readFile(PID_FILE, 'utf8').catch(() => '')).trim());
        if (target > 0) await stopDaemon(target);
      },
    });
    await waitFor('auditd to register with the kernel', readyTimeoutMs, async () => {
      pid = (await status()).pid;
      return pid > 0;
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

  return {
    prior: () => prior,

    async setUp() {
      const auditd = await preflight();
      const before = await status();
      if (before.enabled === 2) {
        throw new VigilError('system', 'audit rules are locked (auditctl -s shows enabled 2, set by -e 2); rules can only change after a reboot');
      }
      const rules = (await ctl(['-l'], 'listing audit rules')).stdout;
      let pluginConf: Buffer | undefined;
      try {
        pluginConf = await readFile(confPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new VigilError('system', `cannot read ${confPath}`, { cause: error });
      }
      const daemonRunning = before.pid > 0 && (await isAlive(before.pid));
      prior = { daemonPid: daemonRunning ? before.pid : 0, enabled: before.enabled, backlogLimit: before.backlogLimit, rules, pluginConf };
      // Runs last: auditd turns auditing on when it starts and leaves it on when it stops.
      undo.push({
        what: `restore kernel audit settings (enabled ${before.enabled}, backlog_limit ${before.backlogLimit})`,
        run: async () => {
          const current = await status();
          if (current.backlogLimit !== before.backlogLimit) await ctl(['-b', String(before.backlogLimit)], 'restoring the audit backlog limit');
          if (current.enabled !== before.enabled && current.enabled !== 2) await ctl(['-e', String(before.enabled)], 'restoring the audit enabled flag');
        },
      });
      if (rules.includes(`key=${RULE_KEY}`)) warn(`audit rules with key "${RULE_KEY}" exist already (left by an earlier run?); they are kept`, { rules });
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

      let pid: number;
      if (daemonRunning) {
        pid = before.pid;
        process.kill(pid, 'SIGHUP');
        undo.push({
          what: `reload auditd (pid ${pid}) with the restored plugin config`,
          run: async () => {
            await restoreConf();
            if (!(await isAlive(pid))) return;
            signal(pid, 'SIGHUP');
            await waitFor(`auditd to close ${socketPath}`, readyTimeoutMs, async () => !(await isSocket(socketPath)));
          },
        });
      } else {
        pid = await startDaemon(auditd);
      }
      await waitFor(`auditd to create ${socketPath} (see syslog for af_unix plugin errors)`, readyTimeoutMs, async () => {
        if (!(await isAlive(pid))) throw new VigilError('unavailable', `auditd (pid ${pid}) exited while starting; see syslog`);
        return isSocket(socketPath);
      });

      const now = await status();
      if (now.enabled === 0) await ctl(['-e', '1'], 'enabling kernel auditing');
      if (now.backlogLimit < wantBacklog) await ctl(['-b', String(wantBacklog)], 'raising the audit backlog limit');
    },

    async probe(text) {
      await ctl(['-m', text], 'sending a probe message to auditd');
    },

    async installRules() {
      for (const rule of AUDIT_RULES) {
        const result = await run(auditctl, ['-a', ...rule]);
        if (result.code === 0) {
          undo.push({ what: `delete rule ${rule.join(' ')}`, run: async () => void (await ctl(['-d', ...rule], 'deleting an audit rule')) });
          continue;
        }
        const message = (result.stderr || result.stdout).trim();
        if (/exists/i.test(message)) {
          warn('audit rule exists already; keeping it and leaving it in place on stop', { rule: rule.join(' ') });
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
