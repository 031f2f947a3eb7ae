// The baseline service on its worker thread: batches given as body bytes are profiled there and answered in order;
// calls return the service's values and its errors as VigilErrors; alerts it raises reach this thread's listeners.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { VigilError } from '@vigil/common';
import type { Detection } from '@vigil/detect';
import { DetectionDb, type AlertRecord } from '../detection/detection-db.js';
import { startBaselineThread } from './baseline-thread.js';

const DAY = 86_400_000;
const T0 = Date.now() - 20 * DAY;
let sequence = 0;

function start(host: string, time: number, parent: string, child: string): Record<string, unknown> {
  sequence++;
  return {
    '@timestamp': new Date(time).toISOString(), 'event.id': `e${sequence}`, 'event.sequence': sequence, 'event.category': 'process', 'event.action': 'start', 'host.id': host,
    'process.pid': 100 + sequence, 'process.executable': child, 'process.parent.executable': parent, 'process.args': [child.split('/').pop(), '-v'], 'process.hash.sha256': 'a'.repeat(64),
  };
}

/** A batch body in shared memory, as the detection service hands it over (every event accepted, bytes parse as validated). */
function body(events: Record<string, unknown>[]): Uint8Array {
  const bytes = Buffer.from(JSON.stringify({ host_id: 'h1', events }));
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

test('batches are profiled on the worker in order; calls, errors and raised alerts cross threads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-baseline-thread-'));
  const detectionDb = new DetectionDb(join(dir, 'detection.sqlite'));
  const raised: AlertRecord[] = [];
  const announced: AlertRecord[] = [];
  detectionDb.onCreated((alerts) => announced.push(...alerts));
  const thread = startBaselineThread({ dataDir: dir, detectionDb, clusterEveryMs: 0, onAlertsRaised: (created) => raised.push(...created) });
  try {
    const answers: { id: number; detections: Detection[] }[] = [];
    const submit = (id: number, events: Record<string, unknown>[]) =>
      new Promise<void>((resolve) => thread.submit({ id, hostId: 'h1', body: body(events), accepted: events.length, parsesAsValidated: true }, (detections) => (answers.push({ id, detections }), resolve())));
    const learning: Promise<void>[] = [];
    let id = 0;
    for (let day = 0; day < 19; day++) learning.push(submit(++id, ['/usr/bin/ls', '/usr/bin/cat'].map((child) => start('h1', T0 + day * DAY, '/usr/bin/bash', child))));
    await Promise.all(learning);
    assert.deepEqual(answers.map((a) => a.id), Array.from({ length: id }, (_, i) => i + 1), 'answered in the order given');
    assert.equal(thread.status().eventsProfiled, 38);

    // Only the last `accepted` events of a body are profiled (the head were duplicates).
    const odd = start('h1', Date.now(), '/usr/sbin/nginx', '/tmp/x');
    const done = new Promise<Detection[]>((resolve) => thread.submit({ id: ++id, hostId: 'h1', body: body([start('h1', T0, '/usr/bin/bash', '/usr/bin/ls'), odd]), accepted: 1, parsesAsValidated: true }, resolve));
    const detections = await done;
    assert.ok(detections.length >= 1, 'the new parent and child are anomalies');
    for (const detection of detections) {
      assert.equal(detection.kind, 'anomaly');
      assert.deepEqual(detection.eventIds, [odd['event.id']]);
    }
    assert.equal(thread.status().eventsProfiled, 39);

    // The alerts stored for the detections link to their finding (onAlerts is a message; a call after it sees it).
    const stored = detectionDb.storeDetections(detections);
    thread.onAlerts(stored.created);
    const linked = thread.findings().map((f) => f.alertId);
    for (const alert of stored.created) assert.ok(linked.includes(alert.id), `alert ${alert.id} is linked to its finding`);

    assert.throws(() => thread.feedback('no-such-finding', { verdict: 'expected' }, 'test'), (error: unknown) => error instanceof VigilError && error.code === 'not_found');
    assert.throws(() => thread.configure({ threshold: 'high' as unknown as number }, 'test'), (error: unknown) => error instanceof VigilError && error.location?.path === 'body.threshold');
    assert.equal(thread.profile('h1').hostId, 'h1');
    assert.equal(thread.finding('missing'), undefined);

    // Feedback closes the alert through the worker's own connection to detection.sqlite.
    const feedback = thread.feedback(stored.created[0]!.id, { verdict: 'expected' }, 'test');
    assert.ok(feedback.alertsClosed.includes(stored.created[0]!.id));
    assert.equal(detectionDb.getAlert(stored.created[0]!.id)?.status, 'false_positive');
    assert.deepEqual(raised, [], 'no clustering ran: nothing raised outside a batch');
    assert.equal(announced.length, stored.created.length, 'only the alerts stored here were announced');
  } finally {
    thread.close();
    detectionDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a call is answered ahead of a backlog of batches (the calling thread never waits behind it)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-baseline-backlog-'));
  const detectionDb = new DetectionDb(join(dir, 'detection.sqlite'));
  const thread = startBaselineThread({ dataDir: dir, detectionDb, clusterEveryMs: 0 });
  try {
    const batches = 300;
    const perBatch = 200;
    const answered: Promise<void>[] = [];
    for (let b = 0; b < batches; b++) {
      const events = Array.from({ length: perBatch }, (_, i) => start('backlog', T0 + b * 1000 + i, '/usr/bin/bash', `/usr/bin/tool-${(b * perBatch + i) % 997}`));
      answered.push(new Promise((resolve) => thread.submit({ id: b + 1, hostId: 'backlog', body: body(events), accepted: events.length, parsesAsValidated: true }, () => resolve())));
    }
    const profiledAtCall = thread.status().eventsProfiled;
    assert.ok(profiledAtCall < batches * perBatch, `the call waited for the whole backlog (${profiledAtCall} events profiled)`);
    await Promise.all(answered);
    assert.equal(thread.status().eventsProfiled, batches * perBatch);
  } finally {
    thread.close();
    detectionDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
