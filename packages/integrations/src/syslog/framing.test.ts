// Octet-counted framing (RFC 6587): frames survive any split of the TCP stream; malformed prefixes are refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOctetCountedDecoder, frameOctetCounted } from './framing.js';

test('frames split at every possible byte, or glued together, decode to the same messages', () => {
  const messages = ['<13>1 - - - - - - hello', '<13>1 - - - - - - ünïcødé 12 34', '<13>1 - - - - - - ' + 'x'.repeat(300)];
  const stream = Buffer.concat(messages.map(frameOctetCounted));
  assert.ok(frameOctetCounted('é').equals(Buffer.from('2 é')));
  for (let split = 0; split <= stream.length; split++) {
    const out: string[] = [];
    const feed = createOctetCountedDecoder((m) => out.push(m.toString('utf8')));
    feed(stream.subarray(0, split));
    feed(stream.subarray(split));
    assert.deepEqual(out, messages, `split at ${split}`);
  }
  const out: string[] = [];
  const feed = createOctetCountedDecoder((m) => out.push(m.toString('utf8')));
  for (const byte of stream) feed(Buffer.from([byte]));
  assert.deepEqual(out, messages);
});

test('a malformed or oversized length prefix is refused', () => {
  assert.throws(() => createOctetCountedDecoder(() => undefined)(Buffer.from('<13>1 - -')), /bad length prefix/);
  assert.throws(() => createOctetCountedDecoder(() => undefined)(Buffer.from('012 abc')), /bad length prefix/);
  assert.throws(() => createOctetCountedDecoder(() => undefined, 100)(Buffer.from('101 abc')), /more than 100/);
  assert.throws(() => createOctetCountedDecoder(() => undefined, 100)(Buffer.from('12345')), /too long/);
  assert.throws(() => createOctetCountedDecoder(() => undefined)(Buffer.from('12a')), /not a number/);
});
