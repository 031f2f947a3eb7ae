// RFC 5424 formatting: header fields, PRI from levels, structured data escaping, size limit, and the grammar parser.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertRecord, eventRecord, HOSTILE_TEXT } from '../testing/samples.js';
import { parseRfc5424 } from './rfc5424-parse.js';
import { cutUtf8, escapeParamValue, formatRfc5424, VIGIL_SD_ID } from './rfc5424.js';
import { formatSyslogMessage } from './syslog-exporter.js';

const identity = { facility: 13, hostname: 'vigil-server', appName: 'vigil', procId: '1234' };

test('an alert message has PRI from facility and level, every header field, and the vigil SD element', () => {
  const record = alertRecord({ level: 'critical', createdAt: '2026-12-04T10:11:12.345Z', tags: ['attack.t1059', 'a"b]c'] });
  const line = formatSyslogMessage(record, 'rfc5424', identity);
  assert.ok(line.startsWith('<106>1 2026-12-04T10:11:12.345Z vigil-server vigil 1234 alert [vigil@32473 alert_id="'), line);
  const parsed = parseRfc5424(line);
  assert.equal(parsed.facility, 13);
  assert.equal(parsed.severity, 2);
  assert.equal(parsed.utf8Bom, true);
  const sd = parsed.structuredData[0]!;
  assert.equal(sd.id, VIGIL_SD_ID);
  assert.deepEqual(sd.params.filter(([n]) => n === 'tag').map(([, v]) => v), ['attack.t1059', 'a"b]c']);
  assert.equal(JSON.parse(parsed.msg).id, record.type === 'alert' ? record.alert.id : '');
  assert.equal(parseRfc5424(formatSyslogMessage(alertRecord({ level: 'informational' }), 'rfc5424', identity)).severity, 6);
  assert.equal(parseRfc5424(formatSyslogMessage(eventRecord(), 'rfc5424', identity)).msgId, 'event');
});

test('structured data escapes ", \\ and ] in values and the parser restores them', () => {
  assert.equal(escapeParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  const line = formatRfc5424({ facility: 1, severity: 5, structuredData: [{ id: 'x@32473', params: [['v', HOSTILE_TEXT], ['w', '']]}], msg: '', utf8Bom: false });
  assert.ok(line.includes(`v="${escapeParamValue(HOSTILE_TEXT)}"`));
  assert.deepEqual(parseRfc5424(line).structuredData, [{ id: 'x@32473', params: [['v', HOSTILE_TEXT], ['w', '']] }]);
});

test('header fields are cut to their RFC lengths and cleaned to printable ASCII; bad values become NILVALUE', () => {
  const line = formatRfc5424({ facility: 99, severity: -3, timestamp: 'not a date', hostname: 'host name\u00e9'.repeat(40), appName: 'a'.repeat(60), procId: '', msgId: 'm'.repeat(40), structuredData: [{ id: 'bad id="]', params: [['p a=r"m', 'v']] }], msg: 'hello', utf8Bom: false });
  const parsed = parseRfc5424(line);
  assert.equal(parsed.priority, 23 * 8);
  assert.equal(parsed.timestamp, null);
  assert.equal(parsed.hostname!.length, 255);
  assert.equal(parsed.appName!.length, 48);
  assert.equal(parsed.procId, null);
  assert.equal(parsed.msgId!.length, 32);
  assert.equal(parsed.msg, 'hello');
  assert.equal(parsed.structuredData[0]!.id, 'badid@32473');
});

test('a long message is cut to the byte limit at a character boundary, header and structured data kept', () => {
  const msg = 'é'.repeat(5000);
  const line = formatSyslogMessage(alertRecord({ ruleTitle: msg }), 'rfc5424', identity, 2048);
  assert.ok(Buffer.byteLength(line) <= 2048);
  assert.ok(Buffer.byteLength(line) >= 2046);
  const parsed = parseRfc5424(line);
  assert.equal(parsed.structuredData.length, 1);
  assert.equal(cutUtf8('aé', 2), 'a');
  assert.equal(cutUtf8('aé', 3), 'aé');
  const tiny = formatRfc5424({ facility: 1, severity: 1, structuredData: [{ id: 'x@1', params: [['v', 'x'.repeat(500)]] }], msg: 'm', utf8Bom: false }, 100);
  assert.ok(Buffer.byteLength(tiny) <= 100);
  assert.deepEqual(parseRfc5424(tiny).structuredData, []);
});

test('the parser refuses messages outside the grammar', () => {
  const good = '<34>1 2026-12-04T10:11:12.345Z host app 1 ID [x@1 a="b"] msg';
  assert.equal(parseRfc5424(good).msg, 'msg');
  const bad = [
    '<192>1 - - - - - -',
    '<034>1 - - - - - -',
    '<34>0 - - - - - -',
    '<34>1 2026-13-04T10:11:12Z - - - - -',
    '<34>1 2026-12-04T10:11:12.1234567Z - - - - -',
    '<34>1 2026-12-04 10:11:12Z - - - - -',
    '<34>1 - - - - - [x@1 a="b]"]',
    '<34>1 - - - - - [x@1 a="b"',
    '<34>1 - - - - - [x a="b"]',
    '<34>1 - - - - - [x@1 a="b"][x@1 c="d"]',
    '<34>1 - - - - - [x@1 a=b]',
    '<34>1 - - - - -msg',
    '<34>1 - host\u00e9 - - - -',
  ];
  for (const line of bad) assert.throws(() => parseRfc5424(line), /not RFC 5424/, line);
});
