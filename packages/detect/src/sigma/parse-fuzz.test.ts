// Fuzz test: 20,000 seeded mutations of corpus rule texts and random YAML never make the parser or the loader throw
// (parseSigmaFile turns an escaped exception into an `internal` problem, so that code counts as a throw too).
// Never uses unseeded randomness: a failure names its iteration and seed so it reproduces.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { corpusPath, seededRandom } from '@vigil/common';
import type { DetectEvent, FieldResolver, LogsourceRouter } from '../core.js';
import { loadSigmaRules } from './load.js';
import { parseSigmaFile } from './parse.js';
import { readRuleSources } from './rule-files.js';

const resolver: FieldResolver = {
  resolve: (field) => (field.length % 5 === 0 ? undefined : { key: field, get: (event) => event[field], sql: field }),
  keywordFields: () => [{ key: 'message', get: (event) => event['message'], sql: 'message' }],
};
const router: LogsourceRouter = { route: (logsource) => (logsource.product === 'linux' ? undefined : { conditions: [] }) };

const fragments = [
  ':', ': ', '-', '- ', '|', '*', '?', '\\', "'", '"', '\n', '  ', '{', '}', '[', ']', '&a ', '*a', '!!str ', '%', '#', '---\n',
  '|contains', '|all', '|re', '|base64offset', '|windash', '|cidr', '|exists', '|expand', '|fieldref', '|gt', '|utf16le', '|i',
  'condition: ', ' and ', ' or ', 'not ', '(', ')', '1 of ', 'all of them', 'selection', 'action: global\n', 'action: repeat\n',
  'correlation:\n  type: event_count\n', 'filter:\n  rules: [x]\n', 'null', '~', '4688', '0x10', 'true', '\u2013', '\u0000', '\t',
];

function mutate(text: string, random: () => number): string {
  let result = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let edit = 0; edit < edits; edit++) {
    const at = Math.floor(random() * (result.length + 1));
    const choice = random();
    if (choice < 0.3) result = result.slice(0, at) + fragments[Math.floor(random() * fragments.length)] + result.slice(at);
    else if (choice < 0.5) result = result.slice(0, at) + result.slice(at + 1 + Math.floor(random() * 20));
    else if (choice < 0.65) {
      const lines = result.split('\n');
      const from = Math.floor(random() * lines.length);
      lines.splice(Math.floor(random() * lines.length), 0, lines[from] ?? '');
      result = lines.join('\n');
    } else if (choice < 0.8) {
      const lines = result.split('\n');
      const line = Math.floor(random() * lines.length);
      lines[line] = random() < 0.5 ? ' ' + (lines[line] ?? '') : (lines[line] ?? '').replace(/^ /, '');
      result = lines.join('\n');
    } else if (choice < 0.9) result = result.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x3000)) + result.slice(at);
    else result = result.slice(0, at);
  }
  return result;
}

function randomValue(random: () => number, depth: number): unknown {
  const choice = random();
  if (depth > 3 || choice < 0.4) {
    const scalars = [null, true, 4688, -1.5, '', 'x', '*', 'a*b?c', '\\*', '%Admins%', '10.0.0.0/8', '(?i)x', '-enc', 'selection'];
    return scalars[Math.floor(random() * scalars.length)];
  }
  if (choice < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  const keys = ['title', 'id', 'level', 'status', 'logsource', 'detection', 'condition', 'selection', 'Image|endswith', '|all', 'Cmd|re|i', 'correlation', 'filter', 'rules', 'type', 'timespan', 'action'];
  const map: Record<string, unknown> = {};
  for (let index = Math.floor(random() * 5); index > 0; index--) map[keys[Math.floor(random() * keys.length)] as string] = randomValue(random, depth + 1);
  return map;
}

test('20,000 mutated or random rule texts never make parseSigmaFile, loadSigmaRules or match() throw', () => {
  const corpus = readRuleSources(corpusPath('sigma', 'rules', 'windows', 'process_creation')).slice(0, 400);
  corpus.push(...readRuleSources(corpusPath('sigma', 'rules', 'linux')).slice(0, 100));
  assert.ok(corpus.length >= 400);
  const seed = 20261204;
  const random = seededRandom(seed);
  const events: DetectEvent[] = [{}, { Image: 'C:\\x.exe', CommandLine: '-enc abc', message: 'selection' }, { Image: ['a', 1, null, { b: 2 }] }];
  let compiledRules = 0;
  for (let iteration = 0; iteration < 20_000; iteration++) {
    const text =
      iteration % 4 === 3
        ? random() < 0.5
          ? stringify(randomValue(random, 0))
          : Array.from({ length: 1 + Math.floor(random() * 30) }, () => fragments[Math.floor(random() * fragments.length)]).join('')
        : mutate((corpus[Math.floor(random() * corpus.length)] as { text: string }).text, random);
    const source = { file: `fuzz-${iteration}.yml`, text };
    try {
      const set = loadSigmaRules([source], { resolver, router, placeholders: { Admins: ['adm_*'] }, includeDeprecated: iteration % 2 === 0 });
      for (const problem of set.problems) {
        assert.ok(problem.location.line >= 1 && problem.location.column >= 1, JSON.stringify(problem));
        assert.notEqual(problem.code, 'internal', problem.message);
      }
      compiledRules += set.rules.length;
      for (const rule of set.rules) for (const event of events) rule.match(event);
      if (iteration % 100 === 0) assert.ok(parseSigmaFile(source).rules.length >= set.rules.length);
    } catch (error) {
      assert.fail(`iteration ${iteration} (seed ${seed}) threw ${error instanceof Error ? error.stack : String(error)}\n--- text ---\n${text}`);
    }
  }
  assert.ok(compiledRules > 1000, `the mutations should leave many rules loadable (got ${compiledRules})`);
});
