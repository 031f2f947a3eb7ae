// MISP event JSON → indicators: the event's Attributes and its Objects' Attributes, by MISP attribute type, only those
// flagged `to_ids` unless asked otherwise. Malformed documents are errors (nothing is imported); attribute types
// Vigil cannot match are warnings naming the attribute's JSON path.

import type { ImportProblem, IndicatorInput, IndicatorType, ParseOptions, ParseResult } from '../core.js';
import { addressOrRange, canonicalDomain, tryCanonical } from '../normalize.js';
import { externalIdOf, parseJsonDocument } from './json.js';

type Part = IndicatorType | 'address' | 'name-or-path' | 'ignore';

/** MISP attribute types Vigil imports, with the meaning of each `|`-separated part of the value. */
export const mispTypes: Readonly<Record<string, readonly Part[]>> = {
  md5: ['md5'],
  sha1: ['sha1'],
  sha256: ['sha256'],
  'filename|md5': ['name-or-path', 'md5'],
  'filename|sha1': ['name-or-path', 'sha1'],
  'filename|sha256': ['name-or-path', 'sha256'],
  'malware-sample': ['name-or-path', 'md5'],
  'ip-dst': ['address'],
  'ip-src': ['address'],
  'ip-dst|port': ['address', 'port'],
  'ip-src|port': ['address', 'port'],
  domain: ['domain'],
  hostname: ['domain'],
  'domain|ip': ['domain', 'address'],
  'hostname|port': ['domain', 'port'],
  url: ['url'],
  filename: ['name-or-path'],
  port: ['port'],
};

/** Object names whose hash attributes are not file hashes (PE sections): skipped with a warning. */
const NON_FILE_HASH_OBJECTS = new Set(['pe-section', 'elf-section', 'macho-section']);

const isTrue = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';

function isoOf(value: unknown): string | null {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d{9,11}$/.test(value))) {
    const seconds = Number(value);
    return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
  }
  if (typeof value !== 'string') return null;
  const time = Date.parse(value);
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

function mapPart(part: Part, raw: string): { type: IndicatorType; value: string } | undefined {
  switch (part) {
    case 'address':
      return addressOrRange(raw);
    case 'domain': {
      const value = canonicalDomain(raw);
      return value === undefined ? undefined : { type: 'domain', value };
    }
    case 'name-or-path': {
      const hasDirectory = /[\\/]/.test(raw);
      const type: IndicatorType = hasDirectory ? 'path' : 'file_name';
      const value = tryCanonical(type, raw);
      return value === undefined ? undefined : { type, value };
    }
    case 'ignore':
      return undefined;
    default: {
      const value = tryCanonical(part, raw);
      return value === undefined ? undefined : { type: part, value };
    }
  }
}

/** The events of a MISP document: {Event}, a bare event, {response: [{Event}]}, or a list of those. */
function eventsOf(document: unknown): { event: Record<string, unknown>; path: string }[] | string {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const one = (value: unknown, path: string): { event: Record<string, unknown>; path: string } | undefined => {
    if (!isObject(value)) return undefined;
    if (isObject(value.Event)) return { event: value.Event, path: `${path}.Event` };
    if ('Attribute' in value || 'Object' in value || ('info' in value && 'uuid' in value)) return { event: value, path };
    return undefined;
  };
  const list = Array.isArray(document) ? document.map((v, i) => ({ v, p: `$[${i}]` })) : isObject(document) && Array.isArray(document.response) ? document.response.map((v, i) => ({ v, p: `response[${i}]` })) : [{ v: document, p: '$' }];
  const events: { event: Record<string, unknown>; path: string }[] = [];
  for (const { v, p } of list) {
    const found = one(v, p);
    if (!found) return `${p} is not a MISP event: expected {"Event": {...}} with "Attribute" or "Object" lists`;
    events.push(found);
  }
  return events;
}

export function parseMispEvent(text: string, options: ParseOptions): ParseResult {
  const file = options.file ?? 'event.json';
  const problems: ImportProblem[] = [];
  const indicators: IndicatorInput[] = [];
  const error = (message: string, path: string) => problems.push({ severity: 'error', message, location: { file, path } });
  const warning = (message: string, path: string) => problems.push({ severity: 'warning', message, location: { file, path } });
  const parsed = parseJsonDocument(text, file);
  if ('problem' in parsed) return { format: 'misp', indicators, problems: [parsed.problem], entries: 0 };
  const events = eventsOf(parsed.value);
  if (typeof events === 'string') {
    error(events, '$');
    return { format: 'misp', indicators, problems, entries: 0 };
  }
  let entries = 0;
  let notForDetection = 0;
  const unsupportedTypes = new Map<string, { count: number; first: string }>();

  function attribute(a: unknown, path: string, eventInfo: string, objectName: string | null): void {
    if (!a || typeof a !== 'object' || Array.isArray(a)) return void error('an attribute must be a JSON object', path);
    const attr = a as Record<string, unknown>;
    entries++;
    if (typeof attr.type !== 'string' || !attr.type) return void error('an attribute needs a "type" string', `${path}.type`);
    if (typeof attr.value !== 'string' && typeof attr.value !== 'number') return void error('an attribute needs a "value"', `${path}.value`);
    if (isTrue(attr.deleted)) return;
    if (!isTrue(attr.to_ids) && !options.includeNonIds) return void notForDetection++;
    const parts = mispTypes[attr.type];
    if (!parts) {
      const seen = unsupportedTypes.get(attr.type);
      if (seen) seen.count++;
      else unsupportedTypes.set(attr.type, { count: 1, first: path });
      return;
    }
    if (objectName && NON_FILE_HASH_OBJECTS.has(objectName) && parts.some((p) => p === 'md5' || p === 'sha1' || p === 'sha256')) {
      return void warning(`${attr.type} of a ${objectName} object is a section hash, not a file hash: skipped`, path);
    }
    const values = String(attr.value).split('|');
    if (values.length !== parts.length) return void warning(`${attr.type} value must have ${parts.length} part(s) separated by "|"`, `${path}.value`);
    const uuid = typeof attr.uuid === 'string' && attr.uuid ? attr.uuid : null;
    const comment = typeof attr.comment === 'string' ? attr.comment : '';
    const description = [eventInfo, objectName ? `${objectName}: ${attr.object_relation ?? attr.type}` : '', comment].filter(Boolean).join(' | ').slice(0, 2000) || null;
    parts.forEach((part, index) => {
      const raw = values[index]!.trim();
      if (part === 'port' && values.length > 1) return; // ip|port and hostname|port: the address or name is the indicator
      const mapped = mapPart(part, raw);
      if (!mapped) return void warning(`${JSON.stringify(raw.slice(0, 200))} is not a valid ${part === 'name-or-path' ? 'file name or path' : part} (${attr.type})`, `${path}.value`);
      const externalId = uuid ? (parts.length > 1 ? externalIdOf(uuid, mapped.type) : uuid.slice(0, 200)) : null;
      indicators.push({
        type: mapped.type,
        value: mapped.value,
        source: options.source,
        externalId,
        confidence: options.confidence ?? null,
        firstSeen: isoOf(attr.first_seen) ?? isoOf(attr.timestamp),
        lastSeen: isoOf(attr.last_seen),
        expiresAt: null,
        description,
      });
    });
  }

  for (const { event, path } of events) {
    const info = typeof event.info === 'string' ? event.info : '';
    if (event.Attribute !== undefined && !Array.isArray(event.Attribute)) error('"Attribute" must be a list', `${path}.Attribute`);
    if (event.Object !== undefined && !Array.isArray(event.Object)) error('"Object" must be a list', `${path}.Object`);
    (Array.isArray(event.Attribute) ? event.Attribute : []).forEach((a, i) => attribute(a, `${path}.Attribute[${i}]`, info, null));
    (Array.isArray(event.Object) ? event.Object : []).forEach((o, i) => {
      const objectPath = `${path}.Object[${i}]`;
      if (!o || typeof o !== 'object' || Array.isArray(o)) return void error('an object must be a JSON object', objectPath);
      const object = o as Record<string, unknown>;
      if (object.Attribute !== undefined && !Array.isArray(object.Attribute)) return void error('"Attribute" must be a list', `${objectPath}.Attribute`);
      const name = typeof object.name === 'string' ? object.name : 'object';
      if (isTrue(object.deleted)) return;
      (Array.isArray(object.Attribute) ? object.Attribute : []).forEach((a, j) => attribute(a, `${objectPath}.Attribute[${j}]`, info, name));
    });
  }
  for (const [type, { count, first }] of unsupportedTypes) {
    warning(`${count} attribute(s) of type ${type} skipped: Vigil has no matching indicator type`, first);
  }
  if (notForDetection) warning(`${notForDetection} attribute(s) without to_ids skipped (import with includeNonIds to take them)`, '$');
  return { format: 'misp', indicators: dedupe(indicators), problems, entries };
}

/** Drops exact repeats (same type, value and external id) that MISP events often carry. */
function dedupe(indicators: IndicatorInput[]): IndicatorInput[] {
  const seen = new Set<string>();
  return indicators.filter((i) => {
    const key = `${i.type}\u0000${i.value}\u0000${i.externalId ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
