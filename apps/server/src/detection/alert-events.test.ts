// Alerts as events (issue 11): an anomaly finding of the baseline engine and a Sigma alert, stored in the detection
// database, come back from hunting-language queries over a real DuckDB store; `any` stays telemetry only.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Detection } from '@vigil/detect';
import { compileHunt } from '@vigil/hunt';
import type { VigilEvent } from '@vigil/schema';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import { createBaselineService } from '../baseline/baseline-service.js';
import { ALERT_STREAM, alertEvent, checkAlertEvent, createAlertEventWriter, type AlertEventWriter } from './alert-events.js';
import { DetectionDb } from './detection-db.js';

const DAY = 86_400_000;
const HOST = 'web-01';
const NOW = Date.now();
let dir: string;
let store: EventStore;
let detectionDb: DetectionDb;
let writer: AlertEventWriter;
let baseline: ReturnType<typeof createBaselineService>;
let sequence = 0;
const stored: Record<string, unknown>[] = [];

function processStart(time: number, parent: string, child: string): Record<string, unknown> {
  return {
    '@timestamp': new Date(time).toISOString(), 'event.id': randomUUID(), 'event.sequence': ++sequence, 'event.category': 'process', 'event.action': 'start',
    'host.id': HOST, 'host.name': 'web-01.example', 'process.pid': 100 + sequence, 'process.entity_id': `${HOST}-${100 + sequence}`, 'process.executable': child,
    'process.name': child.split('/').pop(), 'process.parent.executable': parent, 'process.args': [child, '-v'], 'user.name': 'www-data',
  };
}

async function append(events: Record<string, unknown>[]): Promise<void> {
  await store.append(HOST, events as unknown as VigilEvent[]);
  stored.push(...events);
}

async function hunt(text: string): Promise<Record<string, unknown>[]> {
  return store.search(compileHunt(text, { limit: 100 }));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-alert-events-'));
  store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  detectionDb = new DetectionDb(join(dir, 'detection.sqlite'));
  writer = createAlertEventWriter({ store });
  detectionDb.onCreated((created) => writer.alertsCreated(created));
  baseline = createBaselineService({ dataDir: dir, detectionDb, clusterEveryMs: 0, onFeedback: (alerts, feedback) => writer.feedback(alerts, feedback) });
  // 19 days of nginx never starting anything but its workers, profiled (the learning period needs no store).
  for (let day = 0; day < 19; day++) baseline.match([processStart(NOW - 20 * DAY + day * DAY, '/usr/bin/bash', '/usr/sbin/nginx') as never]);
});

after(async () => {
  baseline.close();
  await writer.close();
  detectionDb.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an anomaly finding is an alert event with its score, explanation and process, queryable in the hunting language', async () => {
  const odd = processStart(NOW - 60_000, '/usr/sbin/nginx', '/tmp/x');
  await append([odd]);
  const detections = baseline.match([odd as never]);
  assert.equal(detections.length, 1, 'the baseline engine finds nginx starting /tmp/x');
  const created = detectionDb.storeDetections(detections).created;
  baseline.onAlerts(created);
  await writer.flush();
  const finding = baseline.findings()[0]!;

  const rows = await hunt('alert where rule.ruleset == "anomaly" and anomaly.profiler == "parent-child" and anomaly.score > 0.8');
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.equal(row['alert.id'], created[0]!.id);
  assert.equal(row['anomaly.score'], finding.score);
  assert.equal(row['anomaly.explanation'], finding.explanation);
  assert.equal(row['anomaly.type'], 'new_parent_child');
  assert.equal(row['anomaly.finding_id'], finding.id);
  assert.equal(row['event.action'], 'created');
  assert.equal(row['alert.level'], finding.level);
  assert.equal(row['@timestamp'], odd['@timestamp'], 'the alert event is dated at the event that made it');
  assert.deepEqual(row['alert.event_ids'], [odd['event.id']]);
  assert.equal(row['process.executable'], '/tmp/x', 'process context comes from the event that made the alert');
  assert.equal(row['process.entity_id'], odd['process.entity_id']);
  assert.equal(row['user.name'], 'www-data');
  assert.equal(row['host.id'], HOST);

  const byHost = await hunt('alert where anomaly.score > 0.8 | stats count() by host.name');
  assert.deepEqual(byHost, [{ 'host.name': 'web-01.example', count: 1 }]);
});

test('a Sigma alert is queryable with its rule, level and ATT&CK techniques; a repeat folded into it adds no event', async () => {
  const shell = processStart(NOW - 30_000, '/tmp/x', '/bin/sh');
  await append([shell]);
  const detection: Detection = {
    rule: { id: '5d1b9f5e-0000-4000-8000-00000000c0de', title: 'Shell started by a program in /tmp', level: 'high', tags: ['attack.execution', 'attack.t1059.004'] },
    kind: 'sigma', hostId: HOST, eventIds: [shell['event.id'] as string], time: shell['@timestamp'] as string,
    fields: [{ field: 'process.parent.executable', value: '/tmp/x' }], processKey: shell['process.entity_id'] as string,
  };
  detectionDb.storeDetections([detection]);
  detectionDb.storeDetections([{ ...detection, time: new Date(NOW - 20_000).toISOString() }]);
  await writer.flush();
  const rows = await hunt('alert where rule.ruleset == "sigma" and threat.technique.id == "T1059.004" and event.severity >= 4');
  assert.equal(rows.length, 1, 'one event for the alert, none for the repeat folded into it');
  assert.equal(rows[0]!['rule.id'], detection.rule.id);
  assert.equal(rows[0]!['rule.name'], 'Shell started by a program in /tmp');
  assert.equal(rows[0]!['alert.level'], 'high');
  assert.equal(rows[0]!['process.parent.executable'], '/tmp/x');
  assert.deepEqual(rows[0]!['tags'], ['attack.execution', 'attack.t1059.004']);
});

test('sequence joins an anomaly alert to the telemetry that followed it', async () => {
  const connect = {
    '@timestamp': new Date(NOW - 10_000).toISOString(), 'event.id': randomUUID(), 'event.sequence': ++sequence, 'event.category': 'network', 'event.action': 'connect',
    'host.id': HOST, 'process.pid': 4242, 'process.executable': '/tmp/x', 'destination.ip': '203.0.113.9', 'destination.port': 4444, 'network.transport': 'tcp',
  };
  await append([connect]);
  const rows = await hunt('sequence by host.id maxspan=1h [alert where rule.ruleset == "anomaly"] [network where destination.port == 4444]');
  assert.equal(rows.length, 1);
  const none = await hunt('sequence by host.id maxspan=1h [network where destination.port == 4444] [alert where rule.ruleset == "anomaly"]');
  assert.equal(none.length, 0, 'the alert comes before the connection, not after');
});

test('any, the events view and Sigma-style queries stay telemetry only', async () => {
  const all = await hunt('any | stats count()');
  assert.deepEqual(all, [{ count: stored.length }]);
  const alerts = await hunt('alert | stats count()');
  assert.ok(Number(alerts[0]!['count']) >= 2);
  assert.deepEqual(await store.search({ sql: `SELECT count(*) AS n FROM events WHERE "event.category" = 'alert'`, params: [] }), [{ n: 0 }]);
  assert.throws(() => compileHunt('any where anomaly.score > 0.5'), /does not exist in any category.*alert/s);
  const hosts = await store.search({ sql: 'SELECT DISTINCT "host.id" AS host FROM events_alert', params: [] });
  assert.deepEqual(hosts, [{ host: HOST }], `alert events carry the alerted host, not the append stream ${ALERT_STREAM}`);
});

test('an external alert about no known host is an alert event of host unknown, once however often it is pushed', async () => {
  const input = { source: 'siem', externalId: 'case-17', title: 'Lateral movement seen by the SIEM', level: 'medium' as const, hostId: '', time: '2026-11-03T10:14:22.529+01:00', tags: ['attack.t1021'], fields: [] };
  assert.equal(detectionDb.storeExternalAlert(input, () => null).created, true);
  assert.equal(detectionDb.storeExternalAlert(input, () => null).created, false);
  await writer.flush();
  const rows = await hunt('alert where rule.ruleset == "external"');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!['host.id'], 'unknown');
  assert.equal(rows[0]!['rule.id'], 'external:siem');
  assert.equal(rows[0]!['@timestamp'], '2026-11-03T09:14:22.529Z');
  assert.deepEqual(rows[0]!['threat.technique.id'], ['T1021']);
});

test('feedback "expected" on an anomaly alert is a later alert event with the verdict and the closed status', async () => {
  const finding = baseline.findings()[0]!;
  const result = baseline.feedback(finding.alertId!, { verdict: 'expected', note: 'deploy script' }, 'alice');
  assert.deepEqual(result.alertsClosed, [finding.alertId]);
  await writer.flush();
  const rows = await hunt(`alert where event.action == "feedback" and alert.id == "${finding.alertId}"`);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!['alert.verdict'], 'expected');
  assert.equal(rows[0]!['alert.status'], 'false_positive');
  assert.equal(rows[0]!['alert.actor'], 'alice');
  assert.equal(rows[0]!['anomaly.key'], finding.key);
  assert.match(String(rows[0]!['message']), /marked expected by alice: deploy script/);
  assert.deepEqual(writer.stats(), { written: 4, failed: 0, dropped: 0, withoutContext: 0 });
});

test('a context value the schema refuses is left out; the alert event is still written', () => {
  const alert = {
    id: randomUUID(), ruleId: 'r', ruleTitle: 'R', level: 'low' as const, kind: 'sigma' as const, tags: [], hostId: HOST, processKey: null, firstSeen: new Date(NOW).toISOString(),
    lastSeen: new Date(NOW).toISOString(), count: 1, eventIds: [], fields: [{ field: 'process.pid', value: 'not a number' }], group: null, status: 'new' as const, assignee: null,
    createdAt: '', updatedAt: '',
  };
  const event = checkAlertEvent(alertEvent({ alert, action: 'created', at: alert.firstSeen }, { 'process.executable': '/bin/x', 'process.start': 'yesterday' }));
  assert.ok(event);
  const record = event as unknown as Record<string, unknown>;
  assert.equal(record['process.pid'], undefined);
  assert.equal(record['process.start'], undefined);
  assert.equal(record['process.executable'], '/bin/x');
  assert.equal(checkAlertEvent(alertEvent({ alert: { ...alert, level: 'severe' as never }, action: 'created', at: alert.firstSeen }, undefined)), undefined, 'a required field that is wrong refuses the event');
});

test('an alert created with its event at hand takes the process context from it, without the event being in the store', async () => {
  const unstored = processStart(NOW - 5_000, '/usr/bin/python3', '/dev/shm/kworker');
  const detection: Detection = {
    rule: { id: '5d1b9f5e-0000-4000-8000-00000000beef', title: 'Program run from /dev/shm', level: 'high', tags: [] },
    kind: 'sigma', hostId: HOST, eventIds: [unstored['event.id'] as string], time: unstored['@timestamp'] as string,
    fields: [{ field: 'process.executable', value: '/dev/shm/kworker' }], processKey: unstored['process.entity_id'] as string,
  };
  // Stored through a database nobody listens to, then announced the way the detection worker's answer is.
  const workerDb = new DetectionDb(join(dir, 'worker-view.sqlite'));
  const { created } = workerDb.storeDetections([detection]);
  workerDb.close();
  writer.alertsCreated(created, new Map([[unstored['event.id'] as string, { 'process.parent.executable': '/usr/bin/python3', 'process.pid': unstored['process.pid'], 'user.name': 'www-data', 'host.name': 'web-01.example' }]]));
  await writer.flush();
  const rows = await hunt(`alert where rule.id == "${detection.rule.id}"`);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!['process.parent.executable'], '/usr/bin/python3', 'the context given at creation');
  assert.equal(rows[0]!['process.pid'], unstored['process.pid']);
  assert.equal(rows[0]!['host.name'], 'web-01.example');
});
