// Tests of the load pipeline: filters, deprecated and duplicate rules, counts, problem formatting and reading rule files.
// Never reads the corpus; rule files for readRuleSources live in a temporary folder removed afterwards.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldResolver, LogsourceRouter } from '../core.js';
import { formatProblem, loadSigmaRules } from './load.js';
import { readRuleSources } from './rule-files.js';

const resolver: FieldResolver = {
  resolve: (field) => ({ key: field, get: (event) => event[field], sql: field }),
  keywordFields: () => [],
};
const router: LogsourceRouter = { route: (logsource) => (logsource.product === 'mainframe' ? undefined : { conditions: [] }) };

function rule(id: string, extra = '', detection = '  s: {Image|endswith: \\cmd.exe}\n  condition: s\n'): string {
  return `title: Rule ${id}\nid: ${id}\n${extra}level: low\nlogsource: {product: windows, category: process_creation}\ndetection:\n${detection}`;
}

const idA = '7f0e7a8e-0000-4000-8000-00000000000a';
const idB = '7f0e7a8e-0000-4000-8000-00000000000b';

test('a filter is AND NOT-ed onto the rules it names (by id or by name)', () => {
  const filter = `title: Admins are fine
id: 7f0e7a8e-0000-4000-8000-0000000000f1
logsource: {product: windows, category: process_creation}
filter:
  rules:
    - ${idA}
    - rule_b
  selection:
    User|startswith: adm_
  condition: selection
`;
  const set = loadSigmaRules(
    [
      { file: 'a.yml', text: rule(idA) },
      { file: 'b.yml', text: rule(idB, 'name: rule_b\n', '  s: {Image|endswith: \\cmd.exe}\n  t: {Other: xyz}\n  condition: 1 of them\n') },
      { file: 'f.yml', text: filter },
    ],
    { resolver, router },
  );
  assert.deepEqual(set.problems, []);
  assert.equal(set.rules.length, 2);
  for (const compiled of set.rules) {
    assert.ok(compiled.match({ Image: 'C:\\cmd.exe', User: 'bob' }), compiled.rule.id);
    assert.equal(compiled.match({ Image: 'C:\\cmd.exe', User: 'ADM_bob' }), null, compiled.rule.id);
    assert.ok(compiled.anyOf && compiled.anyOf.length > 0, 'the filter does not remove the prefilter needles');
  }
  const b = set.rules.find((compiled) => compiled.rule.id === idB)!;
  assert.equal(b.match({ User: 'bob' }), null, "the filter's searches are not part of the rule's `them`");
  assert.ok(b.match({ Other: 'xyz', User: 'bob' }));
});

test('a filter naming an unknown rule is a warning', () => {
  const filter = `title: F\nid: 7f0e7a8e-0000-4000-8000-0000000000f2\nlogsource: {product: windows}\nfilter:\n  rules: [nothing]\n  s: {User: x}\n  condition: s\n`;
  const set = loadSigmaRules([{ file: 'f.yml', text: filter }], { resolver, router });
  assert.deepEqual(set.problems.map((problem) => [problem.severity, problem.code, problem.ruleId]), [['warning', 'unknown_rule', '7f0e7a8e-0000-4000-8000-0000000000f2']]);
});

test('deprecated rules are counted and skipped unless includeDeprecated; broken deprecated rules count too', () => {
  const sources = [
    { file: 'd.yml', text: rule(idA, 'status: deprecated\n') },
    { file: 'old.yml', text: rule(idB, 'status: deprecated\n', '  s: {A: 1}\n  condition: s | count() > 3\n') },
    { file: 'ok.yml', text: rule('7f0e7a8e-0000-4000-8000-00000000000c') },
  ];
  const skipped = loadSigmaRules(sources, { resolver, router });
  assert.equal(skipped.deprecated, 2);
  assert.equal(skipped.rules.length, 1);
  assert.deepEqual(skipped.problems, []);
  assert.equal(skipped.files, 3);
  const included = loadSigmaRules(sources, { resolver, router, includeDeprecated: true });
  assert.equal(included.rules.length, 2);
  assert.deepEqual(included.problems.map((problem) => problem.code), ['unsupported_aggregation']);
});

test('duplicate ids are a warning and both rules load', () => {
  const set = loadSigmaRules([{ file: 'a.yml', text: rule(idA) }, { file: 'b.yml', text: rule(idA) }], { resolver, router });
  assert.equal(set.rules.length, 2);
  assert.deepEqual(set.problems.map((problem) => [problem.code, problem.location.file]), [['duplicate_id', 'b.yml']]);
});

test('unsupported logsources are counted and still returned', () => {
  const text = rule(idA).replace('{product: windows, category: process_creation}', '{product: mainframe}');
  const set = loadSigmaRules([{ file: 'm.yml', text }], { resolver, router });
  assert.equal(set.unsupported, 1);
  assert.equal(set.rules.length, 1);
  assert.equal(set.rules[0]!.match({ Image: 'C:\\cmd.exe' }), null);
});

test('formatProblem gives file:line:col severity code message', () => {
  const set = loadSigmaRules([{ file: 'rules/x.yml', text: rule(idA, '', '  s: {A: 1}\n  condition: s and t\n') }], { resolver, router });
  assert.deepEqual(set.problems.map(formatProblem), ["rules/x.yml:7:20 error unknown_search unknown search 't' in the condition"]);
});

test('readRuleSources reads one file or a whole tree of .yml/.yaml files, sorted', () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-rule-files-'));
  try {
    mkdirSync(join(root, 'b', 'deep'), { recursive: true });
    writeFileSync(join(root, 'b', 'deep', 'z.yaml'), 'z');
    writeFileSync(join(root, 'b', 'a.yml'), 'a');
    writeFileSync(join(root, 'a.yml'), 'top');
    writeFileSync(join(root, 'notes.txt'), 'not a rule');
    const sources = readRuleSources(root);
    assert.deepEqual(sources.map((source) => [source.file.slice(root.length + 1), source.text]), [['a.yml', 'top'], ['b/a.yml', 'a'], ['b/deep/z.yaml', 'z']]);
    assert.deepEqual(readRuleSources(join(root, 'a.yml')), [{ file: join(root, 'a.yml'), text: 'top' }]);
    assert.throws(() => readRuleSources(join(root, 'missing')), { name: 'VigilError', code: 'not_found' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
