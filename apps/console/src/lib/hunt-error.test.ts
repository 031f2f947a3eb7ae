// Where the editor marks a hunt compile error: the token at the API's line and column, or the end of the query;
// fuzzed: any position gives a span inside the text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { errorSpan, offsetOf } from './hunt-error.js';

test('the token at the position is marked', () => {
  const text = 'process where proces.name == "bash"';
  assert.deepEqual(errorSpan(text, 1, 15), { start: 14, end: 25 });
  assert.equal(text.slice(14, 25), 'proces.name');
  assert.deepEqual(errorSpan(text, 1, 27), { start: 26, end: 28 }, 'an operator');
  assert.deepEqual(errorSpan(text, 1, 30), { start: 29, end: 35 }, 'a string');
  assert.deepEqual(errorSpan('process where x ==', 1, 19), { start: 18, end: 18 }, 'past the end');
  const lines = 'process\n| stat count()';
  assert.equal(offsetOf(lines, 2, 3), 10);
  assert.equal(lines.slice(errorSpan(lines, 2, 3).start, errorSpan(lines, 2, 3).end), 'stat');
  assert.equal(offsetOf(lines, 1, 99), 7, 'a column past the line end stays on the line');
  assert.equal(offsetOf(lines, 9, 1), lines.length);
});

test('fuzz: every line and column gives a span inside the text', () => {
  const random = seededRandom(42);
  const chars = ['a', '.', ' ', '\n', '"', "'", '\\', '=', '!', '<', '|', '(', 'é'];
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: Math.floor(random() * 30) }, () => chars[Math.floor(random() * chars.length)]!).join('');
    const line = Math.floor(random() * 6) - 1;
    const column = random() < 0.05 ? Number.NaN : Math.floor(random() * 40) - 2;
    const span = errorSpan(text, line, column);
    assert.ok(span.start >= 0 && span.start <= span.end && span.end <= text.length, JSON.stringify({ text, line, column, span }));
  }
});
