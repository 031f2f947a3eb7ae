// End-to-end anomaly detection on a real server process: three hosts post three weeks of ordinary behaviour, then a
// web server's nginx starts /tmp/x: an alert of kind anomaly with an explanation is raised as soon as the batch is
// acknowledged; feedback "expected" closes it, teaches the profile and suppresses the next one, while a different new
// behaviour still alerts; profiles, roles and feedback survive a restart of the server.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ApiClient, cleanup, request, startServer, waitFor, type ServerHandle } from './harness.js';
import { batchBody } from './events.js';

interface Host {
  name: string;
  agentId: string;
  key: string;
  cert: string;
  sequence: number;
  pid: number;
}

let server: ServerHandle;
let api: ApiClient;
const hosts: Host[] = [];
let evaluated = 0;
const DAY = 86_400_000;
const start = Date.now() - 21 * DAY;

before(async () => {
  server = await startServer();
  api = await new ApiClient(server).login();
  for (const name of ['web-1', 'web-2', 'db-1']) {
    const keys = await api.enrollKeys();
    hosts.push({ name, ...keys, sequence: 0, pid: 1000 });
  }
});
after(cleanup);

function processStart(host: Host, time: number, parent: string, child: string, args: string[], user = 'root'): Record<string, unknown> {
  return {
    '@timestamp': new Date(time).toISOString(), 'event.id': randomUUID(), 'event.sequence': ++host.sequence, 'event.category': 'process', 'event.action': 'start', 'host.id': host.agentId,
    'process.pid': ++host.pid, 'process.executable': child, 'process.name': child.split('/').pop(), 'process.args': args, 'process.command_line': args.join(' '),
    'process.parent.pid': 1, 'process.parent.executable': parent, 'process.parent.name': parent.split('/').pop(), 'user.name': user, 'user.id': user === 'root' ? '0' : '1000',
  };
}

async function post(host: Host, events: Record<string, unknown>[]): Promise<void> {
  for (let at = 0; at < events.length; at += 200) {
    const chunk = events.slice(at, at + 200);
    const reply = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(host.agentId, chunk), ca: server.caPem, key: host.key, cert: host.cert });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    evaluated += chunk.length;
  }
  // Profiling runs right after the acknowledgement, with the rules; wait until everything posted was evaluated.
  await waitFor('detection to evaluate the batches', async () => ((await api.get('/api/v1/metrics/detection')).body.eventsEvaluated >= evaluated ? true : undefined), 30_000);
}

/** Three weeks of a web server's (or database's) ordinary process starts, every few hours. */
function ordinaryWeeks(host: Host, web: boolean): Record<string, unknown>[] {
  const events = [processStart(host, start, '/usr/lib/systemd/systemd', web ? '/usr/sbin/nginx' : '/usr/lib/postgresql/15/bin/postgres', web ? ['/usr/sbin/nginx', '-g', 'daemon on;'] : ['postgres', '-D', '/var/lib/postgresql/15/main'])];
  for (let day = 0; day < 21; day++) {
    for (const hour of [0, 6, 12, 18]) {
      const t = start + day * DAY + hour * 3_600_000;
      events.push(processStart(host, t, '/usr/sbin/cron', '/usr/bin/dash', ['/bin/sh', '-c', 'cd / && run-parts --report /etc/cron.hourly']));
      events.push(processStart(host, t + 10, '/usr/bin/dash', '/usr/bin/run-parts', ['run-parts', '--report', '/etc/cron.hourly']));
    }
    for (const [i, cmd] of [['ls', '-la', '/var/log'], ['df', '-h'], ['grep', '-c', 'error', '/var/log/syslog']].entries()) {
      events.push(processStart(host, start + day * DAY + (9 + i) * 3_600_000, '/usr/bin/bash', `/usr/bin/${cmd[0]}`, cmd, 'ops1'));
    }
  }
  return events;
}

async function anomalyAlerts(host: Host): Promise<any[]> {
  const reply = await api.get(`/api/v1/alerts?host_id=${host.agentId}&limit=1000`);
  assert.equal(reply.status, 200, reply.text);
  return (reply.body as any[]).filter((a) => a.kind === 'anomaly');
}

test('three weeks of ordinary behaviour are learned without anomaly alerts', async () => {
  for (const [i, host] of hosts.entries()) await post(host, ordinaryWeeks(host, i < 2));
  for (const host of hosts) assert.deepEqual((await anomalyAlerts(host)).map((a) => a.ruleTitle), [], `no anomaly alerts for ${host.name}`);
  const learned = (await api.get('/api/v1/baseline/hosts')).body as any[];
  assert.equal(learned.length, 3);
  assert.ok(learned.every((h) => h.learning === false && h.events > 100), JSON.stringify(learned));
  const profile = await api.get(`/api/v1/baseline/hosts/${hosts[0]!.agentId}/profile?profiler=parent-child`);
  assert.equal(profile.status, 200, profile.text);
  const pairs = profile.body.profilers[0].tables[0].top.map((e: any) => `${e.context} > ${e.item}`);
  assert.ok(pairs.includes('/usr/sbin/cron > /usr/bin/dash') && pairs.includes('/usr/lib/systemd/systemd > /usr/sbin/nginx'), JSON.stringify(pairs));
});

test('nginx starting /tmp/x raises an anomaly alert with an explanation as soon as the batch is acknowledged', async () => {
  const web = hosts[0]!;
  await post(web, [processStart(web, Date.now(), '/usr/sbin/nginx', '/tmp/x', ['/tmp/x'], 'www-data')]);
  const alerts = await anomalyAlerts(web);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  const alert = alerts[0];
  assert.equal(alert.ruleId, 'anomaly:parent-child.new_parent_child');
  assert.ok(['medium', 'high'].includes(alert.level), alert.level);
  const explanation = alert.fields.find((f: any) => f.field === 'explanation')?.value as string;
  assert.match(explanation, /^`\/tmp\/x` started by `nginx` – nginx never started a child process on this host in 2[01] days; seen on 0 of 2 other hosts/);
  assert.match(alert.ruleTitle, /^Anomaly: `\/tmp\/x` started by `nginx`$/);
  const findings = (await api.get(`/api/v1/baseline/findings?host_id=${web.agentId}`)).body as any[];
  assert.equal(findings.length, 1);
  assert.equal(findings[0].alertId, alert.id, 'the finding is linked to its alert');
  assert.equal(findings[0].explanation, explanation);
});

test('the anomaly alert is an alert event the hunting language finds, with its score, explanation and process', async () => {
  const web = hosts[0]!;
  const [alert] = await anomalyAlerts(web);
  const query = 'alert where rule.ruleset == "anomaly" and anomaly.profiler == "parent-child" and anomaly.score > 0.8';
  // Alert events are written right after the alert, off the ingest path: poll until it is there.
  const rows = await waitFor('the alert event', async () => {
    const reply = await api.post('/api/v1/hunt', { query });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.rows.length ? (reply.body.rows as Record<string, unknown>[]) : undefined;
  });
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!['alert.id'], alert.id);
  assert.equal(rows[0]!['host.id'], web.agentId);
  assert.equal(rows[0]!['process.executable'], '/tmp/x');
  assert.equal(rows[0]!['user.name'], 'www-data');
  assert.equal(rows[0]!['anomaly.explanation'], alert.fields.find((f: any) => f.field === 'explanation')?.value);
  assert.equal(rows[0]!['anomaly.score'], alert.fields.find((f: any) => f.field === 'anomaly.score')?.value);
  const stats = await api.post('/api/v1/hunt', { query: 'alert where anomaly.score > 0.8 | stats count() as n by host.id' });
  assert.deepEqual(stats.body.rows, [{ 'host.id': web.agentId, n: 1 }]);
  const telemetry = await api.post('/api/v1/hunt', { query: `any where event.id == "${rows[0]!['event.id']}"` });
  assert.deepEqual(telemetry.body.rows, [], '`any` is telemetry: alert events are not in it');
});

test('feedback "expected" closes the alert, suppresses the next one, and a different new behaviour still alerts', async () => {
  const web = hosts[0]!;
  const [alert] = await anomalyAlerts(web);
  const reply = await api.post(`/api/v1/baseline/findings/${alert.id}/feedback`, { verdict: 'expected', note: 'deploy hook' });
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.body.alertsClosed, [alert.id]);
  assert.equal(reply.body.finding.verdict, 'expected');
  assert.equal(reply.body.suppression.key, '/usr/sbin/nginx → /tmp/x');
  assert.equal((await api.get(`/api/v1/alerts/${alert.id}`)).body.status, 'false_positive');
  const feedbackEvents = await waitFor('the feedback alert event', async () => {
    const rows = (await api.post('/api/v1/hunt', { query: `alert where event.action == "feedback" and alert.id == "${alert.id}"` })).body.rows as Record<string, unknown>[];
    return rows.length ? rows : undefined;
  });
  assert.equal(feedbackEvents[0]!['alert.verdict'], 'expected');
  assert.equal(feedbackEvents[0]!['alert.status'], 'false_positive');

  await post(web, [processStart(web, Date.now() + 1000, '/usr/sbin/nginx', '/tmp/x', ['/tmp/x'], 'www-data')]);
  const after = await anomalyAlerts(web);
  assert.deepEqual(after.map((a) => a.id), [alert.id], 'the same behaviour raises no new alert');

  await post(web, [processStart(web, Date.now() + 2000, '/usr/sbin/nginx', '/usr/bin/perl', ['perl', '-e', 'print 1'], 'www-data')]);
  const more = await anomalyAlerts(web);
  assert.equal(more.length, 2, JSON.stringify(more.map((a) => a.ruleTitle)));
  assert.ok(more.some((a) => a.ruleTitle === 'Anomaly: `/usr/bin/perl` started by `nginx`'));
  const suppressions = (await api.get('/api/v1/baseline/suppressions')).body as any[];
  assert.equal(suppressions.length, 1);
});

test('feedback on an unknown id is a 404; settings are validated with their path', async () => {
  assert.equal((await api.post('/api/v1/baseline/findings/not-a-finding/feedback', { verdict: 'expected' })).status, 404);
  const bad = await api.put('/api/v1/baseline/settings', { disabled: ['no-such-profiler'] });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.error.location.path, 'body.disabled');
  const ok = await api.put('/api/v1/baseline/settings', { threshold: 0.85 });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.threshold, 0.85);
});

test('roles, profiles and feedback survive a restart', async () => {
  const roles = await api.post('/api/v1/baseline/roles/recompute', {});
  assert.equal(roles.status, 200, roles.text);
  assert.equal(roles.body.hosts.length, 3);
  await server.stop();
  await server.start();
  api = await new ApiClient(server).login();
  const learned = (await api.get('/api/v1/baseline/hosts')).body as any[];
  assert.equal(learned.length, 3);
  assert.ok(learned.every((h) => h.role !== null), JSON.stringify(learned));
  assert.equal((await api.get('/api/v1/baseline/settings')).body.threshold, 0.85);
  const web = hosts[0]!;
  evaluated = 0;
  await post(web, [processStart(web, Date.now() + 3000, '/usr/sbin/nginx', '/tmp/x', ['/tmp/x'], 'www-data')]);
  assert.equal((await anomalyAlerts(web)).length, 2, 'after the restart the expected behaviour is still quiet');
  // (On web-1 nginx has just started two new programs, so a third is less surprising there; web-2's nginx never did.)
  const other = hosts[1]!;
  await post(other, [processStart(other, Date.now() + 4000, '/usr/sbin/nginx', '/usr/bin/python3.11', ['python3', '-c', 'print(1)'], 'www-data')]);
  const raised = await anomalyAlerts(other);
  assert.equal(raised.length, 1, 'and new behaviour on another host still alerts, with the restored profile and roles');
  assert.match(raised[0].fields.find((f: any) => f.field === 'explanation').value, /nginx never started a child process on this host in 2[01] days; seen on 0 of 2 other hosts \(0 of \d+ in its role/);
});
