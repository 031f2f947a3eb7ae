import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProfilerConformance, event, T0, DAY, contextFor, fleetOf } from '../conformance.case.test.js';
import { createParentChildProfiler } from './parent-child.js';

const start = (host: string, time: number, parent: string, child: string) =>
  event(host, time, { 'event.category': 'process', 'event.action': 'start', 'process.pid': 100, 'process.executable': child, 'process.parent.executable': parent });
const normalChildren = ['/usr/bin/ls', '/usr/bin/cat', '/usr/bin/grep', '/usr/bin/git', '/usr/bin/vim'];

runProfilerConformance({
  name: 'parent-child',
  create: createParentChildProfiler,
  samples: {
    normal: (host, time, i) => [start(host, time, '/usr/bin/bash', normalChildren[i % normalChildren.length]!)],
    novel: (host, time) => [start(host, time, '/usr/sbin/nginx', '/tmp/x')],
  },
});

test('the explanation names child, parent, the span and the fleet', () => {
  const profiler = createParentChildProfiler();
  const fleet = fleetOf(['web-1', ...Array.from({ length: 39 }, (_, i) => `h${i}`)]);
  for (let day = 0; day < 21; day++) profiler.observe(start('web-1', T0 + day * DAY, '/usr/lib/systemd/systemd', '/usr/sbin/nginx'), contextFor('web-1', T0 + day * DAY, fleet));
  const finding = profiler.score(start('web-1', T0 + 21 * DAY, '/usr/sbin/nginx', '/tmp/x'), contextFor('web-1', T0 + 21 * DAY, fleet));
  assert.ok(finding);
  assert.equal(finding.explanation, '`/tmp/x` started by `nginx` – nginx never started a child process on this host in 21 days; seen on 0 of 39 other hosts');
  assert.equal(finding.key, '/usr/sbin/nginx → /tmp/x');
});

test('versioned and temporary paths share a key', () => {
  const profiler = createParentChildProfiler();
  const fleet = fleetOf(['h']);
  for (let day = 0; day < 10; day++) profiler.observe(start('h', T0 + day * DAY, '/usr/bin/make', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1'), contextFor('h', T0 + day * DAY, fleet));
  assert.equal(profiler.score(start('h', T0 + 11 * DAY, '/usr/bin/make', '/usr/lib/gcc/x86_64-linux-gnu/13/cc1'), contextFor('h', T0 + 11 * DAY, fleet)), undefined);
});
