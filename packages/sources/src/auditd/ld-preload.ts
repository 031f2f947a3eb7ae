// Library preloading: LD_PRELOAD in the environment of a new process (read from /proc/<pid>/environ at exec time,
// best-effort: auditd's EXECVE record has no environment) and the libraries /etc/ld.so.preload lists after a write.
// Never reads more than 256 KiB of a process environment, and never reads a process's memory otherwise.

import { closeSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import type { InjectionCollectedEvent } from './injection-events.js';
import type { AuditRecord } from './record-parser.js';

export const LD_SO_PRELOAD = '/etc/ld.so.preload';
const MAX_ENVIRON = 256 * 1024;
const MAX_LIBRARIES = 16;
const MAX_PATH = 4096;

type ProcessStart = Extract<CollectedEvent, { 'event.category': 'process' }>;
type FileEvent = Extract<CollectedEvent, { 'event.category': 'file' }>;

/**
 * The libraries of an LD_PRELOAD value or of /etc/ld.so.preload: separated by spaces, tabs, newlines or colons
 * (ld.so(8)); in the file, `#` starts a comment. At most 16 entries, each at most 4096 characters.
 */
export function parsePreloadList(text: string, file = false): string[] {
  const body = file ? text.split('\n').map((line) => line.replace(/#.*$/, '')).join('\n') : text;
  const out: string[] = [];
  for (const entry of body.split(/[\s:]+/)) {
    if (entry.length === 0 || entry.length > MAX_PATH || out.includes(entry)) continue;
    out.push(entry);
    if (out.length >= MAX_LIBRARIES) break;
  }
  return out;
}

/** The LD_PRELOAD value in a NUL-separated environment block, or undefined when it is absent or empty. */
export function preloadFromEnviron(environ: Buffer): string | undefined {
  const key = Buffer.from('LD_PRELOAD=');
  let at = 0;
  while (at < environ.length) {
    let end = environ.indexOf(0, at);
    if (end < 0) end = environ.length;
    if (end - at > key.length && environ.compare(key, 0, key.length, at, at + key.length) === 0) {
      const value = environ.toString('utf8', at + key.length, end).trim();
      return value.length > 0 ? value : undefined;
    }
    at = end + 1;
  }
  return undefined;
}

const buffer = Buffer.alloc(MAX_ENVIRON);

/** Reads /proc/<pid>/environ synchronously (the process may exit any moment); undefined when it is gone. */
export function readEnviron(pid: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/environ`, 'r');
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n <= 0) break;
      length += n;
      if (length >= buffer.length) break;
    }
    return Buffer.from(buffer.subarray(0, length));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** For a successful exec: the LD_PRELOAD libraries of the new process, read while it lives; undefined otherwise. */
export function preloadOfExec(records: readonly AuditRecord[], read: (pid: number) => Buffer | undefined = readEnviron): string[] | undefined {
  const syscall = records.find((r) => r.type === 'SYSCALL');
  if (!syscall || syscall.fields.success !== 'yes' || !records.some((r) => r.type === 'EXECVE')) return undefined;
  const pid = syscall.fields.pid;
  if (pid === undefined || !/^\d{1,10}$/.test(pid)) return undefined;
  const environ = read(Number(pid));
  const value = environ ? preloadFromEnviron(environ) : undefined;
  const libraries = value ? parsePreloadList(value) : [];
  return libraries.length > 0 ? libraries : undefined;
}

const COPIED = [
  'process.pid', 'process.entity_id', 'process.name', 'process.executable', 'process.args', 'process.args_count', 'process.command_line',
  'process.working_directory', 'process.hash.sha256', 'process.parent.pid', 'process.parent.entity_id', 'process.parent.executable',
  'process.parent.name', 'user.id', 'user.name', 'user.effective.id', 'user.effective.name', 'group.id', 'group.name', 'user.audit.id',
  'user.audit.name', 'process.session_id', 'process.tty.name', 'process.interactive',
] as const;

function copyProcess(from: Record<string, unknown>, to: Record<string, unknown>): void {
  for (const key of COPIED) if (from[key] !== undefined) to[key] = from[key];
}

function preloadEvent(timestamp: string, library: string, message: string): InjectionCollectedEvent {
  return {
    '@timestamp': timestamp,
    'event.category': 'injection',
    'event.action': 'ld_preload',
    'event.type': 'change',
    'event.provider': 'auditd',
    'event.outcome': 'success',
    'file.path': library,
    'file.name': posix.basename(library) || library,
    message,
  };
}

/** One ld_preload event per library a new process was started with (LD_PRELOAD), carrying the process start. */
export function ldPreloadEvents(start: ProcessStart, libraries: readonly string[]): InjectionCollectedEvent[] {
  if (start['event.action'] !== 'start' || start['event.outcome'] === 'failure') return [];
  return libraries.map((library) => {
    const event = preloadEvent(start['@timestamp'], library, `${start['process.executable'] ?? `pid ${start['process.pid']}`} started with LD_PRELOAD=${library}`);
    copyProcess(start as Record<string, unknown>, event as Record<string, unknown>);
    return event;
  });
}

/**
 * One ld_preload event per library /etc/ld.so.preload lists: after a write (`writer` is the file event, whose process
 * is carried), or found in use when collection starts (no writer).
 */
export function ldSoPreloadEvents(libraries: readonly string[], writer?: FileEvent, timestamp = new Date().toISOString()): InjectionCollectedEvent[] {
  return libraries.map((library) => {
    const message = writer
      ? `${LD_SO_PRELOAD} now lists ${library}: every dynamically linked program loads it (written by ${writer['process.executable'] ?? 'an unknown process'})`
      : `${LD_SO_PRELOAD} lists ${library} when collection starts: every dynamically linked program loads it`;
    const event = preloadEvent(writer?.['@timestamp'] ?? timestamp, library, message);
    if (writer) copyProcess(writer as Record<string, unknown>, event as Record<string, unknown>);
    return event;
  });
}
