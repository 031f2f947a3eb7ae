// Error tests: bad queries fail with VigilError('invalid_input'), the 1-based column of the culprit and a useful
// message and hint.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { compileHunt } from './compile.js';

const cases: [query: string, column: number, fragment: string][] = [
  ['process where proces.name == "x"', 15, 'unknown field "proces.name" at column 15; did you mean "process.name"?'],
  ['proces.name == "x"', 1, 'did you mean "process.name"'],
  ['network where file.path == "/tmp"', 15, 'does not exist in category network'],
  ['proces where process.name == "x"', 1, 'unknown category "proces"'],
  ['process where process.name > 5', 28, '">" compares numbers or dates'],
  ['process where process.pid == "12"', 30, 'compare it with a number'],
  ['process where process.name in cidr("10.0.0.0/8")', 15, 'not an IP address'],
  ['network where destination.ip in cidr("10.0.0.300/8")', 38, 'is not a network'],
  ['network where destination.ip in cidr("10.0.0.0/33")', 38, 'at most 32'],
  ['process where process.name == "x', 31, 'unterminated string'],
  ['process where (process.name == "x"', 35, 'expected ")"'],
  ['process where process.name = "x"', 28, 'compare with "=="'],
  ['process where process.name', 27, 'expected an operator'],
  ['process where process.name == bash', 31, 'quote text values'],
  ['mimikatz', 1, 'unknown category "mimikatz"'],
  ['process | stat count()', 11, 'unknown pipe "stat" at column 11; did you mean "stats"'],
  ['process | stats cnt()', 17, 'did you mean "count"?'],
  ['process | stats sum(process.name)', 21, 'needs a number field'],
  ['process | stats count() as n | sort m', 37, 'unknown column "m"'],
  ['process | stats count() as n | where "x"', 38, 'free-text search works on events'],
  ['process where @timestamp > now() - 24x', 38, 'unknown duration unit'],
  ['process where @timestamp > "yesterday"', 28, 'is not a date'],
  ['process where process.name matches /(?=x)/', 36, 'only (?:...) groups'],
  ['process where process.name matches /a(b/', 36, 'invalid regular expression'],
  ['process where process.name matches /(a)\\1/', 36, 'back-references'],
  ['sequence by host.id [process where process.pid > 1]', 52, 'at least two steps'],
  ['sequence [process] by process.pid [network] by process.pid, host.id', 35, 'join keys'],
  ['process where process.interactive > true', 35, 'compare it with == or !='],
  ['log where winlog.event_data == "x"', 11, 'address one key'],
  ['process | limit 0', 17, 'positive whole number'],
  ['process | timechart span=1ms count()', 26, 'at least 1s'],
  ['process where process.name == "a"; DROP TABLE events', 34, 'unexpected character ";"'],
  ['process where "C:\\Windows"', 18, 'unknown escape'],
  ['process | fields process.name | where process.pid == 1', 39, 'dropped by "fields"'],
  ['process where fuzzy("two words")', 21, 'one word'],
  ['process where process.name == "a" |', 36, 'expected a pipe name'],
  ['process | stats count() as n, count() as n', 42, 'appears twice'],
  ['"a" \u202e "b"', 5, 'invisible or control character U+202E'],
];

for (const [query, column, fragment] of cases) {
  test(`error: ${query}`, () => {
    assert.throws(
      () => compileHunt(query),
      (error: unknown) => {
        assert.ok(error instanceof VigilError, `not a VigilError: ${String(error)}`);
        assert.equal(error.code, 'invalid_input');
        assert.ok(error.message.includes(fragment), `message "${error.message}" lacks "${fragment}"`);
        assert.equal(error.location?.path, 'query');
        assert.equal(error.location?.column, column, error.message);
        assert.ok(error.message.includes(`column ${column}`), error.message);
        return true;
      },
    );
  });
}

test('a hint is also the error detail', () => {
  try {
    compileHunt('process where proces.name == "x"');
    assert.fail('compiled');
  } catch (error) {
    assert.ok(error instanceof VigilError);
    assert.deepEqual(error.details, [{ message: 'did you mean "process.name"?' }]);
  }
});

test('multi-line queries report the line', () => {
  assert.throws(() => compileHunt('process\n| where proces.name == "x"'), (error: unknown) => error instanceof VigilError && error.location?.line === 2 && error.location.column === 9);
});

test('bad options are invalid_input', () => {
  assert.throws(() => compileHunt('process', { limit: 0 }), (e: unknown) => e instanceof VigilError && e.location?.path === 'limit');
  assert.throws(() => compileHunt('process', { start: 'soon' }), (e: unknown) => e instanceof VigilError && e.location?.path === 'start');
});
