// The integration service's outbox contract: a new alert's deliveries are durable when `enqueueAlerts` returns
// (a crash right after the alert was stored must not lose them), filters decide which destinations get them, and a
// closed service leaves them in the outbox for the next start.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import type { AlertRecord } from '../detection/detection-db.js';
import { newDestinationFrom } from './destination-config.js';
import { IntegrationsDb } from './integrations-db.js';
import { createIntegrationService } from './integration-service.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-integration-service-'));
let store: EventStore;

before(async () => {
  store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
});

after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function alert(id: string, level: AlertRecord['level']): AlertRecord {
  const time = new Date().toISOString();
  return {
    id, ruleId: 'rule-1', ruleTitle: 'Reverse shell', level, kind: 'sigma', tags: ['attack.t1059'], hostId: 'host-1', processKey: null,
    firstSeen: time, lastSeen: time, count: 1, eventIds: ['e1'], fields: [], group: null, status: 'new', assignee: null, createdAt: time, updatedAt: time,
  };
}

test('deliveries are in the outbox when enqueueAlerts returns, filtered per destination, and survive a reopen', async () => {
  const file = join(dir, 'integrations.sqlite');
  let db = new IntegrationsDb(file);
  // Nothing listens on port 9 of loopback's discard service here; the worker is never started anyway.
  const settings = { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-16-chars' };
  const all = db.createDestination(newDestinationFrom({ name: 'all', kind: 'webhook', settings }));
  const highOnly = db.createDestination(newDestinationFrom({ name: 'high-only', kind: 'webhook', settings, filters: { min_level: 'high' } }));
  const service = createIntegrationService({ db, store });
  service.reload();

  service.enqueueAlerts([alert('a-low', 'low'), alert('a-critical', 'critical')]);
  // Synchronously after the call: no event-loop turn in between.
  assert.equal(db.status(all.id)?.pending, 2);
  assert.equal(db.status(highOnly.id)?.pending, 1);
  const batch = db.nextBatch(highOnly.id, 10);
  assert.deepEqual(batch.map((entry) => (entry.record.type === 'alert' ? entry.record.alert.id : '')), ['a-critical']);

  await service.close();
  db.close();
  db = new IntegrationsDb(file);
  assert.equal(db.status(all.id)?.pending, 2);
  db.close();
});
