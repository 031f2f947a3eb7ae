// Unit and fuzz tests of the blocklist policy validator shared by server and agents.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { entryProblems, nestedQuantifier, parseBlocklistPolicy, parseBlocklistPollReply } from './blocklist.js';

const valid = {
  version: 2,
  updated_at: '2026-12-05T10:00:00.000Z',
  entries: [
    { id: 'a', kind: 'sha256', value: 'f'.repeat(64), description: '' },
    { id: 'b', kind: 'path', value: '/tmp/**/evil', description: 'drop zone' },
    { id: 'c', kind: 'cmdline', value: 'bash -i >& /dev/tcp/', description: 'reverse shell' },
  ],
};

test('a valid policy parses to the same document', () => {
  assert.deepEqual(parseBlocklistPolicy(structuredClone(valid)), valid);
});

test('every problem is reported with its path', () => {
  const bad = {
    version: -1,
    updated_at: 'yesterday',
    entries: [
      { id: 'a', kind: 'sha256', value: 'F'.repeat(64), description: '' },
      { id: 'a', kind: 'path', value: 'relative/path', description: '' },
      { id: 'c', kind: 'cmdline', value: '(a+)+$', description: '' },
      { id: 'd', kind: 'cmdline', value: '[', description: '' },
      { id: 'e', kind: 'path', value: '/**', description: '' },
      { id: 'f', kind: 'cmdline', value: '.*', description: '', extra: 1 },
    ],
  };
  assert.throws(
    () => parseBlocklistPolicy(bad),
    (error: { code: string; details: { location: { path: string } }[] }) => {
      const paths = error.details.map((d) => d.location.path);
      assert.equal(error.code, 'invalid_input');
      assert.deepEqual(paths, ['$.version', '$.updated_at', '$.entries[0].value', '$.entries[1].id', '$.entries[1].value', '$.entries[2].value', '$.entries[3].value', '$.entries[4].value', '$.entries[5]', '$.entries[5].value']);
      return true;
    },
  );
});

test('nested quantifiers are found; ordinary patterns pass', () => {
  for (const p of ['(a+)+', '(a*)*b', '((ab)+)+', '(x{2,})+', '(\\w+\\s?)*$']) assert.ok(nestedQuantifier(p), p);
  for (const p of ['a+b+', '(ab)+', '[(a+)]+', '\\(a+\\)+', 'bash -i >& /dev/tcp/\\d+', '(a|b)*c']) assert.ok(!nestedQuantifier(p), p);
  assert.deepEqual(entryProblems('cmdline', 'nc -e /bin/sh'), []);
});

test('poll replies: unchanged with a version, or changed with a valid policy', () => {
  assert.deepEqual(parseBlocklistPollReply({ changed: false, version: 4 }), { changed: false, version: 4 });
  assert.equal(parseBlocklistPollReply({ changed: true, policy: valid }).changed, true);
  assert.throws(() => parseBlocklistPollReply({ changed: true, policy: { ...valid, entries: 'x' } }), /entries must be a list/);
  assert.throws(() => parseBlocklistPollReply({ changed: 'yes' }), /changed must be true or false/);
});

test('fuzz: random mutations of a valid policy parse or throw invalid_input, never anything else', () => {
  const random = seededRandom(99);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const values: unknown[] = [null, 0, -1, 1.5, '', 'x', '/tmp/x', '(((', 'f'.repeat(64), [], {}, true, '.*', 'a'.repeat(5000)];
  for (let i = 0; i < 3000; i++) {
    const doc = structuredClone(valid) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let m = 0; m < 1 + Math.floor(random() * 3); m++) {
      const entry = doc.entries?.[Math.floor(random() * 3)];
      if (entry !== null && typeof entry === 'object' && random() < 0.7) entry[pick(['id', 'kind', 'value', 'description', 'other'])] = pick(values);
      else doc[pick(['version', 'updated_at', 'entries'])] = pick(values);
    }
    try {
      parseBlocklistPolicy(doc);
    } catch (error) {
      assert.equal((error as { code?: string }).code, 'invalid_input', String(error));
    }
  }
});
