// `node tests/dist/atomics/main.js [--out docs/coverage.md]`: runs the atomics coverage and writes docs/coverage.md.
// Needs root and auditd (changes audit state, restored by the agent); run it under `flock /tmp/vigil-system.lock`.

import { writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { cleanup } from '../harness.js';
import { renderCoverage, runCoverage } from './coverage.js';

const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1]! : join(repoRoot(), 'docs', 'coverage.md');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}
try {
  const run = await runCoverage(undefined, (line) => process.stderr.write(`${line}\n`));
  const machine = `Debian 12, ${cpus().length} cores, kernel ${release()}, Node ${process.versions.node}`;
  writeFileSync(out, renderCoverage(run, { date: new Date().toISOString().slice(0, 10), machine }));
  process.stderr.write(`wrote ${out}\n`);
} finally {
  await cleanup();
}
