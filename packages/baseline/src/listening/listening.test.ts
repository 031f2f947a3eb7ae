import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProfilerConformance, event, T0, DAY, contextFor, fleetOf } from '../conformance.case.test.js';
import { createListeningProfiler } from './listening.js';

const listen = (host: string, time: number, exe: string, port: number) =>
  event(host, time, { 'event.category': 'network', 'event.action': 'listen', 'network.transport': 'tcp', 'process.executable': exe, 'process.pid': 5, 'source.ip': '0.0.0.0', 'source.port': port });

runProfilerConformance({
  name: 'listening',
  create: createListeningProfiler,
  samples: {
    perDay: 2,
    normal: (host, time, i) => [listen(host, time, i % 2 ? '/usr/sbin/nginx' : '/usr/sbin/sshd', i % 2 ? 80 : 22)],
    novel: (host, time) => [listen(host, time, '/usr/bin/nc', 4444)],
  },
});

test('ephemeral ports count as one', () => {
  const profiler = createListeningProfiler();
  const fleet = fleetOf(['h']);
  for (let day = 0; day < 10; day++) profiler.observe(listen('h', T0 + day * DAY, '/usr/bin/node', 40000 + day), contextFor('h', T0 + day * DAY, fleet));
  assert.equal(profiler.score(listen('h', T0 + 11 * DAY, '/usr/bin/node', 51234), contextFor('h', T0 + 11 * DAY, fleet)), undefined);
  const finding = profiler.score(listen('h', T0 + 11 * DAY, '/usr/bin/node', 8080), contextFor('h', T0 + 11 * DAY, fleet));
  assert.match(finding?.explanation ?? '', /^`node` listens on tcp\/8080 – a port it never listened on here/);
});
