// Performance sanity (not timed): compiling 10,000 queries completes; the time is printed for the record.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '@vigil/common';
import { compileHunt } from './compile.js';
import { fuzzQueries } from './internal/fuzz-queries.js';

test('compiling 10,000 queries completes', () => {
  const queries = fuzzQueries(7, 10000);
  const started = process.hrtime.bigint();
  let compiled = 0;
  for (const query of queries) {
    try {
      compileHunt(query);
      compiled++;
    } catch (error) {
      if (!(error instanceof VigilError)) throw error;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`compiled ${compiled} of ${queries.length} queries in ${ms.toFixed(0)} ms`);
  assert.ok(compiled > 0);
});
