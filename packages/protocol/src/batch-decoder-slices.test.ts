// Property tests of the decoder's event slices (the bytes a store journals as received): every slice offered must
// parse to exactly the validated event, sit on one line and hold no repeated key; ordinary compact batches get all.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { decodeEventBatch, locateEvents } from './batch-decoder.js';

const HOST = 'agent-1';

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function processEvent(random: () => number, sequence: number): Record<string, unknown> {
  return {
    '@timestamp': new Date(1_700_000_000_000 + sequence).toISOString(),
    'event.id': uuid(random),
    'event.sequence': sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': HOST,
    'process.pid': 1000 + sequence,
    'process.executable': '/usr/bin/ls',
    'process.args': ['ls', '-la', `/tmp/{"x":[${sequence}]}`, 'quote " and \\ backslash', 'ünïcödé ✓ 😀'],
    'process.command_line': `ls -la /tmp/${sequence} # a:b,c}{]`,
    'process.hash.sha256': 'ab'.repeat(32),
    'winlog.event_data': { CommandLine: 'ls "-la"', Level: 4, Ratio: 0.5, Elevated: true, Missing: null, Nested: '{"a":1}' },
  };
}

/** Serialises one event as an agent might: compact, spaced, pretty, or with a quirk validation rewrites. */
function serialiseEvent(random: () => number, event: Record<string, unknown>): { text: string; rawUsable: boolean } {
  const roll = random();
  if (roll < 0.4) return { text: JSON.stringify(event), rawUsable: true };
  if (roll < 0.5) return { text: JSON.stringify(event, null, ' ').replace(/\n */g, ' '), rawUsable: true };
  if (roll < 0.6) return { text: JSON.stringify(event, null, 2), rawUsable: false }; // newlines inside
  if (roll < 0.7) return { text: JSON.stringify({ ...event, 'process.hash.sha256': 'AB'.repeat(32) }), rawUsable: false }; // lowercased by validation
  if (roll < 0.8) return { text: JSON.stringify({ ...event, '@timestamp': '2026-01-02T03:04:05.000+01:00' }), rawUsable: false }; // moved to UTC
  if (roll < 0.9) return { text: JSON.stringify({ ...event, 'process.working_directory': null }), rawUsable: false }; // null dropped
  // A repeated key: JSON.parse keeps the last value; a store reading the bytes might not.
  const text = JSON.stringify(event);
  if (roll < 0.95) return { text: `{"process.pid":1,${text.slice(1)}`, rawUsable: false };
  return { text: text.replace('"winlog.event_data":{', '"winlog.event_data":{"Level":1,'), rawUsable: false };
}

test('every slice parses to exactly the validated event, on one line, and compact batches get a slice for every event', () => {
  const random = seededRandom(0x511ce);
  let offered = 0;
  let expectedUsable = 0;
  for (let round = 0; round < 300; round++) {
    const count = 1 + Math.floor(random() * 12);
    const texts: string[] = [];
    let usable = 0;
    for (let i = 0; i < count; i++) {
      const { text, rawUsable } = serialiseEvent(random, processEvent(random, round * 100 + i));
      texts.push(text);
      if (rawUsable) usable++;
    }
    const separator = random() < 0.5 ? ',' : ' ,\t';
    const body = random() < 0.5 ? `{"host_id":"${HOST}","events":[${texts.join(separator)}]}` : `{ "events" : [ ${texts.join(separator)} ] , "host_id" : "${HOST}" }`;
    const decoded = decodeEventBatch(Buffer.from(body), { expectedHostId: HOST });
    assert.ok(decoded.slices, `round ${round}: a UTF-8 body without \\u escapes gets slices`);
    const { source, starts, ends } = decoded.slices;
    let got = 0;
    for (let i = 0; i < count; i++) {
      if (starts[i]! < 0) continue;
      got++;
      const slice = source.subarray(starts[i]!, ends[i]!);
      assert.equal(slice.indexOf(0x0a), -1, `round ${round} event ${i}: slice holds a newline`);
      const text = slice.toString('utf8');
      assert.deepEqual(JSON.parse(text), decoded.events[i], `round ${round} event ${i}: slice differs from the validated event`);
      const keyCount = (text.match(/"(?:[^"\\]|\\.)*"\s*:/g) ?? []).length;
      const members = Object.values(decoded.events[i]!).reduce<number>((n, v) => n + 1 + (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v).length : 0), 0);
      assert.equal(keyCount, members, `round ${round} event ${i}: repeated key in the slice`);
    }
    assert.equal(got, usable, `round ${round}: ${got} slices offered, ${usable} expected`);
    offered += got;
    expectedUsable += usable;
  }
  assert.ok(offered > 500 && offered === expectedUsable, `slices offered ${offered}`);
});

test('an object nested below a member value, or an object in a list, loses the slice', () => {
  const random = seededRandom(3);
  const event = processEvent(random, 1);
  const deep = `{"host_id":"${HOST}","events":[${JSON.stringify(event).replace('"winlog.event_data":{', '"winlog.event_data":{"deep":{"x":1},')}]}`;
  assert.equal(locateEvents(Buffer.from(deep), 1)?.starts[0], -1);
  const inList = `{"host_id":"${HOST}","events":[${JSON.stringify({ ...event, 'process.args': [{ a: 1 }] })}]}`;
  assert.equal(locateEvents(Buffer.from(inList), 1)?.starts[0], -1);
  assert.ok(locateEvents(Buffer.from(JSON.stringify({ host_id: HOST, events: [event] })), 1)!.starts[0]! >= 0);
});

test('no slices for string bodies or invalid UTF-8, none for an event with a \\u escape; the locator refuses element counts that do not match', () => {
  const random = seededRandom(7);
  const event = processEvent(random, 1);
  const body = JSON.stringify({ host_id: HOST, events: [event] });
  assert.equal(decodeEventBatch(body, { expectedHostId: HOST }).slices, undefined);
  assert.ok(decodeEventBatch(Buffer.from(body), { expectedHostId: HOST }).slices);
  // Only the event holding a \u escape loses its slice; an escaped backslash before a u (a Windows path) is no escape.
  const path = { ...event, 'event.id': '00000000-0000-4000-8000-0000000000a2', 'event.sequence': 2, 'process.executable': 'C:\\users\\\\u\\x.exe' };
  const escaped = JSON.stringify({ host_id: HOST, events: [{ ...event, 'process.command_line': 'bell \u0007' }, path] });
  assert.ok(escaped.includes('\\u0007') && escaped.includes('C:\\\\users\\\\\\\\u'));
  const slices = decodeEventBatch(Buffer.from(escaped), { expectedHostId: HOST }).slices!;
  assert.equal(slices.starts[0], -1, 'the event with \\u0007 has no slice');
  assert.ok(slices.starts[1]! >= 0, 'the event with escaped backslashes before u keeps its slice');
  assert.deepEqual(JSON.parse(slices.source.subarray(slices.starts[1]!, slices.ends[1]!).toString()), path);
  const invalid = Buffer.from(JSON.stringify({ host_id: HOST, events: [{ ...event, 'process.command_line': 'bad #' }] }));
  invalid[invalid.indexOf('bad #') + 4] = 0xff; // not UTF-8
  assert.equal(locateEvents(invalid, 1), undefined);
  assert.equal(locateEvents(Buffer.from(body), 2), undefined);
  assert.equal(locateEvents(Buffer.from(JSON.stringify({ host_id: HOST, events: [event, event] })), 1), undefined);
});

test('fuzz: the locator never throws and never offers a range outside the body', () => {
  const random = seededRandom(99);
  const base = Buffer.from(JSON.stringify({ host_id: HOST, events: [processEvent(random, 1), processEvent(random, 2)] }));
  for (let round = 0; round < 2000; round++) {
    const mutated = Buffer.from(base);
    for (let k = 0; k < 1 + Math.floor(random() * 4); k++) mutated[Math.floor(random() * mutated.length)] = '{}[]":,\\\n a'.charCodeAt(Math.floor(random() * 12));
    const found = locateEvents(mutated, 2);
    if (!found) continue;
    for (let i = 0; i < 2; i++) {
      if (found.starts[i]! < 0) continue;
      assert.ok(found.starts[i]! < found.ends[i]! && found.ends[i]! <= mutated.length, `round ${round}`);
    }
  }
});
