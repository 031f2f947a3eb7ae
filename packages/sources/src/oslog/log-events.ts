// Log records as Vigil events: log/syslog with severity, facility, program and message, and log/audit_log_cleared
// when a tailed file shrinks. Never emits empty optional fields.

import type { CollectedEvent } from '@vigil/schema';
import { facilityName, severityName, type SyslogMessage } from './syslog-line.js';

export type LogCollectedEvent = Extract<CollectedEvent, { 'event.category': 'log' }>;

const MAX_TEXT = 65536;
const MAX_KEYWORD = 1024;
const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

export interface LogOrigin {
  /** `syslog` (the socket), `logfile` (a tailed file) or `kmsg` (the kernel log). */
  provider: 'syslog' | 'logfile' | 'kmsg';
  filePath?: string;
  /** When the line was read; the event time when the line has none. */
  receivedMs: number;
  /** Keep the raw line in event.original. */
  original?: string;
}

export function logEvent(message: SyslogMessage, origin: LogOrigin): LogCollectedEvent {
  const event: LogCollectedEvent = {
    '@timestamp': new Date(message.timeMs ?? origin.receivedMs).toISOString(),
    'event.category': 'log',
    'event.action': 'syslog',
    'event.type': 'info',
    'event.provider': origin.provider,
    message: clip(message.message, MAX_TEXT),
  };
  const level = severityName(message.severity);
  if (level) {
    event['log.level'] = level;
    event['log.syslog.severity.code'] = message.severity!;
  }
  const facility = facilityName(message.facility);
  if (facility) event['log.syslog.facility.name'] = facility;
  if (message.appName) {
    const app = clip(message.appName, MAX_KEYWORD);
    event['log.syslog.appname'] = app;
    event['log.logger'] = app;
    event['process.name'] = app;
  }
  if (message.procId) {
    event['log.syslog.procid'] = clip(message.procId, MAX_KEYWORD);
    if (/^\d{1,10}$/.test(message.procId) && Number(message.procId) > 0 && Number(message.procId) < 2 ** 31) event['process.pid'] = Number(message.procId);
  }
  if (origin.filePath) event['log.file.path'] = origin.filePath;
  if (origin.original !== undefined) event['event.original'] = clip(origin.original, MAX_TEXT);
  return event;
}

/** A tailed log file got shorter: its earlier lines are gone (cleared, or truncated by a copytruncate rotation). */
export function truncationEvent(path: string, from: number, to: number, receivedMs: number): LogCollectedEvent {
  return {
    '@timestamp': new Date(receivedMs).toISOString(),
    'event.category': 'log',
    'event.action': 'audit_log_cleared',
    'event.type': 'deletion',
    'event.provider': 'logfile',
    'event.outcome': 'success',
    'log.file.path': path,
    message: `log file ${path} truncated from ${from} to ${to} bytes`,
  };
}
