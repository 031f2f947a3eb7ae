// The outbox: batches in enqueue order, backoff with jitter, dead-lettering by attempts and by age, retry of dead
// letters, secrets kept out of views, and persistence across reopen.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { ExportRecord } from '@vigil/integrations';
import { destinationView, newDestinationFrom, updatedDestinationFrom } from './destination-config.js';
import { backoffMs, defaultRetryPolicy, IntegrationsDb, type RetryPolicy } from './integrations-db.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-integrations-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const openDb = () => new IntegrationsDb(join(dir, `integrations-${++files}.sqlite`));

const record = (id: string): ExportRecord => ({
  type: 'alert',
  alert: { id, ruleId: 'r', ruleTitle: 't', level: 'high', kind: 'sigma', tags: [], hostId: 'h', processKey: null, firstSeen: '', lastSeen: '', count: 1, eventIds: [], fields: [], createdAt: '' },
});
const ids = (entries: { record: ExportRecord }[]) => entries.map((e) => (e.record.type === 'alert' ? e.record.alert.id : ''));
const policy: RetryPolicy = { maxAttempts: 3, maxAgeSeconds: 60, initialBackoffMs: 1000, maxBackoffMs: 8000 };

function webhook(db: IntegrationsDb, name = 'hook') {
  return db.createDestination(newDestinationFrom({ name, kind: 'webhook', settings: { url: 'https://example.com/h', secret: 'a-secret-of-16-chars' }, retry: { max_attempts: 3, max_age_s: 60, initial_backoff_ms: 1000, max_backoff_ms: 8000 } }));
}

test('backoff doubles from the initial delay up to the cap, with jitter between half and all of it', () => {
  assert.equal(backoffMs(1, policy, () => 1), 1000);
  assert.equal(backoffMs(1, policy, () => 0), 500);
  assert.equal(backoffMs(3, policy, () => 1), 4000);
  assert.equal(backoffMs(10, policy, () => 1), 8000);
  assert.equal(backoffMs(10_000, defaultRetryPolicy, () => 1), defaultRetryPolicy.maxBackoffMs);
  assert.deepEqual(defaultRetryPolicy, { maxAttempts: 8, maxAgeSeconds: 86400, initialBackoffMs: 1000, maxBackoffMs: 300000 });
});

test('batches come oldest first; a failure backs the destination off and dead-letters after the attempt limit', () => {
  const db = openDb();
  const destination = webhook(db);
  db.enqueue(['a', 'b', 'c'].map((id) => ({ destinationId: destination.id, record: record(id) })), 1_000_000);
  assert.deepEqual(ids(db.nextBatch(destination.id, 2)), ['a', 'b']);
  for (let attempt = 1; attempt <= 2; attempt++) {
    const died = db.markFailed(destination.id, db.nextBatch(destination.id, 2).map((e) => e.id), 'answered 500', policy, 1_000_000 + attempt, () => 1);
    assert.equal(died, 0);
    assert.equal(db.state(destination.id)!.nextAttemptMs, 1_000_000 + attempt + 1000 * 2 ** (attempt - 1));
  }
  const died = db.markFailed(destination.id, db.nextBatch(destination.id, 2).map((e) => e.id), 'answered 503', policy, 1_000_010, () => 1);
  assert.equal(died, 2);
  const status = db.status(destination.id)!;
  assert.deepEqual([status.pending, status.dead, status.failedAttempts, status.consecutiveFailures, status.lastError], [1, 2, 3, 3, 'answered 503']);
  const dead = db.deadLetters(destination.id, 10);
  assert.equal(dead.total, 2);
  assert.deepEqual(dead.items.map((d) => [d.record.type === 'alert' ? d.record.alert.id : '', d.attempts, d.lastError]), [['a', 3, 'answered 503'], ['b', 3, 'answered 503']]);
  db.markSent(destination.id, db.nextBatch(destination.id, 10).map((e) => e.id));
  const after = db.status(destination.id)!;
  assert.deepEqual([after.pending, after.sent, after.consecutiveFailures, after.nextAttemptMs], [0, 1, 0, 0]);
  db.close();
});

test('a failed attempt dead-letters every delivery older than the age limit, even outside the batch', () => {
  const db = openDb();
  const destination = webhook(db);
  db.enqueue([{ destinationId: destination.id, record: record('old-1') }, { destinationId: destination.id, record: record('old-2') }], 0);
  db.enqueue([{ destinationId: destination.id, record: record('new') }], 59_000);
  const died = db.markFailed(destination.id, db.nextBatch(destination.id, 1).map((e) => e.id), 'timeout', policy, 61_000);
  assert.equal(died, 2);
  assert.deepEqual(ids(db.nextBatch(destination.id, 10)), ['new']);
  db.close();
});

test('dead letters go back to the outbox as fresh deliveries, all or by id, and the backoff resets', () => {
  const db = openDb();
  const destination = webhook(db);
  db.enqueue(['a', 'b'].map((id) => ({ destinationId: destination.id, record: record(id) })), 0);
  for (let i = 0; i < 3; i++) db.markFailed(destination.id, db.nextBatch(destination.id, 10).map((e) => e.id), 'down', policy, 1000 + i);
  const dead = db.deadLetters(destination.id, 10).items;
  assert.equal(db.retryDeadLetters(destination.id, [dead[1]!.id], 5000), 1);
  assert.deepEqual(ids(db.nextBatch(destination.id, 10)), ['b']);
  assert.equal(db.nextBatch(destination.id, 10)[0]!.attempts, 0);
  assert.equal(db.state(destination.id)!.nextAttemptMs, 0);
  assert.equal(db.retryDeadLetters(destination.id, undefined, 5000), 1);
  assert.deepEqual(ids(db.nextBatch(destination.id, 10)), ['b', 'a']);
  db.close();
});

test('deliveries survive a reopen; deleting a destination removes its outbox; views never show secrets', () => {
  const file = join(dir, 'reopen.sqlite');
  let db = new IntegrationsDb(file);
  const destination = webhook(db);
  db.enqueue([{ destinationId: destination.id, record: record('kept') }]);
  db.enqueue([{ destinationId: 'no-such-destination', record: record('dropped') }]);
  db.close();
  db = new IntegrationsDb(file);
  assert.deepEqual(ids(db.nextBatch(destination.id, 10)), ['kept']);
  const view = destinationView(db.getDestination(destination.id)!);
  assert.ok(!JSON.stringify(view).includes('a-secret-of-16-chars'));
  assert.equal(view.settings.secret_set, true);
  const updated = db.updateDestination(destination.id, updatedDestinationFrom(db.getDestination(destination.id)!, { name: 'renamed', settings: { url: 'https://example.com/other' } }));
  assert.equal(updated.settings.kind === 'webhook' && updated.settings.secret, 'a-secret-of-16-chars');
  assert.throws(() => updatedDestinationFrom(updated, { kind: 'syslog' }), /cannot change/);
  assert.throws(() => webhook(db, 'renamed'), /exists/);
  assert.equal(db.deleteDestination(destination.id), true);
  assert.equal(db.status(destination.id), undefined);
  db.close();
});

test('destination settings are sealed at rest: the file holds no secret, settings written in plain text are sealed at open, another key refuses them', () => {
  const file = join(dir, 'sealed.sqlite');
  let db = new IntegrationsDb(file);
  const destination = webhook(db);
  db.close();
  const fileText = () => ['', '-wal'].map((suffix) => (existsSync(file + suffix) ? readFileSync(file + suffix).toString('latin1') : '')).join('');
  assert.ok(!fileText().includes('a-secret-of-16-chars'), 'the secret is not in the database file');
  assert.equal(statSync(join(dir, 'integrations.key')).mode & 0o777, 0o600);

  // A row as written before sealing existed: opened in plain text, sealed by the next open.
  const raw = new Database(file);
  raw.prepare('UPDATE destinations SET settings = ? WHERE id = ?').run(JSON.stringify({ kind: 'webhook', url: 'https://example.com/h', secret: 'a-legacy-secret-16c' }), destination.id);
  raw.close();
  db = new IntegrationsDb(file);
  const reopened = db.getDestination(destination.id)!;
  assert.equal(reopened.settings.kind === 'webhook' && reopened.settings.secret, 'a-legacy-secret-16c');
  db.close();
  const checked = new Database(file);
  const stored = (checked.prepare('SELECT settings FROM destinations WHERE id = ?').get(destination.id) as { settings: string }).settings;
  checked.close();
  assert.match(stored, /^sealed-v1\./);
  assert.ok(!stored.includes('legacy'));

  // The same database with another key: a clear error naming the key file, not garbage settings.
  const otherKey = join(dir, 'other.key');
  db = new IntegrationsDb(file, otherKey);
  assert.throws(() => db.getDestination(destination.id), (error: Error & { code?: string }) => error.code === 'unavailable' && /other\.key/.test(error.message));
  db.close();
});
