// The console's small pure helpers: virtual table ranges (bounded whatever the total), chart scales and ticks, time
// buckets, agent health, the attack-chain graph model and event summaries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { visibleRange } from './virtual.js';
import { compactNumber, linearScale, niceTicks } from './scale.js';
import { bucketize, durationMs } from './time.js';
import { hostHealth } from './health.js';
import { buildGraph, MAX_ARTIFACTS_PER_PROCESS } from './graph-model.js';
import { eventSummary } from './event-summary.js';

test('property: the virtual range covers the viewport and stays bounded for any total', () => {
  const random = seededRandom(99);
  for (let i = 0; i < 5000; i++) {
    const total = Math.floor(random() * 200_000);
    const rowHeight = 1 + Math.floor(random() * 40);
    const viewport = Math.floor(random() * 2000);
    const scrollTop = random() * (total * rowHeight + 500) - 100;
    const overscan = Math.floor(random() * 10);
    const range = visibleRange(scrollTop, viewport, rowHeight, total, overscan);
    assert.ok(range.start >= 0 && range.start <= range.end && range.end <= total);
    assert.ok(range.end - range.start <= Math.ceil(viewport / rowHeight) + 1 + 2 * overscan, JSON.stringify({ total, rowHeight, viewport, scrollTop, range }));
    const firstVisible = Math.min(total, Math.floor(Math.max(0, scrollTop) / rowHeight));
    const lastVisible = Math.min(total, Math.ceil((Math.max(0, scrollTop) + viewport) / rowHeight));
    assert.ok(range.start <= firstVisible && range.end >= Math.min(lastVisible, total), 'every visible row is rendered');
    assert.equal(range.totalHeight, total * rowHeight);
  }
  assert.deepEqual(visibleRange(Number.NaN, Number.NaN, 0, 10), { start: 0, end: 9, offset: 0, totalHeight: 10 });
});

test('scales, round ticks and compact numbers', () => {
  assert.equal(linearScale([0, 10], [100, 0])(5), 50);
  assert.equal(linearScale([3, 3], [7, 9])(3), 7, 'an empty domain maps to the range start');
  assert.deepEqual(niceTicks(7, 4), [0, 2, 4, 6, 8]);
  assert.deepEqual(niceTicks(1, 4, true), [0, 1]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  assert.deepEqual(niceTicks(0.3, 3), [0, 0.1, 0.2, 0.3]);
  assert.equal(compactNumber(950), '950');
  assert.equal(compactNumber(12_345), '12k');
  assert.equal(compactNumber(3_400_000), '3.4M');
  assert.equal(compactNumber(Number.NaN), '–');
});

test('time buckets aligned to the step; durations', () => {
  const items = [{ t: '1970-01-01T00:00:30Z', k: 'a' }, { t: '1970-01-01T00:01:10Z', k: 'b' }, { t: '1970-01-01T00:01:50Z', k: 'a' }, { t: 'not a time', k: 'a' }, { t: '1970-01-01T01:00:00Z', k: 'a' }];
  const buckets = bucketize(items, { start: 0, end: 180_000, stepMs: 60_000, time: (i) => i.t, key: (i) => i.k, keys: ['a', 'b'] });
  assert.deepEqual(buckets.map((b) => [b.start, b.values]), [[0, { a: 1, b: 0 }], [60_000, { a: 1, b: 1 }], [120_000, { a: 0, b: 0 }]]);
  assert.equal(durationMs('15m'), 900_000);
  assert.equal(durationMs('2d'), 172_800_000);
  assert.equal(durationMs('5 minutes'), undefined);
});

test('agent health counts losses and filtered events from any heartbeat shape', () => {
  assert.deepEqual(hostHealth({ collected: 10, dropped: 2, invalid: 1, rejected: 0 }, { auditd: { records: 5, serialGaps: 3, parseErrors: 1, hashHits: 9 }, ebpf: { filtered: 4 } }), {
    lost: 7,
    filtered: 4,
    problems: [['agent.dropped', 2], ['agent.invalid', 1], ['auditd.serialGaps', 3], ['auditd.parseErrors', 1], ['ebpf.filtered', 4]],
  });
  assert.deepEqual(hostHealth(null, 'nonsense'), { lost: 0, filtered: 0, problems: [] });
  assert.equal(hostHealth({ dropped: -5 }, [{ name: 'x', lost: 2 }]).lost, 2);
});

test('the graph model links processes and adds their files, connections and DNS names, bounded per process', () => {
  const proc = (entityId: string, parentEntityId: string | null, executable: string) => ({ entityId, parentEntityId, pid: 1, executable, commandLine: executable, user: 'root', start: null, end: null, exitCode: null, activity: {} });
  const events = [
    { 'process.entity_id': 'b', 'event.category': 'network', 'event.action': 'connect', 'destination.ip': '10.0.0.5', 'destination.port': 4444 },
    { 'process.entity_id': 'b', 'event.category': 'network', 'event.action': 'connect', 'destination.ip': '10.0.0.5', 'destination.port': 4444 },
    { 'process.entity_id': 'b', 'event.category': 'dns', 'event.action': 'query', 'dns.question.name': 'evil.example.com' },
    { 'process.entity_id': 'unknown', 'event.category': 'file', 'file.path': '/x' },
    ...Array.from({ length: 20 }, (_, i) => ({ 'process.entity_id': 'a', 'event.category': 'file', 'event.action': 'create', 'file.path': `/tmp/${i}` })),
  ];
  const nodes = buildGraph([proc('a', null, '/usr/sbin/sshd'), proc('b', 'a', '/usr/bin/bash'), proc('c', 'gone', '/usr/bin/ls')], events, new Set(['b']));
  const of = (id: string) => nodes.find((n) => n.id === id)!;
  assert.equal(of('b').parent, 'a');
  assert.equal(of('b').highlight, true);
  assert.equal(of('c').parent, null, 'an unknown parent makes a root');
  assert.equal(of('b>net|10.0.0.5|4444|connect').details.find(([k]) => k === 'events')![1], '2', 'repeats fold into one node');
  assert.equal(of('b>dns|evil.example.com').kind, 'dns');
  assert.equal(nodes.filter((n) => n.parent === 'a' && n.kind === 'file').length, MAX_ARTIFACTS_PER_PROCESS);
  assert.equal(of('a>more').label, `+${20 - MAX_ARTIFACTS_PER_PROCESS} more`);
  assert.ok(!nodes.some((n) => n.id.startsWith('unknown')));
});

test('event summaries say what happened', () => {
  assert.equal(eventSummary({ 'event.category': 'process', 'process.command_line': 'ls -la' }), 'ls -la');
  assert.equal(eventSummary({ 'event.category': 'network', 'process.name': 'bash', 'destination.ip': '10.0.0.5', 'destination.port': 4444, 'network.transport': 'tcp' }), 'bash → 10.0.0.5:4444 tcp');
  assert.equal(eventSummary({ 'event.category': 'dns', 'dns.question.name': 'x.example', 'process.name': 'curl' }), 'x.example by curl');
  assert.equal(eventSummary({ 'event.category': 'iam', 'event.action': 'user_add' }), 'iam/user_add');
});
