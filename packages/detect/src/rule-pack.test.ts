// Golden tests of Vigil's Linux rule pack (content/rules/linux): every rule loads cleanly and its examples behave as written.
// Never edits or skips anything in the pack: a load problem, a missing test file or a misbehaving example fails the run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import type { CompiledRule, DetectEvent } from './core.js';
import { defaultSigmaMapping } from './mapping/index.js';
import { formatProblem, loadSigmaRules, readRuleSources } from './sigma/index.js';

const packDir = join(repoRoot(), 'content', 'rules', 'linux');
const testsDir = join(packDir, 'tests');
const packDate = '2026-12-04';

interface RuleTest {
  name: string;
  file: string;
  ruleId: string;
  positive: DetectEvent[];
  negative: DetectEvent[];
}

function yamlFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.yml'))
    .map((entry) => entry.name)
    .sort();
}

function asEvents(value: unknown, where: string): DetectEvent[] {
  assert.ok(Array.isArray(value) && value.length > 0, `${where} must be a non-empty list of events`);
  return value.map((item: unknown, index) => {
    assert.ok(typeof item === 'object' && item !== null && !Array.isArray(item), `${where}[${index}] must be an event object`);
    return Object.freeze({ ...(item as Record<string, unknown>) });
  });
}

function readRuleTest(file: string): RuleTest {
  const document: unknown = parse(readFileSync(join(testsDir, file), 'utf8'));
  assert.ok(typeof document === 'object' && document !== null, `${file} must hold a map`);
  const fields = document as Record<string, unknown>;
  assert.deepEqual(Object.keys(fields).sort(), ['negative', 'positive', 'rule'], `${file} must hold exactly rule, positive and negative`);
  assert.equal(typeof fields.rule, 'string', `${file}: rule must be the rule id`);
  return {
    name: basename(file, '.yml'),
    file,
    ruleId: fields.rule as string,
    positive: asEvents(fields.positive, `${file} positive`),
    negative: asEvents(fields.negative, `${file} negative`),
  };
}

/** Rule files are the pack's top level; the examples in tests/ are not rules. */
const ruleSources = readRuleSources(packDir).filter((source) => !source.file.startsWith(testsDir + sep));
const ruleSet = loadSigmaRules(ruleSources, defaultSigmaMapping());
const ruleFiles = yamlFiles(packDir);
const ruleTests = yamlFiles(testsDir).map(readRuleTest);
const rulesById = new Map<string, CompiledRule>(ruleSet.rules.map((compiled) => [compiled.rule.id, compiled]));

function describeEvent(event: DetectEvent): string {
  const id = String(event['event.id']);
  const summary = event['process.command_line'] ?? event['file.path'] ?? event['event.action'];
  return `${id} (${String(summary)})`;
}

/** CompiledRule.anyOf contract: some accessor's value, lower-cased, contains its needle (lists: any item). */
function passesPrefilter(compiled: CompiledRule, event: DetectEvent): boolean {
  return (compiled.anyOf ?? []).some(({ accessor, needle }) => {
    const value = accessor.get(event);
    const texts = Array.isArray(value) ? value : [value];
    return texts.some((text) => text !== undefined && text !== null && String(text).toLowerCase().includes(needle));
  });
}

test('the Linux pack loads every rule file with no error and no warning', () => {
  assert.deepEqual(ruleSet.problems.map(formatProblem), []);
  assert.equal(ruleSources.length, ruleFiles.length);
  assert.ok(ruleFiles.length >= 30, `the pack holds ${ruleFiles.length} rules; at least 30 are expected`);
  assert.equal(ruleSet.rules.length, ruleFiles.length, 'every rule file holds exactly one detection rule');
  assert.equal(ruleSet.correlations.length, 0);
  assert.equal(ruleSet.unsupported, 0);
  for (const compiled of ruleSet.rules) assert.ok(compiled.route, `${compiled.rule.file}: logsource must be routed`);
});

test('rule metadata follows the pack conventions', () => {
  const ids = new Set<string>();
  const titles = new Set<string>();
  for (const { rule } of ruleSet.rules) {
    const where = basename(rule.file);
    assert.match(rule.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `${where}: id must be a random (v4) UUID`);
    assert.ok(!ids.has(rule.id), `${where}: id ${rule.id} is used twice`);
    assert.ok(!titles.has(rule.title), `${where}: title "${rule.title}" is used twice`);
    ids.add(rule.id);
    titles.add(rule.title);
    assert.ok(rule.status === 'experimental' || rule.status === 'test', `${where}: status must be experimental or test`);
    assert.equal(rule.author, 'Vigil', `${where}: author`);
    assert.equal(rule.date, packDate, `${where}: date`);
    assert.ok((rule.description ?? '').length >= 80, `${where}: description must say what is detected and why it matters`);
    assert.ok(rule.tags.some((tag) => /^attack\.t\d{4}(\.\d{3})?$/.test(tag)), `${where}: needs an ATT&CK technique tag`);
    assert.ok(rule.falsepositives.length > 0, `${where}: falsepositives must name what could trip the rule`);
    assert.equal(rule.logsource.product, 'linux', `${where}: product`);
    const category = rule.logsource.category ?? '';
    assert.ok(where.startsWith(`${category}_`), `${where}: file name must start with the logsource category ${category}`);
  }
});

test('every rule file has a test file and every test file names the rule of the same name', () => {
  assert.deepEqual(
    ruleTests.map((ruleTest) => ruleTest.file),
    ruleFiles,
  );
  for (const ruleTest of ruleTests) {
    const compiled = rulesById.get(ruleTest.ruleId);
    assert.ok(compiled, `${ruleTest.file}: rule ${ruleTest.ruleId} is not loaded`);
    assert.equal(basename(compiled.rule.file), ruleTest.file, `${ruleTest.file} names the rule of another file`);
  }
});

test('every example event is a valid Vigil event', () => {
  const eventIds = new Set<string>();
  for (const ruleTest of ruleTests) {
    [...ruleTest.positive, ...ruleTest.negative].forEach((event, index) => {
      const where = `${ruleTest.file} example ${index}`;
      const checked = checkEvent(structuredClone(event), where);
      assert.deepEqual(checked.problems, [], `${where} fails the schema`);
      for (const field of ['@timestamp', 'event.id', 'event.sequence', 'event.category', 'event.action', 'host.id']) {
        assert.ok(event[field] !== undefined, `${where}: ${field} is missing`);
      }
      const id = String(event['event.id']);
      assert.ok(!eventIds.has(id), `${where}: event.id ${id} is used twice in the pack`);
      eventIds.add(id);
    });
  }
});

for (const ruleTest of ruleTests) {
  test(`${ruleTest.name}: positive examples match and negative examples do not`, () => {
    const compiled = rulesById.get(ruleTest.ruleId);
    assert.ok(compiled, `rule ${ruleTest.ruleId} is not loaded`);
    for (const event of ruleTest.positive) {
      assert.notEqual(compiled.match(event), null, `positive ${describeEvent(event)} must match`);
      const categories = compiled.route?.categories;
      if (categories) assert.ok(categories.includes(String(event['event.category'])), `positive ${describeEvent(event)} is outside the rule's route`);
      if (compiled.anyOf) assert.ok(passesPrefilter(compiled, event), `positive ${describeEvent(event)} would be dropped by the rule's anyOf prefilter`);
    }
    for (const event of ruleTest.negative) {
      assert.equal(compiled.match(event), null, `negative ${describeEvent(event)} must not match`);
    }
  });
}

test('no negative example matches any rule of the pack; cross-matches of positives are reported', (t) => {
  const benignHits: string[] = [];
  for (const ruleTest of ruleTests) {
    for (const event of ruleTest.negative) {
      for (const compiled of ruleSet.rules) {
        if (compiled.match(event) !== null) benignHits.push(`${ruleTest.file}: negative ${describeEvent(event)} matches ${basename(compiled.rule.file)}`);
      }
    }
    for (const event of ruleTest.positive) {
      for (const compiled of ruleSet.rules) {
        if (compiled.rule.id === ruleTest.ruleId || compiled.match(event) === null) continue;
        t.diagnostic(`cross-match: ${ruleTest.file} positive ${describeEvent(event)} also matches ${basename(compiled.rule.file)}`);
      }
    }
  }
  assert.deepEqual(benignHits, []);
});
