// The threat-intel database (SQLite `intel.sqlite` beside the control plane): indicators (pushed, imported or from
// feeds), idempotent by (source, external id) or (type, value, source); feeds with their fetch state; IOC sweeps with
// per-indicator results. Never reads the event store (sweeps are run by the sweeper); every write is one transaction,
// and listeners hear about indicator changes only after it committed.

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { SqliteFile } from '../sqlite-file.js';
import { VigilError } from '@vigil/common';
import type { IndicatorType } from './indicators.js';
import type { IndicatorHits, SweepTarget } from './sweep-sql.js';

export interface IndicatorInput {
  type: IndicatorType;
  /** Canonical value. */
  value: string;
  source: string;
  externalId: string | null;
  /** 0-100 as given by the platform. */
  confidence: number | null;
  expiresAt: string | null;
  description: string | null;
  /** When the source first and last saw it (kept as given; a repeated import keeps the earliest and latest). */
  firstSeen?: string | null;
  lastSeen?: string | null;
}

export interface IndicatorRecord extends IndicatorInput {
  id: string;
  firstSeen: string | null;
  lastSeen: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

/** What a store changed: indicators inserted or updated (as stored now) and ids removed. */
export interface IndicatorChange {
  upserted: readonly IndicatorRecord[];
  removed: readonly string[];
}

export interface UpsertOutcome {
  indicator: IndicatorRecord;
  created: boolean;
  /** Created, or its type or value changed: something a retro sweep has not looked for yet. */
  isNew: boolean;
}

export type FeedFormat = 'auto' | 'stix' | 'misp' | 'csv' | 'list';
export type FeedStatus = 'never' | 'ok' | 'not_modified' | 'error';

export interface FeedInput {
  name: string;
  /** http(s):// URL, file:// URL or an absolute path on the server. */
  url: string;
  format: FeedFormat;
  intervalSeconds: number;
  enabled: boolean;
  /** Confidence given to indicators of formats that carry none. */
  confidence: number | null;
  /** MISP: also import attributes without to_ids. */
  includeNonIds: boolean;
  /** Extra request headers (an API key); stored, never shown back. */
  headers: Record<string, string>;
  /** PEM of a CA to trust for an https feed with a private CA. */
  caPem: string | null;
}

export interface FeedRecord extends FeedInput {
  id: string;
  /** `feed:<name>`: the source of every indicator of this feed. */
  source: string;
  etag: string | null;
  lastModified: string | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  status: FeedStatus;
  lastError: string | null;
  /** Counts of the last import (created, updated, removed, per type, warnings). */
  lastCounts: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

/** `timed_out`: the sweep passed its deadline (the reason is in `error`); its results, if any arrive later, are dropped. */
export type SweepState = 'queued' | 'running' | 'done' | 'failed' | 'timed_out';
export const sweepStates: readonly SweepState[] = ['queued', 'running', 'done', 'failed', 'timed_out'];

export interface SweepTrigger {
  kind: 'indicators' | 'alert';
  /** The alert id for `alert`. */
  ref: string | null;
}

export interface SweepIndicatorResult {
  indicatorId: string;
  type: IndicatorType;
  value: string;
  count: number;
  hosts: string[];
  firstSeen: string | null;
  lastSeen: string | null;
  firstHostId: string | null;
  firstEventId: string | null;
}

export interface SweepRecord {
  id: string;
  state: SweepState;
  trigger: SweepTrigger;
  requestedBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  indicatorCount: number;
  /** Indicators that matched at least one event (known once done). */
  matchedCount: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS indicators (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL, source TEXT NOT NULL, external_id TEXT, confidence INTEGER,
  expires_at TEXT, description TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS indicators_external ON indicators (source, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS indicators_value ON indicators (type, value, source);
CREATE TABLE IF NOT EXISTS sweeps (
  id TEXT PRIMARY KEY, state TEXT NOT NULL, trigger_kind TEXT NOT NULL, trigger_ref TEXT, requested_by TEXT NOT NULL,
  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS sweeps_created ON sweeps (created_at);
CREATE INDEX IF NOT EXISTS indicators_expiry ON indicators (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS feeds (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL, format TEXT NOT NULL, interval_s INTEGER NOT NULL, enabled INTEGER NOT NULL,
  confidence INTEGER, include_non_ids INTEGER NOT NULL DEFAULT 0, headers TEXT NOT NULL DEFAULT '{}', ca_pem TEXT,
  etag TEXT, last_modified TEXT, last_run_at TEXT, last_success_at TEXT, status TEXT NOT NULL DEFAULT 'never', last_error TEXT, last_counts TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweep_indicators (
  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, indicator_id TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0, hosts TEXT NOT NULL DEFAULT '[]', first_seen TEXT, last_seen TEXT, first_host_id TEXT, first_event_id TEXT,
  PRIMARY KEY (sweep_id, indicator_id));
`;

interface IndicatorRow {
  id: string;
  type: string;
  value: string;
  source: string;
  external_id: string | null;
  confidence: number | null;
  expires_at: string | null;
  description: string | null;
  first_seen: string | null;
  last_seen: string | null;
  created_at: string;
  updated_at: string;
  created_by: string;
}

function indicatorFromRow(row: IndicatorRow): IndicatorRecord {
  return {
    id: row.id,
    type: row.type as IndicatorType,
    value: row.value,
    source: row.source,
    externalId: row.external_id,
    confidence: row.confidence,
    expiresAt: row.expires_at,
    description: row.description,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
  };
}

interface SweepRow {
  id: string;
  state: string;
  trigger_kind: string;
  trigger_ref: string | null;
  requested_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  indicator_count: number;
  matched_count: number;
}

function sweepFromRow(row: SweepRow): SweepRecord {
  return {
    id: row.id,
    state: row.state as SweepState,
    trigger: { kind: row.trigger_kind as SweepTrigger['kind'], ref: row.trigger_ref },
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    indicatorCount: row.indicator_count,
    matchedCount: row.matched_count,
  };
}

const SWEEP_SELECT = `SELECT s.*, (SELECT count(*) FROM sweep_indicators r WHERE r.sweep_id = s.id) AS indicator_count,
  (SELECT count(*) FROM sweep_indicators r WHERE r.sweep_id = s.id AND r.count > 0) AS matched_count FROM sweeps s`;

interface FeedRow {
  id: string; name: string; url: string; format: string; interval_s: number; enabled: number; confidence: number | null; include_non_ids: number; headers: string; ca_pem: string | null;
  etag: string | null; last_modified: string | null; last_run_at: string | null; last_success_at: string | null; status: string; last_error: string | null; last_counts: string | null;
  created_at: string; updated_at: string;
}

function feedFromRow(row: FeedRow): FeedRecord {
  return {
    id: row.id,
    name: row.name,
    source: `feed:${row.name}`,
    url: row.url,
    format: row.format as FeedFormat,
    intervalSeconds: row.interval_s,
    enabled: row.enabled === 1,
    confidence: row.confidence,
    includeNonIds: row.include_non_ids === 1,
    headers: JSON.parse(row.headers) as Record<string, string>,
    caPem: row.ca_pem,
    etag: row.etag,
    lastModified: row.last_modified,
    lastRunAt: row.last_run_at,
    lastSuccessAt: row.last_success_at,
    status: row.status as FeedStatus,
    lastError: row.last_error,
    lastCounts: row.last_counts ? (JSON.parse(row.last_counts) as Record<string, unknown>) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class IntelDb {
  readonly #file: SqliteFile;
  readonly #listeners = new Set<(change: IndicatorChange) => void>();

  constructor(file: string) {
    this.#file = new SqliteFile(file, 'intel database', { synchronous: 'FULL', schema: SCHEMA });
    // Files written before first/last seen existed get the columns (NULL for old rows).
    const columns = new Set((this.#file.db.prepare('PRAGMA table_info(indicators)').all() as { name: string }[]).map((c) => c.name));
    for (const column of ['first_seen', 'last_seen']) if (!columns.has(column)) this.#file.db.exec(`ALTER TABLE indicators ADD COLUMN ${column} TEXT`);
  }

  /** Called after every committed change of indicators (upserts, deletes). A throwing listener is logged by the caller's log, never rethrown. */
  onIndicatorsChanged(listener: (change: IndicatorChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(change: IndicatorChange): void {
    if (!change.upserted.length && !change.removed.length) return;
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A listener (the stream matcher) must never undo or fail a committed write.
      }
    }
  }

  #statement(sql: string): Database.Statement {
    return this.#file.statement(sql);
  }

  close(): void {
    this.#file.close();
  }

  /**
   * Stores indicators in one transaction. An input matching a stored indicator by (source, externalId), else by
   * (type, value, source), updates it (`created: false`); the rest are inserted. An update that would give an
   * indicator the (type, value, source) of another is a `conflict` naming the input's position.
   */
  upsertIndicators(inputs: readonly IndicatorInput[], actor: string): UpsertOutcome[] {
    const now = new Date().toISOString();
    const byExternal = this.#statement('SELECT * FROM indicators WHERE source = ? AND external_id = ?');
    const byValue = this.#statement('SELECT * FROM indicators WHERE type = ? AND value = ? AND source = ?');
    const update = this.#statement(
      `UPDATE indicators SET type = ?, value = ?, external_id = coalesce(?, external_id), confidence = ?, expires_at = ?, description = ?,
       first_seen = CASE WHEN first_seen IS NULL OR (? IS NOT NULL AND ? < first_seen) THEN coalesce(?, first_seen) ELSE first_seen END,
       last_seen = CASE WHEN last_seen IS NULL OR (? IS NOT NULL AND ? > last_seen) THEN coalesce(?, last_seen) ELSE last_seen END,
       updated_at = ? WHERE id = ?`,
    );
    const insert = this.#statement(
      'INSERT INTO indicators (id, type, value, source, external_id, confidence, expires_at, description, first_seen, last_seen, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const get = this.#statement('SELECT * FROM indicators WHERE id = ?');
    const outcomes = this.#file.db.transaction(() =>
      inputs.map((input, index): UpsertOutcome => {
        const existing = ((input.externalId !== null ? byExternal.get(input.source, input.externalId) : undefined) ?? byValue.get(input.type, input.value, input.source)) as IndicatorRow | undefined;
        const first = input.firstSeen ?? null;
        const last = input.lastSeen ?? null;
        try {
          if (existing) {
            update.run(input.type, input.value, input.externalId, input.confidence, input.expiresAt, input.description, first, first, first, last, last, last, now, existing.id);
            return { indicator: indicatorFromRow(get.get(existing.id) as IndicatorRow), created: false, isNew: existing.type !== input.type || existing.value !== input.value };
          }
          const id = randomUUID();
          insert.run(id, input.type, input.value, input.source, input.externalId, input.confidence, input.expiresAt, input.description, first, last, now, now, actor);
          return { indicator: indicatorFromRow(get.get(id) as IndicatorRow), created: true, isNew: true };
        } catch (error) {
          if (String(error).includes('UNIQUE')) {
            throw new VigilError('conflict', `indicator ${input.type} ${JSON.stringify(input.value)} of source ${input.source} is stored under another external id`, {
              location: { path: `indicators[${index}]` },
            });
          }
          throw error;
        }
      }),
    )();
    this.#notify({ upserted: outcomes.map((o) => o.indicator), removed: [] });
    return outcomes;
  }

  /**
   * One import that replaces what a source held: upserts `inputs` and deletes the source's indicators that are not
   * among them, in one transaction (a feed's new version). Returns the upserts and the removed ids.
   */
  replaceSource(source: string, inputs: readonly IndicatorInput[], actor: string): { outcomes: UpsertOutcome[]; removed: string[] } {
    let outcomes: UpsertOutcome[] = [];
    let removed: string[] = [];
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    try {
      this.#file.db.transaction(() => {
        outcomes = this.upsertIndicators(inputs, actor);
        const keep = new Set(outcomes.map((o) => o.indicator.id));
        removed = (this.#statement('SELECT id FROM indicators WHERE source = ?').all(source) as { id: string }[]).map((r) => r.id).filter((id) => !keep.has(id));
        const remove = this.#statement('DELETE FROM indicators WHERE id = ?');
        for (const id of removed) remove.run(id);
      })();
    } finally {
      for (const listener of listeners) this.#listeners.add(listener);
    }
    this.#notify({ upserted: outcomes.map((o) => o.indicator), removed });
    return { outcomes, removed };
  }

  /** Deletes indicators by id; returns the ids that existed. */
  deleteIndicators(ids: readonly string[]): string[] {
    const remove = this.#statement('DELETE FROM indicators WHERE id = ?');
    const removed = this.#file.db.transaction(() => ids.filter((id) => remove.run(id).changes > 0))();
    this.#notify({ upserted: [], removed });
    return removed;
  }

  /** Deletes every indicator of a source (a removed feed); returns their ids. */
  deleteSource(source: string): string[] {
    const ids = (this.#statement('SELECT id FROM indicators WHERE source = ?').all(source) as { id: string }[]).map((r) => r.id);
    return this.deleteIndicators(ids);
  }

  /** Calls `visit` for every indicator that has not expired at `now` (streamed: a million rows never sit in one array). */
  forEachLive(now: string, visit: (indicator: IndicatorRecord) => void): number {
    let count = 0;
    for (const row of this.#file.db.prepare('SELECT * FROM indicators WHERE expires_at IS NULL OR expires_at > ?').iterate(now) as IterableIterator<IndicatorRow>) {
      visit(indicatorFromRow(row));
      count++;
    }
    return count;
  }

  /** Ids of indicators whose expiry falls in (after, until]. */
  expiredBetween(after: string, until: string): string[] {
    return (this.#statement('SELECT id FROM indicators WHERE expires_at > ? AND expires_at <= ?').all(after, until) as { id: string }[]).map((r) => r.id);
  }

  /** Counts per source and type, and how many have expired. */
  indicatorSummary(now: string): { total: number; expired: number; byType: Record<string, number>; bySource: { source: string; count: number }[] } {
    const byType: Record<string, number> = {};
    for (const row of this.#statement('SELECT type, count(*) AS n FROM indicators GROUP BY type').all() as { type: string; n: number }[]) byType[row.type] = row.n;
    const bySource = (this.#statement('SELECT source, count(*) AS count FROM indicators GROUP BY source ORDER BY count DESC, source LIMIT 1000').all() as { source: string; count: number }[]);
    const total = (this.#statement('SELECT count(*) AS n FROM indicators').get() as { n: number }).n;
    const expired = (this.#statement('SELECT count(*) AS n FROM indicators WHERE expires_at IS NOT NULL AND expires_at <= ?').get(now) as { n: number }).n;
    return { total, expired, byType, bySource };
  }

  // ---- feeds ----

  createFeed(input: FeedInput): FeedRecord {
    const id = randomUUID();
    const now = new Date().toISOString();
    try {
      this.#statement(
        'INSERT INTO feeds (id, name, url, format, interval_s, enabled, confidence, include_non_ids, headers, ca_pem, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(id, input.name, input.url, input.format, input.intervalSeconds, input.enabled ? 1 : 0, input.confidence, input.includeNonIds ? 1 : 0, JSON.stringify(input.headers), input.caPem, now, now);
    } catch (error) {
      if (String(error).includes('UNIQUE')) throw new VigilError('conflict', `a feed named ${input.name} exists`, { location: { path: 'name' } });
      throw error;
    }
    return this.getFeed(id)!;
  }

  /** Changes a feed's settings; a new URL or format forgets the cached ETag/Last-Modified so the next run fetches all. */
  updateFeed(id: string, change: Partial<FeedInput>): FeedRecord {
    const current = this.getFeed(id);
    if (!current) throw new VigilError('not_found', `no feed ${id}`);
    const next = { ...current, ...change };
    const refetch = next.url !== current.url || next.format !== current.format || next.includeNonIds !== current.includeNonIds;
    try {
      this.#statement(
        `UPDATE feeds SET name = ?, url = ?, format = ?, interval_s = ?, enabled = ?, confidence = ?, include_non_ids = ?, headers = ?, ca_pem = ?, updated_at = ?${refetch ? ', etag = NULL, last_modified = NULL' : ''} WHERE id = ?`,
      ).run(next.name, next.url, next.format, next.intervalSeconds, next.enabled ? 1 : 0, next.confidence, next.includeNonIds ? 1 : 0, JSON.stringify(next.headers), next.caPem, new Date().toISOString(), id);
    } catch (error) {
      if (String(error).includes('UNIQUE')) throw new VigilError('conflict', `a feed named ${next.name} exists`, { location: { path: 'name' } });
      throw error;
    }
    return this.getFeed(id)!;
  }

  deleteFeed(id: string): boolean {
    return this.#statement('DELETE FROM feeds WHERE id = ?').run(id).changes > 0;
  }

  getFeed(id: string): FeedRecord | undefined {
    const row = this.#statement('SELECT * FROM feeds WHERE id = ?').get(id) as FeedRow | undefined;
    return row ? feedFromRow(row) : undefined;
  }

  listFeeds(): FeedRecord[] {
    return (this.#statement('SELECT * FROM feeds ORDER BY name').all() as FeedRow[]).map(feedFromRow);
  }

  /** Records the outcome of a feed run; on success the validators (ETag, Last-Modified) of what was fetched. */
  recordFeedRun(id: string, outcome: { status: FeedStatus; error?: string | null; etag?: string | null; lastModified?: string | null; counts?: Record<string, unknown> | null }): void {
    const now = new Date().toISOString();
    if (outcome.status === 'error') {
      this.#statement('UPDATE feeds SET status = ?, last_error = ?, last_run_at = ? WHERE id = ?').run('error', outcome.error ?? 'failed', now, id);
      return;
    }
    this.#statement(
      `UPDATE feeds SET status = ?, last_error = NULL, last_run_at = ?, last_success_at = ?, etag = coalesce(?, etag), last_modified = coalesce(?, last_modified)${outcome.counts ? ', last_counts = ?' : ''} WHERE id = ?`,
    ).run(outcome.status, now, now, outcome.etag ?? null, outcome.lastModified ?? null, ...(outcome.counts ? [JSON.stringify(outcome.counts)] : []), id);
  }

  getIndicator(id: string): IndicatorRecord | undefined {
    const row = this.#statement('SELECT * FROM indicators WHERE id = ?').get(id) as IndicatorRow | undefined;
    return row ? indicatorFromRow(row) : undefined;
  }

  listIndicators(filter: { type?: IndicatorType; source?: string; limit?: number } = {}): IndicatorRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.type) (where.push('type = ?'), params.push(filter.type));
    if (filter.source) (where.push('source = ?'), params.push(filter.source));
    params.push(Math.min(Math.max(filter.limit ?? 1000, 1), 10_000));
    return (this.#statement(`SELECT * FROM indicators ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY updated_at DESC, id LIMIT ?`).all(...params) as IndicatorRow[]).map(indicatorFromRow);
  }

  /** A queued sweep over the given indicators (their type and value are copied, so later updates do not change it). */
  createSweep(indicators: readonly IndicatorRecord[], trigger: SweepTrigger, actor: string): SweepRecord {
    const id = randomUUID();
    const addTarget = this.#statement('INSERT OR IGNORE INTO sweep_indicators (sweep_id, indicator_id, type, value) VALUES (?, ?, ?, ?)');
    this.#file.db.transaction(() => {
      this.#statement("INSERT INTO sweeps (id, state, trigger_kind, trigger_ref, requested_by, created_at) VALUES (?, 'queued', ?, ?, ?, ?)").run(
        id, trigger.kind, trigger.ref, actor, new Date().toISOString(),
      );
      for (const indicator of indicators) addTarget.run(id, indicator.id, indicator.type, indicator.value);
    })();
    return this.getSweep(id)!;
  }

  sweepTargets(sweepId: string): SweepTarget[] {
    return (this.#statement('SELECT indicator_id, type, value FROM sweep_indicators WHERE sweep_id = ?').all(sweepId) as { indicator_id: string; type: string; value: string }[]).map((r) => ({
      id: r.indicator_id,
      type: r.type as IndicatorType,
      value: r.value,
    }));
  }

  markRunning(sweepId: string): void {
    this.#statement("UPDATE sweeps SET state = 'running', started_at = ?, error = NULL WHERE id = ?").run(new Date().toISOString(), sweepId);
  }

  /** Records the results (indicators without hits keep count 0) and marks the sweep done, in one transaction. */
  finishSweep(sweepId: string, hits: readonly IndicatorHits[]): void {
    const record = this.#statement(
      'UPDATE sweep_indicators SET count = ?, hosts = ?, first_seen = ?, last_seen = ?, first_host_id = ?, first_event_id = ? WHERE sweep_id = ? AND indicator_id = ?',
    );
    this.#file.db.transaction(() => {
      for (const hit of hits) record.run(hit.count, JSON.stringify(hit.hosts), hit.firstSeen, hit.lastSeen, hit.firstHostId, hit.firstEventId, sweepId, hit.indicatorId);
      this.#statement("UPDATE sweeps SET state = 'done', finished_at = ? WHERE id = ?").run(new Date().toISOString(), sweepId);
    })();
  }

  failSweep(sweepId: string, message: string, state: 'failed' | 'timed_out' = 'failed'): void {
    this.#statement('UPDATE sweeps SET state = ?, finished_at = ?, error = ? WHERE id = ?').run(state, new Date().toISOString(), message, sweepId);
  }

  /** Sweeps queued or running (a running one was interrupted by a stop), oldest first. */
  unfinishedSweeps(): string[] {
    return (this.#statement("SELECT id FROM sweeps WHERE state IN ('queued', 'running') ORDER BY created_at").all() as { id: string }[]).map((r) => r.id);
  }

  getSweep(id: string): SweepRecord | undefined {
    const row = this.#statement(`${SWEEP_SELECT} WHERE s.id = ?`).get(id) as SweepRow | undefined;
    return row ? sweepFromRow(row) : undefined;
  }

  listSweeps(filter: { state?: SweepState; limit?: number } = {}): SweepRecord[] {
    const params: unknown[] = [];
    let where = '';
    if (filter.state) (where = 'WHERE s.state = ?'), params.push(filter.state);
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
    return (this.#statement(`${SWEEP_SELECT} ${where} ORDER BY s.created_at DESC LIMIT ?`).all(...params) as SweepRow[]).map(sweepFromRow);
  }

  /** Per-indicator results, matched indicators first (most events first), then the rest by value. */
  sweepResults(sweepId: string): SweepIndicatorResult[] {
    const rows = this.#statement('SELECT * FROM sweep_indicators WHERE sweep_id = ? ORDER BY count DESC, type, value').all(sweepId) as {
      indicator_id: string; type: string; value: string; count: number; hosts: string; first_seen: string | null; last_seen: string | null; first_host_id: string | null; first_event_id: string | null;
    }[];
    return rows.map((r) => ({
      indicatorId: r.indicator_id,
      type: r.type as IndicatorType,
      value: r.value,
      count: r.count,
      hosts: JSON.parse(r.hosts) as string[],
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      firstHostId: r.first_host_id,
      firstEventId: r.first_event_id,
    }));
  }

  /** Running time in seconds of every finished sweep that started (metrics), with its final state. */
  sweepDurations(): { state: SweepState; seconds: number }[] {
    return this.#statement("SELECT state, (julianday(finished_at) - julianday(started_at)) * 86400.0 AS seconds FROM sweeps WHERE started_at IS NOT NULL AND finished_at IS NOT NULL AND state IN ('done', 'failed', 'timed_out')").all() as { state: SweepState; seconds: number }[];
  }

  sweepCounts(): Record<SweepState, number> {
    const counts: Record<SweepState, number> = { queued: 0, running: 0, done: 0, failed: 0, timed_out: 0 };
    for (const row of this.#statement('SELECT state, count(*) AS n FROM sweeps GROUP BY state').all() as { state: SweepState; n: number }[]) counts[row.state] = row.n;
    return counts;
  }
}
