// Alert grouping in the detection database against a model of its contract: a detection folds into its group's newest
// alert while that alert is open and was stored within the grouping window, else it creates one. Random streams of
// detections, triage from a second connection (as the API does while the detection worker writes), clock moves past
// the window and rolled-back transactions (stores inside `inOneTransaction` share it, without savepoints) must leave
// exactly the rows the model predicts, listed newest activity first.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import type { Detection } from '@vigil/detect';
import { DetectionDb, GROUPING_WINDOW_MS, groupKeyOf, type AlertRecord, type AlertStatus } from './detection-db.js';

const MAX_EVENT_IDS = 50;
const T0 = Date.UTC(2026, 1, 1, 10, 0, 0);

interface ModelAlert {
  key: string;
  count: number;
  eventIds: string[];
  firstSeen: string;
  lastSeen: string;
  status: AlertStatus;
  storedMs: number;
}

/** The contract, written plainly: one pass per call, repeats of a group within the call folded together. */
function modelStore(model: ModelAlert[], detections: readonly Detection[], nowMs: number): void {
  const groups = new Map<string, Detection[]>();
  for (const detection of detections) {
    const key = groupKeyOf(detection);
    groups.set(key, [...(groups.get(key) ?? []), detection]);
  }
  for (const [key, group] of groups) {
    const newest = model.filter((alert) => alert.key === key).at(-1);
    const open = newest && ['new', 'acknowledged', 'in_progress'].includes(newest.status) && newest.storedMs >= nowMs - GROUPING_WINDOW_MS;
    const target: ModelAlert = open ? newest : { key, count: 0, eventIds: [], firstSeen: group[0]!.time, lastSeen: group[0]!.time, status: 'new', storedMs: nowMs };
    for (const detection of group) {
      target.count++;
      for (const id of detection.eventIds) if (target.eventIds.length < MAX_EVENT_IDS && !target.eventIds.includes(id)) target.eventIds.push(id);
      if (detection.time < target.firstSeen) target.firstSeen = detection.time;
      if (detection.time > target.lastSeen) target.lastSeen = detection.time;
    }
    target.storedMs = nowMs;
    if (!open) model.push(target);
  }
}

function detection(rule: number, host: number, process: number, eventId: string, timeMs: number): Detection {
  return {
    rule: { id: `rule-${rule}`, title: `Rule ${rule}`, level: 'high', tags: ['attack.execution'] },
    kind: 'sigma',
    hostId: `host-${host}`,
    eventIds: [eventId],
    time: new Date(timeMs).toISOString(),
    processKey: `process-${process}`,
    fields: [{ field: 'process.command_line', value: `command ${eventId}` }],
  } as Detection;
}

function comparable(alerts: readonly AlertRecord[]): string[] {
  return alerts
    .map((a) => JSON.stringify([`${a.ruleId}\u0000${a.hostId}\u0000${a.processKey ?? ''}`, a.count, a.eventIds, a.firstSeen, a.lastSeen, a.status]))
    .sort();
}

/** Runs `body` with two connections to one new detection database, removed afterwards. */
function withTwoConnections(body: (one: DetectionDb, two: DetectionDb) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-detection-db-'));
  const one = new DetectionDb(join(dir, 'detection.sqlite'));
  const two = new DetectionDb(join(dir, 'detection.sqlite'));
  try {
    body(one, two);
  } finally {
    one.close();
    two.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('grouping: random detections, triage from another connection, window expiry and rollbacks match the model', () => {
  withTwoConnections((writer, triage) => {
    const random = seededRandom(7);
    const model: ModelAlert[] = [];
    let nowMs = T0;
    let eventNumber = 0;
    const statuses: AlertStatus[] = ['resolved', 'false_positive', 'acknowledged', 'in_progress', 'new'];
    for (let step = 0; step < 1500; step++) {
      const roll = random();
      if (roll < 0.04) {
        // An analyst changes a random alert's status (closing it, or reopening a closed one).
        const alerts = triage.listAlerts({ limit: 10_000 });
        const chosen = alerts[Math.floor(random() * alerts.length)];
        if (!chosen) continue;
        const status = statuses[Math.floor(random() * statuses.length)]!;
        triage.updateAlert(chosen.id, { status });
        const key = `${chosen.ruleId}\u0000${chosen.hostId}\u0000${chosen.processKey ?? ''}`;
        const modelled = model.filter((alert) => alert.key === key && alert.firstSeen === chosen.firstSeen && alert.count === chosen.count);
        assert.equal(modelled.length, 1, 'the model knows the alert');
        modelled[0]!.status = status;
        continue;
      }
      if (roll < 0.06) {
        nowMs += GROUPING_WINDOW_MS / 2 + Math.floor(random() * GROUPING_WINDOW_MS);
        continue;
      }
      nowMs += Math.floor(random() * 20_000);
      const batch: Detection[] = [];
      const size = 1 + Math.floor(random() * 25);
      for (let i = 0; i < size; i++) {
        // Event times a little before or after the clock, so first/last seen widen both ways.
        const timeMs = nowMs - 600_000 + Math.floor(random() * 900_000);
        batch.push(detection(Math.floor(random() * 4), Math.floor(random() * 2), Math.floor(random() * 3), `event-${++eventNumber}`, timeMs));
      }
      if (roll < 0.1) {
        // A transaction that fails after storing: nothing of it stays, and later folds still land right.
        assert.throws(() =>
          writer.inOneTransaction(() => {
            writer.storeEvaluated(batch, new Map([['host-0', step]]), nowMs);
            throw new Error('failure after the alerts were written');
          }),
        );
        continue;
      }
      writer.storeEvaluated(batch, new Map(), nowMs);
      modelStore(model, batch, nowMs);
    }
    const stored = writer.listAlerts({ limit: 10_000 });
    for (let i = 1; i < stored.length; i++) assert.ok(stored[i - 1]!.lastSeen >= stored[i]!.lastSeen, 'the list is newest activity first');
    const since = new Date(nowMs - GROUPING_WINDOW_MS).toISOString();
    assert.deepEqual(
      writer.listAlerts({ limit: 10_000, since }).map((a) => a.id),
      stored.filter((a) => a.lastSeen >= since).map((a) => a.id),
    );
    assert.ok(model.length > 40 && model.some((alert) => alert.eventIds.length === MAX_EVENT_IDS), 'the stream made many alerts and full event-id samples');
    assert.deepEqual(comparable(stored), comparable(model.map((a) => ({ ruleId: a.key.split('\u0000')[0]!, hostId: a.key.split('\u0000')[1]!, processKey: a.key.split('\u0000')[2]!, count: a.count, eventIds: a.eventIds, firstSeen: a.firstSeen, lastSeen: a.lastSeen, status: a.status }) as AlertRecord)));
  });
});

test('grouping: a repeat after the group\'s newest alert was resolved elsewhere creates a new alert, the resolved one unchanged', () => {
  withTwoConnections((writer, triage) => {
    const repeats = Array.from({ length: MAX_EVENT_IDS + 5 }, (_, i) => detection(1, 1, 1, `e-${i}`, T0 + i));
    const first = writer.storeDetections(repeats, T0);
    assert.equal(first.created.length, 1);
    assert.equal(writer.storeDetections([detection(1, 1, 1, 'e-late', T0 - 5_000)], T0 + 1_000).updated, 1);
    const [alert] = triage.listAlerts();
    assert.equal(alert!.count, MAX_EVENT_IDS + 6);
    assert.equal(alert!.firstSeen, new Date(T0 - 5_000).toISOString(), 'an older repeat widens first seen');
    triage.updateAlert(alert!.id, { status: 'resolved' });
    const again = writer.storeDetections([detection(1, 1, 1, 'e-after', T0 + 2_000)], T0 + 2_000);
    assert.equal(again.created.length, 1, 'a new alert, not a fold into the resolved one');
    assert.equal(triage.getAlert(alert!.id)!.count, MAX_EVENT_IDS + 6);
    assert.equal(triage.getAlert(alert!.id)!.status, 'resolved');
  });
});

test('grouping: repeats folded by two connections into one alert keep both connections\' event ids and counts', () => {
  withTwoConnections((one, two) => {
    one.storeDetections([detection(1, 1, 1, 'a-1', T0)], T0);
    two.storeDetections([detection(1, 1, 1, 'b-1', T0 + 1)], T0 + 1);
    one.storeDetections([detection(1, 1, 1, 'a-2', T0 + 2)], T0 + 2);
    two.storeDetections([detection(1, 1, 1, 'b-2', T0 + 3)], T0 + 3);
    const alerts = one.listAlerts();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.count, 4);
    assert.deepEqual(alerts[0]!.eventIds, ['a-1', 'b-1', 'a-2', 'b-2']);
  });
});
