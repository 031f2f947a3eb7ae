import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError, repoRoot } from '@vigil/common';
import { actionCatalog, actionModules } from './catalog.js';
import type { ActionSpec } from './core.js';
import { createActionRegistry } from './registry.js';

const spec = (extra: Partial<ActionSpec> = {}): ActionSpec => ({
  name: 'process.kill',
  title: 'Kill process',
  description: 'Kills a process.',
  permission: 'response:remediate',
  verification: 'The process is gone from /proc.',
  args: { type: 'object', additionalProperties: false, required: ['pid'], properties: { pid: { type: 'integer', minimum: 1 }, tree: { type: 'boolean', default: false }, ip: { type: 'string', format: 'ipv4' } } },
  destructive: false,
  platforms: ['linux'],
  ...extra,
});

const invalidConfig = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => e instanceof VigilError && e.code === 'invalid_config' && pattern.test(e.message));

test('registering a name twice, an open argument schema or a bad spec is a hard error', () => {
  invalidConfig(() => createActionRegistry([spec(), spec()]), /registered twice/);
  invalidConfig(() => createActionRegistry([spec({ args: { type: 'object', properties: {} } })]), /additionalProperties: false/);
  invalidConfig(() => createActionRegistry([spec({ name: 'Kill' })]), /noun\.verb/);
  invalidConfig(() => createActionRegistry([spec({ permission: 'response:everything' as never })]), /permission/);
  invalidConfig(() => createActionRegistry([spec({ reversedBy: 'process.unkill' })]), /reversedBy/);
  invalidConfig(() => createActionRegistry([spec({ platforms: [] })]), /platforms/);
  invalidConfig(() => createActionRegistry([spec({ verification: ' ' })]), /verification/);
  invalidConfig(() => createActionRegistry([spec({ verification: undefined as never })]), /verification/);
  invalidConfig(() => createActionRegistry([spec({ timeoutSeconds: 0 })]), /timeoutSeconds/);
  // Ajv strict mode: a misspelt keyword is caught at registration, not ignored at run time.
  invalidConfig(() => createActionRegistry([spec({ args: { type: 'object', additionalProperties: false, properties: { pid: { type: 'integer', minimun: 1 } } } })]), /not a valid JSON Schema/);
});

test('arguments are validated with the path of every problem; defaults are filled into a copy', () => {
  const registry = createActionRegistry([spec()]);
  const input = { pid: 4242 };
  const args = registry.validateArgs('process.kill', input);
  assert.deepEqual(args, { pid: 4242, tree: false });
  assert.deepEqual(input, { pid: 4242 }, 'the caller\'s object is not changed');
  const problem = (value: unknown, path: string) =>
    assert.throws(() => registry.validateArgs('process.kill', value), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input' && e.details.some((d) => d.location?.path === path), path);
  problem({}, 'args.pid');
  problem({ pid: 'one' }, 'args.pid');
  problem({ pid: 0 }, 'args.pid');
  problem({ pid: 1, signal: 9 }, 'args.signal');
  problem({ pid: 1, ip: '300.1.1.1' }, 'args.ip');
  assert.throws(() => registry.validateArgs('process.kill', [1]), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input');
  assert.throws(() => registry.validateArgs('process.explode', {}), (e: unknown) => e instanceof VigilError && e.code === 'not_found');
  // Types are never coerced.
  problem({ pid: '42' }, 'args.pid');
});

test('the catalog lists every action module and builds without errors', () => {
  const catalog = actionCatalog();
  assert.equal(catalog.list().length, actionModules.flat().length);
  assert.ok(catalog.get('agent.ping'), 'agent.ping is in the catalog');
  const names = catalog.list().map((s) => s.name);
  assert.deepEqual(names, [...names].sort(), 'sorted by name');
  for (const action of catalog.list()) if (action.reversedBy) assert.ok(catalog.get(action.reversedBy), `${action.name} is reversed by a registered action`);
});

test('docs/response-actions.md states the permission, reverse action and destructive flag the catalog declares', () => {
  const catalog = actionCatalog();
  const text = readFileSync(join(repoRoot(), 'docs', 'response-actions.md'), 'utf8');
  const lines = text.split('\n');
  const header = lines.indexOf('| action | permission | reversed by | destructive | verified by |');
  assert.ok(header >= 0, 'the summary table of docs/response-actions.md');
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`|\*/g, '')));
  }
  assert.ok(rows.length >= 16, `${rows.length} action rows`);
  for (const [name, permission, reversedBy, destructive, verifiedBy] of rows) {
    const spec = catalog.get(name!);
    assert.ok(spec, `${name} is in the catalog`);
    assert.equal(permission, spec.permission, `${name} permission`);
    assert.equal(reversedBy, spec.reversedBy ?? '—', `${name} reversed by`);
    assert.equal(destructive, spec.destructive ? 'yes' : 'no', `${name} destructive`);
    assert.ok(verifiedBy, `${name} says how it is verified`);
  }
});
