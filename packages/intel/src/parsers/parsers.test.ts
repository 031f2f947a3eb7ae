// Golden tests (testdata/<name>.in.* → <name>.out.json; VIGIL_UPDATE_GOLDEN=1 rewrites the outputs), malformed
// inputs refused with locations, and fuzzing of every parser and of the STIX pattern grammar.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, seededRandom, VigilError } from '@vigil/common';
import type { IndicatorFormat, ParseResult } from '../core.js';
import { canonicalIndicatorValue } from '../normalize.js';
import { firstJsonError } from './json.js';
import { detectFormat, parseIndicators, parseStixPattern, PatternSyntaxError, refuseMalformed } from './index.js';

const testdata = () => join(repoRoot(), 'packages', 'intel', 'src', 'testdata');
const NOW = '2024-06-01T00:00:00.000Z';

function golden(result: ParseResult) {
  return {
    format: result.format,
    entries: result.entries,
    indicators: result.indicators.map(({ source: _source, ...rest }) => rest),
    problems: result.problems,
  };
}

test('golden: every testdata input parses to its recorded output', () => {
  const inputs = readdirSync(testdata()).filter((f) => /\.in\.[a-z]+$/.test(f));
  assert.ok(inputs.length >= 5);
  for (const input of inputs) {
    const text = readFileSync(join(testdata(), input), 'utf8');
    const actual = golden(parseIndicators(text, { source: 'golden', file: input, now: NOW }));
    const outFile = join(testdata(), input.replace(/\.in\.[a-z]+$/, '.out.json'));
    if (process.env.VIGIL_UPDATE_GOLDEN === '1' || !existsSync(outFile)) {
      if (process.env.VIGIL_UPDATE_GOLDEN !== '1') assert.fail(`${outFile} is missing: run with VIGIL_UPDATE_GOLDEN=1 and review it`);
      writeFileSync(outFile, JSON.stringify(actual, null, 2) + '\n');
      continue;
    }
    assert.deepEqual(actual, JSON.parse(readFileSync(outFile, 'utf8')), input);
  }
});

test('format detection', () => {
  const cases: [string, IndicatorFormat | undefined][] = [
    ['{"type": "bundle", "objects": []}', 'stix'],
    ['  {"Event": {"Attribute": []}}', 'misp'],
    ['{"response": [{"Event": {}}]}', 'misp'],
    ['{"something": 1}', undefined],
    ['value,type\n1.2.3.4,ip', 'csv'],
    ['# c\nsha256_hash;filename\n', 'csv'],
    ['# hash;description\nce583821191345274cd954b2db7da9742c239fe413fc17dcb97ffdd7b51cb072;Dark Caracal\n', 'list'],
    ['# c\nsha256_hash,filename\n', 'csv'],
    ['1.2.3.4\nevil.example\n', 'list'],
  ];
  for (const [text, expected] of cases) assert.equal(detectFormat(text), expected, text);
});

function refused(text: string, format: IndicatorFormat | undefined, check: (error: VigilError) => void): void {
  const result = parseIndicators(text, { source: 's', file: 'in', ...(format ? { format } : {}) });
  assert.throws(() => refuseMalformed(result), (error: unknown) => {
    assert.ok(error instanceof VigilError, String(error));
    assert.equal(error.code, 'invalid_input');
    assert.match(error.message, /nothing imported/);
    check(error);
    return true;
  });
}

test('malformed inputs are refused with a location, whatever else they hold', () => {
  const good = (pattern: string) => ({ type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', pattern, pattern_type: 'stix', valid_from: '2024-01-01T00:00:00Z' });
  const bundle = (...objects: unknown[]) => JSON.stringify({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects }, null, 1);
  refused(bundle(good("[ipv4-addr:value = '10.0.0.1']"), good("[ipv4-addr:value = '10.0.0.2'")), undefined, (e) => {
    assert.equal(e.location?.path, 'objects[1].pattern');
    assert.equal(e.location?.column, 30);
    assert.match(e.message, /expected a "\]" closing the observation/);
  });
  refused(bundle(good("[ipv4-addr:value = '10.0.0.1']"), { type: 'indicator', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3e', pattern_type: 'stix' }), undefined, (e) => assert.equal(e.location?.path, 'objects[1].pattern'));
  refused('{"type": "bundle", "objects": [\n  {"type": "indicator",\n  "pattern": }\n]}', 'stix', (e) => assert.deepEqual([e.location?.line, e.location?.column], [3, 14]));
  refused('{"type": "bundle", "objects": {}}', 'stix', (e) => assert.equal(e.location?.path, 'objects'));
  refused('[1, 2]', 'stix', (e) => assert.equal(e.location?.path, '$'));
  refused('{"Event": {"Attribute": {"type": "md5"}}}', 'misp', (e) => assert.equal(e.location?.path, '$.Event.Attribute'));
  refused('{"Event": {"Attribute": [{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "to_ids": true}, {"value": "x"}]}}', 'misp', (e) => assert.equal(e.location?.path, '$.Event.Attribute[1].type'));
  refused('value,type\n1.2.3.4,ip\n"5.6.7.8,ip\n', 'csv', (e) => assert.deepEqual([e.location?.line, e.location?.column], [3, 1]));
  refused('value,type\n1.2.3.4,ip\n5.6.7.8,ip,extra\n', 'csv', (e) => assert.equal(e.location?.line, 3));
  refused('# only comments\n', 'csv', (e) => assert.match(e.message, /empty CSV/));
  refused('1.2.3.4\nabc\u0000def\n', 'list', (e) => assert.equal(e.location?.line, 2));
});

test('STIX pattern grammar: valid patterns parse with the right shape', () => {
  const valid = [
    "[file:hashes.'SHA-256' = 'aa']",
    "[file:hashes.MD5 = 'aa' AND file:name = 'x'] OR [ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [url:value = 'http://a']",
    "([a-b:c = 1] AND [a-b:c = 2.5]) WITHIN 5 SECONDS REPEATS 2 TIMES",
    "[x-custom:list[*].name = 'a' AND x-custom:list[0].n != true] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.123Z'",
    "[artifact:payload_bin = b'dGVzdA==' OR artifact:x = h'ff00']",
    "[file:name NOT IN ('a', 'b\\'c')]",
    "[EXISTS windows-registry-key:values]",
    "[email-message:subject MATCHES '^x' AND (email-addr:value LIKE '%@x' OR email-addr:value ISSUBSET '10.0.0.0/8')]",
  ];
  for (const pattern of valid) assert.doesNotThrow(() => parseStixPattern(pattern), pattern);
  const tree = parseStixPattern("[a-b:c = 'x' OR a-b:d = 'y' AND a-b:e = 'z']");
  assert.equal(tree.kind, 'observation');
  if (tree.kind === 'observation') {
    assert.equal(tree.comparison.kind, 'or', 'AND binds tighter than OR');
    if (tree.comparison.kind === 'or') assert.equal(tree.comparison.operands[1]!.kind, 'and');
  }
  const followed = parseStixPattern("[a-b:c = 1] OR [a-b:c = 2] FOLLOWEDBY [a-b:c = 3]");
  assert.equal(followed.kind, 'followedby', 'FOLLOWEDBY binds loosest');
  const invalid: [string, number][] = [
    ["[file:name = 'x'", 17], ["file:name = 'x'", 1], ["[file:name == 'x']", 13], ["[file:name = 'x] ", 14], ["[File:name = 'x']", 2],
    ["[file:name = t'2016']", 14], ["[a-b:c = 1] WITHIN -1 SECONDS", 20], ["[a-b:c = 1] AND", 16], ["[a-b:c IN ()]", 12], ["[a-b:c = 'x\\n']", 12],
  ];
  for (const [pattern, column] of invalid) {
    assert.throws(() => parseStixPattern(pattern), (error: unknown) => error instanceof PatternSyntaxError && error.column === column, `${pattern} at ${column}`);
  }
});

/** Random edits of a valid text: deletions, duplications, inserted syntax characters, truncation. */
function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 4);
  const alphabet = ['"', "'", '[', ']', '(', ')', '{', '}', ',', ';', ':', '\n', '\\', ' OR ', ' AND ', '|', '/', '%', '\u0000', 'é', '0', '-'];
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (out.length + 1));
    const r = random();
    if (r < 0.3) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 8));
    else if (r < 0.7) out = out.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + out.slice(at);
    else if (r < 0.85) out = out.slice(0, at) + out.slice(at, at + 20) + out.slice(at);
    else out = out.slice(0, at);
  }
  return out;
}

test('fuzz: the JSON error locator agrees with JSON.parse on mutated documents', () => {
  const random = seededRandom(3);
  const sample = readFileSync(join(testdata(), 'stix-mixed.in.json'), 'utf8');
  for (let i = 0; i < 3000; i++) {
    const text = mutate(sample, random);
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    const located = firstJsonError(text);
    assert.equal(located === undefined, valid, JSON.stringify(text.slice(0, 300)));
    if (located) assert.ok(located.offset >= 0 && located.offset <= text.length);
  }
});

test('fuzz: mutated inputs of every format never throw and yield only canonical indicators', () => {
  const random = seededRandom(20241205);
  const samples = readdirSync(testdata()).filter((f) => /\.in\.[a-z]+$/.test(f)).map((f) => readFileSync(join(testdata(), f), 'utf8'));
  let refusedCount = 0;
  for (let i = 0; i < 3000; i++) {
    const text = mutate(samples[i % samples.length]!, random);
    const formats: (IndicatorFormat | undefined)[] = [undefined, 'stix', 'misp', 'csv', 'list'];
    const format = formats[Math.floor(random() * formats.length)];
    let result: ParseResult;
    try {
      result = parseIndicators(text, { source: 'fuzz', file: 'fuzz', ...(format ? { format } : {}) });
    } catch (error) {
      assert.fail(`parser threw on input ${i} (${format ?? 'auto'}): ${String(error)}\n${JSON.stringify(text.slice(0, 400))}`);
    }
    for (const indicator of result.indicators) assert.equal(canonicalIndicatorValue(indicator.type, indicator.value), indicator.value, `${indicator.type} ${indicator.value}`);
    for (const problem of result.problems) assert.ok(problem.location.file === 'fuzz' && problem.message.length > 0);
    if (result.problems.some((p) => p.severity === 'error')) refusedCount++;
  }
  assert.ok(refusedCount > 300, `${refusedCount} of 3000 mutations were refused as malformed`);
});

test('fuzz: random token sequences either parse or fail with a column inside the pattern', () => {
  const random = seededRandom(99);
  const tokens = ['[', ']', '(', ')', "file:name", "ipv4-addr:value", "x-a:b[*].c", '=', '!=', '>=', 'IN', 'LIKE', 'MATCHES', 'NOT', 'AND', 'OR', 'FOLLOWEDBY', 'WITHIN', '5', 'SECONDS', 'REPEATS', 'TIMES', "'a'", "'b\\'c'", "t'2020-01-01T00:00:00Z'", "h'ff'", 'true', ',', 'START', 'STOP', 'EXISTS'];
  let failed = 0;
  for (let i = 0; i < 20000; i++) {
    const pattern = Array.from({ length: 1 + Math.floor(random() * 14) }, () => tokens[Math.floor(random() * tokens.length)]).join(random() < 0.5 ? ' ' : '');
    try {
      parseStixPattern(pattern);
    } catch (error) {
      failed++;
      assert.ok(error instanceof PatternSyntaxError, `${pattern}: ${String(error)}`);
      assert.ok(error.column >= 1 && error.column <= pattern.length + 1, `${pattern}: column ${error.column}`);
    }
  }
  assert.ok(failed > 10000, `${failed} of 20000 token soups refused`);
});

test('property: generated well-formed patterns always parse', () => {
  const random = seededRandom(5);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const literal = () => pick(["'a'", "'it\\'s'", '42', '-1.5', 'true', "t'2020-01-01T00:00:00Z'", "h'00ff'", "b'AA=='"]);
  const comparison = (depth: number): string => {
    const r = random();
    if (depth < 3 && r < 0.2) return `(${comparison(depth + 1)} ${pick(['AND', 'OR'])} ${comparison(depth + 1)})`;
    if (r < 0.3) return `EXISTS ${pick(['file:name', 'x-a:b[*].c'])}`;
    const path = pick(['file:name', "file:hashes.'SHA-256'", 'ipv4-addr:value', 'x-a:b[2].c', 'network-traffic:dst_ref.value']);
    const op = pick(['=', '!=', '<', '>=', 'IN', 'LIKE', 'MATCHES', 'NOT =', 'NOT IN']);
    const value = op.endsWith('IN') ? `(${literal()}, ${literal()})` : op === 'LIKE' || op === 'MATCHES' ? "'x%'" : literal();
    return `${path} ${op} ${value}`;
  };
  const observation = (depth: number): string => {
    const base = depth < 2 && random() < 0.3 ? `(${observation(depth + 1)} ${pick(['AND', 'OR', 'FOLLOWEDBY'])} ${observation(depth + 1)})` : `[${comparison(0)}]`;
    return base + pick(['', '', ' WITHIN 10 SECONDS', ' REPEATS 3 TIMES', " START t'2020-01-01T00:00:00Z' STOP t'2020-02-01T00:00:00Z'"]);
  };
  for (let i = 0; i < 3000; i++) {
    const pattern = `${observation(0)} ${pick(['AND', 'OR', 'FOLLOWEDBY'])} ${observation(0)}`;
    assert.doesNotThrow(() => parseStixPattern(pattern), pattern);
  }
});
