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
import type { RuleEngine } from './rule-engine.js';

/** The rules of one YAML text, which must load without errors. */
function loadRules(file: string, text: string): ReturnType<typeof loadSigmaRules> {
  const mapping = defaultSigmaMapping();
  const set = loadSigmaRules([{ file, text }], { resolver: mapping.resolver, router: mapping.router });
  assert.deepEqual(set.problems.filter((p) => p.severity === 'error'), []);
  return set;
}

/** Evaluates a batch with both engines: the indexed one must report what the naive one does, in its order. Returns how many. */
function sameAsNaive(indexed: RuleEngine, naive: RuleEngine, events: readonly DetectEvent[]): number {
  const expected = naive.evaluate(events).map((d) => `${d.eventIds[0]} ${d.rule.id}`);
  assert.deepEqual(indexed.evaluate(events).map((d) => `${d.eventIds[0]} ${d.rule.id}`), expected);
  return expected.length;
}

runEngineConformance({ name: 'indexed', create: (options) => createIndexedEngine(options) });
// Calibrated on the first event of each category: the rebuilt index (sets ranked by observed shares) meets the same contract.
runEngineConformance({ name: 'indexed, calibrated after one event', create: (options) => createIndexedEngine({ ...options, calibrationEvents: 1 }) });
runEngineConformance({ name: 'indexed, never calibrated', create: (options) => createIndexedEngine({ ...options, calibrationEvents: 0 }) });

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

for (const calibrationEvents of [0, 1000]) test(`memoized scans: repeated, re-cased, long and more-than-memo-size distinct values match as the naive engine does (calibration after ${calibrationEvents || 'never'})`, () => {
  const set = loadRules('memo.yml', MEMO_RULES);
  const indexed = createIndexedEngine({ rules: set.rules, calibrationEvents });
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
    detections += sameAsNaive(indexed, naive, events);
  }
  assert.ok(detections > 5000, `the events must exercise the rules (${detections} detections)`);
});

// Guards the field guards of rules without literal sets (CompiledRule.guards): each guard is a pattern of its field,
// memoized per value with the needles' hits, so its verdict must depend on that field's value alone.
const GUARDED_RULES = `title: Not-only on one field
id: 10000000-0000-4000-8000-000000000001
level: low
logsource: { product: linux, category: process_creation }
detection:
  filter_main:
    Image|contains: /usr/
  condition: not 1 of filter_*
---
title: Short regex and a fieldref
id: 10000000-0000-4000-8000-000000000002
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|re: '\\^\\^|,;'
  same:
    Image|fieldref: ParentImage
  condition: selection and not same
---
title: Fieldref with filters on several fields
id: 10000000-0000-4000-8000-000000000003
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    Image|fieldref: ParentImage
  filter_path:
    Image|startswith: /opt/
  filter_user:
    User: [root, daemon]
  filter_null:
    CommandLine: null
  condition: selection and not 1 of filter_*
---
title: Long command line
id: 10000000-0000-4000-8000-000000000004
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|re: '.{40,}'
  condition: selection
---
title: Literal set with guards on two fields (verdicts memoized per value)
id: 10000000-0000-4000-8000-000000000005
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|contains: ['^^ b', 'plain', 'tool']
  filter_opt:
    Image|startswith: /opt/
  filter_user:
    User: root
  condition: selection and not 1 of filter_*
`;

for (const calibrationEvents of [0, 1000]) test(`guarded rules (no literal set): repeated values with varying other fields match as the naive engine does (calibration after ${calibrationEvents || 'never'})`, () => {
  const set = loadRules('guards.yml', GUARDED_RULES + '---\n' + MEMO_RULES);
  assert.ok(set.rules.slice(0, 4).every((rule) => rule.anyOf === undefined && rule.guards?.length), 'the four rules have guards and no literal set');
  assert.deepEqual(set.rules[4]!.guards?.map((guard) => guard.accessor.key.split(' | ')[0]), ['process.command_line', 'process.executable', 'user.name'], 'guards of a prefiltered rule');
  const indexed = createIndexedEngine({ rules: set.rules, calibrationEvents });
  assert.equal(indexed.stats().guardedRules, 4);
  assert.equal(indexed.stats().alwaysEvaluatedRules, 0);
  const naive = createNaiveEngine({ rules: set.rules });
  const random = seededRandom(78);
  const images = ['/usr/bin/bash', '/opt/x/tool', '/tmp/run', '/bin/sh', '/USR/bin/x'];
  const lines = ['a ^^ b', 'x ,; y', 'plain', 'c^^md ,; z'.repeat(3), 'powershell -x certutil', `tool ${'y'.repeat(50)}`];
  const one = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let detections = 0;
  for (let n = 0; n < 6000; n += 200) {
    const events: DetectEvent[] = Array.from({ length: 200 }, (_, i) => {
      const image = one(images);
      const event: Record<string, unknown> = {
        '@timestamp': '2026-12-04T10:00:00.000Z', 'event.id': randomUUID(), 'event.sequence': n + i, 'event.category': 'process', 'event.action': 'start', 'host.id': 'h1',
        'process.pid': n + i, 'process.executable': image, 'process.parent.executable': random() < 0.5 ? image : one(images), 'user.name': one(['root', 'alice', 'daemon']),
      };
      if (random() < 0.9) event['process.command_line'] = random() < 0.1 ? `${one(lines)} ${n + i}` : one(lines);
      return event as DetectEvent;
    });
    detections += sameAsNaive(indexed, naive, events);
  }
  assert.ok(detections > 3000, `the events must exercise the rules (${detections} detections)`);
});

// Guards the calibration: an OR rule whose compiler-ranked first set (the longest needle) occurs in most events, and
// whose other sets are rare. After the calibration events the index is rebuilt with observed shares (the rule's primary
// set becomes a rare one); what is reported must not change across the rebuild.
const SKEWED_RULES = `title: Common alternative first
id: 20000000-0000-4000-8000-000000000001
level: low
logsource: { product: linux, category: process_creation }
detection:
  svc:
    Image|endswith: /usr/lib/systemd/systemd-everywhere
    CommandLine|contains: /home/desk/
  rare:
    CommandLine|contains: ' --rare-flag'
  condition: svc or rare
---
title: Plain
id: 20000000-0000-4000-8000-000000000002
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|contains: ' --other'
  condition: selection
`;

test('calibration: the index is rebuilt once with observed shares, and reports exactly what the naive engine reports across the rebuild', () => {
  const set = loadRules('skewed.yml', SKEWED_RULES);
  const calibratedAfterBatch: string[] = [];
  const indexed = createIndexedEngine({ rules: set.rules, calibrationEvents: 500 });
  const naive = createNaiveEngine({ rules: set.rules });
  const random = seededRandom(79);
  assert.equal(indexed.stats().calibratedCategories, 0);
  let detections = 0;
  for (let n = 0; n < 3000; n += 100) {
    const events: DetectEvent[] = Array.from({ length: 100 }, (_, i) => {
      const roll = random();
      const image = roll < 0.9 ? '/usr/lib/systemd/systemd-everywhere' : '/usr/bin/tool';
      const line = roll < 0.02 ? 'x /home/desk/ y' : roll < 0.04 ? 'x --rare-flag' : roll < 0.06 ? 'y --other' : `run ${n + i}`;
      return {
        '@timestamp': '2026-12-04T10:00:00.000Z', 'event.id': randomUUID(), 'event.sequence': n + i, 'event.category': 'process', 'event.action': 'start', 'host.id': 'h1',
        'process.pid': n + i, 'process.executable': image, 'process.command_line': line,
      } as DetectEvent;
    });
    detections += sameAsNaive(indexed, naive, events);
    calibratedAfterBatch.push(String(indexed.stats().calibratedCategories));
  }
  assert.ok(detections > 50, `the events must exercise the rules (${detections} detections)`);
  assert.equal(calibratedAfterBatch[3], '0', 'not calibrated before 500 events');
  assert.equal(calibratedAfterBatch[5], '1', 'calibrated after 500 events');
});
