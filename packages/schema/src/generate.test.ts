import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { repoRoot } from '@vigil/common';
import { generatedFiles } from './generate.js';
import { categoryByName, checkEvent, resolvedCategories } from './index.js';

test('generated types and docs/schema.md are up to date (run `npm run gen`)', () => {
  for (const file of generatedFiles(repoRoot())) assert.equal(readFileSync(file.path, 'utf8'), file.render(), `${file.path} is stale`);
});

test('every category has actions, a table name and the base fields', () => {
  assert.ok(resolvedCategories.length >= 15);
  for (const category of resolvedCategories) {
    assert.ok(category.actions.length > 0, category.name);
    for (const base of ['@timestamp', 'event.id', 'host.id', 'event.sequence']) assert.ok(category.fieldByName.has(base), `${category.name} lacks ${base}`);
  }
  assert.ok(categoryByName.get('process')!.fieldByName.has('process.hash.sha256'));
});

test('the validator normalises dates with offsets to UTC and refuses impossible values', () => {
  const event: Record<string, unknown> = {
    '@timestamp': '2026-05-01T12:00:00.250+02:00', 'event.id': '123e4567-e89b-42d3-a456-426614174000', 'event.sequence': 1,
    'event.category': 'network', 'event.action': 'connect', 'host.id': 'h', 'destination.ip': '2001:db8::1', 'destination.port': 443,
  };
  assert.deepEqual(checkEvent(event, 'e').problems, []);
  assert.equal(event['@timestamp'], '2026-05-01T10:00:00.250Z');
  const bad = { ...event, 'destination.ip': '999.1.1.1', '@timestamp': '2026-13-45T00:00:00Z' };
  const problems = checkEvent(bad, 'e').problems.map((p) => p.location?.path);
  assert.deepEqual(problems.sort(), ['e["@timestamp"]', 'e["destination.ip"]']);
});
