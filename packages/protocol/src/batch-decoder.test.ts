import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import { decodeEventBatch } from './batch-decoder.js';

const HOST = 'agent-1';

const rng = seededRandom;

function processEvent(sequence: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': new Date(1_700_000_000_000 + sequence).toISOString(),
    'event.id': randomUUID(),
    'event.sequence': sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': HOST,
    'process.pid': 1000 + sequence,
    'process.parent.pid': 1,
    'process.executable': '/usr/bin/ls',
    'process.args': ['ls', '-la', `/tmp/${sequence}`],
    'process.hash.sha256': 'AB'.repeat(32),
    ...extra,
  };
}

function batch(events: unknown[], hostId: string = HOST): string {
  return JSON.stringify({ host_id: hostId, events });
}

function expectError(body: string | Buffer, code: string, pathPart?: string): VigilError {
  try {
    decodeEventBatch(body, { expectedHostId: HOST });
  } catch (error) {
    assert.ok(error instanceof VigilError, `expected VigilError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pathPart) assert.ok(JSON.stringify(error.location).includes(pathPart) || error.details.some((d) => JSON.stringify(d.location).includes(pathPart)), `location ${JSON.stringify(error.location)} lacks ${pathPart}`);
    return error;
  }
  assert.fail('expected the batch to be refused');
}

test('a valid batch decodes and normalises hashes to lowercase', () => {
  const decoded = decodeEventBatch(batch([processEvent(1), processEvent(2)]), { expectedHostId: HOST });
  assert.equal(decoded.events.length, 2);
  assert.equal(decoded.events[0]!['process.hash.sha256' as keyof (typeof decoded.events)[0]], 'ab'.repeat(32));
});

test('refusals name the problem and where it is', () => {
  expectError('{"host_id": "agent-1", "events": [', 'invalid_input', '$');
  expectError(Buffer.from([0xff, 0x00, 0x13, 0x37]), 'invalid_input');
  expectError(batch([processEvent(1)], 'agent-2'), 'forbidden', 'host_id');
  expectError(batch([processEvent(1, { 'host.id': 'agent-2' })]), 'invalid_input', 'host.id');
  expectError(batch([processEvent(1, { 'process.pid': 'twelve' })]), 'invalid_input', 'process.pid');
  expectError(batch([processEvent(1, { 'process.pidd': 1 })]), 'invalid_input', 'process.pidd');
  expectError(batch([processEvent(1, { 'event.action': 'explode' })]), 'invalid_input', 'event.action');
  expectError(batch([processEvent(2), processEvent(1)]), 'invalid_input', 'event.sequence');
  expectError(batch([{ ...processEvent(1), 'event.category': 'nope' }]), 'invalid_input', 'event.category');
  expectError(batch([]), 'invalid_input', 'events');
  expectError('[]', 'invalid_input');
  const many = Array.from({ length: 5001 }, (_, i) => processEvent(i + 1));
  expectError(batch(many), 'payload_too_large');
  expectError(Buffer.alloc(9 * 1024 * 1024, 0x20), 'payload_too_large');
  const withProblems = expectError(batch([processEvent(1, { 'process.pid': -0.5, 'process.args': 'ls' })]), 'invalid_input');
  assert.equal(withProblems.details.length, 2);
});

test('fuzz: arbitrary and mutated bodies never crash the decoder (seeded)', () => {
  const random = rng(0x5eed);
  const valid = batch([processEvent(1), processEvent(2, { 'process.args': ['a', 'b'], 'user.name': 'root' })]);
  const alphabet = '{}[]":,0123456789.-eE truefalsn\\u00ff\n';
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    let body: string | Buffer;
    const mode = i % 4;
    if (mode === 0) {
      body = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    } else if (mode === 1) {
      const chars = valid.split('');
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) chars[Math.floor(random() * chars.length)] = alphabet[Math.floor(random() * alphabet.length)]!;
      body = chars.join('');
    } else if (mode === 2) {
      const cut = Math.floor(random() * valid.length);
      body = valid.slice(0, cut) + valid.slice(cut + 1 + Math.floor(random() * 10));
    } else {
      const value = [null, 1, -1, 1.5, '', 'x'.repeat(5000), [], {}, [1], { a: { b: 1 } }, true, 2 ** 60][Math.floor(random() * 12)];
      const event = processEvent(1);
      const keys = Object.keys(event);
      event[keys[Math.floor(random() * keys.length)]!] = value;
      body = batch([event]);
    }
    try {
      decodeEventBatch(body, { expectedHostId: HOST });
      accepted++;
    } catch (error) {
      assert.ok(error instanceof VigilError, `case ${i}: ${String(error)}`);
      assert.ok(error.message.length > 0);
    }
  }
  assert.ok(accepted > 0, 'some mutations should stay valid');
});

test('property: any valid batch of random process events decodes to the same events', () => {
  const random = rng(42);
  for (let round = 0; round < 200; round++) {
    const count = 1 + Math.floor(random() * 50);
    const events = Array.from({ length: count }, (_, i) =>
      processEvent(round * 100 + i + 1, {
        'process.args': Array.from({ length: Math.floor(random() * 6) }, () => String.fromCodePoint(32 + Math.floor(random() * 0x2fff))),
        'process.hash.sha256': undefined,
      }),
    );
    const decoded = decodeEventBatch(batch(events), { expectedHostId: HOST });
    assert.equal(decoded.events.length, count);
    for (let i = 0; i < count; i++) assert.deepEqual(decoded.events[i]!['process.args' as never], events[i]!['process.args']);
  }
});

/**
 * What a decode gave: the events, or the refusal (code, message, details). The size quoted for a body that is not JSON
 * is left out: it counts bytes for a Buffer and UTF-16 units for a string.
 */
function outcome(body: string | Buffer): unknown {
  try {
    return { events: decodeEventBatch(body, { expectedHostId: HOST }).events };
  } catch (error) {
    assert.ok(error instanceof VigilError, String(error));
    return { code: error.code, message: error.message.replace(/^batch body is not valid JSON \(\d+ bytes\)/, 'batch body is not valid JSON'), location: error.location, details: error.details };
  }
}

test('equivalence: a body as bytes decodes exactly as its UTF-8 text (ASCII bodies are read as latin1)', () => {
  const random = rng(0xa5c11);
  const valid = batch([processEvent(1), processEvent(2, { 'process.args': ['a', 'b'], 'user.name': 'root' })]);
  const alphabet = '{}[]":,0123456789.-eE truefalsn\\u00ffé\u0080😀\n';
  let ascii = 0;
  let accepted = 0;
  for (let i = 0; i < 6000; i++) {
    let body: Buffer;
    const mode = i % 4;
    if (mode === 0) {
      body = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * (random() < 0.5 ? 128 : 256))));
    } else if (mode === 1) {
      const chars = valid.split('');
      for (let e = 1 + Math.floor(random() * 3); e > 0; e--) chars[Math.floor(random() * chars.length)] = alphabet[Math.floor(random() * alphabet.length)]!;
      body = Buffer.from(chars.join(''));
    } else if (mode === 2) {
      // Valid UTF-8 with and without non-ASCII text, and an invalid byte after a valid batch.
      const args = Array.from({ length: Math.floor(random() * 4) }, () => String.fromCodePoint(32 + Math.floor(random() * (random() < 0.5 ? 95 : 0x2fff))));
      body = Buffer.from(batch([processEvent(1, { 'process.args': args })]));
      if (random() < 0.2) body = Buffer.concat([body.subarray(0, body.length - 2), Buffer.from([0xff]), body.subarray(body.length - 2)]);
    } else {
      body = Buffer.from(batch([processEvent(1, { 'process.name': random() < 0.5 ? 'ls' : 'lś', 'user.name': 'x'.repeat(Math.floor(random() * 3)) })]));
    }
    if (body.every((byte) => byte < 0x80)) ascii++;
    const fromBytes = outcome(body);
    if ('events' in (fromBytes as object)) accepted++;
    assert.deepEqual(fromBytes, outcome(body.toString('utf8')), `case ${i}: ${body.toString('hex').slice(0, 200)}`);
  }
  assert.ok(ascii > 1000 && ascii < 5000 && accepted > 1000, `both ASCII and other bodies, some accepted (${ascii} ASCII, ${accepted} accepted)`);
});
