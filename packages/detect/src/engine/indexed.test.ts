import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import type { DetectEvent } from '../core.js';
import { defaultSigmaMapping } from '../mapping/index.js';
import { loadSigmaRules } from '../sigma/load.js';
import { runEngineConformance } from './conformance.case.test.js';
import { createIndexedEngine } from './indexed.js';
import { createNaiveEngine } from './naive.js';

runEngineConformance({ name: 'indexed', create: (options) => createIndexedEngine(options) });

// Guards the per-field scan memo (values repeat across events; the memo is keyed by the value as read, before
// lower-casing, and emptied when full): a field needs more than a few needles for the memo to be used at all.
const words = ['powershell', 'invoke-expression', 'downloadstring', 'frombase64', 'certutil', 'urlcache', 'bitsadmin', 'mshta', 'regsvr32', 'scrobj', 'wmic', 'shadowcopy', 'vssadmin'];
const MEMO_RULES = words
  .map((word, i) => `title: Memo ${i}
id: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|contains: ['${word}', '${words[(i + 1) % words.length]} -x']
  other:
    Image|endswith: ['/${word}', '/${words[(i + 3) % words.length]}']
  condition: selection or other
`)
  .join('---\n');

test('memoized scans: repeated, re-cased, long and more-than-memo-size distinct values match as the naive engine does', () => {
  const mapping = defaultSigmaMapping();
  const set = loadSigmaRules([{ file: 'memo.yml', text: MEMO_RULES }], { resolver: mapping.resolver, router: mapping.router });
  assert.deepEqual(set.problems.filter((p) => p.severity === 'error'), []);
  const indexed = createIndexedEngine({ rules: set.rules });
  const naive = createNaiveEngine({ rules: set.rules });
  const random = seededRandom(77);
  const pick = () => words[Math.floor(random() * words.length)]!;
  const recase = (text: string) => [...text].map((c) => (random() < 0.3 ? c.toUpperCase() : c)).join('');
  const commandLine = (n: number): string => {
    if (n % 3 === 0) return recase(`${pick()} -x ${pick()}`); // a few hundred distinct values, repeated
    if (n % 97 === 0) return `${pick()} ${'a'.repeat(1100)} ${pick()} -x`; // longer than the memo keeps
    return `tool --id ${n} ${random() < 0.2 ? pick() : 'none'}`; // distinct: more than the memo holds, so it is emptied
  };
  let detections = 0;
  for (let n = 0; n < 12_000; n += 200) {
    const events: DetectEvent[] = Array.from({ length: 200 }, (_, i) => ({
      '@timestamp': '2026-12-04T10:00:00.000Z', 'event.id': randomUUID(), 'event.sequence': n + i, 'event.category': 'process', 'event.action': 'start', 'host.id': 'h1',
      'process.pid': n + i, 'process.executable': `/usr/bin/${recase(pick())}`, 'process.command_line': commandLine(n + i),
    }));
    const expected = naive.evaluate(events).map((d) => `${d.eventIds[0]} ${d.rule.id}`);
    assert.deepEqual(indexed.evaluate(events).map((d) => `${d.eventIds[0]} ${d.rule.id}`), expected);
    detections += expected.length;
  }
  assert.ok(detections > 5000, `the events must exercise the rules (${detections} detections)`);
});
