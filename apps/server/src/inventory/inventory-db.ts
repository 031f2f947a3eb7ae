// Inventory with history (inventory.sqlite): every version of every row of every host, valid from one collection to
// the next change, so "the inventory at T" and "what changed since T" are single indexed queries.
// Never trusts an agent's digest or row hash: both are recomputed from the validated rows before anything is written.

import { inventoryTableByName } from '@vigil/schema';
import { rowHash, rowKey, tableDigest, type InventoryReply, type InventoryReport, type InventoryRow } from '@vigil/protocol/inventory';
import { SqliteFile } from '../sqlite-file.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS inventory_versions (
  id INTEGER PRIMARY KEY,
  host_id TEXT NOT NULL,
  tbl TEXT NOT NULL,
  row_key TEXT NOT NULL,
  row_hash TEXT NOT NULL,
  data TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_to INTEGER,
  -- the version this one replaced (a modification), or NULL (the row appeared)
  prev_id INTEGER,
  -- 1 when valid_to was set because the row disappeared (not because a newer version replaced it)
  removed INTEGER NOT NULL DEFAULT 0,
  -- 1 for rows of a host's first snapshot of the table
  baseline INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS inventory_current ON inventory_versions (host_id, tbl, row_key) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS inventory_from ON inventory_versions (host_id, valid_from);
CREATE INDEX IF NOT EXISTS inventory_to ON inventory_versions (host_id, valid_to) WHERE valid_to IS NOT NULL;
CREATE TABLE IF NOT EXISTS inventory_tables (
  host_id TEXT NOT NULL,
  tbl TEXT NOT NULL,
  digest TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (host_id, tbl)
);
`;

export interface InventoryTransition {
  /** When the change was collected (ISO 8601). */
  at: string;
  table: string;
  /** The row's key fields as a JSON array text. */
  key: string;
  change: 'added' | 'removed' | 'modified' | 'baseline';
  before: InventoryRow | null;
  after: InventoryRow | null;
  /** Fields whose values differ (modified), or every field of the row (added, removed). */
  fields: string[];
}

export interface InventoryTableView {
  rows: InventoryRow[];
  /** Rows in the answer (at most the limit). */
  count: number;
  /** Rows of the table at that time. */
  total: number;
  /** When the newest row version shown was collected; null when the agent never sent the table. */
  collected_at: string | null;
}

interface VersionRow {
  id: number;
  tbl: string;
  row_key: string;
  row_hash: string;
  data: string;
  valid_from: number;
  valid_to: number | null;
  prev_id: number | null;
  removed: number;
  baseline: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function withMeta(hostId: string, data: string, validFrom: number): InventoryRow {
  return { 'host.id': hostId, 'inventory.collected': iso(validFrom), ...(JSON.parse(data) as InventoryRow) };
}

function differingFields(before: InventoryRow, after: InventoryRow): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  names.delete('host.id');
  names.delete('inventory.collected');
  return [...names].filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name])).sort();
}

export class InventoryDb {
  readonly #file: SqliteFile;

  constructor(file: string) {
    this.#file = new SqliteFile(file, 'inventory database', { synchronous: 'NORMAL', schema: SCHEMA });
  }

  /**
   * Applies a validated report (decodeInventoryReport) in one transaction. A diff whose base is not the stored digest,
   * or whose result would not have the digest the agent computed, is answered `resync` and changes nothing.
   */
  apply(hostId: string, report: InventoryReport, now = Date.now()): InventoryReply {
    const db = this.#file;
    const collected = Math.min(Date.parse(report.collected_at), now + 60_000);
    const run = db.db.transaction((): InventoryReply => {
      const answers: InventoryReply['tables'] = [];
      for (const part of report.tables) {
        const table = part.name;
        const state = db.statement('SELECT digest, first_at FROM inventory_tables WHERE host_id = ? AND tbl = ?').get(hostId, table) as { digest: string; first_at: number } | undefined;
        if (part.mode === 'diff' && (!state || state.digest !== part.base)) {
          answers.push({ name: table, status: 'resync', digest: state?.digest ?? null, changes: 0 });
          continue;
        }
        const current = new Map<string, { id: number; hash: string; validFrom: number }>();
        for (const row of db.statement('SELECT id, row_key, row_hash, valid_from FROM inventory_versions WHERE host_id = ? AND tbl = ? AND valid_to IS NULL').all(hostId, table) as { id: number; row_key: string; row_hash: string; valid_from: number }[]) {
          current.set(row.row_key, { id: row.id, hash: row.row_hash, validFrom: row.valid_from });
        }
        const upserts = new Map<string, { row: InventoryRow; hash: string }>();
        for (const row of (part.mode === 'full' ? part.rows : part.upsert) ?? []) {
          const clean = { ...row };
          delete clean['host.id'];
          delete clean['inventory.collected'];
          upserts.set(rowKey(table, clean), { row: clean, hash: rowHash(clean) });
        }
        const deletes = part.mode === 'full' ? [...current.keys()].filter((key) => !upserts.has(key)) : (part.delete ?? []).filter((key) => current.has(key) && !upserts.has(key));
        // The table as it will be, to check the agent's digest before writing anything.
        const result = new Map([...current].map(([key, v]) => [key, v.hash]));
        for (const key of deletes) result.delete(key);
        for (const [key, { hash }] of upserts) result.set(key, hash);
        const digest = tableDigest(result);
        if (part.mode === 'diff' && digest !== part.digest) {
          answers.push({ name: table, status: 'resync', digest: state?.digest ?? null, changes: 0 });
          continue;
        }
        const firstSnapshot = !state;
        let changes = 0;
        const close = db.statement('UPDATE inventory_versions SET valid_to = ?, removed = ? WHERE id = ?');
        const insert = db.statement('INSERT INTO inventory_versions (host_id, tbl, row_key, row_hash, data, valid_from, prev_id, baseline) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
        for (const key of deletes) {
          const old = current.get(key)!;
          close.run(Math.max(collected, old.validFrom), 1, old.id);
          changes++;
        }
        for (const [key, { row, hash }] of upserts) {
          const old = current.get(key);
          if (old?.hash === hash) continue;
          // Versions of a row never overlap, whatever the agent's clock did.
          const at = Math.max(collected, old?.validFrom ?? 0);
          if (old) close.run(at, 0, old.id);
          insert.run(hostId, table, key, hash, JSON.stringify(row), at, old?.id ?? null, firstSnapshot ? 1 : 0);
          changes++;
        }
        db.statement(
          `INSERT INTO inventory_tables (host_id, tbl, digest, row_count, first_at, collected_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (host_id, tbl) DO UPDATE SET digest = excluded.digest, row_count = excluded.row_count, collected_at = excluded.collected_at, received_at = excluded.received_at`,
        ).run(hostId, table, digest, result.size, collected, collected, now);
        answers.push({ name: table, status: 'applied', digest, changes });
      }
      return { tables: answers };
    });
    return run.immediate();
  }

  /** The host's inventory now, or as it was at `at` (ms); each table capped at `limit` rows (ordered by key). */
  snapshot(hostId: string, options: { at?: number; tables?: readonly string[]; limit: number }): Record<string, InventoryTableView> {
    const names = options.tables?.length ? options.tables : [...inventoryTableByName.keys()];
    const out: Record<string, InventoryTableView> = {};
    for (const table of names) {
      const rows = (
        options.at === undefined
          ? this.#file.statement('SELECT data, valid_from FROM inventory_versions WHERE host_id = ? AND tbl = ? AND valid_to IS NULL ORDER BY row_key').all(hostId, table)
          : this.#file.statement('SELECT data, valid_from FROM inventory_versions WHERE host_id = ? AND tbl = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) ORDER BY row_key').all(hostId, table, options.at, options.at)
      ) as { data: string; valid_from: number }[];
      const state = this.#file.statement('SELECT collected_at, first_at FROM inventory_tables WHERE host_id = ? AND tbl = ?').get(hostId, table) as { collected_at: number; first_at: number } | undefined;
      const shown = rows.slice(0, options.limit);
      const newest = rows.reduce((max, r) => Math.max(max, r.valid_from), 0);
      const collectedAt = !state || (options.at !== undefined && options.at < state.first_at) ? null : options.at === undefined ? state.collected_at : newest || state.first_at;
      out[table] = { rows: shown.map((r) => withMeta(hostId, r.data, r.valid_from)), count: shown.length, total: rows.length, collected_at: collectedAt === null ? null : iso(collectedAt) };
    }
    return out;
  }

  /**
   * Every change of the host's inventory collected in [since, until): rows added, removed and modified (with the
   * version before and after), oldest first. Rows of a table's first snapshot are `baseline` and left out unless asked.
   */
  changes(hostId: string, since: number, until: number, options: { limit: number; baseline: boolean; tables?: readonly string[] }): { transitions: InventoryTransition[]; truncated: boolean; baselineOmitted: number } {
    const versions = this.#file.statement('SELECT * FROM inventory_versions WHERE host_id = ? AND ((valid_from >= ? AND valid_from < ?) OR (valid_to >= ? AND valid_to < ? AND removed = 1)) ORDER BY id')
      .all(hostId, since, until, since, until) as VersionRow[];
    const wanted = options.tables?.length ? new Set(options.tables) : undefined;
    const byId = new Map(versions.map((v) => [v.id, v]));
    const previous = (id: number): VersionRow | undefined => byId.get(id) ?? (this.#file.statement('SELECT * FROM inventory_versions WHERE id = ?').get(id) as VersionRow | undefined);
    const transitions: InventoryTransition[] = [];
    let baselineOmitted = 0;
    for (const v of versions) {
      if (wanted && !wanted.has(v.tbl)) continue;
      if (v.valid_from >= since && v.valid_from < until) {
        const after = withMeta(hostId, v.data, v.valid_from);
        const prior = v.prev_id !== null ? previous(v.prev_id) : undefined;
        if (prior) {
          const before = withMeta(hostId, prior.data, prior.valid_from);
          transitions.push({ at: iso(v.valid_from), table: v.tbl, key: v.row_key, change: 'modified', before, after, fields: differingFields(before, after) });
        } else if (v.baseline) {
          if (options.baseline) transitions.push({ at: iso(v.valid_from), table: v.tbl, key: v.row_key, change: 'baseline', before: null, after, fields: Object.keys(after).filter((k) => k !== 'host.id' && k !== 'inventory.collected').sort() });
          else baselineOmitted++;
        } else {
          transitions.push({ at: iso(v.valid_from), table: v.tbl, key: v.row_key, change: 'added', before: null, after, fields: Object.keys(after).filter((k) => k !== 'host.id' && k !== 'inventory.collected').sort() });
        }
      }
      if (v.removed && v.valid_to !== null && v.valid_to >= since && v.valid_to < until) {
        const before = withMeta(hostId, v.data, v.valid_from);
        transitions.push({ at: iso(v.valid_to), table: v.tbl, key: v.row_key, change: 'removed', before, after: null, fields: Object.keys(before).filter((k) => k !== 'host.id' && k !== 'inventory.collected').sort() });
      }
    }
    transitions.sort((a, b) => a.at.localeCompare(b.at) || a.table.localeCompare(b.table) || a.key.localeCompare(b.key));
    const truncated = transitions.length > options.limit;
    return { transitions: truncated ? transitions.slice(0, options.limit) : transitions, truncated, baselineOmitted };
  }

  /** Per table: rows now, digest, first and last collection (for the host view and tests). */
  tables(hostId: string): { table: string; rows: number; digest: string; first_at: string; collected_at: string }[] {
    return (this.#file.statement('SELECT tbl, row_count, digest, first_at, collected_at FROM inventory_tables WHERE host_id = ? ORDER BY tbl').all(hostId) as { tbl: string; row_count: number; digest: string; first_at: number; collected_at: number }[]).map((r) => ({
      table: r.tbl,
      rows: r.row_count,
      digest: r.digest,
      first_at: iso(r.first_at),
      collected_at: iso(r.collected_at),
    }));
  }

  close(): void {
    this.#file.close();
  }
}
