// Hunting on the server: runs query-language hunts on the event store, keeps saved hunts (SQLite), and runs the
// scheduled ones, raising an alert when a run's result reaches its threshold. Queries are always compiled to
// parameterised SQL by @vigil/hunt; nothing here builds SQL from user text.

import { randomUUID } from 'node:crypto';
import { VigilError, createLogger } from '@vigil/common';
import type { Detection, SigmaLevel } from '@vigil/detect';
import { compileHunt, type CompiledHunt } from '@vigil/hunt';
import type { EventStore } from '@vigil/store';
import type { AlertRecord, DetectionDb } from '../detection/detection-db.js';
import { SqliteFile } from '../sqlite-file.js';

const log = createLogger('server.hunt');

export interface HuntRequest {
  query: string;
  start?: string;
  end?: string;
  hostIds?: readonly string[];
  limit?: number;
  /** Alert events raised by these rules are left out (see HuntOptions.excludeAlertRuleIds). */
  excludeAlertRuleIds?: readonly string[];
}

export interface HuntResult {
  kind: CompiledHunt['kind'];
  columns: CompiledHunt['columns'];
  rows: Record<string, unknown>[];
  tookMs: number;
  truncated: boolean;
}

export interface SavedHunt {
  id: string;
  name: string;
  description: string;
  query: string;
  /** Seconds between scheduled runs; null: run by hand only. */
  intervalSeconds: number | null;
  /** A scheduled run raises an alert when it returns at least this many rows. */
  threshold: number;
  level: SigmaLevel;
  tags: string[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  lastRunAt: string | null;
  lastRows: number | null;
  lastError: string | null;
}

interface SavedHuntRow {
  id: string;
  name: string;
  description: string;
  query: string;
  interval_s: number | null;
  threshold: number;
  level: string;
  tags: string;
  enabled: number;
  created_by: string;
  created_at: string;
  last_run_at: string | null;
  last_rows: number | null;
  last_error: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS saved_hunts (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL, query TEXT NOT NULL, interval_s INTEGER,
  threshold INTEGER NOT NULL, level TEXT NOT NULL, tags TEXT NOT NULL, enabled INTEGER NOT NULL, created_by TEXT NOT NULL,
  created_at TEXT NOT NULL, last_run_at TEXT, last_rows INTEGER, last_error TEXT);
`;

function fromRow(row: SavedHuntRow): SavedHunt {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    query: row.query,
    intervalSeconds: row.interval_s,
    threshold: row.threshold,
    level: row.level as SigmaLevel,
    tags: JSON.parse(row.tags) as string[],
    enabled: row.enabled === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastRunAt: row.last_run_at,
    lastRows: row.last_rows,
    lastError: row.last_error,
  };
}

export interface HuntService {
  run(request: HuntRequest): Promise<HuntResult>;
  list(): SavedHunt[];
  get(id: string): SavedHunt | undefined;
  save(hunt: Pick<SavedHunt, 'name' | 'description' | 'query' | 'intervalSeconds' | 'threshold' | 'level' | 'tags' | 'enabled'>, actor: string): SavedHunt;
  update(id: string, change: Partial<Pick<SavedHunt, 'name' | 'description' | 'query' | 'intervalSeconds' | 'threshold' | 'level' | 'tags' | 'enabled'>>): SavedHunt;
  remove(id: string): boolean;
  /** Runs a saved hunt now over [since, now) and raises an alert when it reaches its threshold. */
  runSaved(id: string, since?: string): Promise<{ rows: number; alerted: boolean }>;
  close(): void;
}

/** The rule id of the alerts a saved hunt raises. */
function alertRuleId(hunt: Pick<SavedHunt, 'id'>): string {
  return `hunt:${hunt.id}`;
}

/** Compiles and checks a query without running it; throws the compiler's located VigilError. */
export function checkHuntQuery(query: string): CompiledHunt {
  return compileHunt(query, { limit: 1 });
}

export function createHuntService(deps: { file: string; store: EventStore; detectionDb: DetectionDb; onAlerts?: (created: readonly AlertRecord[]) => void; tickMs?: number }): HuntService {
  // Saved hunts are what analysts wrote: every commit is fsynced.
  const file = new SqliteFile(deps.file, 'hunts database', { synchronous: 'FULL', schema: SCHEMA });
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;

  async function run(request: HuntRequest): Promise<HuntResult> {
    const started = performance.now();
    const limit = request.limit ?? 1000;
    const compiled = compileHunt(request.query, {
      ...(request.start ? { start: request.start } : {}),
      ...(request.end ? { end: request.end } : {}),
      ...(request.hostIds ? { hostIds: request.hostIds } : {}),
      ...(request.excludeAlertRuleIds ? { excludeAlertRuleIds: request.excludeAlertRuleIds } : {}),
      limit,
      probeTruncation: true,
    });
    const rows = await deps.store.search({ sql: compiled.sql, params: compiled.params, ...(compiled.indexed ? { indexed: compiled.indexed } : {}) });
    const truncated = rows.length > limit;
    return { kind: compiled.kind, columns: compiled.columns, rows: truncated ? rows.slice(0, limit) : rows, tookMs: Math.round((performance.now() - started) * 10) / 10, truncated };
  }

  function get(id: string): SavedHunt | undefined {
    const row = file.statement('SELECT * FROM saved_hunts WHERE id = ?').get(id) as SavedHuntRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  async function runSaved(id: string, since?: string): Promise<{ rows: number; alerted: boolean }> {
    const hunt = get(id);
    if (!hunt) throw new VigilError('not_found', `no saved hunt ${id}`);
    const now = new Date().toISOString();
    const start = since ?? hunt.lastRunAt ?? new Date(Date.now() - (hunt.intervalSeconds ?? 3600) * 1000).toISOString();
    try {
      // A hunt over alert events never counts the alerts it raised itself (they would feed the next run).
      const result = await run({ query: hunt.query, start, end: now, limit: 10_000, excludeAlertRuleIds: [alertRuleId(hunt)] });
      const alerted = result.rows.length >= hunt.threshold;
      if (alerted) raise(hunt, result, now);
      file.statement('UPDATE saved_hunts SET last_run_at = ?, last_rows = ?, last_error = NULL WHERE id = ?').run(now, result.rows.length, id);
      return { rows: result.rows.length, alerted };
    } catch (error) {
      const message = VigilError.wrap(error).message;
      file.statement('UPDATE saved_hunts SET last_run_at = ?, last_error = ? WHERE id = ?').run(now, message, id);
      throw error;
    }
  }

  /** One alert per host found in the rows (or one fleet-wide alert when the rows carry no host). */
  function raise(hunt: SavedHunt, result: HuntResult, now: string): void {
    const byHost = new Map<string, string[]>();
    for (const row of result.rows) {
      const host = typeof row['host.id'] === 'string' ? row['host.id'] : '';
      const ids = byHost.get(host) ?? [];
      if (typeof row['event.id'] === 'string' && ids.length < 50) ids.push(row['event.id']);
      byHost.set(host, ids);
    }
    const detections: Detection[] = [...byHost].map(([hostId, eventIds]) => ({
      rule: { id: alertRuleId(hunt), title: hunt.name, level: hunt.level, tags: hunt.tags },
      kind: 'hunt',
      hostId,
      eventIds,
      time: now,
      fields: [
        { field: 'hunt.query', value: hunt.query },
        { field: 'hunt.rows', value: result.rows.length },
      ],
    }));
    const stored = deps.detectionDb.storeDetections(detections);
    deps.onAlerts?.(stored.created);
    log.info('scheduled hunt raised alerts', { hunt: hunt.name, rows: result.rows.length, created: stored.created.length });
  }

  async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      const due = (file.statement('SELECT * FROM saved_hunts WHERE enabled = 1 AND interval_s IS NOT NULL').all() as SavedHuntRow[])
        .map(fromRow)
        .filter((hunt) => !hunt.lastRunAt || Date.parse(hunt.lastRunAt) + hunt.intervalSeconds! * 1000 <= Date.now());
      for (const hunt of due) {
        try {
          await runSaved(hunt.id);
        } catch (error) {
          log.warn('scheduled hunt failed', { hunt: hunt.name, error: VigilError.wrap(error).message });
        }
      }
    } finally {
      ticking = false;
    }
  }

  timer = setInterval(() => void tick(), deps.tickMs ?? 1000);
  timer.unref();

  return {
    run,
    list: () => (file.statement('SELECT * FROM saved_hunts ORDER BY name').all() as SavedHuntRow[]).map(fromRow),
    get,
    save(hunt, actor) {
      checkHuntQuery(hunt.query);
      const id = randomUUID();
      try {
        file.statement(
          `INSERT INTO saved_hunts (id, name, description, query, interval_s, threshold, level, tags, enabled, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, hunt.name, hunt.description, hunt.query, hunt.intervalSeconds, hunt.threshold, hunt.level, JSON.stringify(hunt.tags), hunt.enabled ? 1 : 0, actor, new Date().toISOString());
      } catch (error) {
        if (String(error).includes('UNIQUE')) throw new VigilError('conflict', `a saved hunt named ${JSON.stringify(hunt.name)} exists`, { location: { path: 'name' } });
        throw error;
      }
      return get(id)!;
    },
    update(id, change) {
      const current = get(id);
      if (!current) throw new VigilError('not_found', `no saved hunt ${id}`);
      const next = { ...current, ...change };
      if (change.query !== undefined) checkHuntQuery(change.query);
      file.statement('UPDATE saved_hunts SET name = ?, description = ?, query = ?, interval_s = ?, threshold = ?, level = ?, tags = ?, enabled = ? WHERE id = ?').run(
        next.name, next.description, next.query, next.intervalSeconds, next.threshold, next.level, JSON.stringify(next.tags), next.enabled ? 1 : 0, id,
      );
      return get(id)!;
    },
    remove: (id) => file.statement('DELETE FROM saved_hunts WHERE id = ?').run(id).changes > 0,
    runSaved,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      file.close();
    },
  };
}
