// The detection database (SQLite, beside the control plane): rule packs and their source files, per-rule enable
// state, and alerts with grouping of repeats. Rule text is stored as uploaded; compiled rules live only in memory.

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { SqliteFile } from '../sqlite-file.js';
import { createLogger, VigilError } from '@vigil/common';
import type { Detection, SigmaLevel } from '@vigil/detect';

export interface RulePackRecord {
  name: string;
  version: string;
  description: string;
  importedAt: string;
  importedBy: string;
  files: number;
}

export interface RuleFileRecord {
  pack: string;
  file: string;
  text: string;
}

export type AlertStatus = 'new' | 'acknowledged' | 'in_progress' | 'resolved' | 'false_positive';
export const alertStatuses: readonly AlertStatus[] = ['new', 'acknowledged', 'in_progress', 'resolved', 'false_positive'];
/** Statuses whose alerts still take repeats of their group. */
const openStatuses: ReadonlySet<string> = new Set<AlertStatus>(['new', 'acknowledged', 'in_progress']);

/** Context fields (the acting process, the host name) of the events behind new alerts, by event id; see alert-context.ts. */
export type AlertContexts = ReadonlyMap<string, Record<string, unknown>>;

export interface AlertRecord {
  id: string;
  ruleId: string;
  ruleTitle: string;
  level: SigmaLevel;
  /** `external`: pushed by a third-party platform through the inbound API (rule id `external:<source>`). */
  kind: 'sigma' | 'correlation' | 'hunt' | 'external' | 'ioc' | 'yara' | 'anomaly';
  tags: string[];
  hostId: string;
  processKey: string | null;
  firstSeen: string;
  lastSeen: string;
  count: number;
  eventIds: string[];
  fields: { field: string; value: unknown }[];
  group: Record<string, unknown> | null;
  status: AlertStatus;
  assignee: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AlertFilter {
  hostId?: string;
  ruleId?: string;
  status?: AlertStatus;
  level?: SigmaLevel;
  since?: string;
  limit?: number;
}

/** Detections of the same rule on the same host and process (or correlation group) within this window share an alert. */
export const GROUPING_WINDOW_MS = 60 * 60 * 1000;
const MAX_EVENT_IDS = 50;
const log = createLogger('server.detection-db');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rule_packs (
  name TEXT PRIMARY KEY, version TEXT NOT NULL, description TEXT NOT NULL, imported_at TEXT NOT NULL, imported_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rule_files (
  pack TEXT NOT NULL REFERENCES rule_packs(name) ON DELETE CASCADE, file TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (pack, file));
CREATE TABLE IF NOT EXISTS rule_state (
  rule_id TEXT PRIMARY KEY, enabled INTEGER NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, rule_title TEXT NOT NULL, level TEXT NOT NULL, kind TEXT NOT NULL, tags TEXT NOT NULL,
  host_id TEXT NOT NULL, process_key TEXT, group_key TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  count INTEGER NOT NULL, event_ids TEXT NOT NULL, fields TEXT NOT NULL, group_values TEXT, status TEXT NOT NULL,
  assignee TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_stored_ms INTEGER NOT NULL);
-- A group's newest alert is the last of its entries here (rowid order); the entries never move when a repeat is folded
-- in (the index replaced one on (group_key, last_stored_ms), which every repeat rewrote).
DROP INDEX IF EXISTS alerts_group;
CREATE INDEX IF NOT EXISTS alerts_group_key ON alerts (group_key);
CREATE INDEX IF NOT EXISTS alerts_host_time ON alerts (host_id, last_seen);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts (rule_id, last_seen);
CREATE INDEX IF NOT EXISTS alerts_status_time ON alerts (status, last_seen);
CREATE TABLE IF NOT EXISTS detection_checkpoints (host_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS detection_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS external_alerts (
  source TEXT NOT NULL, external_id TEXT NOT NULL, alert_id TEXT NOT NULL, sweep_id TEXT, created_at TEXT NOT NULL, PRIMARY KEY (source, external_id));
`;

interface AlertRow {
  id: string;
  rule_id: string;
  rule_title: string;
  level: string;
  kind: string;
  tags: string;
  host_id: string;
  process_key: string | null;
  first_seen: string;
  last_seen: string;
  count: number;
  event_ids: string;
  fields: string;
  group_values: string | null;
  status: string;
  assignee: string | null;
  created_at: string;
  updated_at: string;
}

function alertFromRow(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleTitle: row.rule_title,
    level: row.level as SigmaLevel,
    kind: row.kind as AlertRecord['kind'],
    tags: JSON.parse(row.tags) as string[],
    hostId: row.host_id,
    processKey: row.process_key,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    count: row.count,
    eventIds: JSON.parse(row.event_ids) as string[],
    fields: JSON.parse(row.fields) as AlertRecord['fields'],
    group: row.group_values ? (JSON.parse(row.group_values) as Record<string, unknown>) : null,
    status: row.status as AlertStatus,
    assignee: row.assignee,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Alert grouping key: rule + host + acting process, or rule + correlation group. */
export function groupKeyOf(detection: Detection): string {
  const scope = detection.group ? JSON.stringify(detection.group) : (detection.processKey ?? '');
  return `${detection.rule.id}\u0000${detection.hostId}\u0000${scope}`;
}

/** An alert pushed by a third-party platform; (source, externalId) identifies it across repeated pushes. */
export interface ExternalAlertInput {
  source: string;
  externalId: string;
  title: string;
  level: SigmaLevel;
  description?: string;
  /** The Vigil host id when the platform named a known host, else ''. */
  hostId: string;
  /** Event time at the platform (ISO 8601). */
  time: string;
  tags: readonly string[];
  /** Shown with the alert: description, host as named by the platform, observables. */
  fields: readonly { field: string; value: unknown }[];
}

export interface StoredAlerts {
  created: AlertRecord[];
  updated: number;
}

export class DetectionDb {
  readonly #file: SqliteFile;
  /** The database file (the detection worker opens its own connection to it). */
  readonly path: string;

  constructor(file: string) {
    this.path = file;
    // NORMAL (WAL): a commit is not fsynced; a power loss can lose the last commits, never a middle one (the WAL is
    // replayed up to its first incomplete commit). The stream's alerts are safe with that because `storeEvaluated`
    // writes a batch's alerts and its host's detection checkpoint in one transaction: a lost commit loses both, and
    // recovery evaluates again every event above the surviving checkpoint, so its alerts are stored again. (Rule
    // alerts stored ahead of a batch's checkpoint, see the worker, are at worst stored twice, folded by grouping.)
    // So the fsync stays off the alert path. Edits made here by users (triage, comments, incidents) share the file:
    // on power loss their last seconds can be lost too.
    this.#file = new SqliteFile(file, 'detection database', { synchronous: 'NORMAL', schema: SCHEMA });
  }

  #statement(sql: string): Database.Statement {
    return this.#file.statement(sql);
  }

  /** The open file, for sibling stores keeping their tables beside the alerts (alert-comments.ts, incidents.ts). They read alerts and change them only through this class. */
  get sqlite(): SqliteFile {
    return this.#file;
  }

  close(): void {
    this.#file.close();
  }

  readonly #createdListeners: ((alerts: readonly AlertRecord[], contexts?: AlertContexts) => void)[] = [];

  /**
   * Calls `listener` with every batch of newly created alerts (not repeats folded into open ones), after they are
   * committed, from every path that creates alerts. A listener must return quickly; what it throws is logged, never
   * passed to the caller that stored the alerts.
   */
  onCreated(listener: (alerts: readonly AlertRecord[], contexts?: AlertContexts) => void): void {
    this.#createdListeners.push(listener);
  }

  /** Tells the `onCreated` listeners of alerts another connection to this file created (the detection worker's). */
  announceCreated(alerts: readonly AlertRecord[], contexts?: AlertContexts): void {
    this.#notifyCreated(alerts, contexts);
  }

  #notifyCreated(alerts: readonly AlertRecord[], contexts?: AlertContexts): void {
    if (!alerts.length) return;
    for (const listener of this.#createdListeners) {
      try {
        listener(alerts, contexts);
      } catch (error) {
        log.error('an alert listener failed', { error: VigilError.wrap(error).message });
      }
    }
  }

  // ---- rule packs ----

  /** Replaces a pack's files atomically (an import of a new version). */
  replacePack(pack: { name: string; version: string; description: string }, files: readonly { file: string; text: string }[], actor: string): void {
    const now = new Date().toISOString();
    this.#file.db.transaction(() => {
      this.#statement('DELETE FROM rule_files WHERE pack = ?').run(pack.name);
      this.#statement(
        `INSERT INTO rule_packs (name, version, description, imported_at, imported_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, description = excluded.description, imported_at = excluded.imported_at, imported_by = excluded.imported_by`,
      ).run(pack.name, pack.version, pack.description, now, actor);
      const insert = this.#statement('INSERT INTO rule_files (pack, file, text) VALUES (?, ?, ?)');
      for (const { file, text } of files) insert.run(pack.name, file, text);
    })();
  }

  /** Adds or replaces one file of a pack, creating the pack (version 1) when needed. */
  putRuleFile(packName: string, file: string, text: string, actor: string): void {
    const now = new Date().toISOString();
    this.#file.db.transaction(() => {
      this.#statement(`INSERT INTO rule_packs (name, version, description, imported_at, imported_by) VALUES (?, '1', 'rules added through the API', ?, ?) ON CONFLICT (name) DO NOTHING`).run(packName, now, actor);
      this.#statement('INSERT INTO rule_files (pack, file, text) VALUES (?, ?, ?) ON CONFLICT (pack, file) DO UPDATE SET text = excluded.text').run(packName, file, text);
    })();
  }

  deleteRuleFile(packName: string, file: string): boolean {
    return this.#statement('DELETE FROM rule_files WHERE pack = ? AND file = ?').run(packName, file).changes > 0;
  }

  deletePack(name: string): boolean {
    return this.#statement('DELETE FROM rule_packs WHERE name = ?').run(name).changes > 0;
  }

  listPacks(): RulePackRecord[] {
    const rows = this.#statement(
      `SELECT p.name, p.version, p.description, p.imported_at, p.imported_by, (SELECT count(*) FROM rule_files f WHERE f.pack = p.name) AS files FROM rule_packs p ORDER BY p.name`,
    ).all() as { name: string; version: string; description: string; imported_at: string; imported_by: string; files: number }[];
    return rows.map((r) => ({ name: r.name, version: r.version, description: r.description, importedAt: r.imported_at, importedBy: r.imported_by, files: r.files }));
  }

  ruleFile(pack: string, file: string): RuleFileRecord | undefined {
    return this.#statement('SELECT pack, file, text FROM rule_files WHERE pack = ? AND file = ?').get(pack, file) as RuleFileRecord | undefined;
  }

  ruleFiles(): RuleFileRecord[] {
    return this.#statement('SELECT pack, file, text FROM rule_files ORDER BY pack, file').all() as RuleFileRecord[];
  }

  setRuleEnabled(ruleId: string, enabled: boolean, actor: string): void {
    this.#statement(
      `INSERT INTO rule_state (rule_id, enabled, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT (rule_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    ).run(ruleId, enabled ? 1 : 0, new Date().toISOString(), actor);
  }

  disabledRules(): Set<string> {
    return new Set((this.#statement('SELECT rule_id FROM rule_state WHERE enabled = 0').all() as { rule_id: string }[]).map((r) => r.rule_id));
  }

  // ---- alerts ----

  /**
   * Stores detections in one transaction. A detection whose group's newest alert is open and was stored within the
   * grouping window is folded into it (count raised, first/last seen widened, event ids added up to a sample of
   * MAX_EVENT_IDS); otherwise it creates an alert. Repeats inside the call are folded in memory first: one lookup and
   * one write per group, not per detection (`updated` counts the detections folded).
   */
  storeDetections(detections: readonly Detection[], nowMs = Date.now()): StoredAlerts {
    const created: AlertRecord[] = [];
    let updated = 0;
    if (!detections.length) return { created, updated };
    const now = new Date(nowMs).toISOString();
    const windowStart = nowMs - GROUPING_WINDOW_MS;
    const newest = this.#statement('SELECT id, event_ids, first_seen, last_seen, status, last_stored_ms FROM alerts WHERE group_key = ? ORDER BY rowid DESC LIMIT 1');
    const update = this.#statement('UPDATE alerts SET count = count + ?, first_seen = ?, last_seen = ?, event_ids = ?, updated_at = ?, last_stored_ms = ? WHERE id = ?');
    const insert = this.#statement(
      `INSERT INTO alerts (id, rule_id, rule_title, level, kind, tags, host_id, process_key, group_key, first_seen, last_seen, count, event_ids, fields, group_values, status, assignee, created_at, updated_at, last_stored_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', NULL, ?, ?, ?)`,
    );
    // Groups in order of first appearance; each keeps its detections in order.
    const groups = new Map<string, Detection[]>();
    for (const detection of detections) {
      const key = groupKeyOf(detection);
      const group = groups.get(key);
      if (group) group.push(detection);
      else groups.set(key, [detection]);
    }
    /** Adds the repeats' event ids (up to the limit) and widens first/last. */
    const fold = (ids: string[], span: { first: string; last: string }, repeats: readonly Detection[]): void => {
      for (const detection of repeats) {
        for (const id of detection.eventIds) {
          if (ids.length < MAX_EVENT_IDS && !ids.includes(id)) ids.push(id);
        }
        if (detection.time < span.first) span.first = detection.time;
        if (detection.time > span.last) span.last = detection.time;
      }
    };
    this.#transaction(() => {
      for (const [key, group] of groups) {
        const found = newest.get(key) as { id: string; event_ids: string; first_seen: string; last_seen: string; status: string; last_stored_ms: number } | undefined;
        const existing = found && found.last_stored_ms >= windowStart && openStatuses.has(found.status) ? found : undefined;
        if (existing) {
          const span = { first: existing.first_seen, last: existing.last_seen };
          const ids = JSON.parse(existing.event_ids) as string[];
          fold(ids, span, group);
          update.run(group.length, span.first, span.last, JSON.stringify(ids), now, nowMs, existing.id);
          updated += group.length;
          continue;
        }
        const detection = group[0]!;
        const ids = detection.eventIds.slice(0, MAX_EVENT_IDS);
        const span = { first: detection.time, last: detection.time };
        fold(ids, span, group.slice(1));
        const record: AlertRecord = {
          id: randomUUID(),
          ruleId: detection.rule.id,
          ruleTitle: detection.rule.title,
          level: detection.rule.level,
          kind: detection.kind,
          tags: [...detection.rule.tags],
          hostId: detection.hostId,
          processKey: detection.processKey ?? null,
          firstSeen: span.first,
          lastSeen: span.last,
          count: group.length,
          eventIds: ids,
          fields: detection.fields.map((hit) => ({ field: hit.field, value: hit.value })),
          group: detection.group ?? null,
          status: 'new',
          assignee: null,
          createdAt: now,
          updatedAt: now,
        };
        insert.run(
          record.id, record.ruleId, record.ruleTitle, record.level, record.kind, JSON.stringify(record.tags), record.hostId, record.processKey, key,
          record.firstSeen, record.lastSeen, record.count, JSON.stringify(record.eventIds), JSON.stringify(record.fields), record.group ? JSON.stringify(record.group) : null,
          now, now, nowMs,
        );
        created.push(record);
        updated += group.length - 1;
      }
    }, false);
    this.#notifyCreated(created);
    return { created, updated };
  }

  /**
   * Stores the detections of evaluated events and raises the hosts' detection checkpoints in one transaction (an
   * IMMEDIATE one: the stream's writer never fails on a snapshot another connection moved). After a crash, events above
   * a host's checkpoint are evaluated again, and none at or below it (docs/architecture.md, Detection).
   */
  storeEvaluated(detections: readonly Detection[], checkpoints: ReadonlyMap<string, number>, nowMs = Date.now()): StoredAlerts {
    const upsert = this.#statement('INSERT INTO detection_checkpoints (host_id, sequence) VALUES (?, ?) ON CONFLICT (host_id) DO UPDATE SET sequence = max(sequence, excluded.sequence)');
    return this.#transaction(() => {
      const stored = this.storeDetections(detections, nowMs);
      for (const [hostId, sequence] of checkpoints) upsert.run(hostId, sequence);
      return stored;
    }, true);
  }

  /**
   * Runs `work` in one IMMEDIATE transaction: the `storeEvaluated` calls in it commit together, so the alerts of
   * several batches cost one commit. Throws (and rolls everything back) when any of them throws.
   */
  inOneTransaction<T>(work: () => T): T {
    return this.#transaction(work, true);
  }

  /**
   * Runs `work` in a transaction of its own, or inside the one already open on this connection without a savepoint:
   * a SAVEPOINT costs a statement journal of every page it changes (in the alert-store benchmark, a third of the
   * time per batch). So a throw inside an open transaction leaves its earlier writes in that transaction, and whoever
   * opened it must let the throw roll it back (as `inOneTransaction` does).
   */
  #transaction<T>(work: () => T, immediate: boolean): T {
    const db = this.#file.db;
    if (db.inTransaction) return work();
    const wrapped = db.transaction(work);
    return immediate ? wrapped.immediate() : wrapped();
  }

  /** Highest event.sequence per host whose evaluation is stored; `initialized` is false until checkpoints were first set. */
  checkpoints(): { initialized: boolean; hosts: Map<string, number> } {
    const initialized = this.#statement(`SELECT 1 FROM detection_state WHERE key = 'checkpoints'`).get() !== undefined;
    const rows = this.#statement('SELECT host_id, sequence FROM detection_checkpoints').all() as { host_id: string; sequence: number }[];
    return { initialized, hosts: new Map(rows.map((r) => [r.host_id, r.sequence])) };
  }

  /** First start with checkpoints: everything stored so far counts as evaluated (history is not evaluated again). */
  initializeCheckpoints(hosts: ReadonlyMap<string, number>): void {
    this.#file.db.transaction(() => {
      const upsert = this.#statement('INSERT INTO detection_checkpoints (host_id, sequence) VALUES (?, ?) ON CONFLICT (host_id) DO UPDATE SET sequence = max(sequence, excluded.sequence)');
      for (const [hostId, sequence] of hosts) upsert.run(hostId, sequence);
      this.#statement(`INSERT OR REPLACE INTO detection_state (key, value) VALUES ('checkpoints', ?)`).run(new Date().toISOString());
    }).immediate();
  }

  /**
   * Stores an external alert unless (source, externalId) is known: then returns the stored alert with `created: false`
   * and the sweep id recorded with it. `sweepFor` runs inside the transaction only for a new alert; its id is recorded.
   */
  storeExternalAlert(input: ExternalAlertInput, sweepFor: (alertId: string) => string | null): { alert: AlertRecord; created: boolean; sweepId: string | null } {
    const stored = this.#file.db.transaction(() => {
      const known = this.#statement('SELECT alert_id, sweep_id FROM external_alerts WHERE source = ? AND external_id = ?').get(input.source, input.externalId) as
        | { alert_id: string; sweep_id: string | null }
        | undefined;
      if (known) {
        const alert = this.getAlert(known.alert_id);
        if (alert) return { alert, created: false, sweepId: known.sweep_id };
      }
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      const id = randomUUID();
      const ruleId = `external:${input.source}`;
      this.#statement(
        `INSERT INTO alerts (id, rule_id, rule_title, level, kind, tags, host_id, process_key, group_key, first_seen, last_seen, count, event_ids, fields, group_values, status, assignee, created_at, updated_at, last_stored_ms)
         VALUES (?, ?, ?, ?, 'external', ?, ?, NULL, ?, ?, ?, 1, '[]', ?, NULL, 'new', NULL, ?, ?, ?)`,
      ).run(id, ruleId, input.title, input.level, JSON.stringify(input.tags), input.hostId, `${ruleId}\u0000${input.externalId}`, input.time, input.time, JSON.stringify(input.fields), now, now, nowMs);
      const sweepId = sweepFor(id);
      this.#statement('INSERT OR REPLACE INTO external_alerts (source, external_id, alert_id, sweep_id, created_at) VALUES (?, ?, ?, ?, ?)').run(input.source, input.externalId, id, sweepId, now);
      return { alert: this.getAlert(id)!, created: true, sweepId };
    })();
    if (stored.created) this.#notifyCreated([stored.alert]);
    return stored;
  }

  listAlerts(filter: AlertFilter = {}): AlertRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.hostId) (where.push('host_id = ?'), params.push(filter.hostId));
    if (filter.ruleId) (where.push('rule_id = ?'), params.push(filter.ruleId));
    if (filter.status) (where.push('status = ?'), params.push(filter.status));
    if (filter.level) (where.push('level = ?'), params.push(filter.level));
    if (filter.since) (where.push('last_seen >= ?'), params.push(filter.since));
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 10_000));
    const sql = `SELECT * FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY last_seen DESC LIMIT ?`;
    return (this.#statement(sql).all(...params) as AlertRow[]).map(alertFromRow);
  }

  getAlert(id: string): AlertRecord | undefined {
    const row = this.#statement('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    return row ? alertFromRow(row) : undefined;
  }

  /** The alerts with these ids that exist, in no particular order, read with one query. */
  getAlerts(ids: readonly string[]): AlertRecord[] {
    if (!ids.length) return [];
    const rows = this.#statement('SELECT * FROM alerts WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as AlertRow[];
    return rows.map(alertFromRow);
  }

  updateAlert(id: string, change: { status?: AlertStatus; assignee?: string | null }): AlertRecord {
    const current = this.getAlert(id);
    if (!current) throw new VigilError('not_found', `no alert ${id}`);
    this.#statement('UPDATE alerts SET status = ?, assignee = ?, updated_at = ? WHERE id = ?').run(
      change.status ?? current.status,
      change.assignee === undefined ? current.assignee : change.assignee,
      new Date().toISOString(),
      id,
    );
    return this.getAlert(id)!;
  }

  /** Sets status and/or assignee of several alerts in one transaction (incident triage); unknown ids are skipped. Returns the number changed. */
  updateAlerts(ids: readonly string[], change: { status?: AlertStatus; assignee?: string | null }): number {
    const now = new Date().toISOString();
    const statusSql = this.#statement('UPDATE alerts SET status = ?, updated_at = ? WHERE id = ?');
    const assigneeSql = this.#statement('UPDATE alerts SET assignee = ?, updated_at = ? WHERE id = ?');
    let changed = 0;
    this.#file.db.transaction(() => {
      for (const id of ids) {
        let hit = 0;
        if (change.status !== undefined) hit = statusSql.run(change.status, now, id).changes;
        if (change.assignee !== undefined) hit = assigneeSql.run(change.assignee, now, id).changes;
        changed += hit;
      }
    })();
    return changed;
  }

  alertCounts(): { level: string; status: string; count: number }[] {
    return this.#statement('SELECT level, status, count(*) AS count FROM alerts GROUP BY level, status ORDER BY level, status').all() as { level: string; status: string; count: number }[];
  }
}
