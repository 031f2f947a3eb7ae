// Runs the selected Atomic Red Team Linux tests (tests/src/atomics/selection.ts) through a real agent and server and
// asserts each produced at least one event of its expected category. Changes machine state: restores it, runs alone.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cleanup } from './harness.js';
import { runCoverage, type CoverageRun } from './atomics/coverage.js';
import { GUARDED_FILES, SELECTION } from './atomics/selection.js';

let run: CoverageRun;
let auditRulesBefore = '';
const guardedBefore = new Map<string, string | null>();

before(async () => {
  auditRulesBefore = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  for (const path of GUARDED_FILES) guardedBefore.set(path, existsSync(path) ? readFileSync(path, 'latin1') : null);
  run = await runCoverage();
});

after(async () => {
  await cleanup();
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), auditRulesBefore, 'audit rules restored');
  for (const [path, content] of guardedBefore) assert.equal(existsSync(path) ? readFileSync(path, 'latin1') : null, content, `${path} restored`);
  for (const user of ['art', 'evil_user', 'butter']) assert.throws(() => execFileSync('id', [user], { stdio: 'ignore' }), `user ${user} removed`);
});

test(`at least 30 atomics run, each selected test passes the filter and runs`, () => {
  assert.ok(SELECTION.length >= 30, `${SELECTION.length} selected`);
  const notRun = run.outcomes.filter((o) => !o.ran).map((o) => `${o.test.technique}#${o.test.number}: ${o.notes.join('; ')}`);
  assert.deepEqual(notRun, [], 'every selected test ran');
});

test('each atomic produced at least one event of its expected category', () => {
  const missing = run.outcomes
    .filter((o) => ![...o.counts.keys()].some((k) => k.startsWith(`${o.selected.expect}/`)))
    .map((o) => `${o.test.technique}#${o.test.number} ${o.test.name}: expected ${o.selected.expect}, got ${[...o.counts.keys()].join(', ') || 'nothing'}`);
  assert.deepEqual(missing, []);
});
