// Tests of parseConcatenatedJson: back-to-back values, whitespace, and syntax errors located by line and column.
// Never compares against JSON.parse error texts, which differ between Node versions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { parseConcatenatedJson } from './concatenated-json.js';

function syntaxError(text: string, line: number, column: number): void {
  assert.throws(
    () => parseConcatenatedJson(text, 'input.json'),
    (error: unknown) =>
      error instanceof VigilError &&
      error.code === 'invalid_input' &&
      error.location?.file === 'input.json' &&
      error.location.line === line &&
      error.location.column === column,
    JSON.stringify(text),
  );
}

test('values written back to back, with or without whitespace between them, and trailing whitespace', () => {
  assert.deepEqual(parseConcatenatedJson('{"a":1}\n{"b":[true,false,null]}\r\n\t \n', 'f'), [{ a: 1 }, { b: [true, false, null] }]);
  assert.deepEqual(parseConcatenatedJson('{"a":1}{"a":2}[3]"s"-4.5e1', 'f'), [{ a: 1 }, { a: 2 }, [3], 's', -45]);
  assert.deepEqual(parseConcatenatedJson('  \n ', 'f'), []);
  assert.deepEqual(parseConcatenatedJson('\ufeff{"x":"\\u00e9\\n\\"\\\\"}', 'f'), [{ x: 'é\n"\\' }]);
});

test('values equal what JSON.parse gives, including a "__proto__" key kept as data', () => {
  const text = '{"Event":{"System":{"EventID":4624,"Keywords":"0x8020000000000000"},"EventData":{"__proto__":"x","n":-0.5,"e":1E+2,"list":[[],{}]}}}';
  const [value] = parseConcatenatedJson(text, 'f');
  assert.deepEqual(value, JSON.parse(text));
  assert.equal(Object.getPrototypeOf((value as { Event: { EventData: object } }).Event.EventData), Object.prototype);
});

test('syntax errors carry line and column of the offending character', () => {
  syntaxError('{"a":1}\n{"b": }', 2, 7);
  syntaxError('{"a":1,}', 1, 8);
  syntaxError('{"a" 1}', 1, 6);
  syntaxError('[1 2]', 1, 4);
  syntaxError('\n\n  {"a":"unterminated', 3, 8);
  syntaxError('{"a":"tab\there"}', 1, 10);
  syntaxError('{"a":"bad \\x escape"}', 1, 11);
  syntaxError('{"a":01}', 1, 7);
  syntaxError('{"a":tru}', 1, 6);
  syntaxError('{"a":1}\n}', 2, 1);
  syntaxError('{"a":[1', 1, 8);
  syntaxError('{a:1}', 1, 2);
});

test('nesting deeper than the limit is a syntax error, not a stack overflow', () => {
  syntaxError('['.repeat(100000), 1, 514);
});
