// Tests of Sigma string patterns: escapes, and the fast matchers checked against a plain regular-expression reference.
// Never depends on the corpus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { compilePattern, longestLiteral, openPattern, parseSigmaString } from './wildcard.js';
import type { PatternPart } from './wildcard.js';

test('escapes: \\* \\? \\\\ are literal, any other backslash stays', () => {
  assert.deepEqual(parseSigmaString('a\\*b\\?c\\\\d\\e'), [{ kind: 'text', text: 'a*b?c\\d\\e' }]);
  assert.deepEqual(parseSigmaString('C:\\\\*\\x?'), [{ kind: 'text', text: 'C:\\' }, { kind: 'any' }, { kind: 'text', text: '\\x' }, { kind: 'one' }]);
  assert.deepEqual(parseSigmaString('**a'), [{ kind: 'any' }, { kind: 'text', text: 'a' }]);
  assert.deepEqual(parseSigmaString('trailing\\'), [{ kind: 'text', text: 'trailing\\' }]);
});

test('openPattern and longestLiteral', () => {
  assert.deepEqual(openPattern(parseSigmaString('*a'), true, true), [{ kind: 'any' }, { kind: 'text', text: 'a' }, { kind: 'any' }]);
  assert.equal(longestLiteral(parseSigmaString('ab*cde?f')), 'cde');
});

function reference(parts: readonly PatternPart[]): RegExp {
  const source = parts.map((part) => (part.kind === 'text' ? part.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : part.kind === 'any' ? '[^]*' : '[^]')).join('');
  return new RegExp(`^${source}$`);
}

test('compiled patterns agree with a regular-expression reference on random patterns and strings', () => {
  const random = seededRandom(99);
  const alphabet = ['a', 'b', 'ab', '*', '?', '\\', '\\*', '.', '\n'];
  let positives = 0;
  for (let round = 0; round < 5000; round++) {
    const pattern = Array.from({ length: Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const parts = parseSigmaString(pattern);
    const test = compilePattern(parts);
    const expected = reference(parts);
    for (let sample = 0; sample < 10; sample++) {
      const text = Array.from({ length: Math.floor(random() * 7) }, () => ['a', 'b', '*', '?', '\\', '.', '\n'][Math.floor(random() * 7)]).join('');
      const wanted = expected.test(text);
      if (wanted) positives++;
      assert.equal(test(text), wanted, `pattern ${JSON.stringify(pattern)} on ${JSON.stringify(text)}`);
    }
  }
  assert.ok(positives > 1000, 'the samples must exercise matches too');
});
