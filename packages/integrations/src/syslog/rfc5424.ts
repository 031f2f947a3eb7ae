// RFC 5424 syslog message formatting: header fields, structured data with escaping, size limit, and the mapping of
// alerts and raw events to one message. Never emits a message that breaks the RFC 5424 grammar, whatever the input.

import { hostname as machineHostname } from 'node:os';
import type { AlertLevel, ExportRecord } from '../core.js';

/** Private enterprise number 32473 is reserved for documentation (RFC 5612); Vigil's SD-IDs use it. */
export const VIGIL_SD_ID = 'vigil@32473';
export const DEFAULT_FACILITY = 13;
export const DEFAULT_MAX_MESSAGE_BYTES = 8192;
const UTF8_BOM = '\uFEFF';

export interface SdElement {
  id: string;
  params: readonly (readonly [string, string])[];
}

export interface Rfc5424Fields {
  facility: number;
  severity: number;
  /** ISO 8601 timestamp; NILVALUE when absent or not a valid date. */
  timestamp?: string;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  structuredData: readonly SdElement[];
  msg: string;
  /** Marks MSG as UTF-8 with the byte order mark (MSG-UTF8); without it MSG is MSG-ANY (CEF and LEEF receivers expect that). */
  utf8Bom: boolean;
}

/** Syslog severity of an alert level: critical 2 (crit), high 3 (err), medium 4 (warning), low 5 (notice), informational 6. */
export const syslogSeverityOf: Readonly<Record<AlertLevel, number>> = { critical: 2, high: 3, medium: 4, low: 5, informational: 6 };
export const EVENT_SEVERITY = 6;

/** Keeps printable US-ASCII (33..126) minus `extra`, cut to `max`; NILVALUE when nothing is left. */
function headerField(value: string | undefined, max: number, extra = ''): string {
  if (value === undefined) return '-';
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 33 && code <= 126 && !extra.includes(char)) out += char;
    if (out.length === max) break;
  }
  return out === '' ? '-' : out;
}

/** SD-IDs registered with IANA (RFC 5424 section 7); every other SD-ID must be `name@<enterprise number>`. */
const REGISTERED_SD_IDS = new Set(['timeQuality', 'origin', 'meta']);
/** Longest PARAM-VALUE in octets before escaping; the full text belongs in MSG. */
export const MAX_PARAM_VALUE_BYTES = 512;

function sdName(value: string): string {
  const name = headerField(value, 32, '= ]"');
  return name === '-' ? '_' : name;
}

function sdId(value: string): string {
  const name = sdName(value);
  if (name.includes('@') || REGISTERED_SD_IDS.has(name)) return name;
  return `${name.slice(0, 32 - 6)}@32473`;
}

/** Escapes a PARAM-VALUE: `"`, `\` and `]` get a backslash (RFC 5424 section 6.3.3). */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

function timestampField(value: string | undefined): string {
  if (!value) return '-';
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

export function formatStructuredData(elements: readonly SdElement[]): string {
  if (!elements.length) return '-';
  const seen = new Set<string>();
  let out = '';
  for (const element of elements) {
    const id = sdId(element.id);
    if (seen.has(id)) continue;
    seen.add(id);
    out += `[${id}${element.params.map(([name, value]) => ` ${sdName(name)}="${escapeParamValue(cutUtf8(value, MAX_PARAM_VALUE_BYTES))}"`).join('')}]`;
  }
  return out;
}

/** Cuts a string to at most `maxBytes` UTF-8 octets without splitting a character. */
export function cutUtf8(value: string, maxBytes: number): string {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) return value;
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * One RFC 5424 SYSLOG-MSG of at most `maxBytes` octets. When too long, MSG is cut at a character boundary; when the
 * header and structured data alone are too long, the structured data becomes NILVALUE.
 */
export function formatRfc5424(fields: Rfc5424Fields, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): string {
  const facility = Math.min(23, Math.max(0, Math.trunc(fields.facility)));
  const severity = Math.min(7, Math.max(0, Math.trunc(fields.severity)));
  const header = [
    `<${facility * 8 + severity}>1`,
    timestampField(fields.timestamp),
    headerField(fields.hostname, 255),
    headerField(fields.appName, 48),
    headerField(fields.procId, 128),
    headerField(fields.msgId, 32),
  ].join(' ');
  let prefix = `${header} ${formatStructuredData(fields.structuredData)}`;
  if (Buffer.byteLength(prefix) + 1 > maxBytes) prefix = `${header} -`;
  const body = (fields.utf8Bom ? UTF8_BOM : '') + fields.msg;
  if (!fields.msg) return prefix;
  const room = maxBytes - Buffer.byteLength(prefix) - 1;
  const cut = cutUtf8(body, room);
  return cut === '' || cut === UTF8_BOM ? prefix : `${prefix} ${cut}`;
}

export interface SyslogIdentity {
  facility: number;
  hostname: string;
  appName: string;
  procId: string;
}

export function defaultIdentity(overrides: { facility?: number; hostname?: string } = {}): SyslogIdentity {
  return { facility: overrides.facility ?? DEFAULT_FACILITY, hostname: overrides.hostname ?? machineHostname(), appName: 'vigil', procId: String(process.pid) };
}

/** The structured data Vigil puts on every message: what the record is, so receivers can route without parsing MSG. */
export function vigilStructuredData(record: ExportRecord): SdElement {
  if (record.type === 'alert') {
    const a = record.alert;
    return {
      id: VIGIL_SD_ID,
      params: [
        ['alert_id', a.id],
        ['rule_id', a.ruleId],
        ['rule_title', a.ruleTitle],
        ['level', a.level],
        ['host_id', a.hostId],
        ['count', String(a.count)],
        ...a.tags.map((tag) => ['tag', tag] as const),
      ],
    };
  }
  const e = record.event;
  const text = (key: string) => (e[key] === undefined || e[key] === null ? '' : String(e[key]));
  return { id: VIGIL_SD_ID, params: [['event_id', text('event.id')], ['category', text('event.category')], ['action', text('event.action')], ['host_id', text('host.id')]] };
}

/** Header fields of a record's message; `msg` and the BOM depend on the payload format. */
export function recordHeader(record: ExportRecord, identity: SyslogIdentity): Omit<Rfc5424Fields, 'msg' | 'utf8Bom' | 'structuredData'> {
  const alert = record.type === 'alert';
  return {
    facility: identity.facility,
    severity: alert ? syslogSeverityOf[record.alert.level] : EVENT_SEVERITY,
    timestamp: alert ? record.alert.createdAt : String(record.event['@timestamp'] ?? ''),
    hostname: identity.hostname,
    appName: identity.appName,
    procId: identity.procId,
    msgId: alert ? 'alert' : 'event',
  };
}
