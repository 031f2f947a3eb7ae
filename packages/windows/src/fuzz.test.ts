// Property test: seeded random and mutated renderings and records never make the reader or the mapper throw anything
// but VigilError, and every mapped event passes the schema validator. Never uses unseeded randomness.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, VigilError } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { windowsChannelTables, type FieldRule } from './event-tables.js';
import { mapWindowsEvent, recordFromEvtxJson, type WindowsEventRecord } from './index.js';

const ITERATIONS = 20000;
const random = seededRandom(0x5eed_3);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const chance = (p: number) => random() < p;

const channels = [...windowsChannelTables.map((table) => table.channel), 'Microsoft-Windows-Windows Defender/Operational', '', 'security'];
const providers = ['Microsoft-Windows-Sysmon', 'Microsoft-Windows-Security-Auditing', 'Service Control Manager', 'Microsoft-Windows-FilterManager', 'Microsoft-Windows-Eventlog', 'PowerShell', 'x'];
const eventIds = [...new Set(windowsChannelTables.flatMap((table) => Object.keys(table.events).map(Number))), 0, 65535, 5145];
const sourceNames = [
  ...new Set(windowsChannelTables.flatMap((table) => [...Object.keys(table.common), ...Object.values(table.events).flatMap((rule) => Object.keys(rule.fields ?? {}))])),
  'Data[1]',
  '__proto__',
  'constructor',
  'EventType',
  'Initiated',
  'param2',
];

function randomText(maxLength: number): string {
  const alphabet = ['a', 'Z', '0', '9', ' ', '\\', '"', '/', ';', ',', '=', '-', ':', '.', '\t', '\n', 'é', '\u0000', '😀', '%', '&', '<', '>', 'x'];
  let text = '';
  const length = Math.floor(random() * maxLength);
  for (let i = 0; i < length; i++) text += pick(alphabet);
  return text;
}

/** Values shaped like real EventData (so converters get past their first checks) and plain garbage. */
function interestingValue(): string | number | boolean | null {
  switch (Math.floor(random() * 24)) {
    case 0:
      return null;
    case 1:
      return '';
    case 2:
      return '-';
    case 3:
      return Math.floor(random() * 70000);
    case 4:
      return pick([-1, 1.5, 2 ** 53, -(2 ** 60), 0, 1e300]);
    case 5:
      return `0x${Math.floor(random() * 2 ** 32).toString(16)}${chance(0.2) ? 'ffffffffffffffff' : ''}`;
    case 6:
      return pick(['10.0.0.1', '::ffff:1.2.3.4', 'fe80::1%12', '300.1.1.1', '2001:db8::1', '::']);
    case 7:
      return pick(['C:\\Windows\\System32\\cmd.exe', '\\\\server\\share\\x.dll', 'C:\\', '\\', 'x.', '.hidden', 'C:\\a b\\"q".exe']);
    case 8:
      return `"C:\\Program Files\\x.exe" ${randomText(40)}`;
    case 9:
      return pick(['MD5=00112233445566778899aabbccddeeff,SHA256=' + 'ab'.repeat(32), 'SHA1=XYZ,IMPHASH=', 'MD5=', '=,=', 'IMPHASH=' + 'F'.repeat(32)]);
    case 10:
      return pick(['HKLM\\SOFTWARE\\x\\y', '\\REGISTRY\\MACHINE\\SYSTEM\\z', 'HKU\\', 'HKCR', 'BOGUS\\a', 'HKLM\\' + 'k\\'.repeat(3000)]);
    case 11:
      return pick(['DWORD (0xffffffff)', 'QWORD (0xffffffff-0xffffffff)', 'DWORD (0x)', 'Binary Data', '(Empty)']);
    case 12:
      return pick(['2026-01-02 03:04:05.678', '2026-02-30 00:00:00.000', '1969-01-01 00:00:00', '2026-01-02T03:04:05Z', '9999-12-31 23:59:59.999']);
    case 13:
      return pick(['type:  5 a.example;::ffff:1.2.3.4;', ';;;', 'type: 1 ;', '1.2.3.4;' + 'x;'.repeat(5000)]);
    case 14:
      return pick(['CreateKey', 'DeleteKey', 'DeleteValue', 'SetValue', 'RenameKey', 'CREATEKEY', 'running', 'stopped', 'true', 'false', 'TRUE']);
    case 15:
      return pick(['S-1-16-12288', 'S-1-16-99', 'High', 'auto start', '0x10', '0x1', 'kernel mode driver', '7', '10', 'NTLM', 'MICROSOFT_AUTHENTICATION_PACKAGE_V1_0']);
    case 16:
      return pick(['0x0', '0xc000006a', '0x18', '0xC0000234', '9003', '0']);
    case 17:
      return pick(['<Exec><Command>a&amp;b&#0;&#x110000;&#55296;</Command><Arguments>&lt;x&gt;</Arguments></Exec>', '<Command></Command>', '<Command>']);
    case 18:
      return `Host Application = ${randomText(30)}\r\nUser = ${randomText(10)}\r\nScript Name = ${randomText(10)}\r\n=\r\n`;
    case 19:
      return chance(0.5) ? 'A'.repeat(1025) : 'B'.repeat(70000);
    case 20:
      return random() < 0.5;
    case 21:
      return `DOMAIN\\${randomText(8)}\\more`;
    default:
      return randomText(60);
  }
}

function randomJson(depth: number): unknown {
  if (depth > 3 || chance(0.6)) return interestingValue();
  if (chance(0.5)) return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(random() * 4); i > 0; i--) object[chance(0.3) ? '#text' : chance(0.2) ? '#attributes' : pick(sourceNames)] = randomJson(depth + 1);
  return object;
}

function seedRendering(): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (let i = 1 + Math.floor(random() * 12); i > 0; i--) data[pick(sourceNames)] = interestingValue();
  const body = chance(0.15) ? { UserData: { Element: { '#attributes': { xmlns: 'x' }, ...data } } } : { EventData: data };
  return {
    Event: {
      System: {
        Provider: { '#attributes': { Name: pick(providers), Guid: '{0}' } },
        EventID: chance(0.2) ? { '#attributes': { Qualifiers: 16384 }, '#text': pick(eventIds) } : pick(eventIds),
        Version: 2,
        Level: pick([0, 1, 2, 3, 4, 5, 6, 255]),
        Task: 1,
        Opcode: 0,
        Keywords: pick(['0x8020000000000000', '0x8010000000000000', '0x0', 'bogus', '0xffffffffffffffff']),
        TimeCreated: { '#attributes': { SystemTime: pick(['2026-04-01T10:00:00.123456Z', '2026-04-01T10:00:00+02:00', '2026-04-01 10:00:00']) } },
        EventRecordID: Math.floor(random() * 1e6),
        Execution: { '#attributes': { ProcessID: 4, ThreadID: 8 } },
        Channel: pick(channels),
        Computer: chance(0.05) ? 'h'.repeat(2000) : 'ws01',
        Security: chance(0.5) ? null : { '#attributes': { UserID: 'S-1-5-18' } },
      },
      ...body,
    },
  };
}

/** Replaces, deletes or adds one node somewhere in the tree. */
function mutate(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return chance(0.5) ? randomJson(0) : value;
  const container = value as Record<string, unknown>;
  const keys = Object.keys(container);
  if (keys.length === 0 || chance(0.1)) {
    container[chance(0.5) ? pick(sourceNames) : randomText(5)] = randomJson(0);
    return value;
  }
  const key = pick(keys);
  const roll = random();
  if (roll < 0.15) delete container[key];
  else if (roll < 0.4) container[key] = randomJson(0);
  else container[key] = mutate(container[key]);
  return value;
}

function mutateRecord(record: WindowsEventRecord): unknown {
  const copy: Record<string, unknown> = { ...record, data: { ...record.data } };
  const keys = ['channel', 'provider', 'eventId', 'computer', 'timeCreated', 'data', 'recordId', 'task', 'level', 'keywords', 'processId', 'userSid'];
  const key = pick(keys);
  copy[key] = chance(0.5) ? randomJson(1) : interestingValue();
  return copy;
}

function expectVigilError(error: unknown, what: string): void {
  if (!(error instanceof VigilError)) assert.fail(`${what} threw ${error instanceof Error ? error.stack : String(error)}`);
}

function checkMapped(record: WindowsEventRecord, iteration: number): boolean {
  let event: Record<string, unknown>;
  try {
    event = mapWindowsEvent(record) as unknown as Record<string, unknown>;
  } catch (error) {
    expectVigilError(error, `mapWindowsEvent at iteration ${iteration}`);
    return false;
  }
  const candidate = { ...event, 'event.id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'event.sequence': iteration, 'host.id': 'fuzz-host' };
  const { problems } = checkEvent(candidate, `iteration ${iteration}`);
  assert.deepEqual(problems, [], JSON.stringify(record).slice(0, 2000));
  return true;
}

test(`${ITERATIONS} seeded random and mutated records: only VigilErrors, and every mapped event is valid`, () => {
  let mappedCount = 0;
  let readerRejections = 0;
  const categories = new Set<string>();
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    let rendering: unknown = seedRendering();
    for (let m = Math.floor(random() * 3); m > 0; m--) rendering = mutate(rendering);
    let record: WindowsEventRecord;
    try {
      record = recordFromEvtxJson(rendering);
    } catch (error) {
      expectVigilError(error, `recordFromEvtxJson at iteration ${iteration}`);
      readerRejections++;
      continue;
    }
    if (checkMapped(record, iteration)) {
      mappedCount++;
      categories.add(String((mapWindowsEvent(record) as unknown as Record<string, unknown>)['event.category']));
    }
    if (chance(0.2)) checkMapped(mutateRecord(record) as WindowsEventRecord, iteration);
  }
  console.log(`mapped ${mappedCount}, reader rejections ${readerRejections}, categories ${[...categories].sort().join(' ')}`);
  // The generator must exercise both paths and most tables, or the property says little.
  assert.ok(mappedCount > ITERATIONS / 2, `only ${mappedCount} records mapped`);
  assert.ok(readerRejections > 100, `only ${readerRejections} renderings rejected`);
  assert.ok(categories.size >= 12, `categories reached: ${[...categories].join(', ')}`);
});
