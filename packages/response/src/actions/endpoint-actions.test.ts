// The endpoint actions' specs (process, file, account, power, collect): they register, and their argument schemas
// accept what the handlers expect and refuse the rest (property test over random argument objects).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom, VigilError } from '@vigil/common';
import { createActionRegistry } from '../registry.js';
import { specs as processSpecs } from './process.js';
import { specs as fileSpecs } from './file.js';
import { specs as accountSpecs } from './account.js';
import { specs as powerSpecs } from './power.js';
import { specs as collectSpecs } from './collect.js';

const all = [...processSpecs, ...fileSpecs, ...accountSpecs, ...powerSpecs, ...collectSpecs];
const registry = createActionRegistry(all);

const refused = (name: string, args: unknown, path: RegExp) =>
  assert.throws(
    () => registry.validateArgs(name, args),
    (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && path.test(error.location?.path ?? ''),
    `${name} ${JSON.stringify(args)} must be refused at ${path}`,
  );

test('every endpoint action registers, is Linux-only, and names an existing reverse action', () => {
  assert.deepEqual(registry.list().map((s) => s.name), [
    'account.lock', 'account.unlock', 'file.collect', 'file.delete', 'file.quarantine', 'file.restore', 'host.reboot', 'host.shutdown',
    'live.connections', 'live.listening', 'live.processes', 'path.restrict', 'path.unrestrict', 'process.kill', 'process.resume', 'process.suspend',
  ]);
  for (const spec of all) assert.deepEqual(spec.platforms, ['linux'], spec.name);
  assert.equal(registry.get('file.quarantine')?.reversedBy, 'file.restore');
  assert.equal(registry.get('process.suspend')?.reversedBy, 'process.resume');
  assert.equal(registry.get('account.lock')?.reversedBy, 'account.unlock');
  assert.equal(registry.get('path.restrict')?.reversedBy, 'path.unrestrict');
  assert.deepEqual(all.filter((s) => s.destructive).map((s) => s.name).sort(), ['file.delete', 'host.reboot', 'host.shutdown']);
  assert.deepEqual(all.filter((s) => s.permission === 'response:power').map((s) => s.name).sort(), ['host.reboot', 'host.shutdown']);
  assert.deepEqual(all.filter((s) => s.permission === 'response:collect').map((s) => s.name).sort(), ['file.collect', 'live.connections', 'live.listening', 'live.processes']);
});

test('valid arguments pass and get their defaults filled in', () => {
  assert.deepEqual(registry.validateArgs('process.kill', { pid: 4711 }), { pid: 4711, tree: false });
  assert.deepEqual(registry.validateArgs('process.kill', { pid: 4711, tree: true, start_time: 123456, entity_id: 'Q2m0Yx1nT4u8Zk3pR7sWaA' }), { pid: 4711, tree: true, start_time: 123456, entity_id: 'Q2m0Yx1nT4u8Zk3pR7sWaA' });
  assert.deepEqual(registry.validateArgs('file.delete', { path: '/tmp/x' }), { path: '/tmp/x', recursive: false });
  assert.deepEqual(registry.validateArgs('file.collect', { path: '/var/log/auth.log' }), { path: '/var/log/auth.log', max_bytes: 100 * 1024 * 1024 });
  assert.deepEqual(registry.validateArgs('host.reboot', {}), { delay_seconds: 5 });
  assert.deepEqual(registry.validateArgs('account.lock', { user: 'mallory' }), { user: 'mallory', end_sessions: true });
  assert.deepEqual(registry.validateArgs('path.restrict', { path: '/srv/app', mode: '0700' }), { path: '/srv/app', mode: '0700' });
  assert.deepEqual(registry.validateArgs('path.restrict', { path: '/srv/app', immutable: true }), { path: '/srv/app', immutable: true });
  assert.deepEqual(registry.validateArgs('live.listening', {}), { limit: 10000 });
});

test('invalid arguments are refused with the path of the problem', () => {
  refused('process.kill', {}, /^args\.pid$/);
  refused('process.kill', { pid: 0 }, /^args\.pid$/);
  refused('process.kill', { pid: '12' }, /^args\.pid$/);
  refused('process.kill', { pid: 12, signal: 'SIGTERM' }, /^args\.signal$/);
  refused('process.kill', { pid: 12, entity_id: 'short' }, /^args\.entity_id$/);
  refused('file.quarantine', { path: 'relative/file' }, /^args\.path$/);
  refused('file.quarantine', { path: '/tmp/a\u0000b' }, /^args\.path$/);
  refused('file.restore', { vault_id: '../../etc/passwd' }, /^args\.vault_id$/);
  refused('path.restrict', { path: '/srv/app' }, /^args$/);
  refused('path.restrict', { path: '/srv/app', mode: '999' }, /^args\.mode$/);
  refused('account.lock', { user: 'bad:name' }, /^args\.user$/);
  refused('account.lock', { user: '../x' }, /^args\.user$/);
  refused('host.shutdown', { delay_seconds: 0 }, /^args\.delay_seconds$/);
  refused('file.collect', { path: '/x', max_bytes: 0 }, /^args\.max_bytes$/);
  refused('live.connections', { protocol: 'icmp' }, /^args\.protocol$/);
});

test('property: random argument objects either validate to the schema shape or are refused with invalid_input', () => {
  const random = seededRandom(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const values = [0, 1, -1, 4711, 2 ** 40, 1.5, '', '/tmp/x', 'x', '0700', true, false, null, [], {}, 'Q2m0Yx1nT4u8Zk3pR7sWaA', 'a'.repeat(5000)];
  const keys = ['pid', 'tree', 'start_time', 'entity_id', 'path', 'recursive', 'vault_id', 'mode', 'immutable', 'user', 'end_sessions', 'delay_seconds', 'reason', 'max_bytes', 'limit', 'protocol', 'name', 'extra'];
  for (let i = 0; i < 3000; i++) {
    const spec = pick(all);
    const args: Record<string, unknown> = {};
    const count = Math.floor(random() * 4);
    for (let k = 0; k < count; k++) args[pick(keys)] = pick(values);
    try {
      const valid = registry.validateArgs(spec.name, args);
      const allowed = Object.keys((spec.args as { properties: object }).properties);
      for (const key of Object.keys(valid)) assert.ok(allowed.includes(key), `${spec.name} accepted unknown ${key}`);
      for (const key of ((spec.args as { required?: string[] }).required ?? [])) assert.ok(key in valid, `${spec.name} accepted without ${key}`);
      if ('pid' in valid) assert.ok(Number.isInteger(valid.pid) && (valid.pid as number) >= 1);
      if ('path' in valid) assert.ok(typeof valid.path === 'string' && valid.path.startsWith('/'));
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'invalid_input', `${spec.name} ${JSON.stringify(args)} threw ${String(error)}`);
    }
  }
});
