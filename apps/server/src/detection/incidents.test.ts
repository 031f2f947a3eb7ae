// Incident grouping: placement rules (pure) and the service on a real detection database and DuckDB event store:
// alerts of one process tree within the window form one incident; another tree, another host, no acting process or a
// time outside the window start another; ids stay stable; incident triage reaches every alert in it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkEvent, type VigilEvent } from '@vigil/schema';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import type { Detection } from '@vigil/detect';
import { DetectionDb } from './detection-db.js';
import { AlertComments } from './alert-comments.js';
import { createIncidentService, placeAlert, storeLineage, type IncidentService, type OpenIncident } from './incidents.js';

const T0 = Date.UTC(2026, 1, 1, 10, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const WINDOW = 30 * 60_000;

test('placement: shared lineage entity within the window joins; other host, no shared entity, far time or no lineage do not', () => {
  const open: OpenIncident = { id: 'i1', hostId: 'h', firstSeen: at(0), lastSeen: at(10), entities: new Set(['bash', 'child']) };
  const alert = (host: string, minute: number) => ({ id: 'a', hostId: host, firstSeen: at(minute), lastSeen: at(minute) });
  assert.equal(placeAlert(alert('h', 20), ['grandchild', 'child', 'bash'], [open], WINDOW)?.id, 'i1');
  assert.equal(placeAlert(alert('h', 39), ['bash'], [open], WINDOW)?.id, 'i1', 'within 30 min after the last activity');
  assert.equal(placeAlert(alert('h', 41), ['bash'], [open], WINDOW), null, 'outside the window');
  assert.equal(placeAlert(alert('h', -25), ['bash'], [open], WINDOW)?.id, 'i1', 'an older alert within the window before');
  assert.equal(placeAlert(alert('h', 5), ['other', 'root2'], [open], WINDOW), null, 'another tree');
  assert.equal(placeAlert(alert('other-host', 5), ['bash'], [open], WINDOW), null, 'another host');
  assert.equal(placeAlert(alert('h', 5), [], [open], WINDOW), null, 'no acting process');
  const newer: OpenIncident = { ...open, id: 'i2', firstSeen: at(11), lastSeen: at(12) };
  assert.equal(placeAlert(alert('h', 12), ['bash'], [open, newer], WINDOW)?.id, 'i2', 'the incident with the latest activity');
});

let dir: string;
let store: EventStore;
let db: DetectionDb;
let incidents: IncidentService;
let sequence = 0;

function processStart(host: string, minute: number, entity: string, pid: number, parent: { entity: string; pid: number } | null, executable: string): VigilEvent {
  const value = {
    '@timestamp': at(minute),
    'event.id': randomUUID(),
    'event.sequence': ++sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': host,
    'process.entity_id': entity,
    'process.pid': pid,
    'process.parent.pid': parent?.pid ?? 0,
    ...(parent ? { 'process.parent.entity_id': parent.entity } : {}),
    'process.executable': executable,
    'process.name': executable.split('/').pop(),
    'process.command_line': executable,
  };
  const check = checkEvent(value, 'test event');
  if (!check.category) throw new Error(JSON.stringify(check.problems));
  return value as unknown as VigilEvent;
}

function detection(host: string, minute: number, processKey: string | undefined, title: string): Detection {
  return {
    rule: { id: randomUUID(), title, level: 'high', tags: ['attack.execution'] },
    kind: 'sigma',
    hostId: host,
    eventIds: [randomUUID()],
    time: at(minute),
    fields: [],
    ...(processKey ? { processKey } : {}),
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-incidents-'));
  store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  const init = { entity: 'init', pid: 1 };
  const sshd = { entity: 'sshd', pid: 100 };
  const session1 = { entity: 'session1', pid: 200 };
  const bash1 = { entity: 'bash1', pid: 300 };
  const child = { entity: 'child', pid: 301 };
  const session2 = { entity: 'session2', pid: 210 };
  await store.append('host-a', [
    processStart('host-a', -60, 'init', 1, null, '/sbin/init'),
    processStart('host-a', -59, 'sshd', 100, init, '/usr/sbin/sshd'),
    processStart('host-a', -10, 'session1', 200, sshd, '/usr/sbin/sshd'),
    processStart('host-a', -9, 'bash1', 300, session1, '/usr/bin/bash'),
    processStart('host-a', 0, 'child', 301, bash1, '/usr/bin/python3'),
    processStart('host-a', 5, 'grandchild', 302, child, '/usr/bin/bash'),
    processStart('host-a', 4, 'session2', 210, sshd, '/usr/sbin/sshd'),
    processStart('host-a', 5, 'bash2', 310, session2, '/usr/bin/bash'),
  ]);
  db = new DetectionDb(join(dir, 'detection.sqlite'));
  incidents = createIncidentService({ db, lineage: storeLineage(store), windowMs: WINDOW });
});

after(async () => {
  db.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('service: one tree within the window is one incident; another login, another host, no process or a late alert are others', async () => {
  const stored = db.storeDetections([
    detection('host-a', 0, 'child', 'Reverse shell'),
    detection('host-a', 6, 'grandchild', 'Credential access'),
    detection('host-a', 7, 'bash2', 'Other login (shares only the sshd listener)'),
    detection('host-b', 1, 'child', 'Same entity id on another host'),
    detection('host-a', 2, undefined, 'No acting process'),
    detection('host-a', 120, 'child', 'Same tree, two hours later'),
  ]).created;
  const [shell, credential, otherLogin, otherHost, noProcess, late] = stored.map((a) => a.id);
  const incidentOf = async (id: string | undefined) => (await incidents.incidentOf(id!))!;
  const first = await incidentOf(shell);
  assert.equal(await incidentOf(credential), first, 'a grandchild in the same tree joins');
  const others = [otherLogin, otherHost, noProcess, late].map(incidentOf);
  const ids = await Promise.all(others);
  assert.equal(new Set([first, ...ids]).size, 5, `every other alert starts its own incident: ${JSON.stringify(ids)}`);

  const list = await incidents.list();
  assert.equal(list.length, 5);
  const tree = list.find((i) => i.id === first)!;
  assert.deepEqual(tree.alerts.map((a) => a.ruleTitle), ['Reverse shell', 'Credential access']);
  assert.equal(tree.alertCount, 2);
  assert.equal(tree.hostId, 'host-a');
  assert.equal(tree.firstSeen, at(0));
  assert.equal(tree.lastSeen, at(6));
  assert.deepEqual(tree.tags, ['attack.execution']);
  assert.deepEqual(list.map((i) => i.lastSeen), [...list.map((i) => i.lastSeen)].sort().reverse(), 'newest activity first');

  // A later alert of the same tree joins the same, stable incident.
  const again = db.storeDetections([detection('host-a', 20, 'bash1', 'Shell history cleared')]).created[0]!;
  assert.equal(await incidentOf(again.id), first);
  assert.equal((await incidents.get(first)).alertCount, 3);
});

test('service: incident triage applies status and assignee to every alert; a closed incident takes no new alerts', async () => {
  const [incident] = (await incidents.list({ hostId: 'host-a' })).filter((i) => i.alertCount === 3);
  assert.ok(incident);
  const updated = await incidents.update(incident.id, { status: 'in_progress', assignee: 'alice' });
  assert.equal(updated.status, 'in_progress');
  assert.equal(updated.assignee, 'alice');
  for (const alert of updated.alerts) {
    const stored = db.getAlert(alert.id)!;
    assert.equal(stored.status, 'in_progress');
    assert.equal(stored.assignee, 'alice');
  }
  const resolved = await incidents.update(incident.id, { status: 'resolved' });
  assert.equal(resolved.openAlerts, 0);
  assert.ok(resolved.alerts.every((a) => a.assignee === 'alice' && a.status === 'resolved'));
  assert.equal((await incidents.list({ status: 'open', hostId: 'host-a' })).some((i) => i.id === incident.id), false);
  const after = db.storeDetections([detection('host-a', 21, 'grandchild', 'After resolution')]).created[0]!;
  const next = await incidents.incidentOf(after.id);
  assert.ok(next && next !== incident.id, 'a resolved incident is not reopened');
  await assert.rejects(incidents.get('no-such-incident'), { code: 'not_found' });
  await assert.rejects(incidents.update('no-such-incident', { status: 'resolved' }), { code: 'not_found' });
});

test('service: a sync reads only alerts above its watermark; a file without one (older version) places nothing twice', async () => {
  const sqlite = db.sqlite;
  const highest = () => (sqlite.statement('SELECT max(rowid) AS m FROM alerts').get() as { m: number }).m;
  const mark = () => (sqlite.statement('SELECT alert_rowid FROM incident_sync WHERE id = 1').get() as { alert_rowid: number } | undefined)?.alert_rowid;
  const placed = () => (sqlite.statement('SELECT count(*) AS n FROM incident_alerts').get() as { n: number }).n;
  const before = (await incidents.list({ limit: 2000 })).length;
  assert.equal(mark(), highest(), 'every alert stored so far is placed and below the watermark');
  sqlite.statement('DELETE FROM incident_sync').run();
  const restarted = createIncidentService({ db, lineage: storeLineage(store), windowMs: WINDOW });
  assert.equal((await restarted.list({ limit: 2000 })).length, before, 'no alert placed a second time');
  assert.equal(placed(), highest());
  const fresh = db.storeDetections([detection('host-c', 0, 'child', 'New host after the restart')]).created[0]!;
  assert.ok(await restarted.incidentOf(fresh.id));
  assert.equal(mark(), highest());
  assert.equal(placed(), highest());
});

test('comments: author and time kept, oldest first, empty or unknown alert refused', () => {
  const comments = new AlertComments(db);
  const [alert] = db.listAlerts({ limit: 1 });
  assert.ok(alert);
  const one = comments.add(alert.id, { name: 'alice', kind: 'user' }, '  looked at the shell  ', new Date(T0));
  comments.add(alert.id, { name: 'ci-token', kind: 'api_token' }, 'second', new Date(T0 + 1000));
  assert.equal(one.text, 'looked at the shell');
  assert.deepEqual(comments.list(alert.id).map((c) => [c.author, c.authorKind, c.text, c.createdAt]), [
    ['alice', 'user', 'looked at the shell', at(0)],
    ['ci-token', 'api_token', 'second', new Date(T0 + 1000).toISOString()],
  ]);
  assert.throws(() => comments.add(alert.id, { name: 'alice', kind: 'user' }, '   '), { code: 'invalid_input' });
  assert.throws(() => comments.add('no-such-alert', { name: 'alice', kind: 'user' }, 'x'), { code: 'not_found' });
  assert.throws(() => comments.list('no-such-alert'), { code: 'not_found' });
});
