// The engine: learning period, threshold, suppressions and feedback, disabled profilers, the profiler registry,
// settings validation, and a persistence round trip of every default profiler through JSON.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VigilError } from '@vigil/common';
import { FLEET_SCOPE } from './core.js';
import { createBaselineEngine } from './engine.js';
import { defaultProfilers } from './defaults.js';
import { createParentChildProfiler } from './parent-child/parent-child.js';
import { DAY, T0, event } from './conformance.case.test.js';

const start = (host: string, time: number, parent: string, child: string, extra: Record<string, unknown> = {}) =>
  event(host, time, { 'event.category': 'process', 'event.action': 'start', 'process.pid': 100, 'process.executable': child, 'process.parent.executable': parent, 'process.args': [child, '-x'], ...extra });

function teach(engine: ReturnType<typeof createBaselineEngine>, host: string, days: number) {
  const found = [];
  for (let day = 0; day < days; day++) {
    for (const child of ['/usr/bin/ls', '/usr/bin/cat', '/usr/bin/grep']) found.push(...engine.process([start(host, T0 + day * DAY + 3600_000, '/usr/bin/bash', child, { 'process.hash.sha256': child.length.toString(16).repeat(64).slice(0, 64) })]));
  }
  return found;
}

test('nothing is reported during the learning period; after it a novel pair is', () => {
  const engine = createBaselineEngine({ profilers: [createParentChildProfiler()], settings: { learningDays: 7, burnInDays: 2 } });
  engine.process([start('h', T0, '/usr/bin/bash', '/usr/bin/ls')]);
  assert.deepEqual(engine.process([start('h', T0 + 6 * DAY, '/usr/sbin/nginx', '/tmp/a')]), [], 'learning: no findings');
  assert.equal(engine.hosts()[0]!.learning, true);
  teach(engine, 'h', 20);
  assert.equal(engine.hosts()[0]!.learning, false);
  const found = engine.process([start('h', T0 + 21 * DAY, '/usr/sbin/nginx', '/tmp/b')]);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.key, '/usr/sbin/nginx → /tmp/b');
  assert.equal(found[0]!.hostId, 'h');
  assert.equal(found[0]!.suppressed, false);
});

test('feedback "expected" suppresses the key and teaches the profile; removing the suppression keeps what was taught', () => {
  const engine = createBaselineEngine({ profilers: [createParentChildProfiler()], settings: { learningDays: 3, burnInDays: 1 } });
  teach(engine, 'h', 21);
  const first = engine.process([start('h', T0 + 21 * DAY, '/usr/sbin/nginx', '/usr/bin/perl')]);
  assert.equal(first.length, 1);
  engine.expect(first[0]!, { id: 's1', hostId: 'h', profiler: first[0]!.profiler, key: first[0]!.key });
  assert.deepEqual(engine.process([start('h', T0 + 21 * DAY + 1000, '/usr/sbin/nginx', '/usr/bin/perl')]), []);
  assert.equal(engine.suppressions().length, 1);
  assert.equal(engine.removeSuppression('s1'), true);
  assert.equal(engine.removeSuppression('s1'), false);
  assert.deepEqual(engine.process([start('h', T0 + 21 * DAY + 2000, '/usr/sbin/nginx', '/usr/bin/perl')]), [], 'the profile learned it');
});

test('a fleet-wide suppression covers every host, and suppressed findings are reported only below the alert path', () => {
  const engine = createBaselineEngine({ profilers: [createParentChildProfiler()], settings: { learningDays: 3, burnInDays: 1 } });
  teach(engine, 'a', 21);
  teach(engine, 'b', 21);
  engine.addSuppression({ id: 'f', hostId: FLEET_SCOPE, profiler: 'parent-child', key: '/usr/sbin/nginx → /usr/bin/perl' });
  const found = engine.process([start('b', T0 + 21 * DAY, '/usr/sbin/nginx', '/usr/bin/perl')]);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.suppressed, true);
  assert.equal(engine.stats().suppressed, 1);
  engine.addSuppression({ id: 'x', hostId: 'b', profiler: 'parent-child', key: '/usr/sbin/nginx → /usr/bin/python3', expiresMs: T0 + 21 * DAY });
  assert.equal(engine.process([start('b', T0 + 22 * DAY, '/usr/sbin/nginx', '/usr/bin/python3')])[0]?.suppressed, false, 'an expired suppression no longer applies');
});

test('disabled profilers learn but do not report', () => {
  const engine = createBaselineEngine({ profilers: [createParentChildProfiler()], settings: { learningDays: 3, burnInDays: 1, disabled: ['parent-child'] } });
  teach(engine, 'h', 21);
  assert.deepEqual(engine.process([start('h', T0 + 21 * DAY, '/usr/sbin/nginx', '/tmp/x')]), []);
  engine.configure({ disabled: [] });
  assert.deepEqual(engine.process([start('h', T0 + 21 * DAY + 1, '/usr/sbin/nginx', '/tmp/x')]), [], 'it learned the pair while disabled');
  assert.equal(engine.process([start('h', T0 + 21 * DAY + 2, '/usr/sbin/sshd', '/tmp/y')]).length, 1, 'enabled again, it reports');
});

test('the registry refuses duplicate and badly named profilers; settings are validated with their path', () => {
  assert.throws(() => createBaselineEngine({ profilers: [createParentChildProfiler(), createParentChildProfiler()] }), /registered twice/);
  assert.throws(() => createBaselineEngine({ profilers: [{ ...createParentChildProfiler(), name: 'Bad Name' }] }), /kebab-case/);
  const engine = createBaselineEngine({ profilers: defaultProfilers() });
  for (const [change, path] of [[{ threshold: 0 }, 'threshold'], [{ learningDays: -1 }, 'learningDays'], [{ burnInDays: 30 }, 'burnInDays'], [{ disabled: ['nope'] }, 'disabled']] as const) {
    assert.throws(() => engine.configure(change), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config' && e.location?.path === path, JSON.stringify(change));
  }
  assert.equal(engine.settings().threshold, 0.8, 'a refused change leaves the settings as they were');
});

test('events without a host, a time, or a known category are skipped without error', () => {
  const engine = createBaselineEngine({ profilers: defaultProfilers() });
  assert.deepEqual(engine.process([{ 'event.category': 'process' }, { 'host.id': 'h', '@timestamp': 'not a time' }, { 'host.id': 'h', '@timestamp': new Date(T0).toISOString(), 'event.category': 'registry' }, { 'host.id': 'h', '@timestamp': 12, 'event.category': { toString: 1 } }]), []);
  assert.equal(engine.stats().profilerErrors, 0);
});

test('persistence round trip: every default profiler and the host learning state through JSON give the same findings', () => {
  const original = createBaselineEngine({ profilers: defaultProfilers(), settings: { learningDays: 3, burnInDays: 1 } });
  teach(original, 'a', 21);
  teach(original, 'b', 21);
  const copy = createBaselineEngine({ profilers: defaultProfilers(), settings: { learningDays: 3, burnInDays: 1 } });
  copy.restoreHosts(JSON.parse(JSON.stringify(original.snapshotHosts())));
  for (const p of original.profilers) {
    for (const scope of ['a', 'b', FLEET_SCOPE]) {
      const state = original.snapshot(p.name, scope);
      if (state !== undefined) copy.restore(p.name, scope, JSON.parse(JSON.stringify(state)));
    }
  }
  assert.deepEqual(copy.hosts(), original.hosts());
  const probe = [start('a', T0 + 22 * DAY, '/usr/sbin/nginx', '/tmp/x', { 'process.hash.sha256': 'e'.repeat(64) }), start('b', T0 + 22 * DAY, '/usr/bin/bash', '/usr/bin/ls', { 'process.args': ['ls', '-R', '/root'] })];
  const strip = (fs: ReturnType<typeof original.process>) => fs.map(({ event: _event, ...rest }) => rest);
  const expected = strip(original.process(probe, { minScore: 0 }));
  assert.ok(expected.length >= 2, JSON.stringify(expected));
  assert.deepEqual(strip(copy.process(probe, { minScore: 0 })), expected);
  assert.throws(() => copy.restoreHosts({ v: 1, hosts: [['a', 'x']] }), (e: unknown) => e instanceof VigilError && e.location?.path === 'hosts[0]');
});
