// Seeded fuzz, part 2 of 4: 5,000 random and mutated queries (seed 20260302); see internal/fuzz-run.ts.
// Together the four parts cover 20,000 queries; each must only ever throw VigilError and run when it compiles.

import { test } from 'node:test';
import { runFuzz } from './internal/fuzz-run.js';

test('fuzz part 2: 5,000 queries, only VigilError, everything compiled runs on DuckDB', async () => {
  await runFuzz(20260302, 5000);
});
