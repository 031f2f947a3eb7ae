// Turns a rendered EVTX event tree into the origin-independent WindowsEventRecord of @vigil/windows.
// Never invents System fields: a missing channel, provider, computer or event id stays empty or 0, and the time falls
// back to the record header's written time; EventData/UserData are flattened like recordFromEvtxJson does.

import type { WindowsEventRecord } from '@vigil/windows';
import type { EvtxRecord, XmlElement } from './types.js';

type DataValue = string | number | boolean | null;

/** Deepest UserData nesting flattened into dotted names; deeper content is kept as the text of that level. */
const MAX_DATA_DEPTH = 16;
const SYSTEM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined;
  for (const c of element.children) if (typeof c !== 'string' && c.name === name) return c;
  return undefined;
}

/** The concatenated text of an element and its descendants. */
export function elementText(element: XmlElement): string {
  let s = '';
  for (const c of element.children) s += typeof c === 'string' ? c : elementText(c);
  return s;
}

function text(element: XmlElement | undefined): string | undefined {
  return element ? elementText(element) : undefined;
}

function attribute(element: XmlElement | undefined, name: string): string | undefined {
  return element && Object.hasOwn(element.attributes, name) ? element.attributes[name] : undefined;
}

function integer(value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  let n: number;
  if (/^\d{1,16}$/.test(t)) n = Number(t);
  else if (/^0x[0-9a-f]{1,13}$/i.test(t)) n = Number.parseInt(t.slice(2), 16);
  else return undefined;
  return n <= max ? n : undefined;
}

function setOwn(target: Record<string, DataValue>, key: string, value: DataValue): void {
  if (Object.hasOwn(target, key)) return;
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function elementChildren(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of element.children) if (typeof c !== 'string') out.push(c);
  return out;
}

/** An element's value: its text ("" when empty, as the JSON and XML readers give it); elements with child elements become `name.child` pairs. */
function addElement(out: Record<string, DataValue>, name: string, element: XmlElement, depth: number): void {
  const kids = elementChildren(element);
  if (kids.length === 0 || depth >= MAX_DATA_DEPTH) {
    const value = elementText(element);
    setOwn(out, name, value);
    return;
  }
  addChildren(out, `${name}.`, kids, depth + 1);
}

/** Children by name; repeated names become `name[1]`, `name[2]`, ... */
function addChildren(out: Record<string, DataValue>, prefix: string, kids: XmlElement[], depth: number): void {
  const counts = new Map<string, number>();
  for (const k of kids) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const k of kids) {
    const n = (seen.get(k.name) ?? 0) + 1;
    seen.set(k.name, n);
    addElement(out, (counts.get(k.name)! > 1 ? `${prefix}${k.name}[${n}]` : `${prefix}${k.name}`), k, depth);
  }
}

function eventData(element: XmlElement): Record<string, DataValue> {
  const out: Record<string, DataValue> = {};
  const kids = elementChildren(element);
  let unnamed = 0;
  const others: XmlElement[] = [];
  for (const k of kids) {
    const name = k.name === 'Data' ? attribute(k, 'Name') : undefined;
    if (name !== undefined && name !== '') addElement(out, name, k, 1);
    else if (k.name === 'Data') addElement(out, `Data[${++unnamed}]`, k, 1);
    else others.push(k);
  }
  addChildren(out, '', others, 1);
  if (kids.length === 0) {
    const value = elementText(element);
    if (value !== '') setOwn(out, 'Data[1]', value);
  }
  return out;
}

function userData(element: XmlElement): Record<string, DataValue> {
  const out: Record<string, DataValue> = {};
  for (const k of elementChildren(element)) {
    const grandchildren = elementChildren(k);
    if (grandchildren.length === 0) addElement(out, k.name, k, 1);
    else addChildren(out, '', grandchildren, 2);
  }
  return out;
}

/** Renders the XML tree into the WindowsEventRecord of @vigil/windows (System fields + EventData/UserData flattened). */
export function toWindowsRecord(record: EvtxRecord): WindowsEventRecord {
  const event = record.event;
  const system = child(event, 'System');
  const provider = child(system, 'Provider');
  const systemTime = attribute(child(system, 'TimeCreated'), 'SystemTime');
  const out: WindowsEventRecord = {
    channel: text(child(system, 'Channel')) ?? '',
    provider: attribute(provider, 'Name') ?? attribute(provider, 'EventSourceName') ?? '',
    eventId: integer(text(child(system, 'EventID')), 65535) ?? 0,
    computer: text(child(system, 'Computer')) ?? '',
    timeCreated: systemTime !== undefined && SYSTEM_TIME.test(systemTime) ? systemTime : record.writtenAt,
    recordId: integer(text(child(system, 'EventRecordID')), Number.MAX_SAFE_INTEGER) ?? record.recordId,
    data: {},
  };
  const guid = attribute(provider, 'Guid');
  if (guid !== undefined) out.providerGuid = guid;
  const version = integer(text(child(system, 'Version')), 255);
  if (version !== undefined) out.version = version;
  const level = integer(text(child(system, 'Level')), 255);
  if (level !== undefined) out.level = level;
  const task = integer(text(child(system, 'Task')), 65535);
  if (task !== undefined) out.task = task;
  const opcode = integer(text(child(system, 'Opcode')), 255);
  if (opcode !== undefined) out.opcode = opcode;
  const keywords = text(child(system, 'Keywords'));
  if (keywords !== undefined && keywords !== '') out.keywords = keywords;
  const execution = child(system, 'Execution');
  const processId = integer(attribute(execution, 'ProcessID'), 0xffffffff);
  if (processId !== undefined) out.processId = processId;
  const threadId = integer(attribute(execution, 'ThreadID'), 0xffffffff);
  if (threadId !== undefined) out.threadId = threadId;
  const userSid = attribute(child(system, 'Security'), 'UserID');
  if (userSid !== undefined && userSid !== '') out.userSid = userSid;
  const data = child(event, 'EventData');
  const user = child(event, 'UserData');
  if (data) out.data = eventData(data);
  else if (user) out.data = userData(user);
  return out;
}
