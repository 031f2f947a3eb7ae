// Injection corpus: hostile text inside values and as whole queries either fails with VigilError or compiles to
// the very SQL a harmless value gives (values only ever in params); DuckDB always sees exactly one statement.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { compileHunt, type CompiledHunt } from './compile.js';
import { FIXED_NOW, openTestDb } from './internal/test-support.js';

const hostile: string[] = [
  "'; DROP TABLE events; --", "' OR '1'='1", "') OR ('1'='1", '" OR 1=1 --', '"; DROP TABLE events_process; --', "'; SELECT * FROM duckdb_settings(); --",
  '-- comment', '/* comment */', '*/ SELECT 1 /*', "x'/**/OR/**/'1'='1", '1; ATTACH \'/tmp/x.db\' AS x', "'; COPY events TO '/tmp/leak.csv'; --",
  "'; INSTALL httpfs; LOAD httpfs; --", "$1", "$2; SELECT $1", "$$ dollar $$", '?', '??', ':name', '@var', "E'\\x41'", "\\'", '\\"', '\\\\', '\\',
  '%', '_', '%_%', '[a-z]', "chr(39)", "' || chr(39) || '", '\u2018 OR \u20181\u2019=\u20191', '\u201c OR 1=1 \u201d', '\uff07 OR 1=1', '\u02bc OR 1=1',
  'рrocess.name', 'ｐrocess', 'proc\u0435ss', 'admin\u202e', '\u200fevil', '\u200b', 'a\u2066b\u2069', '\ufeffbom', 'A'.repeat(10000), "'".repeat(500), '"'.repeat(300),
  '\u0000', 'a\u0000b', '\u0007bell', 'line\nbreak', 'tab\there', 'cr\rlf', '\u00e9t\u00e9', '\u{1F600}', '\ud800', 'x"y\'z`w', '`ls`', '$(id)', '${7*7}', '{{7*7}}',
  '; ;', 'SELECT 1', 'WITH x AS (SELECT 1) SELECT * FROM x', 'UNION SELECT NULL', ') UNION ALL SELECT * FROM events --', '))))))))', '((((((((', '/', '/.*/', '//',
  '|', '| stats count()', 'and', 'or not', 'IS NOT NULL', 'NULL', '1 OR 1', 'true', '-1', '1e309', '0x41', 'NaN',
];

function escapeForQuery(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\*/g, '\\*').replace(/\?/g, '\\?').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
}

const templates: { make: (v: string) => string; harmless: string }[] = [
  { make: (v) => `process where process.name == "${v}"`, harmless: 'harmless' },
  { make: (v) => `process where process.command_line contains "${v}" | stats count() by host.id`, harmless: 'harmless' },
  { make: (v) => `"${v}"`, harmless: 'harmless' },
  { make: (v) => `network where destination.ip in cidr("${v}")`, harmless: '10.0.0.0/8' },
  { make: (v) => `process where process.name in ("${v}", "x") | top 3 process.name`, harmless: 'harmless' },
  { make: (v) => `dns where dns.question.name matches "${v}"`, harmless: 'harmless' },
];

function attempt(query: string): CompiledHunt | VigilError {
  try {
    return compileHunt(query, { now: FIXED_NOW });
  } catch (error) {
    assert.ok(error instanceof VigilError, `${JSON.stringify(query.slice(0, 80))} threw ${String(error)}`);
    return error;
  }
}

test('the corpus has at least 200 hostile inputs', () => {
  assert.ok(hostile.length * (templates.length + 2) >= 200);
});

test('hostile values inside strings never change the SQL text', async () => {
  const db = await openTestDb();
  let compiled = 0;
  try {
    for (const value of hostile) {
      for (const template of templates) {
        const result = attempt(template.make(escapeForQuery(value)));
        if (result instanceof VigilError) continue;
        compiled++;
        const reference = compileHunt(template.make(template.harmless), { now: FIXED_NOW });
        assert.equal(result.sql, reference.sql, `SQL changed for value ${JSON.stringify(value.slice(0, 60))}`);
        assert.equal(result.params.length, reference.params.length);
        const statements = await db.connection.extractStatements(result.sql);
        assert.equal(statements.count, 1);
        await db.connection.runAndReadAll(result.sql, result.params);
      }
    }
  } finally {
    db.close();
  }
  assert.ok(compiled > 150, `only ${compiled} hostile values compiled; the test would prove little`);
});

test('hostile whole queries fail with VigilError or compile to one statement without the hostile text', async () => {
  const db = await openTestDb();
  try {
    const queries = [...hostile, ...hostile.map((v) => `process where process.name == "x" ${v}`), ...hostile.map((v) => `process | ${v}`)];
    for (const query of queries) {
      const result = attempt(query);
      if (result instanceof VigilError) continue;
      for (const needle of ['DROP', 'ATTACH', 'COPY', 'INSTALL', ';']) if (query.includes(needle)) assert.ok(!result.sql.includes(needle), `${needle} reached the SQL of ${JSON.stringify(query)}`);
      assert.equal((await db.connection.extractStatements(result.sql)).count, 1);
      await db.connection.runAndReadAll(result.sql, result.params);
    }
  } finally {
    db.close();
  }
});

test('deep nesting is refused with VigilError, moderate nesting compiles', () => {
  assert.throws(() => compileHunt('('.repeat(5000) + '"a"' + ')'.repeat(5000)), VigilError);
  assert.throws(() => compileHunt('not '.repeat(5000) + '"a"'), VigilError);
  assert.ok(compileHunt('('.repeat(40) + '"a"' + ')'.repeat(40)).sql.startsWith('SELECT'));
  assert.throws(() => compileHunt('"a" or '.repeat(20000) + '"a"'), VigilError);
});

test('identifiers cannot be smuggled through names', () => {
  for (const name of ['process.name"', 'process."name', 'x";DROP', 'process.name--']) {
    const result = attempt(`process where ${name} == "a"`);
    assert.ok(result instanceof VigilError, name);
  }
  const eventData = attempt('log where winlog.event_data.Target"User == "x"');
  assert.ok(eventData instanceof VigilError);
});
