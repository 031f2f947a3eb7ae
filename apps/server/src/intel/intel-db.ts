// The threat-intel database (SQLite `intel.sqlite` beside the control plane): indicators pushed by third-party
// platforms, idempotent by (source, external id) or (type, value, source), and IOC sweeps with per-indicator results.
// Never reads the event store (sweeps are run by the sweeper); every write is one transaction.

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
}

export interface IndicatorRecord extends IndicatorInput {
  id: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

export type SweepState = 'queued' | 'running' | 'done' | 'failed';
export const sweepStates: readonly SweepState[] = ['queued', 'running', 'done', 'failed'];

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

export class IntelDb {
  readonly #file: SqliteFile;

  constructor(file: string) {
    this.#file = new SqliteFile(file, 'intel database', { synchronous: 'FULL', schema: SCHEMA });
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
  upsertIndicators(inputs: readonly IndicatorInput[], actor: string): { indicator: IndicatorRecord; created: boolean }[] {
    const now = new Date().toISOString();
    const byExternal = this.#statement('SELECT * FROM indicators WHERE source = ? AND external_id = ?');
    const byValue = this.#statement('SELECT * FROM indicators WHERE type = ? AND value = ? AND source = ?');
    const update = this.#statement(
      'UPDATE indicators SET type = ?, value = ?, external_id = coalesce(?, external_id), confidence = ?, expires_at = ?, description = ?, updated_at = ? WHERE id = ?',
    );
    const insert = this.#statement(
      'INSERT INTO indicators (id, type, value, source, external_id, confidence, expires_at, description, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const get = this.#statement('SELECT * FROM indicators WHERE id = ?');
    return this.#file.db.transaction(() =>
      inputs.map((input, index) => {
        const existing = ((input.externalId !== null ? byExternal.get(input.source, input.externalId) : undefined) ?? byValue.get(input.type, input.value, input.source)) as IndicatorRow | undefined;
        try {
          if (existing) {
            update.run(input.type, input.value, input.externalId, input.confidence, input.expiresAt, input.description, now, existing.id);
            return { indicator: indicatorFromRow(get.get(existing.id) as IndicatorRow), created: false };
          }
          const id = randomUUID();
          insert.run(id, input.type, input.value, input.source, input.externalId, input.confidence, input.expiresAt, input.description, now, now, actor);
          return { indicator: indicatorFromRow(get.get(id) as IndicatorRow), created: true };
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

  failSweep(sweepId: string, message: string): void {
    this.#statement("UPDATE sweeps SET state = 'failed', finished_at = ?, error = ? WHERE id = ?").run(new Date().toISOString(), message, sweepId);
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

  sweepCounts(): Record<SweepState, number> {
    const counts: Record<SweepState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const row of this.#statement('SELECT state, count(*) AS n FROM sweeps GROUP BY state').all() as { state: SweepState; n: number }[]) counts[row.state] = row.n;
    return counts;
  }
}
