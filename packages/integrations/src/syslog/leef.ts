// IBM QRadar Log Event Extended Format (LEEF:1.0, tab-delimited) payloads for alerts and raw events.
// Never lets input text break the format: `|` and `\` are escaped in the header; tabs and line breaks in values
// (LEEF has no escape for them) become spaces.

import { VIGIL_VERSION } from '@vigil/common';
import type { AlertLevel, ExportRecord } from '../core.js';
import { fieldValue, ipText, portText, recordFields, scalarText } from './payload-fields.js';

/** LEEF `sev` (1..10) of an alert level; raw events are 1. */
export const leefSeverityOf: Readonly<Record<AlertLevel, number>> = { informational: 1, low: 3, medium: 5, high: 8, critical: 10 };
/** Java date pattern QRadar uses to read `devTime` (ISO 8601 with milliseconds and `Z`). */
export const LEEF_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSX";

export function escapeLeefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\t\r\n]+/g, ' ');
}

export function cleanLeefValue(value: string): string {
  return value.replace(/\r\n|[\t\r\n]/g, ' ');
}

const fieldKeys: readonly (readonly [string, string, (value: unknown) => string | undefined])[] = [
  ['user.name', 'usrName', scalarText],
  ['source.ip', 'src', ipText],
  ['source.port', 'srcPort', portText],
  ['destination.ip', 'dst', ipText],
  ['destination.port', 'dstPort', portText],
  ['network.transport', 'proto', scalarText],
  ['host.name', 'identHostName', scalarText],
  ['process.pid', 'pid', scalarText],
  ['process.name', 'processName', scalarText],
  ['process.command_line', 'commandLine', scalarText],
  ['file.path', 'filePath', scalarText],
];

function isoTime(value: unknown): string | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

export function formatLeef(record: ExportRecord): string {
  const fields = recordFields(record);
  let eventId: string;
  let own: (readonly [string, string | undefined])[];
  if (record.type === 'alert') {
    const a = record.alert;
    eventId = a.ruleId;
    own = [
      ['cat', a.kind],
      ['sev', String(leefSeverityOf[a.level])],
      ['devTime', isoTime(a.createdAt)],
      ['alertId', a.id],
      ['ruleTitle', a.ruleTitle],
      ['level', a.level],
      ['hostId', a.hostId],
      ['count', String(a.count)],
      ['tags', a.tags.join(',') || undefined],
    ];
  } else {
    const e = record.event;
    const category = scalarText(e['event.category']) ?? 'unknown';
    eventId = `${category}:${scalarText(e['event.action']) ?? 'unknown'}`;
    own = [
      ['cat', category],
      ['sev', '1'],
      ['devTime', isoTime(e['@timestamp'])],
      ['eventId', scalarText(e['event.id'])],
      ['hostId', scalarText(e['host.id'])],
    ];
  }
  const pairs = [...own.slice(0, 3), ['devTimeFormat', own[2]![1] === undefined ? undefined : LEEF_TIME_FORMAT] as const, ...own.slice(3), ...fieldKeys.map(([field, key, convert]) => [key, convert(fieldValue(fields, field))] as const)];
  const attributes = pairs
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined && pair[1] !== '')
    .map(([key, value]) => `${key}=${cleanLeefValue(value)}`)
    .join('\t');
  const header = ['LEEF:1.0', 'Vigil', 'Vigil EDR', VIGIL_VERSION, eventId].map((part, i) => (i === 0 ? part : escapeLeefHeader(part)));
  return `${header.join('|')}|${attributes}`;
}
