// The baseline database (baseline.sqlite): learned profiles per profiler and scope (host id or `*`), the hosts'
// learning state, settings, anomaly findings with their feedback, suppressions and the last host clustering.
// Profile state is stored as the profilers' own JSON; reading it back is the profilers' job (they validate it).

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { VigilError } from '@vigil/common';
import { SqliteFile } from '../sqlite-file.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS profiles (
  profiler TEXT NOT NULL, scope TEXT NOT NULL, state TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (profiler, scope));
CREATE TABLE IF NOT EXISTS engine_state (
  name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
  id TEXT PRIMARY KEY, host_id TEXT NOT NULL, profiler TEXT NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL, score REAL NOT NULL,
  level TEXT NOT NULL, explanation TEXT NOT NULL, evidence TEXT NOT NULL, event_id TEXT NOT NULL, event TEXT NOT NULL, time TEXT NOT NULL,
  alert_id TEXT, verdict TEXT, verdict_by TEXT, verdict_at TEXT, verdict_note TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS findings_host_time ON findings (host_id, time);
CREATE INDEX IF NOT EXISTS findings_time ON findings (time);
CREATE INDEX IF NOT EXISTS findings_alert ON findings (alert_id);
CREATE INDEX IF NOT EXISTS findings_key ON findings (host_id, profiler, key);
CREATE TABLE IF NOT EXISTS suppressions (
  id TEXT PRIMARY KEY, host_id TEXT NOT NULL, profiler TEXT NOT NULL, key TEXT NOT NULL, finding_id TEXT, note TEXT,
  created_by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT);
`;

/** Stored findings beyond this many are deleted oldest first (their alerts stay in detection.sqlite). */
export const MAX_FINDINGS = 200_000;

export interface FindingRecord {
  id: string;
  hostId: string;
  profiler: string;
  type: string;
  key: string;
  score: number;
  level: 'low' | 'medium' | 'high';
  explanation: string;
  evidence: Record<string, unknown>;
  eventId: string;
  /** Event time, ISO 8601. */
  time: string;
  alertId: string | null;
  /** `expected`: an analyst said this is normal (the profile learned it and the key is suppressed). */
  verdict: 'expected' | null;
  verdictBy: string | null;
  verdictAt: string | null;
  verdictNote: string | null;
  createdAt: string;
}

export interface SuppressionRecord {
  id: string;
  /** A host id, or `*` for every host. */
  hostId: string;
  profiler: string;
  key: string;
  findingId: string | null;
  note: string | null;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}

export interface FindingFilter {
  hostId?: string;
  profiler?: string;
  minScore?: number;
  since?: string;
  verdict?: 'expected' | 'none';
  limit?: number;
}

interface FindingRow {
  id: string;
  host_id: string;
  profiler: string;
  type: string;
  key: string;
  score: number;
  level: string;
  explanation: string;
  evidence: string;
  event_id: string;
  event: string;
  time: string;
  alert_id: string | null;
  verdict: string | null;
  verdict_by: string | null;
  verdict_at: string | null;
  verdict_note: string | null;
  created_at: string;
}

function findingFromRow(row: FindingRow): FindingRecord {
  return {
    id: row.id,
    hostId: row.host_id,
    profiler: row.profiler,
    type: row.type,
    key: row.key,
    score: row.score,
    level: row.level as FindingRecord['level'],
    explanation: row.explanation,
    evidence: JSON.parse(row.evidence) as Record<string, unknown>,
    eventId: row.event_id,
    time: row.time,
    alertId: row.alert_id,
    verdict: row.verdict === 'expected' ? 'expected' : null,
    verdictBy: row.verdict_by,
    verdictAt: row.verdict_at,
    verdictNote: row.verdict_note,
    createdAt: row.created_at,
  };
}

interface SuppressionRow {
  id: string;
  host_id: string;
  profiler: string;
  key: string;
  finding_id: string | null;
  note: string | null;
  created_by: string;
  created_at: string;
  expires_at: string | null;
}

const suppressionFromRow = (r: SuppressionRow): SuppressionRecord => ({
  id: r.id, hostId: r.host_id, profiler: r.profiler, key: r.key, findingId: r.finding_id, note: r.note, createdBy: r.created_by, createdAt: r.created_at, expiresAt: r.expires_at,
});

export class BaselineDb {
  readonly #file: SqliteFile;

  constructor(file: string) {
    // Feedback and suppressions are what analysts decided: every commit is fsynced (profile flushes are batched).
    this.#file = new SqliteFile(file, 'baseline database', { synchronous: 'FULL', schema: SCHEMA });
  }

  #statement(sql: string): Database.Statement {
    return this.#file.statement(sql);
  }

  close(): void {
    this.#file.close();
  }

  // ---- profiles ----

  /** Writes profile states in one transaction; `undefined` state deletes the row. */
  saveProfiles(rows: readonly { profiler: string; scope: string; state: unknown }[], hosts: unknown): void {
    const now = new Date().toISOString();
    const upsert = this.#statement('INSERT INTO profiles (profiler, scope, state, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (profiler, scope) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at');
    const remove = this.#statement('DELETE FROM profiles WHERE profiler = ? AND scope = ?');
    this.#file.db.transaction(() => {
      for (const row of rows) {
        if (row.state === undefined) remove.run(row.profiler, row.scope);
        else upsert.run(row.profiler, row.scope, JSON.stringify(row.state), now);
      }
      this.#setState('hosts', hosts, 'system', now);
    })();
  }

  /** Every stored profile, one at a time (a large fleet's profiles need not all be parsed at once). */
  *profiles(): Generator<{ profiler: string; scope: string; state: string }> {
    for (const row of this.#statement('SELECT profiler, scope, state FROM profiles ORDER BY profiler, scope').iterate() as Iterable<{ profiler: string; scope: string; state: string }>) yield row;
  }

  profile(profiler: string, scope: string): string | undefined {
    return (this.#statement('SELECT state FROM profiles WHERE profiler = ? AND scope = ?').get(profiler, scope) as { state: string } | undefined)?.state;
  }

  // ---- engine state: host learning state, settings, clustering ----

  #setState(name: string, value: unknown, actor: string, now = new Date().toISOString()): void {
    this.#statement('INSERT INTO engine_state (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by').run(
      name,
      JSON.stringify(value),
      now,
      actor,
    );
  }

  setState(name: 'settings' | 'clustering', value: unknown, actor: string): void {
    this.#setState(name, value, actor);
  }

  state(name: 'hosts' | 'settings' | 'clustering'): { value: unknown; updatedAt: string; updatedBy: string } | undefined {
    const row = this.#statement('SELECT value, updated_at, updated_by FROM engine_state WHERE name = ?').get(name) as { value: string; updated_at: string; updated_by: string } | undefined;
    if (!row) return undefined;
    try {
      return { value: JSON.parse(row.value) as unknown, updatedAt: row.updated_at, updatedBy: row.updated_by };
    } catch (error) {
      throw VigilError.wrap(error, 'invalid_input', `baseline database: engine_state ${name} is not JSON`);
    }
  }

  // ---- findings ----

  addFindings(findings: readonly Omit<FindingRecord, 'id' | 'alertId' | 'verdict' | 'verdictBy' | 'verdictAt' | 'verdictNote' | 'createdAt'>[], events: readonly unknown[]): FindingRecord[] {
    const now = new Date().toISOString();
    const insert = this.#statement(
      `INSERT INTO findings (id, host_id, profiler, type, key, score, level, explanation, evidence, event_id, event, time, alert_id, verdict, verdict_by, verdict_at, verdict_note, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, ?)`,
    );
    const out: FindingRecord[] = [];
    this.#file.db.transaction(() => {
      findings.forEach((f, i) => {
        const id = randomUUID();
        insert.run(id, f.hostId, f.profiler, f.type, f.key, f.score, f.level, f.explanation, JSON.stringify(f.evidence), f.eventId, JSON.stringify(events[i] ?? {}), f.time, now);
        out.push({ ...f, id, alertId: null, verdict: null, verdictBy: null, verdictAt: null, verdictNote: null, createdAt: now });
      });
      const count = (this.#statement('SELECT count(*) AS n FROM findings').get() as { n: number }).n;
      if (count > MAX_FINDINGS) this.#statement('DELETE FROM findings WHERE id IN (SELECT id FROM findings ORDER BY created_at LIMIT ?)').run(count - MAX_FINDINGS);
    })();
    return out;
  }

  linkAlert(findingId: string, alertId: string): void {
    this.#statement('UPDATE findings SET alert_id = ? WHERE id = ? AND alert_id IS NULL').run(alertId, findingId);
  }

  finding(id: string): FindingRecord | undefined {
    const row = this.#statement('SELECT * FROM findings WHERE id = ?').get(id) as FindingRow | undefined;
    return row ? findingFromRow(row) : undefined;
  }

  findingByAlert(alertId: string): FindingRecord | undefined {
    const row = this.#statement('SELECT * FROM findings WHERE alert_id = ? ORDER BY created_at LIMIT 1').get(alertId) as FindingRow | undefined;
    return row ? findingFromRow(row) : undefined;
  }

  findingEvent(id: string): Record<string, unknown> | undefined {
    const row = this.#statement('SELECT event FROM findings WHERE id = ?').get(id) as { event: string } | undefined;
    return row ? (JSON.parse(row.event) as Record<string, unknown>) : undefined;
  }

  listFindings(filter: FindingFilter = {}): FindingRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.hostId) (where.push('host_id = ?'), params.push(filter.hostId));
    if (filter.profiler) (where.push('profiler = ?'), params.push(filter.profiler));
    if (filter.minScore !== undefined) (where.push('score >= ?'), params.push(filter.minScore));
    if (filter.since) (where.push('time >= ?'), params.push(filter.since));
    if (filter.verdict === 'expected') where.push("verdict = 'expected'");
    if (filter.verdict === 'none') where.push('verdict IS NULL');
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 10_000));
    const sql = `SELECT * FROM findings ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY time DESC, created_at DESC LIMIT ?`;
    return (this.#statement(sql).all(...params) as FindingRow[]).map(findingFromRow);
  }

  /** Marks every finding of the key (on the host, or on every host for `*`) with the verdict; returns their alert ids. */
  setVerdict(hostId: string, profiler: string, key: string, verdict: 'expected', actor: string, note: string | null): string[] {
    const now = new Date().toISOString();
    const scope = hostId === '*' ? '' : 'host_id = ? AND ';
    const params = hostId === '*' ? [profiler, key] : [hostId, profiler, key];
    const alerts = (this.#statement(`SELECT DISTINCT alert_id FROM findings WHERE ${scope}profiler = ? AND key = ? AND alert_id IS NOT NULL`).all(...params) as { alert_id: string }[]).map((r) => r.alert_id);
    this.#statement(`UPDATE findings SET verdict = ?, verdict_by = ?, verdict_at = ?, verdict_note = ? WHERE ${scope}profiler = ? AND key = ?`).run(verdict, actor, now, note, ...params);
    return alerts;
  }

  counts(): { findings: number; expected: number; suppressions: number } {
    const f = this.#statement("SELECT count(*) AS findings, count(CASE WHEN verdict = 'expected' THEN 1 END) AS expected FROM findings").get() as { findings: number; expected: number };
    const s = this.#statement('SELECT count(*) AS n FROM suppressions').get() as { n: number };
    return { ...f, suppressions: s.n };
  }

  // ---- suppressions ----

  addSuppression(s: Omit<SuppressionRecord, 'id' | 'createdAt'>): SuppressionRecord {
    const record: SuppressionRecord = { ...s, id: randomUUID(), createdAt: new Date().toISOString() };
    this.#statement('INSERT INTO suppressions (id, host_id, profiler, key, finding_id, note, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      record.id, record.hostId, record.profiler, record.key, record.findingId, record.note, record.createdBy, record.createdAt, record.expiresAt,
    );
    return record;
  }

  suppressions(): SuppressionRecord[] {
    return (this.#statement('SELECT * FROM suppressions ORDER BY created_at DESC').all() as SuppressionRow[]).map(suppressionFromRow);
  }

  removeSuppression(id: string): boolean {
    return this.#statement('DELETE FROM suppressions WHERE id = ?').run(id).changes > 0;
  }
}
