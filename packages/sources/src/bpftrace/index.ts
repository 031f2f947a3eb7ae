// The bpftrace event source: network connects, accepts and listens (TCP and UDP, IPv4 and IPv6) and DNS lookups with
// the acting process, from a `bpftrace -f json` child running tracepoints only. Never adds audit rules, never leaves
// its child or a tracefs mount of its own behind after stop(), and never lets one bad line stop collection.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { VigilError } from '@vigil/common';
import type { EventSink, EventSource } from '../core.js';
import type { ExecStarts } from '../internal/exec-starts.js';
import { readBootId } from '../internal/process-identity.js';
import { createUserNames } from '../internal/user-names.js';
import { createNetworkConverter, type NetworkConverter } from './network-events.js';
import { createProcessInfo, type ProcessInfo } from './process-info.js';
import { decodeRecord, parseOutputLine } from './records.js';
import { buildScript } from './script.js';
import { ensureTracefs, TRACEFS, unmountTracefs } from './tracefs.js';
import { startFailure } from '../internal/start-failure.js';

export { buildScript } from './script.js';
export { parseDnsMessage, type DnsMessage } from './dns-wire.js';
export { decodeRecord, parseOutputLine, type NetRecord } from './records.js';

export interface BpftraceSourceOptions {
  /** The bpftrace binary: a path, or a name looked up on PATH (default `bpftrace`). */
  bpftracePath?: string;
  /** Window in which identical flows fold into one event, in ms (default 5000). */
  windowMs?: number;
  /** How long a DNS query waits for its answer, in ms (default 1000). */
  dnsAnswerWaitMs?: number;
  /** Destination ports whose UDP traffic is parsed as DNS (default [53]). */
  dnsPorts?: number[];
  /** Most flows open at once before the oldest is emitted early (default 10000). */
  maxOpenFlows?: number;
  /** How long bpftrace may take to compile and attach, in ms (default 60000). */
  startTimeoutMs?: number;
  /** Ignore the agent's own sockets and bpftrace's (default true): the agent's traffic would report itself. */
  excludeSelf?: boolean;
  /** Perf ring buffer pages per CPU (default 256 = 1 MiB): more absorbs longer bursts before events are lost. */
  perfPagesPerCpu?: number;
  /** Where tracefs is mounted when it is not (default /sys/kernel/tracing). */
  tracefsPath?: string;
  /** Receives the start time of every exec while the probes are attached (the process source's fallback for ids). */
  execStarts?: ExecStarts;
}

/** Parse-error and stderr warnings sent to the sink: the first few, then one per this many. */
const WARN_FIRST = 10;
const WARN_EVERY = 1000;
const MAX_LINE = 65536;
/** bpftrace 0.17 prints this when it cannot raise RLIMIT_MEMLOCK; kernels with memcg accounting do not need it. */
const HARMLESS_STDERR = [/couldn't set RLIMIT_MEMLOCK/];

/** The absolute path of an executable file, searching PATH for a bare name; undefined when there is none. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function createBpftraceSource(options: BpftraceSourceOptions = {}): EventSource {
  const counts = { lines: 0, records: 0, events: 0, parseErrors: 0, lost: 0, exits: 0, restarts: 0, stderrLines: 0 };
  let state: 'idle' | 'starting' | 'running' | 'stopped' = 'idle';
  let sink: EventSink | undefined;
  let child: ChildProcess | undefined;
  let converter: NetworkConverter | undefined;
  let processes: ProcessInfo | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let mountedTracefs = false;
  /** Whether a bpftrace child has its probes attached now. */
  let attachedNow = false;
  let script = '';
  let binary = '';
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const tracefsPath = options.tracefsPath ?? TRACEFS;
  /** Pids whose sockets are not reported: the agent and its bpftrace child (see excludeSelf). */
  const excluded = new Set<number>(options.excludeSelf === false ? [] : [process.pid]);
  /** Set once stop() has flushed: nothing is emitted after stop. */
  let sinkClosed = false;

  const warn = (message: string, fields?: Record<string, unknown>) => {
    try {
      sink?.warn(`bpftrace: ${message}`, fields);
    } catch {
      // a sink's warn must not throw; ignore it if it does
    }
  };

  const onData = (data: string) => {
    let record;
    try {
      record = decodeRecord(data);
    } catch (error) {
      counts.parseErrors++;
      if (counts.parseErrors <= WARN_FIRST || counts.parseErrors % WARN_EVERY === 0) {
        const e = VigilError.wrap(error, 'invalid_input');
        warn(`unparseable record: ${e.message}`, { column: e.location?.column, data: data.slice(0, 200), parseErrors: counts.parseErrors });
      }
      return;
    }
    counts.records++;
    if (record.kind === 'exec') {
      options.execStarts?.record(record.task.pid, record.task.startTicks);
      return;
    }
    converter?.push(record, Date.now());
  };

  /** Starts one bpftrace child; resolves once its probes are attached. */
  const launch = (timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const args = ['--no-warnings', '-B', 'line', '-f', 'json', '-e', script];
      // A parent death signal takes bpftrace (and its probes) down with the agent, even on kill -9.
      const setpriv = findExecutable('setpriv');
      const [file, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, args];
      const proc = spawn(file, argv, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, BPFTRACE_STRLEN: '200', BPFTRACE_PERF_RB_PAGES: String(options.perfPagesPerCpu ?? 256) },
      });
      child = proc;
      if (options.excludeSelf !== false && proc.pid) excluded.add(proc.pid);
      let attached = false;
      let stderrTail = '';
      let pending = '';
      const timer = setTimeout(() => {
        if (attached) return;
        proc.kill('SIGKILL');
        reject(new VigilError('unavailable', `bpftrace did not attach its probes within ${timeoutMs} ms${stderrTail ? `: ${stderrTail.trim()}` : ''}`));
      }, timeoutMs);

      const onLine = (line: string) => {
        if (line.length === 0) return;
        counts.lines++;
        let message;
        try {
          message = parseOutputLine(line);
        } catch (error) {
          counts.parseErrors++;
          if (counts.parseErrors <= WARN_FIRST || counts.parseErrors % WARN_EVERY === 0) warn(`unparseable output line: ${VigilError.wrap(error).message}`, { line: line.slice(0, 200) });
          return;
        }
        if (message.type === 'printf') onData(message.data);
        else if (message.type === 'lost') {
          counts.lost += message.events;
          warn('the kernel dropped events: the perf buffer was full', { lost: message.events, total: counts.lost });
        } else if (message.type === 'attached' && !attached) {
          attached = true;
          attachedNow = true;
          options.execStarts?.setFeeding(true);
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.setEncoding('utf8');
      proc.stdout!.on('data', (text: string) => {
        pending += text;
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          onLine(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
        if (pending.length > MAX_LINE) {
          counts.parseErrors++;
          pending = '';
        }
      });
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (text: string) => {
        for (const line of text.split('\n')) {
          if (!line.trim() || HARMLESS_STDERR.some((re) => re.test(line))) continue;
          stderrTail = (stderrTail + line + '\n').slice(-4000);
          counts.stderrLines++;
          if (attached && (counts.stderrLines <= WARN_FIRST || counts.stderrLines % WARN_EVERY === 0)) warn(line.slice(0, 500));
        }
      });
      proc.once('error', (error) => {
        clearTimeout(timer);
        if (!attached) reject(new VigilError('system', `cannot run ${binary}: ${error.message}`, { cause: error }));
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (child === proc) {
          child = undefined;
          attachedNow = false;
          options.execStarts?.setFeeding(false);
        }
        if (!attached) {
          reject(new VigilError('unavailable', `bpftrace exited (${signal ?? `status ${code}`}) before attaching its probes: ${stderrTail.trim() || 'no message'}`));
          return;
        }
        if (state !== 'running') return;
        counts.exits++;
        scheduleRestart(`bpftrace exited (${signal ?? `status ${code}`})`, stderrTail);
      });
    });

  /** Starts bpftrace again after a growing delay (1 s doubling up to 30 s); a failed restart schedules the next. */
  const scheduleRestart = (why: string, stderr: string) => {
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(5, counts.exits + counts.restarts - 1));
    warn(`${why}; restarting in ${delay} ms`, { stderr: stderr.trim().slice(-500) });
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (state !== 'running') return;
      counts.restarts++;
      launch(options.startTimeoutMs ?? 60_000).catch((error: unknown) => {
        if (state === 'running') scheduleRestart(`restart failed: ${VigilError.wrap(error).message}`, '');
      });
    }, delay);
  };

  /** Stops the child (SIGINT lets bpftrace detach cleanly; SIGKILL after 5 s). */
  const killChild = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const shutdown = async () => {
    if (ticker) clearInterval(ticker);
    if (restartTimer) clearTimeout(restartTimer);
    ticker = restartTimer = undefined;
    await killChild();
    try {
      converter?.flush(Date.now());
    } catch (error) {
      warn(`flushing open flows failed: ${VigilError.wrap(error).message}`);
    }
    sinkClosed = true;
    if (mountedTracefs) {
      mountedTracefs = false;
      const problem = await unmountTracefs(tracefsPath);
      if (problem) warn(`left tracefs mounted on ${tracefsPath}: ${problem}`);
    }
  };

  const start = async (target: EventSink) => {
    sink = target;
    try {
      if (process.platform !== 'linux') throw new VigilError('unavailable', 'the bpftrace source runs on Linux only');
      const found = findExecutable(options.bpftracePath ?? 'bpftrace');
      if (!found) throw new VigilError('unavailable', `bpftrace not found (${options.bpftracePath ?? 'bpftrace on PATH'}); install it (apt install bpftrace) for network and DNS telemetry`);
      binary = found;
      script = buildScript(options.dnsPorts ? { dnsPorts: options.dnsPorts } : {});
      if (!existsSync('/sys/kernel/btf/vmlinux')) throw new VigilError('unavailable', 'this kernel has no BTF (/sys/kernel/btf/vmlinux); the bpftrace program reads kernel structures through it');
      mountedTracefs = await ensureTracefs(tracefsPath);
      processes = createProcessInfo({ bootId: readBootId(), users: createUserNames() });
      const info = processes;
      converter = createNetworkConverter({
        describe: (task) => info.describe(task),
        emit: (event) => {
          if (sinkClosed) return;
          try {
            sink?.emit(event);
            counts.events++;
          } catch (error) {
            warn('the sink rejected an event', { error: VigilError.wrap(error).message });
          }
        },
        ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
        ...(options.dnsAnswerWaitMs !== undefined ? { dnsAnswerWaitMs: options.dnsAnswerWaitMs } : {}),
        ...(options.maxOpenFlows !== undefined ? { maxOpenFlows: options.maxOpenFlows } : {}),
        excludePids: excluded,
      });
      await launch(options.startTimeoutMs ?? 60_000);
      const tickMs = Math.max(50, Math.min(250, Math.floor((options.windowMs ?? 5000) / 4)));
      ticker = setInterval(() => converter?.tick(Date.now()), tickMs);
      ticker.unref();
      state = 'running';
    } catch (error) {
      state = 'stopped';
      stopping = shutdown();
      throw await startFailure(error, 'starting the bpftrace source', stopping);
    }
  };

  return {
    name: 'bpftrace',
    platforms: ['linux'],

    start(target) {
      if (state !== 'idle') return Promise.reject(new VigilError('internal', 'the bpftrace source can be started only once'));
      state = 'starting';
      starting = start(target).finally(() => (starting = undefined));
      return starting;
    },

    async stop() {
      if (starting) await starting.catch(() => undefined);
      if (state === 'idle' || state === 'stopped') {
        state = 'stopped';
        return stopping;
      }
      state = 'stopped';
      stopping = shutdown();
      return stopping;
    },

    stats() {
      const c = converter?.stats() ?? {};
      const p = processes?.stats();
      return {
        running: state === 'running' && attachedNow ? 1 : 0,
        lines: counts.lines,
        records: counts.records,
        events: counts.events,
        parseErrors: counts.parseErrors,
        dropped: counts.lost,
        exits: counts.exits,
        restarts: counts.restarts,
        ...c,
        processCacheHits: p?.hits ?? 0,
        processCacheMisses: p?.misses ?? 0,
      };
    },
  };
}
