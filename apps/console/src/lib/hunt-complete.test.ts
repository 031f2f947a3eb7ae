// Hunt autocomplete: what may come next at the cursor (fields, categories, pipes, aggregations, operators), nothing
// inside literals; fuzzed: any text and cursor gives a consistent context and applying a suggestion inserts it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { applySuggestion, completionContext, suggest, type HuntField } from './hunt-complete.js';

const categories = ['process', 'network', 'file', 'dns'];
const fields: HuntField[] = [
  { name: 'process.name', type: 'keyword', categories: ['process', 'network'], description: 'name' },
  { name: 'process.command_line', type: 'text', categories: ['process'], description: 'command line' },
  { name: 'destination.port', type: 'long', categories: ['network'], description: 'port' },
  { name: 'file.path', type: 'keyword', categories: ['file'], description: 'path' },
  { name: '@timestamp', type: 'date', categories: ['process', 'network', 'file', 'dns'], description: 'time' },
];
const at = (text: string, cursor = text.length) => completionContext(text, cursor, categories);
const labels = (text: string) => suggest(at(text), fields, categories).map((s) => s.label);

test('what comes next at the cursor', () => {
  assert.equal(at('').kind, 'head');
  assert.deepEqual(labels('pro'), ['process', 'process.name', 'process.command_line']);
  assert.equal(at('process ').kind, 'field');
  assert.equal(at('process where ').kind, 'field');
  assert.deepEqual(labels('network where dest'), ['destination.port']);
  assert.deepEqual(labels('file where p'), ['file.path', '@timestamp'], 'fields of the category only; prefix matches first');
  assert.equal(at('process where process.name ').kind, 'operator');
  assert.deepEqual(labels('process where process.name con'), ['contains']);
  assert.equal(at('process where process.name == ').kind, 'none');
  assert.equal(at('process | ').kind, 'pipe');
  assert.deepEqual(labels('process | ti'), ['timechart']);
  assert.equal(at('process | stats ').kind, 'aggregation');
  assert.equal(at('process | stats count(), ').kind, 'aggregation');
  assert.equal(at('process | stats count() by ').kind, 'field');
  assert.equal(at('sequence by host.id [').kind, 'category');
  assert.deepEqual(labels('sequence [network where dest'), ['destination.port'], 'a step narrows to its own category');
  assert.equal(at('process where process.name == "ba').kind, 'none', 'inside a string');
  assert.equal(at("process where process.name == 'a b").kind, 'none');
  assert.equal(at('process where process.command_line matches /curl\\/x').kind, 'none', 'inside a regex');
  assert.equal(at('process where process.name == "bash" and ').kind, 'field');
  assert.equal(at('process where process.name in ("a", ').kind, 'none', 'values of an in-list');
  assert.equal(at('process | limit ').kind, 'none');
});

test('accepting a suggestion replaces the prefix and leaves the cursor after it', () => {
  const text = 'process where process.comm | limit 5';
  const context = completionContext(text, 26, categories);
  assert.equal(context.prefix, 'process.comm');
  const applied = applySuggestion(text, context, suggest(context, fields, categories)[0]!);
  assert.equal(applied.text, 'process where process.command_line | limit 5');
  assert.equal(applied.cursor, 'process where process.command_line'.length);
  const fn = completionContext('process | stats co', 18, categories);
  assert.equal(applySuggestion('process | stats co', fn, { label: 'count(', kind: 'function', detail: '', insert: 'count(' }).text, 'process | stats count(');
});

test('fuzz: any text and cursor give a consistent context; suggestions insert where the prefix was', () => {
  const random = seededRandom(0x5eed);
  const pieces = ['process', ' ', 'where', 'process.name', '==', '"', "'", '@"', '/', '\\', '|', 'stats', 'count()', 'by', '[', ']', '(', ')', ',', 'sequence', 'in', 'cidr', 'x', '.', '@timestamp', '\n', '\u0000', 'é', '*', '-', '1'];
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: Math.floor(random() * 14) }, () => pieces[Math.floor(random() * pieces.length)]!).join('');
    const cursor = Math.floor(random() * (text.length + 3)) - 1;
    const context = completionContext(text, cursor, categories);
    assert.ok(context.from >= 0 && context.from <= context.to && context.to <= text.length, JSON.stringify({ text, cursor, context }));
    assert.equal(text.slice(context.from, context.to), context.prefix);
    for (const suggestion of suggest(context, fields, categories, 3)) {
      const applied = applySuggestion(text, context, suggestion);
      assert.equal(applied.text.slice(context.from, context.from + suggestion.insert.length), suggestion.insert);
      assert.ok(applied.cursor <= applied.text.length);
      assert.equal(applied.text.slice(applied.cursor), text.slice(context.to));
    }
  }
});
