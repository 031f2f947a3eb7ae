import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from '../conformance.case.test.js';
import { createDuckDbStore } from './duckdb-store.js';

runConformance({
  create: (dir) => createDuckDbStore({ dataDir: dir }),
  makeDir: () => mkdtempSync(join(tmpdir(), 'vigil-duckdb-')),
});
