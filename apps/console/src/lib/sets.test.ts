import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { toggled } from './sets.js';

test('toggled adds an absent id and removes a present one, leaving the input unchanged', () => {
  const start = new Set(['a', 'b']);
  assert.deepEqual([...toggled(start, 'c')].sort(), ['a', 'b', 'c']);
  assert.deepEqual([...toggled(start, 'a')], ['b']);
  assert.deepEqual([...start].sort(), ['a', 'b']);
});

test('toggling the same id twice gives back the same members (property, seeded)', () => {
  const next = seededRandom(7);
  const int = (max: number) => Math.floor(next() * (max + 1));
  for (let round = 0; round < 500; round++) {
    const members = new Set<number>();
    for (let i = 0; i < int(20); i++) members.add(int(30));
    const id = int(30);
    const once = toggled(members, id);
    assert.equal(once.has(id), !members.has(id));
    assert.deepEqual([...toggled(once, id)].sort(), [...members].sort());
  }
});
