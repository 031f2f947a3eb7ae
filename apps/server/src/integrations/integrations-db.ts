// The integrations database (SQLite, WAL, beside the control plane): destinations with their secrets, the durable
// outbox of alert deliveries, the dead-letter list, delivery counters and raw-forwarding cursors. Never exposes a
// destination's secret through a view; only the exporter factory reads it. Destination settings are sealed at rest
// (secret-box.ts, key in integrations.key).

import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { SecretBox } from '../secret-box.js';
import { SqliteFile } from '../sqlite-file.js';
import { VigilError } from '@vigil/common';
import type { DestinationFilters, DestinationKind, DestinationSettings, ExportRecord } from '@vigil/integrations';

export type DestinationStream = 'alerts' | 'events';
export const destinationStreams: readonly DestinationStream[] = ['alerts', 'events'];

export interface RetryPolicy {
  /** Attempts of one delivery before it moves to the dead-letter list. */
  maxAttempts: number;
  /** Age of a delivery after which a failed attempt moves it to the dead-letter list. */
  maxAgeSeconds: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, maxAgeSeconds: 24 * 3600, initialBackoffMs: 1000, maxBackoffMs: 5 * 60 * 1000 };
export const DEFAULT_BATCH_SIZE = 100;

export interface DestinationRecord {
  id: string;
  name: string;
  kind: DestinationKind;
  stream: DestinationStream;
  settings: DestinationSettings;
  filters: DestinationFilters;
  retry: RetryPolicy;
  batchSize: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DestinationState {
  consecutiveFailures: number;
  /** Epoch ms before which the worker does not try this destination again (backoff); 0 when due. */
  nextAttemptMs: number;
  sent: number;
  failedAttempts: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Raw forwarding: the last (event.ingested, event.id) the destination accepted. */
  cursor: { ingested: string; eventId: string } | null;
}

export interface DestinationStatus extends DestinationState {
  pending: number;
  dead: number;
}

export interface OutboxEntry {
  id: number;
  record: ExportRecord;
  createdMs: number;
  attempts: number;
}

export interface DeadLetter {
  id: number;
  record: ExportRecord;
  createdAt: string;
  deadAt: string;
  attempts: number;
  lastError: string | null;
}

export type NewDestination = Omit<DestinationRecord, 'id' | 'createdAt' | 'updatedAt'>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS destinations (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, stream TEXT NOT NULL, settings TEXT NOT NULL,
  filters TEXT NOT NULL, retry TEXT NOT NULL, batch_size INTEGER NOT NULL, enabled INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0, failed_attempts INTEGER NOT NULL DEFAULT 0,
  last_success_at TEXT, last_error TEXT, last_error_at TEXT, cursor_ingested TEXT, cursor_event_id TEXT);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
  record TEXT NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_destination ON outbox (destination_id, id);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
  record TEXT NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, dead_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dead_letters_destination ON dead_letters (destination_id, id);
`;

interface DestinationRow {
  id: string;
  name: string;
  kind: string;
  stream: string;
  settings: string;
  filters: string;
  retry: string;
  batch_size: number;
  enabled: number;
  created_at: string;
  updated_at: string;
  consecutive_failures: number;
  next_attempt_ms: number;
  sent: number;
  failed_attempts: number;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  cursor_ingested: string | null;
  cursor_event_id: string | null;
}

function destinationFromRow(row: DestinationRow, box: SecretBox): DestinationRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as DestinationKind,
    stream: row.stream as DestinationStream,
    settings: JSON.parse(SecretBox.isSealed(row.settings) ? box.open(row.settings, settingsContext(row.id)) : row.settings) as DestinationSettings,
    filters: JSON.parse(row.filters) as DestinationFilters,
    retry: { ...defaultRetryPolicy, ...(JSON.parse(row.retry) as Partial<RetryPolicy>) },
    batchSize: row.batch_size,
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function stateFromRow(row: DestinationRow): DestinationState {
  return {
    consecutiveFailures: row.consecutive_failures,
    nextAttemptMs: row.next_attempt_ms,
    sent: row.sent,
    failedAttempts: row.failed_attempts,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    cursor: row.cursor_ingested === null ? null : { ingested: row.cursor_ingested, eventId: row.cursor_event_id ?? '' },
  };
}

/** Backoff before the next attempt after `failures` consecutive failures: doubling from the initial delay, capped, with jitter in [d/2, d]. */
export function backoffMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  const delay = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** exponent);
  return Math.round(delay / 2 + (delay / 2) * random());
}

const MAX_ERROR_TEXT = 500;
const clip = (text: string) => (text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text);

/** What a destination's sealed settings are bound to: its id (sealed settings copied to another row do not open). */
const settingsContext = (id: string) => `destination ${id} settings`;

export class IntegrationsDb {
  readonly #file: SqliteFile;
  readonly #box: SecretBox;

  /**
   * Destination settings (which hold the secrets) are sealed under the key in `keyFile` (default: `integrations.key`
   * beside the database, created at first open); settings written before sealing existed are sealed at open.
   */
  constructor(file: string, keyFile = join(dirname(file), 'integrations.key')) {
    // The outbox is the only copy of a pending delivery: every commit is fsynced.
    this.#file = new SqliteFile(file, 'integrations database', { synchronous: 'FULL', schema: SCHEMA });
    this.#box = new SecretBox(keyFile);
    const plain = this.#statement("SELECT id, settings FROM destinations WHERE settings NOT LIKE 'sealed-v1.%'").all() as { id: string; settings: string }[];
    const seal = this.#statement('UPDATE destinations SET settings = ? WHERE id = ?');
    this.#file.db.transaction(() => {
      for (const row of plain) seal.run(this.#sealSettings(row.id, JSON.parse(row.settings) as DestinationSettings), row.id);
    })();
  }

  #sealSettings(id: string, settings: DestinationSettings): string {
    return this.#box.seal(JSON.stringify(settings), settingsContext(id));
  }

  #statement(sql: string): Database.Statement {
    return this.#file.statement(sql);
  }

  close(): void {
    this.#file.close();
  }

  // ---- destinations ----

  createDestination(input: NewDestination, nowIso = new Date().toISOString()): DestinationRecord {
    const id = randomUUID();
    try {
      this.#statement(
        `INSERT INTO destinations (id, name, kind, stream, settings, filters, retry, batch_size, enabled, created_at, updated_at, cursor_ingested, cursor_event_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(id, input.name, input.kind, input.stream, this.#sealSettings(id, input.settings), JSON.stringify(input.filters), JSON.stringify(input.retry), input.batchSize, input.enabled ? 1 : 0, nowIso, nowIso, input.stream === 'events' ? nowIso : null, input.stream === 'events' ? '' : null);
    } catch (error) {
      if (/UNIQUE/.test(String(error))) throw new VigilError('conflict', `a destination named ${JSON.stringify(input.name)} exists`, { location: { path: 'name' } });
      throw error;
    }
    return this.getDestination(id)!;
  }

  updateDestination(id: string, next: Omit<NewDestination, 'kind' | 'stream'>, nowIso = new Date().toISOString()): DestinationRecord {
    try {
      const result = this.#statement(
        `UPDATE destinations SET name = ?, settings = ?, filters = ?, retry = ?, batch_size = ?, enabled = ?, updated_at = ?, consecutive_failures = 0, next_attempt_ms = 0 WHERE id = ?`,
      ).run(next.name, this.#sealSettings(id, next.settings), JSON.stringify(next.filters), JSON.stringify(next.retry), next.batchSize, next.enabled ? 1 : 0, nowIso, id);
      if (result.changes === 0) throw new VigilError('not_found', 'no such destination');
    } catch (error) {
      if (/UNIQUE/.test(String(error))) throw new VigilError('conflict', `a destination named ${JSON.stringify(next.name)} exists`, { location: { path: 'name' } });
      throw error;
    }
    return this.getDestination(id)!;
  }

  deleteDestination(id: string): boolean {
    return this.#statement('DELETE FROM destinations WHERE id = ?').run(id).changes > 0;
  }

  getDestination(id: string): DestinationRecord | undefined {
    const row = this.#statement('SELECT * FROM destinations WHERE id = ?').get(id) as DestinationRow | undefined;
    return row ? destinationFromRow(row, this.#box) : undefined;
  }

  listDestinations(): DestinationRecord[] {
    return (this.#statement('SELECT * FROM destinations ORDER BY created_at, id').all() as DestinationRow[]).map((row) => destinationFromRow(row, this.#box));
  }

  state(id: string): DestinationState | undefined {
    const row = this.#statement('SELECT * FROM destinations WHERE id = ?').get(id) as DestinationRow | undefined;
    return row ? stateFromRow(row) : undefined;
  }

  status(id: string): DestinationStatus | undefined {
    const state = this.state(id);
    if (!state) return undefined;
    const pending = (this.#statement('SELECT count(*) AS n FROM outbox WHERE destination_id = ?').get(id) as { n: number }).n;
    const dead = (this.#statement('SELECT count(*) AS n FROM dead_letters WHERE destination_id = ?').get(id) as { n: number }).n;
    return { ...state, pending, dead };
  }

  // ---- outbox (alerts) ----

  enqueue(entries: readonly { destinationId: string; record: ExportRecord }[], nowMs = Date.now()): void {
    if (!entries.length) return;
    const insert = this.#statement('INSERT INTO outbox (destination_id, record, created_ms) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM destinations WHERE id = ?)');
    this.#file.db.transaction(() => {
      for (const entry of entries) insert.run(entry.destinationId, JSON.stringify(entry.record), nowMs, entry.destinationId);
    })();
  }

  /** The oldest pending deliveries of a destination, in enqueue order. */
  nextBatch(destinationId: string, limit: number): OutboxEntry[] {
    const rows = this.#statement('SELECT id, record, created_ms, attempts FROM outbox WHERE destination_id = ? ORDER BY id LIMIT ?').all(destinationId, limit) as { id: number; record: string; created_ms: number; attempts: number }[];
    return rows.map((row) => ({ id: row.id, record: JSON.parse(row.record) as ExportRecord, createdMs: row.created_ms, attempts: row.attempts }));
  }

  markSent(destinationId: string, ids: readonly number[], nowIso = new Date().toISOString()): void {
    const remove = this.#statement('DELETE FROM outbox WHERE id = ? AND destination_id = ?');
    this.#file.db.transaction(() => {
      for (const id of ids) remove.run(id, destinationId);
      this.#statement(`UPDATE destinations SET sent = sent + ?, consecutive_failures = 0, next_attempt_ms = 0, last_success_at = ? WHERE id = ?`).run(ids.length, nowIso, destinationId);
    })();
  }

  /**
   * Counts a failed attempt on `ids`, moves deliveries that reached the attempt limit, and every delivery of the
   * destination older than the age limit, to the dead-letter list, and schedules the next attempt. Returns how many died.
   */
  markFailed(destinationId: string, ids: readonly number[], error: string, policy: RetryPolicy, nowMs = Date.now(), random: () => number = Math.random): number {
    const text = clip(error);
    const nowIso = new Date(nowMs).toISOString();
    return this.#file.db.transaction(() => {
      const bump = this.#statement('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND destination_id = ?');
      for (const id of ids) bump.run(text, id, destinationId);
      const oldest = nowMs - policy.maxAgeSeconds * 1000;
      const dying = `destination_id = ? AND (attempts >= ? OR created_ms < ?)`;
      this.#statement(`INSERT INTO dead_letters (destination_id, record, created_ms, attempts, last_error, dead_at) SELECT destination_id, record, created_ms, attempts, coalesce(last_error, ?), ? FROM outbox WHERE ${dying} ORDER BY id`).run(text, nowIso, destinationId, policy.maxAttempts, oldest);
      const died = this.#statement(`DELETE FROM outbox WHERE ${dying}`).run(destinationId, policy.maxAttempts, oldest).changes;
      const row = this.#statement('SELECT consecutive_failures FROM destinations WHERE id = ?').get(destinationId) as { consecutive_failures: number } | undefined;
      const failures = (row?.consecutive_failures ?? 0) + 1;
      this.#statement(`UPDATE destinations SET consecutive_failures = ?, next_attempt_ms = ?, failed_attempts = failed_attempts + 1, last_error = ?, last_error_at = ? WHERE id = ?`).run(failures, nowMs + backoffMs(failures, policy, random), text, nowIso, destinationId);
      return died;
    })();
  }

  // ---- raw forwarding ----

  /** Moves the cursor past a page the destination accepted. */
  markPageSent(destinationId: string, cursor: { ingested: string; eventId: string }, count: number, nowIso = new Date().toISOString()): void {
    this.#statement(`UPDATE destinations SET cursor_ingested = ?, cursor_event_id = ?, sent = sent + ?, consecutive_failures = 0, next_attempt_ms = 0, last_success_at = ? WHERE id = ?`).run(cursor.ingested, cursor.eventId, count, nowIso, destinationId);
  }

  /** Counts a failed page and schedules the next attempt; the cursor stays where it was. */
  markPageFailed(destinationId: string, error: string, policy: RetryPolicy, nowMs = Date.now(), random: () => number = Math.random): void {
    const row = this.#statement('SELECT consecutive_failures FROM destinations WHERE id = ?').get(destinationId) as { consecutive_failures: number } | undefined;
    const failures = (row?.consecutive_failures ?? 0) + 1;
    this.#statement(`UPDATE destinations SET consecutive_failures = ?, next_attempt_ms = ?, failed_attempts = failed_attempts + 1, last_error = ?, last_error_at = ? WHERE id = ?`).run(failures, nowMs + backoffMs(failures, policy, random), clip(error), new Date(nowMs).toISOString(), destinationId);
  }

  // ---- dead letters ----

  deadLetters(destinationId: string, limit: number): { total: number; items: DeadLetter[] } {
    const total = (this.#statement('SELECT count(*) AS n FROM dead_letters WHERE destination_id = ?').get(destinationId) as { n: number }).n;
    const rows = this.#statement('SELECT id, record, created_ms, attempts, last_error, dead_at FROM dead_letters WHERE destination_id = ? ORDER BY id LIMIT ?').all(destinationId, limit) as {
      id: number;
      record: string;
      created_ms: number;
      attempts: number;
      last_error: string | null;
      dead_at: string;
    }[];
    return { total, items: rows.map((row) => ({ id: row.id, record: JSON.parse(row.record) as ExportRecord, createdAt: new Date(row.created_ms).toISOString(), deadAt: row.dead_at, attempts: row.attempts, lastError: row.last_error })) };
  }

  /** Moves dead letters (all, or those in `ids`) back to the outbox as fresh deliveries, oldest first; returns how many. */
  retryDeadLetters(destinationId: string, ids: readonly number[] | undefined, nowMs = Date.now()): number {
    return this.#file.db.transaction(() => {
      const chosen = ids ? `AND id IN (${ids.map(() => '?').join(',') || 'NULL'})` : '';
      const params = [destinationId, ...(ids ?? [])];
      this.#file.db.prepare(`INSERT INTO outbox (destination_id, record, created_ms) SELECT destination_id, record, ? FROM dead_letters WHERE destination_id = ? ${chosen} ORDER BY id`).run(nowMs, ...params);
      const moved = this.#file.db.prepare(`DELETE FROM dead_letters WHERE destination_id = ? ${chosen}`).run(...params).changes;
      if (moved) this.#statement('UPDATE destinations SET consecutive_failures = 0, next_attempt_ms = 0 WHERE id = ?').run(destinationId);
      return moved;
    })();
  }
}
