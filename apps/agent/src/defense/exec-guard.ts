// Exec blocklist enforcement: a bpftrace exec monitor kills exactly listed paths in the kernel before they run; every
// other exec is checked in user space (path globs, command lines, sha256) and SIGKILLed at once when it matches.
// Every block is reported as a process/exec_blocked event. Never kills the agent or a process the agent started.

import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile, readlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createLogger } from '@vigil/common';
import type { CollectedEvent } from '@vigil/schema';
import type { BlocklistEntry, BlocklistPolicy } from '@vigil/protocol/blocklist';
import { createHashCache, type HashCache } from '@vigil/sources/auditd/hash-cache';
import { BPFTRACE_STRLEN, execMonitorProgram, parseMonitorLine, type MonitorLine } from './bpftrace-program.js';
import { compileBlocklist, type CompiledBlocklist } from './matcher.js';

export interface ExecGuardOptions {
  emit(event: CollectedEvent): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  /** bpftrace binary (default env VIGIL_BPFTRACE or `bpftrace`). */
  bpftrace?: string;
  /** Longest wait for bpftrace to attach its probes (default 60 s: it compiles the program first). */
  attachTimeoutMs?: number;
}

export interface ExecGuardStatus {
  state: 'running' | 'idle' | 'failed';
  version: number;
  kernel_paths: number;
  userspace_entries: number;
  /** Processes stopped since the agent started (in the kernel or in user space). */
  blocked: number;
  /** Matches that ended before they could be stopped. */
  too_late: number;
  execs_seen: number;
  error?: string;
}

export interface ExecGuard {
  /**
   * Enforces `policy` from now on. Resolves when enforcement runs (the new monitor attached) or rejects when it could
   * not start; a failed start keeps the previous monitor running and retries with backoff. Calls are serialised.
   */
  setPolicy(policy: BlocklistPolicy): Promise<void>;
  status(): ExecGuardStatus;
  stop(): Promise<void>;
}

interface Monitor {
  child: ChildProcess;
  program: string;
  exited: Promise<void>;
}

const log = createLogger('agent.defense');

/** bpftrace's tracepoints need tracefs; mounts it when it is not (as on machines without systemd). */
async function ensureTracefs(): Promise<void> {
  for (const dir of ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events']) {
    if (await access(dir).then(() => true, () => false)) return;
  }
  await new Promise<void>((resolve) => {
    const child = spawn('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' });
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}

async function procFacts(pid: number): Promise<{ executable?: string; commandLine?: string; args?: string[] }> {
  const [executable, cmdline] = await Promise.all([readlink(`/proc/${pid}/exe`).catch(() => undefined), readFile(`/proc/${pid}/cmdline`).catch(() => undefined)]);
  const args = cmdline && cmdline.length ? cmdline.toString('utf8').replace(/\0$/, '').split('\0') : undefined;
  return {
    ...(executable ? { executable: executable.replace(/ \(deleted\)$/, '') } : {}),
    ...(args ? { args, commandLine: args.join(' ') } : {}),
  };
}

/** Whether the process is gone or a zombie (it can no longer run code), waiting up to `timeoutMs` for SIGKILL to land. */
async function stopped(pid: number, timeoutMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (/\) [ZXx] /.test(stat)) return true;
    } catch {
      return true;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function createExecGuard(options: ExecGuardOptions): ExecGuard {
  const bpftrace = options.bpftrace ?? process.env.VIGIL_BPFTRACE ?? 'bpftrace';
  const attachTimeoutMs = options.attachTimeoutMs ?? 60_000;
  const hashes: HashCache = createHashCache({ maxEntries: 8192 });
  const counts = { blocked: 0, too_late: 0, execs_seen: 0 };
  const killedInKernel = new Map<number, number>();
  let compiled: CompiledBlocklist | undefined;
  let monitor: Monitor | undefined;
  let state: ExecGuardStatus['state'] = 'idle';
  let error: string | undefined;
  let stopping = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = 2000;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  function report(entry: BlocklistEntry | undefined, line: { pid: number; ppid: number; uid: number; filename: string }, facts: { executable?: string; commandLine?: string; args?: string[] }, how: 'kernel' | 'userspace', outcome: 'success' | 'failure', sha256?: string): void {
    const executable = facts.executable ?? line.filename;
    const name = executable.slice(executable.lastIndexOf('/') + 1);
    const what = entry ? `${entry.kind} ${entry.kind === 'sha256' ? entry.value.slice(0, 16) + '…' : JSON.stringify(entry.value)}` : 'a blocked path';
    const event = {
      '@timestamp': new Date().toISOString(),
      'event.category': 'process',
      'event.action': 'exec_blocked',
      'event.type': 'denied',
      'event.outcome': outcome,
      'event.provider': 'vigil-defense',
      'process.pid': line.pid,
      'process.parent.pid': line.ppid,
      'process.executable': executable,
      'process.name': name,
      ...(facts.args ? { 'process.args': facts.args.slice(0, 256), 'process.args_count': facts.args.length } : {}),
      ...(facts.commandLine !== undefined ? { 'process.command_line': facts.commandLine.slice(0, 65536) } : {}),
      ...(sha256 ? { 'process.hash.sha256': sha256 } : {}),
      'user.id': String(line.uid),
      tags: ['blocklist', `blocklist:${entry?.kind ?? 'path'}`, `blocklist:${how}`, ...(entry ? [`blocklist-entry:${entry.id}`] : [])],
      message:
        outcome === 'success'
          ? `exec of ${executable} blocked (${how === 'kernel' ? 'killed in the kernel before it ran' : 'killed right after exec'}) by blocklist v${compiled?.version ?? 0} ${what}${entry?.description ? `: ${entry.description}` : ''}`
          : `exec of ${executable} matched blocklist v${compiled?.version ?? 0} ${what} but ended before it could be stopped`,
    };
    if (outcome === 'success') counts.blocked++;
    else counts.too_late++;
    log.warn(event.message, { pid: line.pid, entry: entry?.id });
    try {
      options.emit(event as unknown as CollectedEvent);
    } catch (failure) {
      options.warn('could not report a blocked exec', { error: (failure as Error).message });
    }
  }

  async function check(line: Extract<MonitorLine, { kind: 'exec' }>, rules: CompiledBlocklist): Promise<void> {
    counts.execs_seen++;
    if (killedInKernel.delete(line.pid)) {
      report(rules.kernelEntry(line.filename), line, {}, 'kernel', 'success');
      return;
    }
    if (line.pid === process.pid || line.ppid === process.pid) return;
    const facts = await procFacts(line.pid);
    let entry = rules.matchWithoutHash({ filename: line.filename, ...facts });
    let sha256: string | undefined;
    if (!entry && rules.needsHash) {
      // /proc/<pid>/exe opens the very file that was executed, even when it was replaced or deleted since.
      sha256 = await hashes.sha256(`/proc/${line.pid}/exe`);
      if (!sha256 && facts.executable) sha256 = await hashes.sha256(facts.executable);
      entry = sha256 ? rules.matchHash(sha256) : undefined;
      // A script run directly (#!) has the interpreter as its executable; the script itself may be listed.
      if (!entry && line.filename.startsWith('/') && line.filename !== facts.executable) {
        const scriptHash = await hashes.sha256(line.filename);
        const scriptEntry = scriptHash ? rules.matchHash(scriptHash) : undefined;
        if (scriptEntry) (entry = scriptEntry), (sha256 = scriptHash);
      }
    }
    if (!entry) return;
    let killed = false;
    try {
      process.kill(line.pid, 'SIGKILL');
      killed = true;
    } catch {
      killed = false;
    }
    report(entry, line, facts, 'userspace', killed && (await stopped(line.pid)) ? 'success' : 'failure', sha256);
  }

  function onLine(text: string): void {
    const line = parseMonitorLine(text);
    if (!line) return;
    if (line.kind === 'killed') {
      killedInKernel.set(line.pid, Date.now());
      if (killedInKernel.size > 10_000) killedInKernel.delete(killedInKernel.keys().next().value!);
      return;
    }
    const rules = compiled;
    if (!rules) return;
    check(line, rules).catch((failure: unknown) => options.warn('blocklist check failed', { pid: line.pid, error: (failure as Error).message }));
  }

  function startMonitor(program: string): Promise<Monitor> {
    return new Promise((resolve, reject) => {
      const child = spawn(bpftrace, ['--unsafe', '-f', 'json', '-e', program], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, BPFTRACE_STRLEN: String(BPFTRACE_STRLEN) },
      });
      let stderr = '';
      let attached = false;
      const exited = new Promise<void>((done) => child.once('close', () => done()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`bpftrace did not attach within ${attachTimeoutMs} ms: ${stderr.slice(-500)}`));
      }, attachTimeoutMs);
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.once('error', (failure: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(failure.code === 'ENOENT' ? `${bpftrace} is not installed (install the bpftrace package)` : failure.message));
      });
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (text) => {
        if (!attached && text.includes('"attached_probes"')) {
          attached = true;
          clearTimeout(timer);
          resolve(monitor);
          return;
        }
        if (attached) onLine(text);
      });
      const monitor: Monitor = { child, program, exited };
      void exited.then(() => {
        clearTimeout(timer);
        if (!attached) reject(new Error(`bpftrace exited before attaching: ${stderr.trim().slice(-1000) || 'no message'}`));
        else if (!stopping && monitorRef() === monitor) onMonitorDied(stderr);
      });
    });
  }

  const monitorRef = () => monitor;

  async function stopMonitor(target: Monitor | undefined): Promise<void> {
    if (!target || target.child.exitCode !== null || target.child.signalCode !== null) return;
    target.child.kill('SIGTERM');
    const timer = setTimeout(() => target.child.kill('SIGKILL'), 3000);
    await target.exited;
    clearTimeout(timer);
  }

  function onMonitorDied(stderr: string): void {
    monitor = undefined;
    state = 'failed';
    error = `bpftrace exited: ${stderr.trim().slice(-300) || 'no message'}`;
    options.warn('exec blocklist monitor stopped unexpectedly; restarting', { error });
    scheduleRetry();
  }

  function scheduleRetry(): void {
    if (stopping || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      const rules = compiled;
      if (!rules || stopping) return;
      void serial(() => apply(rules)).catch(() => undefined);
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, 60_000);
  }

  async function apply(rules: CompiledBlocklist): Promise<void> {
    if (rules.userspaceEntries === 0) {
      await stopMonitor(monitor);
      monitor = undefined;
      state = 'idle';
      error = undefined;
      return;
    }
    const program = execMonitorProgram(rules.kernelPaths, process.pid);
    if (monitor && monitor.program === program) {
      state = 'running';
      return;
    }
    try {
      // The new monitor attaches before the old one stops: enforcement has no gap while the policy changes.
      await ensureTracefs();
      const next = await startMonitor(program);
      const previous = monitor;
      monitor = next;
      await stopMonitor(previous);
      state = 'running';
      error = undefined;
      retryDelay = 2000;
    } catch (failure) {
      error = (failure as Error).message;
      state = monitor ? 'running' : 'failed';
      options.warn('exec blocklist monitor could not start', { error, retry_ms: retryDelay });
      scheduleRetry();
      throw failure;
    }
  }

  return {
    setPolicy(policy) {
      return serial(async () => {
        if (stopping) return;
        const rules = compileBlocklist(policy);
        compiled = rules;
        await apply(rules);
        log.info('exec blocklist enforced', { version: rules.version, entries: rules.userspaceEntries, kernel_paths: rules.kernelPaths.length, state });
      });
    },
    status: () => ({
      state,
      version: compiled?.version ?? 0,
      kernel_paths: state === 'running' ? (compiled?.kernelPaths.length ?? 0) : 0,
      userspace_entries: compiled?.userspaceEntries ?? 0,
      ...counts,
      ...(error ? { error } : {}),
    }),
    async stop() {
      stopping = true;
      clearTimeout(retryTimer);
      await queue.catch(() => undefined);
      await stopMonitor(monitor);
      monitor = undefined;
    },
  };
}
