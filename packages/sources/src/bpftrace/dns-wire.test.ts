// DNS wire parser: known messages, every possible cut of them, hostile compression, and seeded fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { parseDnsMessage, readName } from './dns-wire.js';

/** Encodes a name as labels (no compression). */
function name(text: string): number[] {
  const out: number[] = [];
  for (const label of text.split('.').filter(Boolean)) out.push(label.length, ...Buffer.from(label, 'latin1'));
  return [...out, 0];
}
const u16 = (n: number) => [n >> 8, n & 0xff];
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const record = (owner: number[], type: number, data: number[]) => [...owner, ...u16(type), ...u16(1), ...u32(300), ...u16(data.length), ...data];

function message(id: number, flags: number, question: number[], answers: number[][]): Uint8Array {
  return Uint8Array.from([...u16(id), ...u16(flags), ...u16(1), ...u16(answers.length), 0, 0, 0, 0, ...question, ...answers.flat()]);
}

const POINTER_TO_QNAME = [0xc0, 12];
const query = message(0xbeb1, 0x0100, [...name('example.com'), ...u16(1), ...u16(1)], []);
const response = message(0xbeb1, 0x8180, [...name('www.example.com'), ...u16(1), ...u16(1)], [
  record(POINTER_TO_QNAME, 5, [3, ...Buffer.from('cdn'), 0xc0, 16]), // CNAME cdn.example.com (pointer to "example.com")
  record([3, ...Buffer.from('cdn'), 0xc0, 16], 1, [192, 0, 2, 44]),
  record(POINTER_TO_QNAME, 28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
  record(POINTER_TO_QNAME, 16, [5, ...Buffer.from('hello'), 3, ...Buffer.from('a"b')]),
  record(POINTER_TO_QNAME, 15, [...u16(10), ...name('mx.example.com')]),
  record(POINTER_TO_QNAME, 99, [1, 2, 3]),
]);

test('a query: id, flags, question', () => {
  const parsed = parseDnsMessage(query)!;
  assert.deepEqual(parsed, { id: 0xbeb1, response: false, opcode: 0, responseCode: 'NOERROR', question: { name: 'example.com', type: 'A', class: 'IN' }, answers: [], truncated: false });
});

test('a response with compressed names and A, AAAA, CNAME, TXT, MX and unknown records', () => {
  const parsed = parseDnsMessage(response)!;
  assert.equal(parsed.response, true);
  assert.equal(parsed.truncated, false);
  assert.deepEqual(parsed.question, { name: 'www.example.com', type: 'A', class: 'IN' });
  assert.deepEqual(
    parsed.answers.map((a) => [a.name, a.type, a.data]),
    [
      ['www.example.com', 'CNAME', 'cdn.example.com'],
      ['cdn.example.com', 'A', '192.0.2.44'],
      ['www.example.com', 'AAAA', '2001:db8::1'],
      ['www.example.com', 'TXT', '"hello" "a\\"b"'],
      ['www.example.com', 'MX', '10 mx.example.com'],
      ['www.example.com', 'SPF', '\\# 3 010203'],
    ],
  );
});

test('response codes, unusual types and label bytes', () => {
  const nx = parseDnsMessage(message(7, 0x8183, [...name('nope.invalid'), ...u16(65), ...u16(3)], []))!;
  assert.equal(nx.responseCode, 'NXDOMAIN');
  assert.deepEqual(nx.question, { name: 'nope.invalid', type: 'HTTPS', class: 'CH' });
  const odd = parseDnsMessage(message(8, 0x000f, [4, 0x61, 0x2e, 0x00, 0x5c, 0, ...u16(4242), ...u16(9)], []))!;
  assert.equal(odd.responseCode, 'RCODE15');
  assert.deepEqual(odd.question, { name: 'a\\.\\000\\\\', type: 'TYPE4242', class: 'CLASS9' });
  assert.equal(parseDnsMessage(message(9, 0, [0, ...u16(2), ...u16(1)], []))!.question?.name, '.');
});

test('every cut of a response parses without throwing; cuts inside records are flagged truncated', () => {
  const full = parseDnsMessage(response)!;
  for (let length = 0; length < response.length; length++) {
    const parsed = parseDnsMessage(response.subarray(0, length));
    if (length < 12) {
      assert.equal(parsed, undefined);
      continue;
    }
    assert.ok(parsed, `cut at ${length}`);
    assert.equal(parsed.truncated, true, `cut at ${length} is truncated`);
    assert.ok(parsed.answers.length < full.answers.length);
    for (const [i, answer] of parsed.answers.entries()) assert.deepEqual(answer, full.answers[i]);
  }
});

test('compression pointers that loop or point forward are refused', () => {
  const loop = Uint8Array.from([...new Array(12).fill(0), 0xc0, 12]);
  assert.equal(readName(loop, 12), undefined);
  const forward = Uint8Array.from([...new Array(12).fill(0), 0xc0, 14, 1, 0x61, 0]);
  assert.equal(readName(forward, 12), undefined);
  const backAndForth = Uint8Array.from([1, 0x61, 0xc0, 4, 0xc0, 0]);
  assert.equal(readName(backAndForth, 4), undefined, 'a chain that returns to itself');
  const tooLong = Uint8Array.from([...Array.from({ length: 5 }, () => [63, ...new Array(63).fill(0x61)]).flat(), 0]);
  assert.equal(readName(tooLong, 0), undefined, 'names over 255 wire bytes');
});

test('fuzz: random and mutated messages never throw, and parsed names stay bounded', () => {
  const random = seededRandom(53);
  const seeds = [query, response];
  let parsedCount = 0;
  for (let i = 0; i < 30000; i++) {
    let bytes: Uint8Array;
    if (i % 4 === 0) {
      bytes = Uint8Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256));
    } else {
      bytes = Uint8Array.from(seeds[i % 2]!);
      const edits = 1 + Math.floor(random() * 6);
      for (let e = 0; e < edits; e++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      if (random() < 0.3) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
    }
    const parsed = parseDnsMessage(bytes);
    if (!parsed) {
      assert.ok(bytes.length < 12);
      continue;
    }
    parsedCount++;
    assert.ok(parsed.answers.length <= 64);
    if (parsed.question) assert.ok(parsed.question.name.length <= 1024);
    for (const answer of parsed.answers) assert.ok(answer.name.length <= 1024 && answer.data.length <= 4 * 65535 + 16);
  }
  assert.ok(parsedCount > 20000);
});
