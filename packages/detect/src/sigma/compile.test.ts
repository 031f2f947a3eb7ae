// Golden tests of Sigma modifiers, values and conditions (testdata/*.yml), plus compile-time problems and the route check.
// Never reads the corpus: every case is small and written here or in testdata.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { repoRoot } from '@vigil/common';
import type { CompiledRule, DetectEvent, FieldAccessor, FieldResolver, LogsourceRouter } from '../core.js';
import { compileSigmaRule } from './compile.js';
import { loadSigmaRules } from './load.js';
import { parseSigmaFile } from './parse.js';

const keywordFieldNames = ['message', 'CommandLine'];

function accessorOf(field: string): FieldAccessor {
  return { key: field, get: (event) => event[field], sql: JSON.stringify(field) };
}

/** Sigma field name = event key; keywords look in `message` and `CommandLine`. */
const resolver: FieldResolver = {
  resolve: (field) => (field.startsWith('Unknown') ? undefined : accessorOf(field)),
  keywordFields: () => keywordFieldNames.map(accessorOf),
};
const router: LogsourceRouter = { route: (logsource) => (logsource.product === 'nowhere' ? undefined : { conditions: [] }) };

interface GoldenEvent {
  event: DetectEvent;
  fields?: string[];
}
interface GoldenCase {
  name: string;
  detection: unknown;
  placeholders?: Record<string, string[]>;
  warnings?: string[];
  match?: (DetectEvent | GoldenEvent)[];
  nomatch?: DetectEvent[];
}

function ruleText(detection: unknown): string {
  return stringify({
    title: 'golden case',
    id: '0b5a1b57-8a3e-4a57-9d43-62d1f1b7a001',
    status: 'test',
    level: 'low',
    logsource: { product: 'test' },
    detection,
  });
}

function satisfiesAnyOf(rule: CompiledRule, event: DetectEvent): boolean {
  if (!rule.anyOf) return true;
  return rule.anyOf.some(({ accessor, needle }) => {
    const value = accessor.get(event);
    const texts = Array.isArray(value) ? value : [value];
    return texts.some((text) => (typeof text === 'string' || typeof text === 'number' || typeof text === 'boolean') && String(text).toLowerCase().includes(needle));
  });
}

const testdata = join(repoRoot(), 'packages', 'detect', 'src', 'sigma', 'testdata');
const goldenFiles = readdirSync(testdata).filter((name) => name.endsWith('.yml')).sort();

test('golden files exist', () => {
  assert.deepEqual(goldenFiles, ['conditions.yml', 'modifiers.yml', 'values.yml']);
});

for (const file of goldenFiles) {
  const cases = parse(readFileSync(join(testdata, file), 'utf8')) as GoldenCase[];
  for (const golden of cases) {
    test(`${file}: ${golden.name}`, () => {
      const set = loadSigmaRules([{ file: `${file}#${golden.name}`, text: ruleText(golden.detection) }], {
        resolver,
        router,
        ...(golden.placeholders ? { placeholders: golden.placeholders } : {}),
      });
      assert.deepEqual(set.problems.map((problem) => problem.code), golden.warnings ?? []);
      assert.equal(set.rules.length, 1);
      const rule = set.rules[0] as CompiledRule;
      assert.ok((golden.match?.length ?? 0) + (golden.nomatch?.length ?? 0) > 0, 'a case needs events');
      for (const entry of golden.match ?? []) {
        const { event, fields } = 'event' in entry && typeof entry.event === 'object' ? (entry as GoldenEvent) : { event: entry as DetectEvent, fields: undefined };
        const hits = rule.match(event);
        assert.ok(hits, `must match ${JSON.stringify(event)}`);
        if (fields) assert.deepEqual(hits.map((hit) => hit.field), fields);
        assert.ok(satisfiesAnyOf(rule, event), `anyOf must admit ${JSON.stringify(event)}`);
      }
      for (const event of golden.nomatch ?? []) assert.equal(rule.match(event), null, `must not match ${JSON.stringify(event)}`);
    });
  }
}

function compileOne(detection: unknown, logsource: Record<string, string> = { product: 'test' }) {
  const parsed = parseSigmaFile({ file: 'one.yml', text: stringify({ title: 't', id: '0b5a1b57-8a3e-4a57-9d43-62d1f1b7a002', level: 'low', logsource, detection }) });
  assert.deepEqual(parsed.problems, []);
  return compileSigmaRule(parsed.rules[0]!, { resolver, router });
}

test('match() also requires the route conditions (Vigil fields read directly from the event)', () => {
  const parsed = parseSigmaFile({ file: 'r.yml', text: ruleText({ selection: { Image: 'a.exe' }, condition: 'selection' }) });
  const routed = compileSigmaRule(parsed.rules[0]!, {
    resolver,
    router: { route: () => ({ conditions: [{ field: 'event.code', anyOf: [1, '4688'] }] }) },
  });
  const rule = routed.compiled!;
  assert.ok(rule.match({ Image: 'a.exe', 'event.code': 4688 }));
  assert.ok(rule.match({ Image: 'a.exe', 'event.code': '1' }));
  assert.equal(rule.match({ Image: 'a.exe', 'event.code': 2 }), null);
  assert.equal(rule.match({ Image: 'a.exe' }), null);
});

test('an unsupported logsource loads with a warning and never matches', () => {
  const { compiled, problems } = compileOne({ selection: { Image: 'a.exe' }, condition: 'selection' }, { product: 'nowhere' });
  assert.deepEqual(problems.map((problem) => [problem.severity, problem.code]), [['warning', 'unsupported_logsource']]);
  assert.ok(compiled);
  assert.equal(compiled.route, undefined);
  assert.equal(compiled.match({ Image: 'a.exe' }), null);
});

test('an unknown field is one warning and its item never matches', () => {
  const { compiled, problems } = compileOne({ a: { UnknownField: 'x', Image: 'a' }, b: { UnknownField: 'y' }, condition: 'a or b or not b' });
  assert.deepEqual(problems.map((problem) => problem.code), ['unknown_field']);
  assert.ok(compiled!.match({ UnknownField: 'x', Image: 'a' }), 'only `not b` matches');
  const only = compileOne({ a: { UnknownField: 'x' }, condition: 'a' });
  assert.equal(only.compiled!.match({ UnknownField: 'x' }), null);
  assert.deepEqual(only.compiled!.anyOf, []);
});

test('bad regex, bad CIDR, unknown modifier and a numeric modifier on text are located errors', () => {
  // Lines 1-7 are title, id, level, logsource (2 lines), detection:, s:; the item key is at line 8, column 5.
  const cases: [unknown, string, string][] = [
    [{ s: { 'CommandLine|re': '(unclosed' }, condition: 's' }, 'invalid_regex', '8:21'],
    [{ s: { 'Ip|cidr': ['10.0.0.0/8', '10.0.0.0/33'] }, condition: 's' }, 'invalid_cidr', '10:9'],
    [{ s: { 'Ip|contans': 'x' }, condition: 's' }, 'unknown_modifier', '8:5'],
    [{ s: { 'Size|gt': 'big' }, condition: 's' }, 'invalid_value', '8:14'],
    [{ s: { 'CommandLine|base64': 'a*b' }, condition: 's' }, 'invalid_value', '8:25'],
  ];
  for (const [detection, code, where] of cases) {
    const { compiled, problems } = compileOne(detection);
    assert.equal(compiled, undefined, code);
    assert.deepEqual(
      problems.map((problem) => [problem.code, `${problem.location.line}:${problem.location.column}`]),
      [[code, where]],
      JSON.stringify(detection),
    );
  }
});

test('hits report the Sigma field name and the event value; the hit list is fresh per match', () => {
  const { compiled } = compileOne({ s: { 'process.args|contains': 'x' }, condition: 's' });
  const event = { 'process.args': ['a', 'xyz'] };
  assert.deepEqual(compiled!.match(event), [{ field: 'process.args', value: ['a', 'xyz'] }]);
  assert.notEqual(compiled!.match(event), compiled!.match(event));
});

test('the per-event cache does not leak values between events', () => {
  const { compiled } = compileOne({ s: { Image: 'a.exe' }, condition: 's' });
  assert.ok(compiled!.match({ Image: 'A.exe' }));
  assert.equal(compiled!.match({ Image: 'b.exe' }), null);
  assert.ok(compiled!.match({ Image: 'a.EXE' }));
});

test('anyOf follows the condition: longest needles for and, union for or, none through not or regex', () => {
  const needles = (detection: unknown) => compileOne(detection).compiled!.anyOf?.map(({ accessor, needle }) => `${accessor.key}:${needle}`);
  assert.deepEqual(needles({ s: { Image: 'C:\\a', 'CommandLine|contains': 'Mimikatz' }, condition: 's' }), ['CommandLine:mimikatz']);
  assert.deepEqual(needles({ a: { Image: 'aaaa' }, b: { Image: '*bbbbb*' }, condition: 'a or b' }), ['Image:aaaa', 'Image:bbbbb']);
  assert.deepEqual(needles({ a: { Image: 'aaaa' }, b: { 'Image|re': 'b+' }, condition: 'a or b' }), undefined);
  assert.deepEqual(needles({ a: { Image: 'aaaa' }, condition: 'not a' }), undefined);
  assert.deepEqual(needles({ a: { Image: 'aaaa' }, b: { 'Image|re': 'b+' }, condition: 'a and not b' }), ['Image:aaaa']);
  assert.deepEqual(needles({ a: { Image: 'ab' }, condition: 'a' }), undefined, 'needles shorter than 3 characters are no requirement');
  assert.deepEqual(needles({ a: { 'Image|endswith': ['\\cmd.exe', 'ab'] }, condition: 'a' }), undefined);
  assert.deepEqual(needles({ a: { 'C|contains|windash': '-ep' }, condition: 'a' }), ['C:-ep', 'C:/ep', 'C:\u2013ep', 'C:\u2014ep', 'C:\u2015ep']);
  assert.deepEqual(needles({ a: { 'C|contains|all': ['abc', 'abcdef'] }, condition: 'a' }), ['C:abcdef']);
  assert.deepEqual(needles({ a: { C: 'x*Longer?Part*y' }, condition: 'a' }), ['C:longer']);
  assert.deepEqual(needles({ a: { EventID: 4688 }, condition: 'a' }), ['EventID:4688']);
  assert.deepEqual(needles({ a: ['evil.com'], condition: 'a' }), ['message:evil.com', 'CommandLine:evil.com']);
});
