// Tests of splitWindowsCommandLine against the Microsoft C runtime's documented parsing rules.
// Never depends on a Windows host: the expected vectors are written out here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitWindowsCommandLine } from './command-line.js';

const cases: [string, string[]][] = [
  ['', []],
  ['   \t ', []],
  ['cmd.exe', ['cmd.exe']],
  ['  cmd.exe  /c  dir ', ['cmd.exe', '/c', 'dir']],
  ['"C:\\Program Files\\App\\app.exe" --flag "two words"', ['C:\\Program Files\\App\\app.exe', '--flag', 'two words']],
  // Documented examples of the C runtime rules.
  ['prog "abc" d e', ['prog', 'abc', 'd', 'e']],
  ['prog a\\\\\\b d"e f"g h', ['prog', 'a\\\\\\b', 'de fg', 'h']],
  ['prog a\\\\\\"b c d', ['prog', 'a\\"b', 'c', 'd']],
  ['prog a\\\\\\\\"b c" d e', ['prog', 'a\\\\b c', 'd', 'e']],
  ['prog a"b"" c d', ['prog', 'ab" c d']],
  // The program name takes backslashes literally and only toggles on quotes.
  ['C:\\dir\\"odd name"\\x.exe arg', ['C:\\dir\\odd name\\x.exe', 'arg']],
  ['"C:\\path\\\\" next', ['C:\\path\\\\', 'next']],
  ['prog ""', ['prog', '']],
  ['prog "unterminated arg', ['prog', 'unterminated arg']],
  ['reg add "HKLM\\SOFTWARE\\Run" /v x /d "\\"C:\\a b\\x.exe\\" -q" /f', ['reg', 'add', 'HKLM\\SOFTWARE\\Run', '/v', 'x', '/d', '"C:\\a b\\x.exe" -q', '/f']],
];

test('Windows command lines split into argv like the C runtime', () => {
  for (const [line, expected] of cases) assert.deepEqual(splitWindowsCommandLine(line), expected, JSON.stringify(line));
});
