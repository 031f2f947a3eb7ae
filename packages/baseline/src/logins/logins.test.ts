import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProfilerConformance, event, T0, DAY, contextFor, fleetOf } from '../conformance.case.test.js';
import { createLoginsProfiler } from './logins.js';

const logon = (host: string, time: number, user: string, ip: string) =>
  event(host, time, { 'event.category': 'authentication', 'event.action': 'logon', 'event.outcome': 'success', 'user.name': user, 'source.ip': ip, 'logon.service': 'sshd', 'process.pid': 3 });

runProfilerConformance({
  name: 'logins',
  create: createLoginsProfiler,
  samples: {
    perDay: 4,
    normal: (host, time) => [logon(host, time, 'alice', '10.0.0.5')],
    novel: (host, time) => [logon(host, time, 'alice', '203.0.113.7')],
  },
});

test('a login at an hour the user is never active is found, with the counts', () => {
  const profiler = createLoginsProfiler();
  const fleet = fleetOf(['h']);
  for (let day = 0; day < 20; day++) for (const hour of [9, 11, 14, 16]) profiler.observe(logon('h', T0 + day * DAY + hour * 3600_000, 'bob', '10.0.0.6'), contextFor('h', T0 + day * DAY + hour * 3600_000, fleet));
  const at3 = T0 + 20 * DAY + 3 * 3600_000;
  const finding = profiler.score(logon('h', at3, 'bob', '10.0.0.6'), contextFor('h', at3, fleet));
  assert.ok(finding && finding.type === 'unusual_login_hour' && finding.score > 0.8, JSON.stringify(finding));
  assert.match(finding.explanation, /^`bob` logged in at 03:00 UTC – 0 of \d+ of bob's recent logins on this host were between 02:00 and 05:00$/);
  const at10 = T0 + 20 * DAY + 10 * 3600_000;
  assert.equal(profiler.score(logon('h', at10, 'bob', '10.0.0.6'), contextFor('h', at10, fleet)), undefined);
});

test('a user who never logged in to the host is found', () => {
  const profiler = createLoginsProfiler();
  const fleet = fleetOf(['h']);
  for (let day = 0; day < 20; day++) profiler.observe(logon('h', T0 + day * DAY + 10 * 3600_000, 'alice', '10.0.0.5'), contextFor('h', T0 + day * DAY + 10 * 3600_000, fleet));
  const t = T0 + 20 * DAY + 10 * 3600_000;
  const finding = profiler.score(logon('h', t, 'mallory', '10.0.0.5'), contextFor('h', t, fleet));
  assert.match(finding?.explanation ?? '', /^`mallory` logged in from 10\.0\.0\.5 via sshd – mallory never logged in to this host in 20 days/);
});
