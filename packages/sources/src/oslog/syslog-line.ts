// Parses one syslog message: RFC 5424, RFC 3164 (BSD) as sent to /dev/log (`<PRI>Mmm dd hh:mm:ss tag[pid]: msg`), and
// the line formats syslog daemons write to files (with or without a host name, BSD or ISO timestamps).
// Total and linear: any input gives a result (at worst the whole line as the message), never an exception.

export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type SeverityName = (typeof SEVERITIES)[number];

export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164' | 'plain';
  /** From `<PRI>`: facility number (0 kern ... 23 local7) and severity (0 emerg ... 7 debug). */
  facility?: number;
  severity?: number;
  /** Milliseconds since the epoch, when the line carries a time that parses. */
  timeMs?: number;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  /** RFC 5424 structured data as written (`[id k="v"]...`). */
  structuredData?: string;
  message: string;
}

/** Longest line parsed; the rest is cut (the schema keeps 64 KiB of message). */
export const MAX_SYSLOG_LINE = 65536;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface ParseOptions {
  /** "Now" for the year of BSD timestamps, which have none (default: the current time). */
  now?: number;
  /**
   * Whether a BSD line may carry a host name after the time (default true: lines in files do). Messages that local
   * programs send to /dev/log never do, so a socket reader passes false.
   */
  hostname?: boolean;
}

/** `<PRI>` at the start: the priority and where the rest begins; undefined when absent or out of range (0..191). */
function priority(line: string): { pri: number; end: number } | undefined {
  if (line.charCodeAt(0) !== 60 /* < */) return undefined;
  let i = 1;
  let value = 0;
  while (i < line.length && i <= 4) {
    const c = line.charCodeAt(i);
    if (c === 62 /* > */) break;
    if (c < 48 || c > 57) return undefined;
    value = value * 10 + (c - 48);
    i++;
  }
  if (i === 1 || i > 4 || line.charCodeAt(i) !== 62 || value > 191) return undefined;
  if (i > 2 && line.charCodeAt(1) === 48) return undefined; // no leading zeros
  return { pri: value, end: i + 1 };
}

/** An ISO 8601 / RFC 3339 time (`2026-12-05T10:00:00.123456+01:00`); fractions beyond milliseconds are cut. */
export function parseIsoTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const fraction = (m[7] ?? '').slice(0, 3).padEnd(3, '0');
  const zone = m[8] === undefined ? '' : m[8] === 'Z' ? 'Z' : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8];
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction}${zone}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `Mmm dd hh:mm:ss` (day space- or zero-padded) at `at`, in local time of a year that is not in the future. */
function bsdTime(line: string, at: number, now: number): { timeMs: number; end: number } | undefined {
  const m = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?= |$)/.exec(line.slice(at, at + 32));
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  const day = Number(m[2]);
  const [h, min, s] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (month < 0 || day < 1 || day > 31 || h > 23 || min > 59 || s > 60) return undefined;
  let year = new Date(now).getFullYear();
  let time = new Date(year, month, day, h, min, s).getTime();
  // A December line read in January belongs to last year.
  if (time > now + 24 * 3600 * 1000) time = new Date(--year, month, day, h, min, s).getTime();
  return { timeMs: time, end: at + m[0].length };
}

const isSpace = (c: number) => c === 32;

function token(line: string, at: number): { text: string; end: number } {
  let end = at;
  while (end < line.length && !isSpace(line.charCodeAt(end))) end++;
  return { text: line.slice(at, end), end };
}

const skipSpace = (line: string, at: number) => {
  let i = at;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  return i;
};

/** `name[pid]:` or `name:` (the BSD tag) at `at`; the name has no spaces, brackets or colons. */
function tag(line: string, at: number): { appName: string; procId?: string; end: number } | undefined {
  const m = /^([^\s[\]:]{1,128})(?:\[([^\]\s]{1,64})\])?:(?: |$)/.exec(line.slice(at, at + 200));
  if (!m) return undefined;
  return { appName: m[1]!, ...(m[2] !== undefined ? { procId: m[2] } : {}), end: at + m[0].length };
}

const nil = (value: string) => (value === '-' ? undefined : value);

/** RFC 5424 structured data at `at`: `-` or one or more `[...]` elements (quoted values may hold `\]`). */
function structuredData(line: string, at: number): { text?: string; end: number } | undefined {
  if (line.charCodeAt(at) === 45 /* - */) return { end: at + 1 };
  if (line.charCodeAt(at) !== 91 /* [ */) return undefined;
  let i = at;
  while (i < line.length && line.charCodeAt(i) === 91) {
    let quoted = false;
    i++;
    for (; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (quoted && c === 92 /* \ */) {
        i++;
        continue;
      }
      if (c === 34 /* " */) quoted = !quoted;
      else if (c === 93 /* ] */ && !quoted) break;
    }
    if (i >= line.length) return undefined;
    i++;
  }
  return { text: line.slice(at, i), end: i };
}

function rfc5424(line: string, at: number, base: Partial<SyslogMessage>): SyslogMessage | undefined {
  // VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
  const fields: string[] = [];
  let i = at;
  for (let n = 0; n < 5; n++) {
    const t = token(line, i);
    if (t.text.length === 0 || t.end >= line.length || !isSpace(line.charCodeAt(t.end))) return undefined;
    fields.push(t.text);
    i = t.end + 1;
  }
  const [time, hostname, appName, procId, msgId] = fields as [string, string, string, string, string];
  const sd = structuredData(line, i);
  if (!sd) return undefined;
  let message = sd.end < line.length && isSpace(line.charCodeAt(sd.end)) ? line.slice(sd.end + 1) : line.slice(sd.end);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  const out: SyslogMessage = { ...base, format: 'rfc5424', message };
  const timeMs = time === '-' ? undefined : parseIsoTime(time);
  if (timeMs !== undefined) out.timeMs = timeMs;
  if (nil(hostname)) out.hostname = hostname;
  if (nil(appName)) out.appName = appName;
  if (nil(procId)) out.procId = procId;
  if (nil(msgId)) out.msgId = msgId;
  if (sd.text) out.structuredData = sd.text;
  return out;
}

/** Parses one line (without its line end). */
export function parseSyslogLine(input: string, options: ParseOptions = {}): SyslogMessage {
  const now = options.now ?? Date.now();
  let line = input.length > MAX_SYSLOG_LINE ? input.slice(0, MAX_SYSLOG_LINE) : input;
  if (line.endsWith('\n')) line = line.slice(0, -1);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const base: Partial<SyslogMessage> = {};
  let at = 0;
  const pri = priority(line);
  if (pri) {
    base.facility = pri.pri >> 3;
    base.severity = pri.pri & 7;
    at = pri.end;
    if (line.startsWith('1 ', at)) {
      const parsed = rfc5424(line, at + 2, base);
      if (parsed) return parsed;
    }
  }
  // BSD: TIMESTAMP [HOSTNAME] TAG: MSG, the timestamp BSD-style or ISO.
  let timeMs: number | undefined;
  const bsd = bsdTime(line, at, now);
  if (bsd) {
    timeMs = bsd.timeMs;
    at = bsd.end;
  } else {
    const iso = token(line, at);
    const parsed = iso.text.length >= 19 ? parseIsoTime(iso.text) : undefined;
    if (parsed !== undefined) {
      timeMs = parsed;
      at = iso.end;
    }
  }
  if (timeMs === undefined && !pri) return { format: 'plain', message: line };
  at = skipSpace(line, at);
  const out: SyslogMessage = { ...base, format: 'rfc3164', message: '' };
  if (timeMs !== undefined) out.timeMs = timeMs;
  // Messages sent to /dev/log have no host name; lines in files do. A first word that is itself a tag is the tag.
  let tagged = tag(line, at);
  if (!tagged && timeMs !== undefined && options.hostname !== false) {
    const host = token(line, at);
    const next = skipSpace(line, host.end);
    const afterHost = tag(line, next);
    if (host.text.length > 0 && host.text.length <= 255 && next > host.end) {
      out.hostname = host.text;
      at = next;
      tagged = afterHost;
    }
  }
  if (tagged) {
    out.appName = tagged.appName;
    if (tagged.procId !== undefined) out.procId = tagged.procId;
    at = tagged.end;
  }
  out.message = line.slice(at);
  return out;
}

export const facilityName = (facility: number | undefined) => (facility === undefined ? undefined : FACILITIES[facility]);
export const severityName = (severity: number | undefined): SeverityName | undefined => (severity === undefined ? undefined : SEVERITIES[severity]);
