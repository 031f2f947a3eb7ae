// toWindowsRecord: the SigmaHQ regression EVTX files give the same WindowsEventRecord as @vigil/windows reads from their
// evtx_dump JSON twins (after the JSON's formatting conventions are undone), and the flattening rules on small trees.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '@vigil/common';
import { parseConcatenatedJson, recordFromEvtxJson, type WindowsEventRecord } from '@vigil/windows';
import { readEvtxFile, toWindowsRecord, type EvtxRecord, type XmlElement } from './index.js';

/**
 * The JSON twins come from the Rust evtx crate's evtx_dump: GUIDs without braces, times with 6 fraction digits,
 * numbers as JSON numbers, trailing whitespace trimmed. Values are compared after undoing that.
 */
function normalise(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value).trim();
  if (/^\{[0-9A-Fa-f-]{36}\}$/.test(s)) s = s.slice(1, -1);
  if (/^[0-9A-Fa-f-]{36}$/.test(s)) s = s.toUpperCase();
  const time = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(s);
  if (time) s = `${time[1]}.${(time[2] ?? '').padEnd(6, '0').slice(0, 6)}`;
  return s;
}

/** Where the upstream JSON twin does not match its own EVTX (checked with evtxexport): file, field, EVTX value. */
const UPSTREAM_JSON_DIFFERS = new Set(['ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx data.ParentCommandLine']);

test('SigmaHQ regression EVTX files map to the records their evtx_dump JSON twins give', async () => {
  const root = corpusPath('sigma');
  const rows = readFileSync(join(root, 'regression_index.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t'));
  const evtxRows = rows.filter((row) => row[3] === 'evtx');
  assert.ok(evtxRows.length >= 200, `expected ~202 regression EVTX files, found ${evtxRows.length}`);
  const differences: string[] = [];
  let records = 0;
  for (const row of evtxRows) {
    const evtx = join(root, row[2]!);
    const json = evtx.replace(/\.evtx$/, '.json');
    const expected = parseConcatenatedJson(readFileSync(json, 'utf8'), json).map((value) => recordFromEvtxJson(value));
    const ours: WindowsEventRecord[] = [];
    for await (const record of readEvtxFile(evtx)) ours.push(toWindowsRecord(record));
    const name = evtx.slice(evtx.lastIndexOf('/') + 1);
    if (ours.length !== expected.length) differences.push(`${name}: ${ours.length} records, JSON ${expected.length}`);
    for (const mine of ours) {
      records++;
      const twin = expected.find((e) => e.recordId === mine.recordId);
      if (!twin) {
        differences.push(`${name}: record ${mine.recordId} is not in the JSON`);
        continue;
      }
      const { data: ourData, ...ourSystem } = mine;
      const { data: twinData, ...twinSystem } = twin;
      for (const key of new Set([...Object.keys(ourSystem), ...Object.keys(twinSystem)])) {
        const a = (ourSystem as Record<string, unknown>)[key];
        const b = (twinSystem as Record<string, unknown>)[key];
        if (normalise(a) !== normalise(b)) differences.push(`${name} ${key}: ${JSON.stringify(a)} vs JSON ${JSON.stringify(b)}`);
      }
      for (const key of new Set([...Object.keys(ourData), ...Object.keys(twinData)])) {
        if (UPSTREAM_JSON_DIFFERS.has(`${name} data.${key}`)) continue;
        if (normalise(ourData[key]) !== normalise(twinData[key])) differences.push(`${name} data.${key}: ${JSON.stringify(ourData[key])} vs JSON ${JSON.stringify(twinData[key])}`);
      }
    }
  }
  assert.deepEqual(differences.slice(0, 20), []);
  assert.ok(records >= 238, `${records} records`);
});

const el = (name: string, attributes: Record<string, string>, ...children: (XmlElement | string)[]): XmlElement => ({ name, attributes, children });

function record(event: XmlElement): EvtxRecord {
  return { recordId: 77, writtenAt: '2024-01-01T00:00:00.000Z', chunkIndex: 0, fileOffset: 4608, recovered: false, event };
}

const system = el(
  'System',
  {},
  el('Provider', { Name: 'Microsoft-Windows-Security-Auditing', Guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}' }),
  el('EventID', { Qualifiers: '0' }, '4624'),
  el('Version', {}, '2'),
  el('Level', {}, '0'),
  el('Task', {}, '12544'),
  el('Opcode', {}, '0'),
  el('Keywords', {}, '0x8020000000000000'),
  el('TimeCreated', { SystemTime: '2021-10-20T13:39:17.315479800Z' }),
  el('EventRecordID', {}, '67101'),
  el('Correlation', { ActivityID: '{00000000-0000-0000-0000-000000000000}' }),
  el('Execution', { ProcessID: '512', ThreadID: '3140' }),
  el('Channel', {}, 'Security'),
  el('Computer', {}, 'FS03.offsec.lan'),
  el('Security', { UserID: 'S-1-5-18' }),
);

test('System fields, named and unnamed Data, Binary and empty values', () => {
  const out = toWindowsRecord(
    record(el('Event', {}, system, el('EventData', {}, el('Data', { Name: 'SubjectLogonId' }, '0x3e7'), el('Data', { Name: 'Empty' }), el('Data', {}, 'first'), el('Data', {}, 'second'), el('Binary', {}, 'DEAD'), el('Data', { Name: '__proto__' }, 'x')))),
  );
  assert.deepEqual(out, {
    channel: 'Security',
    provider: 'Microsoft-Windows-Security-Auditing',
    providerGuid: '{54849625-5478-4994-A5BA-3E3B0328C30D}',
    eventId: 4624,
    version: 2,
    level: 0,
    task: 12544,
    opcode: 0,
    keywords: '0x8020000000000000',
    recordId: 67101,
    computer: 'FS03.offsec.lan',
    timeCreated: '2021-10-20T13:39:17.315479800Z',
    processId: 512,
    threadId: 3140,
    userSid: 'S-1-5-18',
    data: Object.defineProperty({ SubjectLogonId: '0x3e7', Empty: '', 'Data[1]': 'first', 'Data[2]': 'second', Binary: 'DEAD' }, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true }),
  });
  assert.equal(Object.getPrototypeOf(out.data), Object.prototype);
});

test('UserData: the provider element is dropped, nested elements become dotted names, repeats get indexes', () => {
  const out = toWindowsRecord(
    record(el('Event', {}, system, el('UserData', {}, el('LogFileCleared', { xmlns: 'x' }, el('SubjectUserName', {}, 'admmig'), el('Files', {}, el('File', {}, 'a'), el('File', {}, 'b')), el('Deep', {}, el('Inner', {}, 'v')))))),
  );
  assert.deepEqual(out.data, { SubjectUserName: 'admmig', 'Files.File[1]': 'a', 'Files.File[2]': 'b', 'Deep.Inner': 'v' });
});

test('a damaged event without System fields falls back to the record header, never invents names', () => {
  const out = toWindowsRecord(record(el('Event', {}, el('System', {}, el('TimeCreated', { SystemTime: 'garbage' }), el('EventID', {}, 'x')))));
  assert.deepEqual(out, { channel: '', provider: '', eventId: 0, computer: '', timeCreated: '2024-01-01T00:00:00.000Z', recordId: 77, data: {} });
});
