// The dotted Vigil fields of a record that CEF and LEEF map to their own keys (alert fields or the raw event).
// Never invents values: a field absent from the record is absent from the payload.

import { isIPv4, isIPv6 } from 'node:net';
import type { ExportRecord } from '../core.js';

export function recordFields(record: ExportRecord): ReadonlyMap<string, unknown> {
  if (record.type === 'event') return new Map(Object.entries(record.event));
  return new Map(record.alert.fields.map((f) => [f.field, f.value]));
}

/**
 * Alert fields carry the Sigma names the rule matched on (`CommandLine`, `User`), raw events carry Vigil names;
 * each entry lists the Vigil name first, then the Sigma names that mean the same thing.
 */
export const fieldAliases: Readonly<Record<string, readonly string[]>> = {
  'process.pid': ['process.pid', 'ProcessId'],
  'process.name': ['process.name'],
  'process.executable': ['process.executable', 'Image'],
  'process.command_line': ['process.command_line', 'CommandLine'],
  'user.name': ['user.name', 'User'],
  'source.ip': ['source.ip', 'SourceIp'],
  'source.port': ['source.port', 'SourcePort'],
  'destination.ip': ['destination.ip', 'DestinationIp'],
  'destination.port': ['destination.port', 'DestinationPort'],
  'network.transport': ['network.transport', 'Protocol'],
  'file.path': ['file.path', 'TargetFilename'],
  'host.name': ['host.name', 'Computer'],
};

/** The value of a Vigil field, or of one of its Sigma aliases, in a record's fields. */
export function fieldValue(fields: ReadonlyMap<string, unknown>, name: string): unknown {
  for (const alias of fieldAliases[name] ?? [name]) if (fields.get(alias) !== undefined) return fields.get(alias);
  return undefined;
}

export function scalarText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function portText(value: unknown): string | undefined {
  const port = Number(value);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? String(port) : undefined;
}

export function ipv4Text(value: unknown): string | undefined {
  return typeof value === 'string' && isIPv4(value) ? value : undefined;
}

export function ipText(value: unknown): string | undefined {
  return typeof value === 'string' && (isIPv4(value) || isIPv6(value)) ? value : undefined;
}

export function epochMs(value: unknown): string | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? String(ms) : undefined;
}
