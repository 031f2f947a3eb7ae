// Seeded fuzz runner: random and mutated queries never throw anything but VigilError, and every query that compiles
// runs on DuckDB (real DDL, a few hundred events) without an error. Split over fuzz-1..4.test.ts (5,000 each, 20,000
// in all) so that each test file stays well under 30 s. Test-only.

import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { compileHunt, type CompiledHunt } from '../compile.js';
import { fuzzQueries } from './fuzz-queries.js';
import { FIXED_NOW, openTestDb } from './test-support.js';
import { buildTestEvents, loadTestEvents } from './test-events.js';

export async function runFuzz(seed: number, count: number): Promise<void> {
  const queries = fuzzQueries(seed, count);
  const compiled = new Map<string, { query: string; result: CompiledHunt }>();
  let failures = 0;
  for (const query of queries) {
    try {
      const result = compileHunt(query, { now: FIXED_NOW });
      compiled.set(result.sql + '\u0000' + JSON.stringify(result.params), { query, result });
    } catch (error) {
      assert.ok(error instanceof VigilError, `${JSON.stringify(query)} threw ${String(error)}`);
      assert.equal(error.code, 'invalid_input', `${JSON.stringify(query)}: ${error.message}`);
      assert.ok(error.location?.column !== undefined && error.location.column >= 1, `${JSON.stringify(query)} has no column`);
      failures++;
    }
  }
  assert.ok(compiled.size > count / 20, `only ${compiled.size} distinct queries compiled`);
  assert.ok(failures > count / 20, `only ${failures} queries failed; the mutations are too weak`);
  const db = await openTestDb();
  try {
    await loadTestEvents(db.connection, buildTestEvents());
    for (const { query, result } of compiled.values()) {
      try {
        await db.connection.runAndReadAll(result.sql, result.params);
      } catch (error) {
        assert.fail(`DuckDB refused ${JSON.stringify(query)}: ${(error as Error).message}`);
      }
    }
  } finally {
    db.close();
  }
  console.log(`fuzz: ${queries.length} queries, ${failures} rejected with VigilError, ${compiled.size} distinct compiled and run`);
}
