// The baseline service over real SQLite files: profiles, host learning state, settings and suppressions survive a
// close and reopen (baseline.sqlite); an unreadable stored profile is skipped (relearned), never fatal.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { DetectionDb } from '../detection/detection-db.js';
import { createBaselineService, levelOf } from './baseline-service.js';

const DAY = 86_400_000;
const T0 = Date.now() - 20 * DAY;
let sequence = 0;

function start(host: string, time: number, parent: string, child: string): Record<string, unknown> {
  return {
    '@timestamp': new Date(time).toISOString(), 'event.id': `e${++sequence}`, 'event.category': 'process', 'event.action': 'start', 'host.id': host, 'process.pid': 100 + sequence,
    'process.executable': child, 'process.parent.executable': parent, 'process.args': [child.split('/').pop(), '-v'], 'process.hash.sha256': 'a'.repeat(64),
  };
}

function learn(service: ReturnType<typeof createBaselineService>, host: string): void {
  for (let day = 0; day < 19; day++) {
    for (const child of ['/usr/bin/ls', '/usr/bin/cat']) service.match([start(host, T0 + day * DAY, '/usr/bin/bash', child)]);
  }
}

test('profiles, learning state, settings and suppressions survive close and reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-baseline-'));
  try {
    const detectionDb = new DetectionDb(join(dir, 'detection.sqlite'));
    const first = createBaselineService({ dataDir: dir, detectionDb, clusterEveryMs: 0 });
    learn(first, 'h1');
    learn(first, 'h2');
    first.configure({ threshold: 0.75 }, 'test');
    const detections = first.match([start('h1', Date.now(), '/usr/sbin/nginx', '/tmp/x')]);
    assert.equal(detections.length, 1);
    assert.equal(detections[0]!.kind, 'anomaly');
    const stored = detectionDb.storeDetections(detections);
    first.onAlerts(stored.created);
    const finding = first.findings()[0]!;
    assert.equal(finding.alertId, stored.created[0]!.id);
    const feedback = first.feedback(finding.id, { verdict: 'expected', scope: 'fleet', note: 'ok' }, 'test');
    assert.equal(feedback.suppression.hostId, '*');
    const before = { hosts: first.hosts(), profile: first.profile('h1'), settings: first.settings() };
    first.close();

    const second = createBaselineService({ dataDir: dir, detectionDb, clusterEveryMs: 0 });
    assert.deepEqual(second.hosts(), before.hosts);
    assert.deepEqual(second.profile('h1'), before.profile);
    assert.deepEqual(second.settings(), before.settings);
    assert.equal(second.suppressions().length, 1);
    assert.equal(second.findings()[0]!.verdict, 'expected');
    assert.deepEqual(second.match([start('h2', Date.now(), '/usr/sbin/nginx', '/tmp/x')]), [], 'a fleet-wide "expected" covers h2 after the restart');
    assert.equal(second.match([start('h2', Date.now(), '/usr/sbin/nginx', '/usr/bin/perl')]).length, 1);
    second.close();

    // A damaged profile row is skipped with an error in the log; the rest loads and the server keeps running.
    const raw = new Database(join(dir, 'baseline.sqlite'));
    raw.prepare("UPDATE profiles SET state = '{\"v\":1,\"tables\":{\"pairs\":{\"first\":\"x\"}}}' WHERE profiler = 'parent-child' AND scope = 'h1'").run();
    raw.close();
    const third = createBaselineService({ dataDir: dir, detectionDb, clusterEveryMs: 0 });
    assert.equal(third.profile('h1').profilers.find((p) => p.profiler === 'parent-child')!.tables.length, 0, 'the damaged profile starts empty');
    assert.ok(third.profile('h2').profilers.find((p) => p.profiler === 'parent-child')!.tables[0]!.entries > 0, 'the others are restored');
    third.close();
    detectionDb.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alert levels follow the score', () => {
  assert.deepEqual([0.8, 0.85, 0.9, 0.95, 0.99].map(levelOf), ['low', 'medium', 'medium', 'high', 'high']);
});
