// Golden tests: every testdata/*.hunt query compiles to exactly the SQL, parameters and columns in its .sql file.
// VIGIL_UPDATE_GOLDEN=1 rewrites the .sql files; without it a missing or different file fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compileHunt } from './compile.js';
import { FIXED_NOW, goldenCases, goldenText, openTestDb } from './internal/test-support.js';

const update = process.env.VIGIL_UPDATE_GOLDEN === '1';
const cases = goldenCases();

test('there are golden cases for every construct', () => {
  assert.ok(cases.length >= 40, `only ${cases.length} golden cases`);
});

for (const golden of cases) {
  test(`golden ${golden.name}`, () => {
    const query = readFileSync(golden.huntPath, 'utf8').trimEnd();
    const actual = goldenText(compileHunt(query, { now: FIXED_NOW }));
    if (update) writeFileSync(golden.sqlPath, actual);
    assert.ok(existsSync(golden.sqlPath), `${golden.sqlPath} is missing; run with VIGIL_UPDATE_GOLDEN=1`);
    assert.equal(actual, readFileSync(golden.sqlPath, 'utf8'));
  });
}

test('every golden query runs on DuckDB against the real DDL', async () => {
  const db = await openTestDb();
  try {
    for (const golden of cases) {
      const compiled = compileHunt(readFileSync(golden.huntPath, 'utf8').trimEnd(), { now: FIXED_NOW });
      await assert.doesNotReject(db.connection.runAndReadAll(compiled.sql, compiled.params), golden.name);
    }
  } finally {
    db.close();
  }
});
