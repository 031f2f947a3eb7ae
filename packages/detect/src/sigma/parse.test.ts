// Tests of the Sigma parser: located errors and warnings, rule collections, correlations, filters and condition trees.
// Never reads the corpus; every rule text is written here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldResolver, LogsourceRouter, SigmaRule } from '../core.js';
import { loadSigmaRules } from './load.js';
import { parseSigmaFile, parseTimespan } from './parse.js';

const resolver: FieldResolver = {
  resolve: (field) => ({ key: field, get: (event) => event[field], sql: field }),
  keywordFields: () => [{ key: 'message', get: (event) => event['message'], sql: 'message' }],
};
const router: LogsourceRouter = { route: () => ({ conditions: [] }) };

const head = `title: Bad rule
id: 5e2f3c1a-1111-4c3b-8a8a-000000000001
level: high
logsource:
  product: windows
`;

/** [name, text, code, 'line:column'] — the first error of loading the text (YAML syntax errors are located where the yaml library reports them). */
const badRules: [string, string, string, string][] = [
  ['YAML syntax', `${head}detection:\n  selection:\n    Image: 'unclosed\n  condition: selection\n`, 'yaml_syntax', '10:1'],
  ['duplicate key', `${head}detection:\n  selection:\n    Image: a\n    Image: b\n  condition: selection\n`, 'yaml_syntax', '9:5'],
  ['missing title', `id: 5e2f3c1a-1111-4c3b-8a8a-000000000001\nlogsource: {product: windows}\ndetection: {s: {A: 1}, condition: s}\n`, 'missing_field', '1:1'],
  ['missing logsource', `title: t\nlevel: low\ndetection:\n  s: {A: 1}\n  condition: s\n`, 'missing_field', '1:1'],
  ['logsource not a map', `title: t\nlevel: low\nlogsource: windows\ndetection:\n  s: {A: 1}\n  condition: s\n`, 'invalid_value', '3:12'],
  ['missing detection', `${head}`, 'missing_field', '1:1'],
  ['missing condition', `${head}detection:\n  selection:\n    Image: a\n`, 'missing_field', '6:1'],
  ['unknown search in condition', `${head}detection:\n  selection:\n    Image: a\n  condition: selection and not filter\n`, 'unknown_search', '9:32'],
  ['unknown search in a quoted condition', `${head}detection:\n  selection:\n    Image: a\n  condition: 'selection or  nope'\n`, 'unknown_search', '9:29'],
  ['unknown search in a condition list', `${head}detection:\n  selection:\n    Image: a\n  condition:\n    - selection\n    - (nope)\n`, 'unknown_search', '11:8'],
  ['pattern matching no search', `${head}detection:\n  selection:\n    Image: a\n  condition: 1 of filter_*\n`, 'unknown_search', '9:19'],
  ['aggregation pipe', `${head}detection:\n  selection:\n    Image: a\n  condition: selection | count() by Host > 5\n`, 'unsupported_aggregation', '9:24'],
  ['near aggregation', `${head}detection:\n  selection:\n    Image: a\n  condition: selection | near other\n`, 'unsupported_aggregation', '9:24'],
  ['unbalanced parenthesis', `${head}detection:\n  selection:\n    Image: a\n  condition: (selection\n`, 'condition_syntax', '9:24'],
  ['dangling operator', `${head}detection:\n  selection:\n    Image: a\n  condition: selection and\n`, 'condition_syntax', '9:27'],
  ['two of', `${head}detection:\n  selection:\n    Image: a\n  condition: 2 of selection\n`, 'condition_syntax', '9:14'],
  ['bare wildcard name', `${head}detection:\n  selection:\n    Image: a\n  condition: sel*\n`, 'condition_syntax', '9:14'],
  ['condition not a string', `${head}detection:\n  selection:\n    Image: a\n  condition: {a: b}\n`, 'invalid_condition', '9:14'],
  ['empty search', `${head}detection:\n  selection:\n  condition: selection\n`, 'invalid_search', '7:3'],
  ['nested map value', `${head}detection:\n  selection:\n    Image:\n      deep: x\n  condition: selection\n`, 'invalid_value', '9:7'],
  ['mixed list', `${head}detection:\n  selection:\n    - a\n    - {Image: b}\n  condition: selection\n`, 'invalid_search', '8:5'],
  ['unknown modifier', `${head}detection:\n  selection:\n    Image|endswith|contians: a\n  condition: selection\n`, 'unknown_modifier', '8:5'],
  ['regex sub-modifier without re', `${head}detection:\n  selection:\n    Image|i: a\n  condition: selection\n`, 'invalid_modifier', '8:5'],
  ['bad regex', `${head}detection:\n  selection:\n    Image|re:\n      - 'ok'\n      - '[a-'\n  condition: selection\n`, 'invalid_regex', '10:9'],
  ['bad cidr', `${head}detection:\n  selection:\n    Ip|cidr: 300.1.1.1/8\n  condition: selection\n`, 'invalid_cidr', '8:14'],
  ['exists needs a boolean', `${head}detection:\n  selection:\n    Image|exists: maybe\n  condition: selection\n`, 'invalid_value', '8:19'],
  ['unknown collection action', `action: globl\ntitle: t\n`, 'invalid_collection', '1:9'],
  ['document not a map', `- a\n- b\n`, 'invalid_document', '1:1'],
  ['correlation without rules', `title: c\nid: 5e2f3c1a-1111-4c3b-8a8a-000000000002\ncorrelation:\n  type: event_count\n  timespan: 5m\n  condition: {gte: 3}\n`, 'missing_field', '3:1'],
  ['correlation bad type', `title: c\ncorrelation:\n  type: event_sum\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 3}\n`, 'invalid_correlation', '3:9'],
  ['correlation bad timespan', `title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5 minutes\n  condition: {gte: 3}\n`, 'invalid_timespan', '5:13'],
  ['value_count without field', `title: c\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition:\n    gt: 3\n`, 'missing_field', '7:5'],
  ['correlation condition operator', `title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition:\n    over: 3\n`, 'invalid_correlation', '7:5'],
  ['correlation on an unknown rule', `title: c\nid: 5e2f3c1a-1111-4c3b-8a8a-000000000003\ncorrelation:\n  type: temporal\n  rules: [nothing_like_it]\n  timespan: 1h\n`, 'unknown_rule', '1:1'],
  ['filter without rules', `title: f\nlogsource: {product: windows}\nfilter:\n  selection: {User: x}\n  condition: selection\n`, 'missing_field', '3:1'],
];

for (const [name, text, code, where] of badRules) {
  test(`located error: ${name}`, () => {
    const set = loadSigmaRules([{ file: 'bad.yml', text }], { resolver, router });
    const errors = set.problems.filter((problem) => problem.severity === 'error');
    assert.ok(errors.length > 0, `expected an error, got ${JSON.stringify(set.problems)}`);
    const first = errors[0]!;
    assert.equal(first.code, code, first.message);
    assert.equal(`${first.location.line}:${first.location.column}`, where, first.message);
    assert.equal(first.location.file, 'bad.yml');
    assert.equal(set.rules.length, 0);
  });
}

test('one bad rule never blocks the others in the same file', () => {
  const text = `${head}detection:\n  s: {Image: a}\n  condition: s or x\n---\n${head.replace('000000000001', '000000000009')}detection:\n  s: {Image: a}\n  condition: s\n`;
  const set = loadSigmaRules([{ file: 'two.yml', text }], { resolver, router });
  assert.equal(set.rules.length, 1);
  assert.deepEqual(set.problems.map((problem) => [problem.code, problem.location.line, problem.ruleId]), [
    ['unknown_search', 8, '5e2f3c1a-1111-4c3b-8a8a-000000000001'],
  ]);
});

test('metadata warnings: missing or non-UUID id, missing or unknown level', () => {
  const noId = parseSigmaFile({ file: 'w.yml', text: 'title: t\nlogsource: {product: x}\ndetection: {s: {A: 1}, condition: s}\n' });
  assert.deepEqual(noId.problems.map((problem) => [problem.severity, problem.code]), [['warning', 'missing_id'], ['warning', 'missing_level']]);
  const rule = noId.rules[0]!;
  assert.match(rule.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseSigmaFile({ file: 'w.yml', text: 'title: t\nlogsource: {product: x}\ndetection: {s: {A: 1}, condition: s}\n' }).rules[0]!.id, rule.id, 'stable');
  assert.notEqual(parseSigmaFile({ file: 'other.yml', text: 'title: t\nlogsource: {product: x}\ndetection: {s: {A: 1}, condition: s}\n' }).rules[0]!.id, rule.id);
  assert.equal(rule.level, 'medium');
  const odd = parseSigmaFile({ file: 'w.yml', text: 'title: t\nid: rule-1\nlevel: severe\nlogsource: {product: x}\ndetection: {s: {A: 1}, condition: s}\n' });
  assert.deepEqual(odd.problems.map((problem) => [problem.code, problem.location.line, problem.location.column]), [['invalid_id', 2, 5], ['invalid_level', 3, 8]]);
  assert.equal(odd.rules[0]!.id, 'rule-1');
});

test('metadata, searches and items are parsed as written', () => {
  const parsed = parseSigmaFile({
    file: 'm.yml',
    text: `title: Full
id: 5e2f3c1a-1111-4c3b-8a8a-000000000004
name: full_rule
status: test
description: d
author: a
date: 2024-01-02
modified: 2024/02/03
tags: [attack.t1059, attack.execution]
references: [https://example.org]
falsepositives: [admins]
level: Critical
logsource: {product: windows, category: process_creation, service: sysmon, definition: d}
fields: [Image, User]
detection:
  sel:
    Image|EndsWith: ['\\a.exe', '\\b.exe']
    '|all': [x, y]
    Empty: []
    Nothing: null
    Code: 0x10
    Count: 10
  words:
    - evil
    - 42
  condition: sel or words
`,
  });
  assert.deepEqual(parsed.problems, []);
  const rule = parsed.rules[0] as SigmaRule;
  assert.equal(rule.name, 'full_rule');
  assert.equal(rule.level, 'critical');
  assert.equal(rule.date, '2024-01-02');
  assert.equal(rule.modified, '2024/02/03');
  assert.deepEqual(rule.tags, ['attack.t1059', 'attack.execution']);
  assert.deepEqual(rule.fields, ['Image', 'User']);
  assert.deepEqual(rule.logsource, { product: 'windows', category: 'process_creation', service: 'sysmon', definition: 'd' });
  assert.deepEqual(rule.location, { file: 'm.yml', line: 1, column: 1 });
  const sel = rule.searches.get('sel');
  assert.equal(sel?.kind, 'map');
  const items = sel.kind === 'map' ? sel.alternatives[0]! : [];
  assert.deepEqual(
    items.map((item) => [item.field, item.modifiers, item.values, item.location.line]),
    [
      ['Image', ['endswith'], ['\\a.exe', '\\b.exe'], 17],
      [null, ['all'], ['x', 'y'], 18],
      ['Empty', [], [], 19],
      ['Nothing', [], [null], 20],
      ['Code', [], ['0x10'], 21],
      ['Count', [], [10], 22],
    ],
  );
  assert.deepEqual(rule.searches.get('words'), { kind: 'keywords', values: ['evil', 42], modifiers: [], location: { file: 'm.yml', line: 23, column: 3 } });
  assert.equal(rule.condition.kind, 'or');
});

test('condition trees keep precedence and locate each name', () => {
  const parsed = parseSigmaFile({
    file: 'c.yml',
    text: `${head}detection:\n  a: {A: 1}\n  b: {B: 1}\n  c_1: {C: 1}\n  condition: a or not b and all of c_*\n`,
  });
  assert.deepEqual(parsed.problems, []);
  const at = (column: number) => ({ file: 'c.yml', line: 10, column });
  assert.deepEqual(parsed.rules[0]!.condition, {
    kind: 'or',
    operands: [
      { kind: 'search', name: 'a', location: at(14) },
      {
        kind: 'and',
        operands: [
          { kind: 'not', operand: { kind: 'search', name: 'b', location: at(23) } },
          { kind: 'of', quantifier: 'all', pattern: 'c_*', location: at(29) },
        ],
      },
    ],
  });
});

test('rule collections: action global, reset and repeat', () => {
  const text = `action: global
title: Shared
level: high
logsource:
  product: windows
detection:
  condition: selection
---
id: 5e2f3c1a-1111-4c3b-8a8a-00000000000a
logsource:
  category: process_creation
detection:
  selection:
    Image: a.exe
---
action: repeat
id: 5e2f3c1a-1111-4c3b-8a8a-00000000000b
title: Repeated
detection:
  selection:
    Image: b.exe
---
action: reset
---
title: Alone
id: 5e2f3c1a-1111-4c3b-8a8a-00000000000c
level: medium
logsource: {product: linux}
detection:
  selection: {Image: c}
  condition: selection
`;
  const parsed = parseSigmaFile({ file: 'collection.yml', text });
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(
    parsed.rules.map((rule) => [rule.title, rule.level, rule.logsource, (rule.searches.get('selection') as { alternatives: { values: unknown[] }[][] }).alternatives[0]![0]!.values]),
    [
      ['Shared', 'high', { product: 'windows', category: 'process_creation' }, ['a.exe']],
      ['Repeated', 'high', { product: 'windows', category: 'process_creation' }, ['b.exe']],
      ['Alone', 'medium', { product: 'linux' }, ['c']],
    ],
  );
});

test('correlation rules are parsed (Sigma v2 correlation spec)', () => {
  const text = `title: Base
id: 5e2f3c1a-1111-4c3b-8a8a-000000000010
name: failed_logon
level: low
logsource: {product: windows, service: security}
detection:
  s: {EventID: 4625}
  condition: s
---
title: Many failed logons
id: 5e2f3c1a-1111-4c3b-8a8a-000000000011
level: high
correlation:
  type: value_count
  rules:
    - failed_logon
  group-by:
    - IpAddress
  timespan: 15m
  condition:
    gte: 10
    field: TargetUserName
  aliases:
    ip:
      failed_logon: IpAddress
  generate: true
`;
  const parsed = parseSigmaFile({ file: 'corr.yml', text });
  assert.deepEqual(parsed.problems, []);
  const correlation = parsed.correlations[0]!;
  assert.equal(correlation.type, 'value_count');
  assert.deepEqual(correlation.rules, ['failed_logon']);
  assert.deepEqual(correlation.groupBy, ['IpAddress']);
  assert.equal(correlation.timespanMs, 15 * 60_000);
  assert.deepEqual(correlation.condition, { operator: 'gte', value: 10, field: 'TargetUserName' });
  assert.deepEqual([...correlation.aliases].map(([alias, fields]) => [alias, [...fields]]), [['ip', [['failed_logon', 'IpAddress']]]]);
  assert.equal(correlation.generate, true);
  assert.equal(correlation.level, 'high');
  const set = loadSigmaRules([{ file: 'corr.yml', text }], { resolver, router });
  assert.deepEqual(set.problems, []);
  assert.equal(set.correlations.length, 1);
  assert.equal(set.rules.length, 1);
});

test('timespans', () => {
  assert.equal(parseTimespan('30s'), 30_000);
  assert.equal(parseTimespan('5m'), 300_000);
  assert.equal(parseTimespan('1h'), 3_600_000);
  assert.equal(parseTimespan('2d'), 172_800_000);
  assert.equal(parseTimespan('0s'), undefined);
  assert.equal(parseTimespan('5'), undefined);
  assert.equal(parseTimespan('1y'), undefined);
});

test('parseSigmaFile never throws on odd inputs', () => {
  for (const text of ['', '---', '\u0000', '[', 'a: *x', '&a [*a]', '!!binary x', 'title: [', '- - -', 'a: b\n\tc: d', '%YAML 9.9\n---\n']) {
    const parsed = parseSigmaFile({ file: 'odd.yml', text });
    assert.equal(parsed.rules.length, 0);
  }
});
