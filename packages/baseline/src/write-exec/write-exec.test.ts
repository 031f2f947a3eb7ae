import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProfilerConformance, event, T0, DAY, contextFor, fleetOf } from '../conformance.case.test.js';
import { createWriteExecProfiler } from './write-exec.js';

const write = (host: string, time: number, writer: string, path: string) =>
  event(host, time, { 'event.category': 'file', 'event.action': 'create', 'file.path': path, 'process.executable': writer, 'process.pid': 11 });
const run = (host: string, time: number, exe: string) => event(host, time, { 'event.category': 'process', 'event.action': 'start', 'process.executable': exe, 'process.pid': 12 });

runProfilerConformance({
  name: 'write-exec',
  create: createWriteExecProfiler,
  samples: {
    perDay: 4,
    normal: (host, time, i) => [write(host, time, '/usr/bin/ld', `/home/dev/src/app/build/app-${i % 3}`), run(host, time + 30_000, `/home/dev/src/app/build/app-${i % 3}`)],
    novel: (host, time) => [write(host, time, '/usr/bin/curl', '/tmp/.x/payload'), run(host, time + 120_000, '/tmp/.x/payload')],
  },
});

test('the explanation says who wrote it and how long before it ran', () => {
  const profiler = createWriteExecProfiler();
  const fleet = fleetOf(['h']);
  for (let day = 0; day < 21; day++) {
    const t = T0 + day * DAY;
    profiler.observe(write('h', t, '/usr/bin/ld', '/home/dev/src/a.out'), contextFor('h', t, fleet));
    profiler.observe(run('h', t + 1000, '/home/dev/src/a.out'), contextFor('h', t + 1000, fleet));
  }
  const t = T0 + 21 * DAY;
  profiler.observe(write('h', t, '/usr/bin/curl', '/tmp/x'), contextFor('h', t, fleet));
  const finding = profiler.score(run('h', t + 120_000, '/tmp/x'), contextFor('h', t + 120_000, fleet));
  assert.equal(finding?.explanation, '`/tmp/x` ran 2 minutes after `curl` wrote it – no program written by curl ran on this host in 21 days; no other host to compare with');
  assert.equal(profiler.score(run('h', t + 120_000, '/usr/bin/ls'), contextFor('h', t + 120_000, fleet)), undefined, 'a program nobody wrote is not this profiler\'s business');
});
