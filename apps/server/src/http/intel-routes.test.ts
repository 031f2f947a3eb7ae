// The agent's YARA sweep progress report is checked field by field: valid reports pass unchanged in meaning, anything
// else is refused with the JSON path of the first bad field (fuzzed with random mutations of a valid report).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom, VigilError } from '@vigil/common';
import { parseProgressReport } from './intel-routes.js';

const valid = {
  state: 'running', files: 10, bytes: 2048, skipped: 1, matches: 1, regions: 0, ruleset_digest: 'a'.repeat(64), error: null,
  hits: [{ time: '2026-12-05T10:00:00.000Z', target: 'file', path: '/tmp/x', pid: null, rule: 'r', namespace: 'default', sha256: 'b'.repeat(64) }],
};

test('a valid report passes; bad fields are refused with their path', () => {
  const parsed = parseProgressReport(structuredClone(valid));
  assert.equal(parsed.state, 'running');
  assert.equal(parsed.hits[0]!.sha256, 'b'.repeat(64));
  const cases: [unknown, string][] = [
    [[], '$'],
    [{ ...valid, state: 'queued' }, '$.state'],
    [{ ...valid, files: -1 }, '$.files'],
    [{ ...valid, bytes: 1.5 }, '$.bytes'],
    [{ ...valid, error: 'x'.repeat(3000) }, '$.error'],
    [{ ...valid, hits: 'no' }, '$.hits'],
    [{ ...valid, hits: [{ ...valid.hits[0], target: 'disk' }] }, '$.hits[0].target'],
    [{ ...valid, hits: [valid.hits[0], { ...valid.hits[0], sha256: 'XYZ' }] }, '$.hits[1].sha256'],
    [{ ...valid, hits: [{ ...valid.hits[0], time: 'yesterday' }] }, '$.hits[0].time'],
  ];
  for (const [report, path] of cases) {
    assert.throws(() => parseProgressReport(report), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input' && e.location?.path === path, path);
  }
});

test('fuzz: random changes to a report are accepted as valid values or refused with a location, never anything else', () => {
  const random = seededRandom(31);
  const values: unknown[] = [null, true, -1, 0, 1e20, 3.5, '', 'x', 'running', 'done', [], {}, 'a'.repeat(64), '2026-01-01T00:00:00Z', Number.NaN];
  const keys = ['state', 'files', 'bytes', 'skipped', 'matches', 'regions', 'ruleset_digest', 'error', 'hits', 'extra'];
  const hitKeys = ['time', 'target', 'path', 'pid', 'rule', 'namespace', 'sha256'];
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const report = structuredClone(valid) as Record<string, unknown>;
    for (let e = 0; e < 1 + Math.floor(random() * 3); e++) {
      const value = values[Math.floor(random() * values.length)];
      const hit = Array.isArray(report.hits) ? (report.hits as unknown[])[0] : undefined;
      if (random() < 0.6 || !hit || typeof hit !== 'object') report[keys[Math.floor(random() * keys.length)]!] = value;
      else (hit as Record<string, unknown>)[hitKeys[Math.floor(random() * hitKeys.length)]!] = value;
    }
    try {
      const parsed = parseProgressReport(report);
      assert.ok(['running', 'done', 'failed'].includes(parsed.state));
      for (const n of [parsed.files, parsed.bytes, parsed.skipped, parsed.matches, parsed.regions]) assert.ok(Number.isSafeInteger(n) && n >= 0);
      for (const hit of parsed.hits) assert.ok(Number.isFinite(Date.parse(hit.time)) && (hit.sha256 === null || /^[0-9a-f]{64}$/.test(hit.sha256)));
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'invalid_input' && typeof error.location?.path === 'string', String(error));
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} refused`);
});
