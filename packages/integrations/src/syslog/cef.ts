// ArcSight Common Event Format (CEF:0) payloads for alerts and raw events, with the header and extension escaping.
// Never lets input text break the format: `|` and `\` are escaped in the header, `=`, `\` and line breaks in values.

import { VIGIL_VERSION } from '@vigil/common';
import type { AlertLevel, ExportRecord } from '../core.js';
import { epochMs, fieldValue, ipv4Text, portText, recordFields, scalarText } from './payload-fields.js';

/** CEF severity (0..10) of an alert level: informational 1, low 3, medium 5, high 8, critical 10. Raw events are 1. */
export const cefSeverityOf: Readonly<Record<AlertLevel, number>> = { informational: 1, low: 3, medium: 5, high: 8, critical: 10 };

export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

export function escapeCefValue(value: string): string {
  return value
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

/** Vigil field -> CEF key and the conversion that makes its value valid for that key. */
const fieldKeys: readonly (readonly [string, string, (value: unknown) => string | undefined])[] = [
  ['process.pid', 'spid', portlessInteger],
  ['process.name', 'sproc', scalarText],
  ['user.name', 'suser', scalarText],
  ['source.ip', 'src', ipv4Text],
  ['source.port', 'spt', portText],
  ['destination.ip', 'dst', ipv4Text],
  ['destination.port', 'dpt', portText],
  ['network.transport', 'proto', scalarText],
  ['file.path', 'filePath', scalarText],
  ['host.name', 'dvchost', scalarText],
];

function portlessInteger(value: unknown): string | undefined {
  return Number.isInteger(value) ? String(value) : undefined;
}

function extension(pairs: readonly (readonly [string, string | undefined])[]): string {
  return pairs
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined && pair[1] !== '')
    .map(([key, value]) => `${key}=${escapeCefValue(value)}`)
    .join(' ');
}

export function formatCef(record: ExportRecord): string {
  const fields = recordFields(record);
  const mapped = fieldKeys.map(([field, key, convert]) => [key, convert(fieldValue(fields, field))] as const);
  const commandLine = scalarText(fieldValue(fields, 'process.command_line'));
  const custom = [['cs4Label', commandLine === undefined ? undefined : 'commandLine'], ['cs4', commandLine]] as const;
  let signature: string;
  let name: string;
  let severity: number;
  let own: (readonly [string, string | undefined])[];
  if (record.type === 'alert') {
    const a = record.alert;
    signature = a.ruleId;
    name = a.ruleTitle;
    severity = cefSeverityOf[a.level];
    own = [
      ['rt', epochMs(a.createdAt)],
      ['start', epochMs(a.firstSeen)],
      ['end', epochMs(a.lastSeen)],
      ['cnt', String(a.count)],
      ['externalId', a.id],
      ['cat', a.kind],
      ['cs1Label', 'tags'],
      ['cs1', a.tags.join(',') || undefined],
      ['cs2Label', 'hostId'],
      ['cs2', a.hostId],
      ['cs3Label', 'level'],
      ['cs3', a.level],
    ];
  } else {
    const e = record.event;
    const category = scalarText(e['event.category']) ?? 'unknown';
    const action = scalarText(e['event.action']) ?? 'unknown';
    signature = `${category}:${action}`;
    name = `${category} ${action}`;
    severity = 1;
    own = [
      ['rt', epochMs(e['@timestamp'])],
      ['externalId', scalarText(e['event.id'])],
      ['cat', category],
      ['cs2Label', 'hostId'],
      ['cs2', scalarText(e['host.id'])],
    ];
  }
  const header = ['CEF:0', 'Vigil', 'Vigil EDR', VIGIL_VERSION, signature, name, String(severity)].map((part, i) => (i === 0 ? part : escapeCefHeader(part)));
  return `${header.join('|')}|${extension([...own, ...mapped, ...custom])}`;
}
