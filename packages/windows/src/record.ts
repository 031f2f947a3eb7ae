// Windows event records independent of their origin, and the reader for the evtx_dump-style JSON rendering of one.
// Never guesses a missing channel, provider, event id, computer or time: such input is a VigilError naming the JSON path.

import { VigilError } from '@vigil/common';
import { normalizeUtcTimestamp, parseInteger } from './internal/coerce.js';

/** One Windows event record, independent of where it came from (EVTX parser, evtx_dump JSON, live channel). */
export interface WindowsEventRecord {
  channel: string;
  provider: string;
  providerGuid?: string;
  eventId: number;
  version?: number;
  level?: number;
  task?: number;
  opcode?: number;
  keywords?: string;
  recordId?: number;
  computer: string;
  timeCreated: string /* ISO 8601 UTC */;
  processId?: number;
  threadId?: number;
  userSid?: string;
  /** EventData Data name→value pairs, or the flattened UserData element; values as rendered (strings or numbers). */
  data: Record<string, string | number | boolean | null>;
}

type JsonObject = Record<string, unknown>;

/** Deepest nesting of EventData / UserData elements that is flattened; deeper input is rejected. */
const MAX_DATA_DEPTH = 16;

function invalid(path: string, message: string): VigilError {
  return new VigilError('invalid_input', `${path}: ${message}`, { location: { path } });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Sets an own property even for names like `__proto__`, which plain assignment would treat as the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function attributesOf(value: unknown): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const attributes = own(value, '#attributes');
  return isObject(attributes) ? attributes : undefined;
}

/** The text of an element rendered either as a scalar or as `{"#attributes": ..., "#text": scalar}`. */
function textOf(value: unknown): unknown {
  return isObject(value) && Object.hasOwn(value, '#text') ? value['#text'] : value;
}

function optionalInteger(value: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = parseInteger(textOf(value));
  if (number === undefined || number < 0 || number > max) throw invalid(path, `expected an integer from 0 to ${max}, got ${describe(value)}`);
  return number;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(path, `expected a string, got ${describe(value)}`);
  return value;
}

function requiredString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalid(path, `expected a string, got ${describe(value)}`);
  return value;
}

type DataValue = string | number | boolean | null;

/**
 * Adds one rendered element under `name`: scalars as they are, lists as `name[1]`, `name[2]`, ..., elements with text
 * by their text, elements with children as `name.child`. Attributes are not data and are left out.
 */
function addDataValue(out: Record<string, DataValue>, name: string, value: unknown, path: string, depth: number): void {
  if (depth > MAX_DATA_DEPTH) throw invalid(path, `nested deeper than ${MAX_DATA_DEPTH} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    if (!Object.hasOwn(out, name)) setOwn(out, name, value);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(path, `expected a finite number, got ${String(value)}`);
    if (!Object.hasOwn(out, name)) setOwn(out, name, value);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => addDataValue(out, `${name}[${index + 1}]`, item, `${path}[${index}]`, depth + 1));
    return;
  }
  if (!isObject(value)) throw invalid(path, `expected a value, got ${typeof value}`);
  if (Object.hasOwn(value, '#text')) {
    addDataValue(out, name, value['#text'], `${path}["#text"]`, depth + 1);
    return;
  }
  const children = Object.keys(value).filter((key) => key !== '#attributes');
  if (children.length === 0) {
    if (!Object.hasOwn(out, name)) setOwn(out, name, null);
    return;
  }
  for (const key of children) addDataValue(out, `${name}.${key}`, value[key], `${path}[${JSON.stringify(key)}]`, depth + 1);
}

/** Unnamed `<Data>` elements (classic events) arrive as `"Data": {"#text": ...}`, a list, or bare `#text`: kept as `Data[1]`, `Data[2]`, ... */
function addUnnamedData(out: Record<string, DataValue>, value: unknown, path: string): void {
  const text = textOf(value);
  addDataValue(out, 'Data', Array.isArray(text) ? text : [text], path, 1);
}

function eventData(value: unknown, path: string): Record<string, DataValue> {
  const out: Record<string, DataValue> = {};
  if (value === undefined || value === null) return out;
  if (!isObject(value)) {
    addUnnamedData(out, value, path);
    return out;
  }
  for (const key of Object.keys(value)) {
    if (key === '#attributes') continue;
    const child = value[key];
    const childPath = `${path}[${JSON.stringify(key)}]`;
    if (key === '#text' || (key === 'Data' && (Array.isArray(child) || (isObject(child) && Object.hasOwn(child, '#text'))))) addUnnamedData(out, child, childPath);
    else addDataValue(out, key, child, childPath, 1);
  }
  return out;
}

/** UserData holds one provider-defined element; its children become the pairs, without the element's own name. */
function userData(value: unknown, path: string): Record<string, DataValue> {
  const out: Record<string, DataValue> = {};
  if (value === undefined || value === null) return out;
  if (!isObject(value)) throw invalid(path, `expected an object, got ${describe(value)}`);
  for (const elementName of Object.keys(value)) {
    if (elementName === '#attributes') continue;
    const element = value[elementName];
    const elementPath = `${path}[${JSON.stringify(elementName)}]`;
    if (!isObject(element) || Object.hasOwn(element, '#text')) {
      addDataValue(out, elementName, element, elementPath, 1);
      continue;
    }
    for (const key of Object.keys(element)) {
      if (key !== '#attributes') addDataValue(out, key, element[key], `${elementPath}[${JSON.stringify(key)}]`, 2);
    }
  }
  return out;
}

/** Reads an evtx_dump-style JSON rendering ({"Event": {"System": {...}, "EventData": {...}}} or UserData) into a record; VigilError('invalid_input') with a JSON path on bad input. */
export function recordFromEvtxJson(value: unknown, path = '$'): WindowsEventRecord {
  if (!isObject(value)) throw invalid(path, `expected a JSON object, got ${describe(value)}`);
  let event: JsonObject;
  let eventPath = `${path}.Event`;
  const wrapped = own(value, 'Event');
  if (wrapped !== undefined) {
    if (!isObject(wrapped)) throw invalid(eventPath, `expected an object, got ${describe(wrapped)}`);
    event = wrapped;
  } else if (isObject(own(value, 'System'))) {
    event = value;
    eventPath = path;
  } else {
    throw invalid(path, 'expected {"Event": {"System": ...}}');
  }
  const systemPath = `${eventPath}.System`;
  const system = own(event, 'System');
  if (!isObject(system)) throw invalid(systemPath, `expected an object, got ${describe(system)}`);

  const providerNode = own(system, 'Provider');
  const providerAttributes = attributesOf(providerNode);
  const provider = requiredString(providerAttributes ? own(providerAttributes, 'Name') : textOf(providerNode), `${systemPath}.Provider.Name`);
  const providerGuid = providerAttributes ? optionalString(own(providerAttributes, 'Guid'), `${systemPath}.Provider.Guid`) : undefined;

  const eventIdNode = own(system, 'EventID');
  if (eventIdNode === undefined || eventIdNode === null) throw invalid(`${systemPath}.EventID`, 'missing');
  const eventId = optionalInteger(eventIdNode, `${systemPath}.EventID`, 65535) as number;

  const timeNode = own(system, 'TimeCreated');
  const timeAttributes = attributesOf(timeNode);
  const timePath = `${systemPath}.TimeCreated.SystemTime`;
  const timeText = requiredString(timeAttributes ? own(timeAttributes, 'SystemTime') : textOf(timeNode), timePath);
  const timeCreated = normalizeUtcTimestamp(timeText.trim());
  if (timeCreated === undefined) throw invalid(timePath, `expected an ISO 8601 time between 1970 and 2200, got ${describe(timeText)}`);

  const record: WindowsEventRecord = {
    channel: requiredString(textOf(own(system, 'Channel')), `${systemPath}.Channel`),
    provider,
    eventId,
    computer: requiredString(textOf(own(system, 'Computer')), `${systemPath}.Computer`),
    timeCreated,
    data: {},
  };
  if (providerGuid !== undefined) record.providerGuid = providerGuid;
  const version = optionalInteger(own(system, 'Version'), `${systemPath}.Version`, 255);
  if (version !== undefined) record.version = version;
  const level = optionalInteger(own(system, 'Level'), `${systemPath}.Level`, 255);
  if (level !== undefined) record.level = level;
  const task = optionalInteger(own(system, 'Task'), `${systemPath}.Task`, 65535);
  if (task !== undefined) record.task = task;
  const opcode = optionalInteger(own(system, 'Opcode'), `${systemPath}.Opcode`, 255);
  if (opcode !== undefined) record.opcode = opcode;
  const keywords = optionalString(textOf(own(system, 'Keywords')), `${systemPath}.Keywords`);
  if (keywords !== undefined) record.keywords = keywords;
  const recordId = optionalInteger(own(system, 'EventRecordID'), `${systemPath}.EventRecordID`);
  if (recordId !== undefined) record.recordId = recordId;
  const execution = attributesOf(own(system, 'Execution'));
  if (execution) {
    const processId = optionalInteger(own(execution, 'ProcessID'), `${systemPath}.Execution.ProcessID`, 0xffffffff);
    if (processId !== undefined) record.processId = processId;
    const threadId = optionalInteger(own(execution, 'ThreadID'), `${systemPath}.Execution.ThreadID`, 0xffffffff);
    if (threadId !== undefined) record.threadId = threadId;
  }
  const security = attributesOf(own(system, 'Security'));
  if (security) {
    const userSid = optionalString(own(security, 'UserID'), `${systemPath}.Security.UserID`);
    if (userSid !== undefined) record.userSid = userSid;
  }

  const eventDataNode = own(event, 'EventData');
  const userDataNode = own(event, 'UserData');
  if (eventDataNode !== undefined && eventDataNode !== null) record.data = eventData(eventDataNode, `${eventPath}.EventData`);
  else record.data = userData(userDataNode, `${eventPath}.UserData`);
  return record;
}

/** Checks the parts of a record that mapping relies on; a record built by hand or by another reader may break them. */
export function assertWindowsEventRecord(record: unknown): asserts record is WindowsEventRecord {
  if (!isObject(record)) throw invalid('record', `expected an object, got ${describe(record)}`);
  for (const key of ['channel', 'provider', 'computer', 'timeCreated'] as const) {
    if (typeof record[key] !== 'string') throw invalid(`record.${key}`, `expected a string, got ${describe(record[key])}`);
  }
  const eventId = record['eventId'];
  if (typeof eventId !== 'number' || !Number.isSafeInteger(eventId) || eventId < 0) throw invalid('record.eventId', `expected a non-negative integer, got ${describe(eventId)}`);
  const data = record['data'];
  if (!isObject(data)) throw invalid('record.data', `expected an object, got ${describe(data)}`);
  for (const key of Object.keys(data)) {
    const item = data[key];
    const ok = item === null || typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item));
    if (!ok) throw invalid(`record.data[${JSON.stringify(key)}]`, `expected a string, finite number, boolean or null, got ${describe(item)}`);
  }
}
