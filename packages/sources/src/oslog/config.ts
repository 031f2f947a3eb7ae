// The OS log source's configuration: which files to tail, the syslog socket, the kernel log, and include/exclude
// filters by program, facility, severity and message. Validated once with the location of each mistake; the compiled
// filter is a plain function that never throws.

import { VigilError } from '@vigil/common';
import { FACILITIES, SEVERITIES, type SeverityName } from './syslog-line.js';

/**
 * Log files tailed by default when they exist (checked again while running, so a file that appears is picked up).
 * One file per syslog daemon layout, without the files that repeat each other's lines: Debian's syslog and auth.log,
 * Red Hat's messages, secure, cron and maillog.
 */
export const DEFAULT_LOG_FILES: readonly string[] = ['/var/log/syslog', '/var/log/auth.log', '/var/log/messages', '/var/log/secure', '/var/log/cron', '/var/log/maillog'];

/** The socket local programs log to (glibc syslog(3), logger(1)). */
export const DEV_LOG = '/dev/log';

export interface OsLogRule {
  /** Program (syslog tag / app name) globs: `sshd`, `postfix/*`; `*` and `?` are wildcards. */
  program?: string[];
  facility?: string[];
  /** Severity names to match. */
  severity?: SeverityName[];
  /** Matches this severity and everything more severe (`warning` matches emerg ... warning). */
  atLeast?: SeverityName;
  /** JavaScript regular expression tested against the message. */
  message?: string;
}

export interface OsLogFilterConfig {
  /** When present, only lines matching one of these rules are kept. */
  include?: OsLogRule[];
  /** Lines matching one of these rules are dropped (after include). */
  exclude?: OsLogRule[];
}

export interface OsLogSocketConfig {
  path: string;
  /** `dgram` (what syslog daemons use; needs python3 as a relay, Node has no AF_UNIX datagrams) or `stream`. */
  type?: 'dgram' | 'stream';
}

export interface OsLogConfig extends OsLogFilterConfig {
  /** Files to tail (default DEFAULT_LOG_FILES). */
  files?: string[];
  /** Read files from their start instead of their end when first opened (default false). */
  fromStart?: boolean;
  /**
   * `auto` (default): listen on /dev/log when no syslog daemon has it; a path or socket config: listen there;
   * false: no socket.
   */
  socket?: 'auto' | false | string | OsLogSocketConfig;
  /** Kernel log (/dev/kmsg): `auto` (default) reads it when this source owns /dev/log (no syslog daemon). */
  kmsg?: 'auto' | boolean;
  /** Most events per second before lines are counted as dropped (default 2000). */
  maxEventsPerSecond?: number;
}

export interface LogFields {
  program?: string;
  facility?: string;
  severity?: number;
  message: string;
}

type Matcher = (fields: LogFields) => boolean;

const fail = (path: string, message: string): never => {
  throw new VigilError('invalid_config', `${path}: ${message}`, { location: { path } });
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, path: string, check?: (item: string, where: string) => void): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 256) fail(path, 'must be a list of 1 to 256 strings');
  return (value as unknown[]).map((item, i) => {
    if (typeof item !== 'string' || item.length === 0 || item.length > 1024) fail(`${path}[${i}]`, 'must be a non-empty string of at most 1024 characters');
    check?.(item as string, `${path}[${i}]`);
    return item as string;
  });
}

const severityCheck = (item: string, where: string) => {
  if (!(SEVERITIES as readonly string[]).includes(item)) fail(where, `unknown severity "${item}" (one of ${SEVERITIES.join(', ')})`);
};

function checkRule(value: unknown, path: string): OsLogRule {
  if (!isObject(value)) fail(path, 'must be an object with program, facility, severity, atLeast or message');
  const input = value as Record<string, unknown>;
  const rule: OsLogRule = {};
  for (const key of Object.keys(input)) if (!['program', 'facility', 'severity', 'atLeast', 'message'].includes(key)) fail(`${path}.${key}`, 'unknown condition (program, facility, severity, atLeast, message)');
  if (Object.keys(input).length === 0) fail(path, 'a rule needs at least one condition');
  if (input.program !== undefined) rule.program = stringList(input.program, `${path}.program`);
  if (input.facility !== undefined) {
    rule.facility = stringList(input.facility, `${path}.facility`, (item, where) => {
      if (!(FACILITIES as readonly string[]).includes(item)) fail(where, `unknown facility "${item}"`);
    });
  }
  if (input.severity !== undefined) rule.severity = stringList(input.severity, `${path}.severity`, severityCheck) as SeverityName[];
  if (input.atLeast !== undefined) {
    if (typeof input.atLeast !== 'string') fail(`${path}.atLeast`, 'must be a severity name');
    severityCheck(input.atLeast as string, `${path}.atLeast`);
    rule.atLeast = input.atLeast as SeverityName;
  }
  if (input.message !== undefined) {
    if (typeof input.message !== 'string' || input.message.length === 0 || input.message.length > 1024) fail(`${path}.message`, 'must be a regular expression of at most 1024 characters');
    try {
      new RegExp(input.message as string);
    } catch (error) {
      fail(`${path}.message`, `invalid regular expression: ${(error as Error).message}`);
    }
    rule.message = input.message as string;
  }
  return rule;
}

function checkRules(value: unknown, path: string): OsLogRule[] {
  if (!Array.isArray(value) || value.length > 256) fail(path, 'must be a list of at most 256 rules');
  return (value as unknown[]).map((rule, i) => checkRule(rule, `${path}[${i}]`));
}

const absolutePath = (value: unknown, path: string): string => {
  if (typeof value !== 'string' || !value.startsWith('/') || value.length > 4096 || /[\0\n]/.test(value)) fail(path, 'must be an absolute path');
  return value as string;
};

/** Validates an `oslog` configuration section (a plain object from JSON or YAML). */
export function checkOsLogConfig(value: unknown, where = 'oslog'): OsLogConfig {
  if (!isObject(value)) fail(where, 'must be an object');
  const input = value as Record<string, unknown>;
  const known = ['files', 'fromStart', 'socket', 'kmsg', 'maxEventsPerSecond', 'include', 'exclude'];
  for (const key of Object.keys(input)) if (!known.includes(key)) fail(`${where}.${key}`, `unknown setting (${known.join(', ')})`);
  const config: OsLogConfig = {};
  if (input.files !== undefined) config.files = stringList(input.files, `${where}.files`, (item, at) => absolutePath(item, at));
  if (input.fromStart !== undefined) {
    if (typeof input.fromStart !== 'boolean') fail(`${where}.fromStart`, 'must be true or false');
    config.fromStart = input.fromStart as boolean;
  }
  const socket = input.socket;
  if (socket !== undefined) {
    if (socket === 'auto' || socket === false) config.socket = socket;
    else if (typeof socket === 'string') config.socket = absolutePath(socket, `${where}.socket`);
    else if (isObject(socket)) {
      for (const key of Object.keys(socket)) if (key !== 'path' && key !== 'type') fail(`${where}.socket.${key}`, 'unknown setting (path, type)');
      const path = absolutePath(socket.path, `${where}.socket.path`);
      if (Buffer.byteLength(path) > 107) fail(`${where}.socket.path`, 'a unix socket path is at most 107 bytes');
      if (socket.type !== undefined && socket.type !== 'dgram' && socket.type !== 'stream') fail(`${where}.socket.type`, 'must be dgram or stream');
      config.socket = { path, ...(socket.type ? { type: socket.type as 'dgram' | 'stream' } : {}) };
    } else fail(`${where}.socket`, 'must be "auto", false, a path, or { path, type }');
  }
  if (input.kmsg !== undefined) {
    if (input.kmsg !== 'auto' && typeof input.kmsg !== 'boolean') fail(`${where}.kmsg`, 'must be "auto", true or false');
    config.kmsg = input.kmsg as 'auto' | boolean;
  }
  if (input.maxEventsPerSecond !== undefined) {
    const n = input.maxEventsPerSecond;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1_000_000) fail(`${where}.maxEventsPerSecond`, 'must be an integer from 1 to 1000000');
    config.maxEventsPerSecond = n as number;
  }
  if (input.include !== undefined) config.include = checkRules(input.include, `${where}.include`);
  if (input.exclude !== undefined) config.exclude = checkRules(input.exclude, `${where}.exclude`);
  return config;
}

/** `VIGIL_OSLOG_FILES` (colon-separated paths, empty for none) and `VIGIL_OSLOG_SOCKET` (a path, `auto` or `off`). */
export function osLogConfigFromEnv(env: NodeJS.ProcessEnv = process.env): OsLogConfig {
  const config: OsLogConfig = {};
  const files = env.VIGIL_OSLOG_FILES;
  if (files !== undefined) config.files = files.split(':').filter(Boolean).map((f, i) => absolutePath(f, `VIGIL_OSLOG_FILES[${i}]`));
  const socket = env.VIGIL_OSLOG_SOCKET;
  if (socket !== undefined && socket !== '') config.socket = socket === 'off' ? false : socket === 'auto' ? 'auto' : absolutePath(socket, 'VIGIL_OSLOG_SOCKET');
  return config;
}

/** A glob with `*` and `?` as wildcards, matched without building a regular expression (at most pattern × text steps). */
export function globMatcher(pattern: string): (text: string) => boolean {
  return (text) => {
    let p = 0;
    let t = 0;
    let star = -1;
    let mark = 0;
    while (t < text.length) {
      if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
        p++;
        t++;
      } else if (p < pattern.length && pattern[p] === '*') {
        star = p++;
        mark = t;
      } else if (star >= 0) {
        p = star + 1;
        t = ++mark;
      } else return false;
    }
    while (p < pattern.length && pattern[p] === '*') p++;
    return p === pattern.length;
  };
}

function compileRule(rule: OsLogRule): Matcher {
  const tests: Matcher[] = [];
  if (rule.program) {
    const globs = rule.program.map(globMatcher);
    tests.push((f) => f.program !== undefined && globs.some((g) => g(f.program!)));
  }
  if (rule.facility) {
    const set = new Set(rule.facility);
    tests.push((f) => f.facility !== undefined && set.has(f.facility));
  }
  if (rule.severity) {
    const set = new Set(rule.severity.map((name) => SEVERITIES.indexOf(name)));
    tests.push((f) => f.severity !== undefined && set.has(f.severity));
  }
  if (rule.atLeast) {
    const limit = SEVERITIES.indexOf(rule.atLeast);
    tests.push((f) => f.severity !== undefined && f.severity <= limit);
  }
  if (rule.message) {
    const re = new RegExp(rule.message);
    tests.push((f) => re.test(f.message));
  }
  return (f) => tests.every((t) => t(f));
}

/** True when a line is kept: it matches an include rule (or there are none) and no exclude rule. */
export function compileOsLogFilter(config: OsLogFilterConfig): (fields: LogFields) => boolean {
  const include = (config.include ?? []).map(compileRule);
  const exclude = (config.exclude ?? []).map(compileRule);
  return (fields) => (include.length === 0 || include.some((m) => m(fields))) && !exclude.some((m) => m(fields));
}
