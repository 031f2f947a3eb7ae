// Tests of recordFromEvtxJson: System block parsing, EventData and UserData flattening, and located errors.
// Never reads the corpus; the renderings here follow evtx_dump's JSON shape.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { recordFromEvtxJson } from './record.js';

function rendering(system: Record<string, unknown>, body: Record<string, unknown>): unknown {
  return {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: {
        Provider: { '#attributes': { Name: 'Service Control Manager', Guid: '{555908d1-a6d7-4695-8e1e-26931d2012f4}', EventSourceName: 'Service Control Manager' } },
        EventID: { '#attributes': { Qualifiers: 16384 }, '#text': 7045 },
        Version: 0,
        Level: 4,
        Task: 0,
        Opcode: 0,
        Keywords: '0x8080000000000000',
        TimeCreated: { '#attributes': { SystemTime: '2026-04-01T10:00:00.123456Z' } },
        EventRecordID: 4242,
        Correlation: null,
        Execution: { '#attributes': { ProcessID: 640, ThreadID: 7100 } },
        Channel: 'System',
        Computer: 'ws01',
        Security: { '#attributes': { UserID: 'S-1-5-21-1-2-3-500' } },
        ...system,
      },
      ...body,
    },
  };
}

function rejects(value: unknown, path: string): void {
  assert.throws(
    () => recordFromEvtxJson(value, '$'),
    (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && error.location?.path === path,
    path,
  );
}

test('System block with an EventID carrying Qualifiers, and named EventData', () => {
  const record = recordFromEvtxJson(rendering({}, { EventData: { ServiceName: 'x', ImagePath: 'C:\\x.exe', Empty: null } }));
  assert.deepEqual(record, {
    channel: 'System',
    provider: 'Service Control Manager',
    providerGuid: '{555908d1-a6d7-4695-8e1e-26931d2012f4}',
    eventId: 7045,
    version: 0,
    level: 4,
    task: 0,
    opcode: 0,
    keywords: '0x8080000000000000',
    recordId: 4242,
    processId: 640,
    threadId: 7100,
    userSid: 'S-1-5-21-1-2-3-500',
    computer: 'ws01',
    timeCreated: '2026-04-01T10:00:00.123456Z',
    data: { ServiceName: 'x', ImagePath: 'C:\\x.exe', Empty: null },
  });
});

test('UserData is flattened to the children of its element; attributes are left out', () => {
  const record = recordFromEvtxJson(
    rendering(
      { Channel: 'Security', Provider: { '#attributes': { Name: 'Microsoft-Windows-Eventlog' } }, EventID: 1102, Security: null },
      { UserData: { LogFileCleared: { '#attributes': { xmlns: 'http://manifests.microsoft.com/win/2004/08/windows/eventlog' }, SubjectUserSid: 'S-1-5-21-1', SubjectUserName: 'alice', Nested: { Inner: 5 } } } },
    ),
  );
  assert.deepEqual(record.data, { SubjectUserSid: 'S-1-5-21-1', SubjectUserName: 'alice', 'Nested.Inner': 5 });
  assert.equal(record.userSid, undefined);
});

test('unnamed Data elements of classic events become Data[1], Data[2], ...; EventData attributes are left out', () => {
  const several = recordFromEvtxJson(rendering({}, { EventData: { Data: { '#text': ['Available', 'None', 'HostName=ConsoleHost'] }, Binary: '00' } }));
  assert.deepEqual(several.data, { 'Data[1]': 'Available', 'Data[2]': 'None', 'Data[3]': 'HostName=ConsoleHost', Binary: '00' });
  const one = recordFromEvtxJson(rendering({}, { EventData: { '#attributes': { Name: 'TaskDisabled' }, Data: { '#text': 'only' } } }));
  assert.deepEqual(one.data, { 'Data[1]': 'only' });
  const none = recordFromEvtxJson(rendering({}, { EventData: null }));
  assert.deepEqual(none.data, {});
});

test('times with offsets become UTC; an unwrapped Event object is accepted', () => {
  const record = recordFromEvtxJson((rendering({ TimeCreated: { '#attributes': { SystemTime: '2026-04-01T12:00:00+02:00' } } }, {}) as { Event: unknown }).Event);
  assert.equal(record.timeCreated, '2026-04-01T10:00:00.000Z');
});

test('bad input is a VigilError naming the JSON path', () => {
  rejects(null, '$');
  rejects({ Event: 5 }, '$.Event');
  rejects({ Other: {} }, '$');
  rejects(rendering({ Channel: 7 }, {}), '$.Event.System.Channel');
  rejects(rendering({ EventID: 'seven' }, {}), '$.Event.System.EventID');
  rejects(rendering({ EventID: 70000 }, {}), '$.Event.System.EventID');
  rejects(rendering({ EventID: null }, {}), '$.Event.System.EventID');
  rejects(rendering({ TimeCreated: { '#attributes': { SystemTime: 'not a time' } } }, {}), '$.Event.System.TimeCreated.SystemTime');
  rejects(rendering({ Provider: {} }, {}), '$.Event.System.Provider.Name');
  rejects(rendering({ EventRecordID: -1 }, {}), '$.Event.System.EventRecordID');
  rejects(rendering({ Computer: undefined }, {}), '$.Event.System.Computer');
  rejects(rendering({}, { UserData: 'text' }), '$.Event.UserData');
});
