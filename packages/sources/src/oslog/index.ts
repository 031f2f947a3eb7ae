// The OS log source: syslog lines from tailed log files (rotation-safe), the local syslog socket (/dev/log when no
// daemon has it) and the kernel log (/dev/kmsg), filtered by configuration, as log events. Never leaves its socket
// file behind after stop(), never blocks on a reader, and never lets one bad line stop collection.

import { lstat } from 'node:fs/promises';
import { VigilError } from '@vigil/common';
import type { EventSink, EventSource } from '../core.js';
import { checkOsLogConfig, compileOsLogFilter, DEFAULT_LOG_FILES, DEV_LOG, osLogConfigFromEnv, type OsLogConfig, type OsLogSocketConfig } from './config.js';
import { createFileTail, type FileTail } from './file-tail.js';
import { createKmsgReader, type KmsgReader } from './kmsg.js';
import { logEvent, truncationEvent, type LogCollectedEvent } from './log-events.js';
import { createSyslogSocket, type SyslogSocket } from './syslog-socket.js';
import { facilityName, parseSyslogLine } from './syslog-line.js';

export { checkOsLogConfig, compileOsLogFilter, DEFAULT_LOG_FILES, globMatcher, osLogConfigFromEnv, type OsLogConfig, type OsLogRule } from './config.js';
export { parseSyslogLine, type SyslogMessage } from './syslog-line.js';
export { parseKmsgRecord } from './kmsg.js';

export interface OslogSourceOptions extends OsLogConfig {
  /** File poll interval in ms (default 250). */
  pollMs?: number;
  /** Kernel log poll interval in ms (default 1000). */
  kmsgPollMs?: number;
  /** The python3 used as the datagram socket relay. */
  python?: string;
  /** Keep each raw line in event.original (default false). */
  keepOriginal?: boolean;
}

const WARN_FIRST = 10;

/** Without options, configuration comes from VIGIL_OSLOG_FILES / VIGIL_OSLOG_SOCKET over the defaults. */
export function createOslogSource(options: OslogSourceOptions = osLogConfigFromEnv()): EventSource {
  const config = checkOsLogConfig(
    Object.fromEntries(Object.entries(options).filter(([key]) => !['pollMs', 'kmsgPollMs', 'python', 'keepOriginal'].includes(key))),
    'oslog',
  );
  const keep = compileOsLogFilter(config);
  const maxPerSecond = config.maxEventsPerSecond ?? 2000;
  const counts = { lines: 0, events: 0, filtered: 0, dropped: 0, truncations: 0, warnings: 0 };
  let sink: EventSink | undefined;
  const tails: FileTail[] = [];
  let socket: SyslogSocket | undefined;
  let kmsg: KmsgReader | undefined;
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let windowStart = 0;
  let windowCount = 0;

  const warn = (message: string, fields?: Record<string, unknown>) => {
    counts.warnings++;
    try {
      sink?.warn(`oslog: ${message}`, fields);
    } catch {
      // a sink's warn must not throw
    }
  };

  const emit = (event: LogCollectedEvent) => {
    if (!sink || state !== 'running') return;
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      windowCount = 0;
    }
    if (++windowCount > maxPerSecond) {
      counts.dropped++;
      if (counts.dropped === 1 || counts.dropped % 10000 === 0) warn(`more than ${maxPerSecond} log lines per second; the excess is dropped`, { dropped: counts.dropped });
      return;
    }
    try {
      sink.emit(event);
      counts.events++;
    } catch (error) {
      if (counts.warnings < WARN_FIRST) warn('the sink rejected an event', { error: error instanceof Error ? error.message : String(error) });
    }
  };

  const accept = (event: LogCollectedEvent, severity: number | undefined) => {
    counts.lines++;
    const fields = {
      program: event['log.syslog.appname'],
      facility: event['log.syslog.facility.name'],
      severity,
      message: event.message ?? '',
    };
    if (!keep(fields)) {
      counts.filtered++;
      return;
    }
    emit(event);
  };

  const fromText = (text: string, origin: 'syslog' | 'logfile', filePath?: string) => {
    const receivedMs = Date.now();
    const message = parseSyslogLine(text, { now: receivedMs, hostname: origin !== 'syslog' });
    if (message.message.length === 0 && message.appName === undefined) return;
    accept(
      logEvent(message, { provider: origin, receivedMs, ...(filePath ? { filePath } : {}), ...(options.keepOriginal ? { original: text } : {}) }),
      message.severity,
    );
  };

  const socketConfig = (): { path: string; type: 'dgram' | 'stream'; auto: boolean } | undefined => {
    const s = config.socket ?? 'auto';
    if (s === false) return undefined;
    if (s === 'auto') return { path: DEV_LOG, type: 'dgram', auto: true };
    if (typeof s === 'string') return { path: s, type: 'dgram', auto: false };
    return { path: (s as OsLogSocketConfig).path, type: (s as OsLogSocketConfig).type ?? 'dgram', auto: false };
  };

  const stopAll = async () => {
    await Promise.all(tails.map((t) => t.stop().catch(() => undefined)));
    await socket?.stop().catch(() => undefined);
    await kmsg?.stop().catch(() => undefined);
  };

  return {
    name: 'oslog',
    platforms: ['linux'],

    async start(target) {
      if (state !== 'idle') throw new VigilError('internal', 'the oslog source can be started only once');
      sink = target;
      state = 'running';
      try {
        for (const path of config.files ?? DEFAULT_LOG_FILES) {
          const tail = createFileTail({
            path,
            fromStart: config.fromStart ?? false,
            ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
            onLine: (line) => fromText(line, 'logfile', path),
            onTruncate: (from, to) => {
              counts.truncations++;
              emit(truncationEvent(path, from, to, Date.now()));
            },
          });
          await tail.start();
          tails.push(tail);
        }
        const wanted = socketConfig();
        let ownDevLog = false;
        if (wanted) {
          const candidate = createSyslogSocket({
            path: wanted.path,
            type: wanted.type,
            onMessage: (text) => fromText(text, 'syslog'),
            onProblem: (message) => warn(message),
            ...(options.python ? { python: options.python } : {}),
          });
          // In auto mode only a missing /dev/log or a socket file nobody serves (left by a crash) is taken; a symbolic
          // link (journald) or a served socket belongs to the machine's syslog daemon, which writes the files above.
          const taken = wanted.auto ? await lstat(wanted.path).then((st) => !st.isSocket(), () => false) : false;
          if (taken) {
            // left alone
          } else {
            try {
              await candidate.start();
              socket = candidate;
              ownDevLog = wanted.path === DEV_LOG;
            } catch (error) {
              if (!wanted.auto) throw error;
              if (!/served by another process/.test(VigilError.wrap(error).message)) warn(`not listening on ${wanted.path}: ${VigilError.wrap(error).message}`);
            }
          }
        }
        const kmsgWanted = config.kmsg ?? 'auto';
        if (kmsgWanted === true || (kmsgWanted === 'auto' && ownDevLog)) {
          const reader = createKmsgReader({
            ...(options.kmsgPollMs !== undefined ? { pollMs: options.kmsgPollMs } : {}),
            onRecord: (record, timeMs) => {
              const facility = facilityName(record.facility);
              accept(
                logEvent(
                  { format: 'plain', facility: record.facility, severity: record.severity, timeMs, message: record.message, ...(facility === 'kern' ? { appName: 'kernel' } : {}) },
                  { provider: 'kmsg', receivedMs: Date.now() },
                ),
                record.severity,
              );
            },
          });
          try {
            await reader.start();
            kmsg = reader;
          } catch (error) {
            if (kmsgWanted === true) throw error;
            warn(`not reading the kernel log: ${VigilError.wrap(error).message}`);
          }
        }
      } catch (error) {
        state = 'stopped';
        await stopAll();
        throw VigilError.wrap(error, 'system', 'starting the oslog source');
      }
    },

    async stop() {
      if (state !== 'running') {
        state = 'stopped';
        return;
      }
      // Drain the files before closing the sink.
      await stopAll();
      state = 'stopped';
    },

    stats() {
      const tailStats = tails.map((t) => t.stats());
      return {
        lines: counts.lines,
        events: counts.events,
        filtered: counts.filtered,
        dropped: counts.dropped,
        truncations: counts.truncations,
        filesOpen: tailStats.filter((s) => s.open).length,
        rotations: tailStats.reduce((sum, s) => sum + s.rotations, 0),
        longLines: tailStats.reduce((sum, s) => sum + s.longLines, 0),
        socketMessages: socket?.stats().messages ?? 0,
        kmsgRecords: kmsg?.stats().records ?? 0,
        kmsgLost: kmsg?.stats().lost ?? 0,
      };
    },
  };
}
