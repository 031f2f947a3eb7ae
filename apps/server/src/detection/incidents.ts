// Incidents: alerts of the same host whose acting processes share a process tree (an ancestor entity id, resolved from
// the event store) within a time window. Membership is stored once decided, so an incident id never changes; an
// incident's status and assignee are applied to all its alerts. Never changes an alert's grouping (detection-db.ts).

import { randomUUID } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { sigmaLevels, type SigmaLevel } from '@vigil/detect';
import type { EventStore } from '@vigil/store';
import type { AlertRecord, AlertStatus, DetectionDb } from './detection-db.js';

/** Default incident window: an alert joins an incident whose activity lies at most this far from its own. */
export const DEFAULT_INCIDENT_WINDOW_MS = 30 * 60 * 1000;
const OPEN: ReadonlySet<string> = new Set(['new', 'acknowledged', 'in_progress']);
const MAX_LINEAGE = 32;
const SYNC_BATCH = 500;
const MAX_ALERTS_PER_VIEW = 200;
const levelRank = (level: string): number => sigmaLevels.indexOf(level as SigmaLevel);

/** What placement needs of an alert. */
export interface PlacedAlert {
  id: string;
  hostId: string;
  firstSeen: string;
  lastSeen: string;
}

/** An open incident as placement sees it: its host, span and the process entities of its alerts' lineages. */
export interface OpenIncident {
  id: string;
  hostId: string;
  firstSeen: string;
  lastSeen: string;
  entities: ReadonlySet<string>;
}

/**
 * The open incident an alert joins, or null when it starts a new one. It joins an incident of its host that shares
 * an entity with its lineage (the acting process and its ancestors) and whose span, widened by `windowMs` on both
 * sides, overlaps the alert's; among several, the one with the latest activity. An empty lineage (no acting process,
 * no host) never joins. Pure.
 */
export function placeAlert(alert: PlacedAlert, lineage: readonly string[], open: readonly OpenIncident[], windowMs: number): OpenIncident | null {
  if (!alert.hostId || !lineage.length) return null;
  const first = Date.parse(alert.firstSeen);
  const last = Date.parse(alert.lastSeen);
  let best: OpenIncident | null = null;
  for (const incident of open) {
    if (incident.hostId !== alert.hostId) continue;
    if (!(first <= Date.parse(incident.lastSeen) + windowMs && last >= Date.parse(incident.firstSeen) - windowMs)) continue;
    if (!lineage.some((entity) => incident.entities.has(entity))) continue;
    if (!best || incident.lastSeen > best.lastSeen) best = incident;
  }
  return best;
}

/** For each (host, acting process key): the key followed by its ancestors' entity ids, nearest first. */
export type LineageResolver = (processes: readonly { hostId: string; processKey: string }[]) => Promise<string[][]>;

interface ProcessLink {
  parent: string | null;
  ppid: number | null;
}

const LOOKUP_CHUNK = 500;

/**
 * Lineage from stored process events. Ancestors everything on the host descends from never link alerts: the walk
 * stops below init and kernel threads (pid 1, 2) and below services started by them (a parent whose own parent is
 * pid 1 or 2, e.g. the sshd listener, cron, a terminal multiplexer), so two logins or two cron jobs stay apart.
 * Parent links are looked up a generation at a time for all processes at once (one query per host, generation and
 * 500 ids) and cached (bounded); a process not yet stored is looked up again next time.
 */
export function storeLineage(store: Pick<EventStore, 'search'>, cacheSize = 20_000): LineageResolver {
  const cache = new Map<string, ProcessLink>();
  const keyOf = (hostId: string, entityId: string) => `${hostId}\u0000${entityId}`;

  async function fetchLinks(hostId: string, entityIds: readonly string[], missing: Set<string>): Promise<void> {
    for (let i = 0; i < entityIds.length; i += LOOKUP_CHUNK) {
      const chunk = entityIds.slice(i, i + LOOKUP_CHUNK);
      const rows = await store.search({
        sql: `SELECT "process.entity_id" AS id, arg_min("process.parent.entity_id", ("process.parent.entity_id" IS NULL, "@timestamp")) AS parent,
                     arg_min("process.parent.pid", ("process.parent.entity_id" IS NULL, "@timestamp")) AS ppid
              FROM events_process WHERE "host.id" = $1 AND "process.entity_id" IN (${chunk.map((_, k) => `$${k + 2}`).join(', ')}) GROUP BY 1`,
        params: [hostId, ...chunk],
      });
      const found = new Set<string>();
      for (const row of rows) {
        const id = String(row.id);
        found.add(id);
        if (cache.size >= cacheSize) cache.clear();
        cache.set(keyOf(hostId, id), {
          parent: typeof row.parent === 'string' && row.parent ? row.parent : null,
          ppid: typeof row.ppid === 'number' ? row.ppid : row.ppid == null ? null : Number(row.ppid),
        });
      }
      for (const id of chunk) if (!found.has(id)) missing.add(keyOf(hostId, id));
    }
  }

  /** The walk over cached links; `need` collects the first link it lacks (null when the walk is complete). */
  function walk(hostId: string, processKey: string, missing: ReadonlySet<string>): { lineage: string[]; need: string | null } {
    const lineage = [processKey];
    const linkOf = (id: string): ProcessLink | null | 'unknown' => cache.get(keyOf(hostId, id)) ?? (missing.has(keyOf(hostId, id)) ? null : 'unknown');
    let info = linkOf(processKey);
    if (info === 'unknown') return { lineage, need: processKey };
    while (info?.parent && lineage.length < MAX_LINEAGE && !lineage.includes(info.parent)) {
      if (info.ppid !== null && info.ppid <= 2) break;
      const parent: string = info.parent;
      const parentInfo = linkOf(parent);
      if (parentInfo === 'unknown') return { lineage, need: parent };
      if (parentInfo?.ppid !== null && parentInfo?.ppid !== undefined && parentInfo.ppid <= 2) break;
      lineage.push(parent);
      info = parentInfo;
    }
    return { lineage, need: null };
  }

  return async (processes) => {
    const missing = new Set<string>();
    for (let generation = 0; generation <= MAX_LINEAGE; generation++) {
      const needed = new Map<string, Set<string>>();
      for (const { hostId, processKey } of processes) {
        const { need } = walk(hostId, processKey, missing);
        if (need !== null) (needed.get(hostId) ?? needed.set(hostId, new Set()).get(hostId)!).add(need);
      }
      if (!needed.size) break;
      for (const [hostId, ids] of needed) await fetchLinks(hostId, [...ids], missing);
    }
    return processes.map(({ hostId, processKey }) => walk(hostId, processKey, missing).lineage);
  };
}

export interface IncidentView {
  id: string;
  hostId: string;
  /** Set on the incident (and applied to its alerts); alerts triaged one by one may differ. */
  status: AlertStatus;
  assignee: string | null;
  firstSeen: string;
  lastSeen: string;
  /** Highest level of its alerts. */
  level: string;
  alertCount: number;
  /** Alerts not resolved or false positive. */
  openAlerts: number;
  rules: string[];
  /** ATT&CK tags of its alerts. */
  tags: string[];
  /** Oldest first; at most 200 (alertCount has them all). */
  alerts: AlertRecord[];
  createdAt: string;
  updatedAt: string;
}

export interface IncidentFilter {
  status?: AlertStatus | 'open';
  hostId?: string;
  limit?: number;
}

/**
 * Incident queries and triage. Every call first groups the alerts not yet in an incident (oldest first); calls run
 * one at a time, so an alert is placed exactly once.
 */
export interface IncidentService {
  /** Newest activity first. */
  list(filter?: IncidentFilter): Promise<IncidentView[]>;
  /** `not_found` when there is no such incident. */
  get(id: string): Promise<IncidentView>;
  /** Sets status and/or assignee of the incident and of every alert in it, in one transaction. */
  update(id: string, change: { status?: AlertStatus; assignee?: string | null }): Promise<IncidentView>;
  /** The incident an alert belongs to (null for an unknown alert). */
  incidentOf(alertId: string): Promise<string | null>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY, host_id TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, entities TEXT NOT NULL,
  status TEXT NOT NULL, assignee TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_host ON incidents (host_id, status, last_seen);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents (last_seen);
CREATE TABLE IF NOT EXISTS incident_alerts (alert_id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, lineage TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incident_alerts_incident ON incident_alerts (incident_id);
CREATE TABLE IF NOT EXISTS incident_sync (id INTEGER PRIMARY KEY CHECK (id = 1), alert_rowid INTEGER NOT NULL);
`;

interface IncidentRow {
  id: string;
  host_id: string;
  first_seen: string;
  last_seen: string;
  entities: string;
  status: string;
  assignee: string | null;
  created_at: string;
  updated_at: string;
}

/** At most this many entities are remembered per incident (newest kept), so a busy tree cannot grow a row without bound. */
const MAX_ENTITIES = 2000;

export function createIncidentService(options: { db: DetectionDb; lineage: LineageResolver; windowMs?: number }): IncidentService {
  const { db, lineage } = options;
  const windowMs = options.windowMs ?? DEFAULT_INCIDENT_WINDOW_MS;
  const file = db.sqlite;
  file.db.exec(SCHEMA);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  /**
   * Alerts are never deleted, so their rowids only grow (one writer at a time): every alert at or below the stored
   * watermark is placed, and a sync reads only the alerts above it (a range of the rowid, not the whole table). The
   * watermark moves with the placements, in their transaction; the NOT EXISTS guard keeps an alert from being placed
   * twice when it is behind (files from before it; a file whose rowids were renumbered restarts from 0).
   */
  function watermark(): number {
    const stored = (file.statement('SELECT alert_rowid FROM incident_sync WHERE id = 1').get() as { alert_rowid: number } | undefined)?.alert_rowid ?? 0;
    const highest = (file.statement('SELECT max(rowid) AS m FROM alerts').get() as { m: number | null }).m ?? 0;
    return stored > highest ? 0 : stored;
  }

  async function sync(): Promise<void> {
    for (;;) {
      const from = watermark();
      const batch = file
        .statement(
          `SELECT rowid AS seq, id, host_id AS hostId, process_key AS processKey, first_seen AS firstSeen, last_seen AS lastSeen FROM alerts a
           WHERE a.rowid > ? AND NOT EXISTS (SELECT 1 FROM incident_alerts i WHERE i.alert_id = a.id) ORDER BY a.rowid LIMIT ${SYNC_BATCH}`,
        )
        .all(from) as (PlacedAlert & { seq: number; processKey: string | null })[];
      if (!batch.length) return;
      const through = batch[batch.length - 1]!.seq;
      // Oldest first within a batch (alerts of one batch are stored close together).
      batch.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const acting = batch.filter((alert) => alert.hostId && alert.processKey);
      const chains = await lineage(acting.map((alert) => ({ hostId: alert.hostId, processKey: alert.processKey! })));
      const lineages = new Map(acting.map((alert, i) => [alert.id, chains[i] ?? []]));
      const now = new Date().toISOString();
      file.db.transaction(() => {
        const openOf = file.statement(`SELECT * FROM incidents WHERE host_id = ? AND status IN ('new', 'acknowledged', 'in_progress') ORDER BY last_seen DESC LIMIT 200`);
        for (const alert of batch) {
          const chain = lineages.get(alert.id) ?? [];
          const open = (openOf.all(alert.hostId) as IncidentRow[]).map((row) => ({ ...openIncident(row), row }));
          const joined = placeAlert(alert, chain, open, windowMs) as (OpenIncident & { row: IncidentRow }) | null;
          if (joined) {
            const entities = [...new Set([...joined.entities, ...chain])].slice(-MAX_ENTITIES);
            file.statement('UPDATE incidents SET first_seen = ?, last_seen = ?, entities = ?, updated_at = ? WHERE id = ?').run(
              alert.firstSeen < joined.firstSeen ? alert.firstSeen : joined.firstSeen,
              alert.lastSeen > joined.lastSeen ? alert.lastSeen : joined.lastSeen,
              JSON.stringify(entities), now, joined.id,
            );
            file.statement('INSERT INTO incident_alerts (alert_id, incident_id, lineage) VALUES (?, ?, ?)').run(alert.id, joined.id, JSON.stringify(chain));
          } else {
            const id = randomUUID();
            file.statement(`INSERT INTO incidents (id, host_id, first_seen, last_seen, entities, status, assignee, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'new', NULL, ?, ?)`).run(
              id, alert.hostId, alert.firstSeen, alert.lastSeen, JSON.stringify(chain), now, now,
            );
            file.statement('INSERT INTO incident_alerts (alert_id, incident_id, lineage) VALUES (?, ?, ?)').run(alert.id, id, JSON.stringify(chain));
          }
        }
        file.statement('INSERT OR REPLACE INTO incident_sync (id, alert_rowid) VALUES (1, ?)').run(through);
      })();
      if (batch.length < SYNC_BATCH) return;
    }
  }

  function alertIdsOf(incidentId: string): string[] {
    return (file.statement('SELECT alert_id FROM incident_alerts WHERE incident_id = ?').all(incidentId) as { alert_id: string }[]).map((r) => r.alert_id);
  }

  function view(row: IncidentRow): IncidentView {
    const alerts = db
      .getAlerts(alertIdsOf(row.id))
      .sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id.localeCompare(b.id)));
    const level = alerts.reduce((best, a) => (levelRank(a.level) > levelRank(best) ? a.level : best), alerts[0]?.level ?? 'informational');
    return {
      id: row.id,
      hostId: row.host_id,
      status: row.status as AlertStatus,
      assignee: row.assignee,
      firstSeen: alerts.reduce((m, a) => (a.firstSeen < m ? a.firstSeen : m), row.first_seen),
      lastSeen: alerts.reduce((m, a) => (a.lastSeen > m ? a.lastSeen : m), row.last_seen),
      level,
      alertCount: alerts.length,
      openAlerts: alerts.filter((a) => OPEN.has(a.status)).length,
      rules: [...new Set(alerts.map((a) => a.ruleTitle))],
      tags: [...new Set(alerts.flatMap((a) => a.tags))].filter((t) => t.startsWith('attack.')).sort(),
      alerts: alerts.slice(0, MAX_ALERTS_PER_VIEW),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  const row = (id: string): IncidentRow => {
    const found = file.statement('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
    if (!found) throw new VigilError('not_found', `no incident ${id}`);
    return found;
  };

  return {
    list: (filter = {}) =>
      serial(async () => {
        await sync();
        const where: string[] = [];
        const params: unknown[] = [];
        if (filter.status === 'open') where.push(`status IN ('new', 'acknowledged', 'in_progress')`);
        else if (filter.status) (where.push('status = ?'), params.push(filter.status));
        if (filter.hostId) (where.push('host_id = ?'), params.push(filter.hostId));
        params.push(Math.min(Math.max(filter.limit ?? 100, 1), 2000));
        const rows = file.statement(`SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC, id LIMIT ?`).all(...params) as IncidentRow[];
        return rows.map(view);
      }),
    get: (id) =>
      serial(async () => {
        await sync();
        return view(row(id));
      }),
    update: (id, change) =>
      serial(async () => {
        await sync();
        const current = row(id);
        file.db.transaction(() => {
          file.statement('UPDATE incidents SET status = ?, assignee = ?, updated_at = ? WHERE id = ?').run(
            change.status ?? current.status,
            change.assignee === undefined ? current.assignee : change.assignee,
            new Date().toISOString(),
            id,
          );
          db.updateAlerts(alertIdsOf(id), change);
        })();
        return view(row(id));
      }),
    incidentOf: (alertId) =>
      serial(async () => {
        await sync();
        const found = file.statement('SELECT incident_id FROM incident_alerts WHERE alert_id = ?').get(alertId) as { incident_id: string } | undefined;
        return found?.incident_id ?? null;
      }),
  };
}

function openIncident(row: IncidentRow): OpenIncident {
  return { id: row.id, hostId: row.host_id, firstSeen: row.first_seen, lastSeen: row.last_seen, entities: new Set(JSON.parse(row.entities) as string[]) };
}
