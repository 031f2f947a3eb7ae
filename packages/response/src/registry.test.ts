import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VigilError } from '@vigil/common';
import { actionCatalog, actionModules } from './catalog.js';
import type { ActionSpec } from './core.js';
import { createActionRegistry } from './registry.js';

const spec = (extra: Partial<ActionSpec> = {}): ActionSpec => ({
  name: 'process.kill',
  title: 'Kill process',
  description: 'Kills a process.',
  permission: 'response:remediate',
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
