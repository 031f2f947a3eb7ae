import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { anyCaseNeedles, anyCaseSearchable } from './any-case-needles.js';

const found = (matcher: ReturnType<typeof anyCaseNeedles>, text: string): number[] => {
  const out = new Set<number>();
  matcher.search(text, (i) => out.add(i));
  return [...out].sort((a, b) => a - b);
};

test('needles are found in any letter case, with regex syntax characters taken literally', () => {
  const matcher = anyCaseNeedles(['\\perfc.dat', 'a+b', '[x]', 'kit']);
  assert.deepEqual(found(matcher, 'C:\\Windows\\PERFC.DAT'), [0]);
  assert.deepEqual(found(matcher, 'C:\\Windows\\perfcxdat'), []);
  assert.deepEqual(found(matcher, 'A+B and [X]'), [1, 2]);
  assert.deepEqual(found(matcher, 'aab'), []);
  assert.deepEqual(found(matcher, '\u212aIT'), [3], 'KELVIN SIGN lower-cases to k');
  assert.equal(matcher.test('nothing here'), false);
  assert.equal(anyCaseSearchable(['ok', 'ünicode']), false);
  assert.equal(anyCaseSearchable(['Upper']), false);
  assert.throws(() => anyCaseNeedles(['é']), RangeError);
});

test('property: never misses what the lower-cased text contains; extra reports only with U+0130 (seeded)', () => {
  const random = seededRandom(21);
  const alphabet = ['a', 'B', 'i', 'I', 'k', 'K', '\u0130', '\u0131', '\u212a', '\u017f', 's', 'S', '.', '\\', ' ', 'é', 'É', 'ß', '\u1e9e'];
  const needleAlphabet = ['a', 'b', 'i', 'k', 's', '.', '\\', ' '];
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
  for (let n = 0; n < 3000; n++) {
    const needles = Array.from({ length: 1 + Math.floor(random() * 4) }, () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(needleAlphabet)).join(''));
    const matcher = anyCaseNeedles(needles);
    const text = Array.from({ length: Math.floor(random() * 12) }, () => pick(alphabet)).join('');
    const lower = text.toLowerCase();
    const truth = needles.flatMap((needle, i) => (lower.includes(needle) ? [i] : []));
    const reported = found(matcher, text);
    for (const i of truth) assert.ok(reported.includes(i), `missed ${JSON.stringify(needles[i])} in ${JSON.stringify(text)}`);
    if (!text.includes('\u0130')) assert.deepEqual(reported, truth, `${JSON.stringify(needles)} in ${JSON.stringify(text)}`);
    assert.equal(matcher.test(text), reported.length > 0);
  }
});
