// The worker threads' second decoding of an acknowledged batch body (batch-body.ts): the text read from the bytes,
// all-ASCII bodies read as latin1, must give exactly what UTF-8 decoding gives, for every path and body layout.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { batchBodyText as bodyText, decodeEventBatch } from '@vigil/protocol';
import { acceptedEventsOf, eventOfSlice } from './batch-body.js';

const HOST = 'agent-1';

/** Printable ASCII, JSON's escaped characters, and non-ASCII from two-byte UTF-8 up to surrogate pairs. */
const ALPHABET = ['a', 'Z', '0', ' ', '\\', '"', '/', '\n', '\t', '\u0001', '®', 'é', 'ü', 'Ω', '✓', '中', '😀', '\u00ff', '\u0080'];

function text(random: () => number, asciiOnly: boolean): string {
  const letters = asciiOnly ? ALPHABET.filter((c) => c.charCodeAt(0) < 0x80) : ALPHABET;
  return Array.from({ length: 1 + Math.floor(random() * 40) }, () => letters[Math.floor(random() * letters.length)]!).join('');
}

function processEvent(random: () => number, sequence: number, asciiOnly: boolean): Record<string, unknown> {
  return {
    '@timestamp': new Date(1_700_000_000_000 + sequence).toISOString(),
    'event.id': `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    'event.sequence': sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': HOST,
    'process.pid': 1000 + sequence,
    'process.executable': 'C:\\Windows\\System32\\cmd.exe',
    'process.command_line': text(random, asciiOnly),
    'process.args': [text(random, asciiOnly), text(random, asciiOnly)],
    'winlog.event_data': { Product: asciiOnly ? 'Microsoft Windows Operating System' : 'Microsoft® Windows® Operating System', Description: text(random, asciiOnly), Level: 4 },
  };
}

/** The body in memory the way the workers get it: a view at an offset into a larger SharedArrayBuffer. */
function sharedBody(json: string, offset: number): Uint8Array {
  const bytes = Buffer.from(json, 'utf8');
  const shared = new Uint8Array(new SharedArrayBuffer(offset + bytes.length + 7));
  shared.fill(0xc3);
  shared.set(bytes, offset);
  return shared.subarray(offset, offset + bytes.length);
}

test('bodyText gives the UTF-8 decoding of the body, ASCII or not, escaped or raw', () => {
  const random = seededRandom(4);
  for (let round = 0; round < 300; round++) {
    const asciiOnly = round % 2 === 0;
    const events = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) => processEvent(random, i + 1, asciiOnly));
    // Some bodies carry non-ASCII as \u escapes only: ASCII bytes, non-ASCII text.
    let json = JSON.stringify({ host_id: HOST, events });
    if (round % 3 === 0) json = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const body = sharedBody(json, Math.floor(random() * 9));
    assert.equal(bodyText(body), json, `round ${round}`);
    assert.equal(bodyText(body), Buffer.from(body).toString('utf8'));
  }
});

test('bodyText keeps invalid UTF-8 as UTF-8 decoding does (replacement characters), never as latin1', () => {
  const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]);
  assert.equal(bodyText(bytes), Buffer.from(bytes).toString('utf8'));
  assert.equal(bodyText(bytes), '{"a":"\ufffd"}');
});

test('acceptedEventsOf: the accepted tail, equal on both decoding paths and to the request thread decoding', () => {
  const random = seededRandom(9);
  for (const asciiOnly of [true, false]) {
    const events = Array.from({ length: 6 }, (_, i) => processEvent(random, i + 1, asciiOnly));
    const json = JSON.stringify({ host_id: HOST, events });
    const body = sharedBody(json, 3);
    const reference = decodeEventBatch(Buffer.from(json, 'utf8'), { expectedHostId: HOST }).events;
    for (const accepted of [6, 4, 1]) {
      const parsed = acceptedEventsOf(body, HOST, accepted, true);
      const validated = acceptedEventsOf(body, HOST, accepted, false);
      assert.equal(parsed.length, accepted);
      assert.deepEqual(parsed, events.slice(6 - accepted));
      assert.deepEqual(validated, reference.slice(6 - accepted));
    }
    assert.deepEqual(acceptedEventsOf(body, HOST, undefined, true), events);
  }
});

test('eventOfSlice: each event decoded from its slice equals the whole body decoded, ASCII or not', () => {
  const random = seededRandom(11);
  let sliced = 0;
  for (let round = 0; round < 60; round++) {
    const asciiOnly = round % 2 === 0;
    const events = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => processEvent(random, i + 1, asciiOnly));
    // Text JSON writes without escapes gives events a slice (escaped ones have none: then only the whole body is used).
    for (const event of events) {
      if (random() < 0.25) continue;
      event['process.command_line'] = text(random, asciiOnly).replace(/[\\"\n\t\u0001]/g, 'x');
      event['process.args'] = [String(event['process.command_line'])];
      (event['winlog.event_data'] as Record<string, unknown>)['Description'] = 'plain';
    }
    const json = JSON.stringify({ host_id: HOST, events });
    const decoded = decodeEventBatch(Buffer.from(json, 'utf8'), { expectedHostId: HOST });
    const starts = decoded.slices!.starts;
    const body = sharedBody(json, Math.floor(random() * 9));
    const whole = acceptedEventsOf(body, HOST, undefined, false);
    for (let i = 0; i < events.length; i++) {
      if (starts[i]! < 0) continue;
      sliced++;
      assert.deepEqual(eventOfSlice(body, starts[i]!, decoded.slices!.ends[i]!), whole[i], `round ${round}, event ${i}`);
    }
  }
  assert.ok(sliced > 100, `only ${sliced} events had a slice`);
});
