// The embedded telemetry store on DuckDB: group-committed appends, per-host sequence watermarks, typed reads.
// An append resolves only after DuckDB committed it (WAL synced); values from users are always bound parameters.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { VigilError, createLogger } from '@vigil/common';
import { categoryByName, type VigilEvent } from '@vigil/schema';
import type { AppendResult, CountRow, EventFilter, EventQuery, EventStore } from '../core.js';
import { createTableSql, eventTables, eventsViewSql, ident, inventoryTableSpecs, literal, readJsonColumns, watermarkTableSql, type TableSpec } from './ddl.js';

export interface DuckDbStoreOptions {
  /** Folder for the database file and ingest scratch files. */
  dataDir: string;
  /** Most events committed in one transaction (several appends are grouped up to this). */
  maxGroupEvents?: number;
  threads?: number;
  memoryLimit?: string;
  /** WAL size that triggers a checkpoint at commit; larger means fewer, longer pauses and a longer replay after a crash. */
  checkpointThreshold?: string;
}

interface PendingAppend {
  hostId: string;
  events: readonly VigilEvent[];
  resolve: (result: AppendResult) => void;
  reject: (error: VigilError) => void;
}

const log = createLogger('store.duckdb');

export function createDuckDbStore(options: DuckDbStoreOptions): EventStore {
  const maxGroupEvents = options.maxGroupEvents ?? 20000;
  const scratchDir = join(options.dataDir, 'ingest-scratch');
  const tableByName = new Map<string, TableSpec>(eventTables.map((t) => [t.table, t]));
  let instance: DuckDBInstance | undefined;
  let writer: DuckDBConnection | undefined;
  let reader: DuckDBConnection | undefined;
  const watermarks = new Map<string, number>();
  let queue: PendingAppend[] = [];
  let queuedEvents = 0;
  const eagerGroupEvents = Number(process.env.VIGIL_STORE_EAGER ?? 4000);
  let writing: Promise<void> | undefined;
  let closed = false;
  let scratchCounter = 0;

  // read_json looks every declared column up in every row, so only the columns this group uses are declared
  // (a process row fills ~20 of ~65 columns); the rest are NULL through INSERT BY NAME.
  const columnSpecs = new Map<string, string>();
  function columnsFor(spec: TableSpec, keys: ReadonlySet<string>): string {
    const used = spec.fields.filter((field) => keys.has(field.name));
    const signature = spec.table + '\0' + used.map((field) => field.name).join('\0');
    let columns = columnSpecs.get(signature);
    if (!columns) {
      if (columnSpecs.size > 4096) columnSpecs.clear();
      columnSpecs.set(signature, (columns = readJsonColumns({ ...spec, fields: used })));
    }
    return columns;
  }

  interface PreparedGroup {
    group: PendingAppend[];
    results: AppendResult[];
    /** Host watermarks after this group commits. */
    next: Map<string, number>;
    files: { table: string; file: string; columns: string }[];
  }

  /** Committed watermarks plus those of groups prepared but not yet committed. */
  const projected = new Map<string, number>();
  const projectedWatermark = (hostId: string) => projected.get(hostId) ?? watermarks.get(hostId) ?? -1;

  /** JavaScript half of an append: deduplicates against projected watermarks and writes the scratch files. */
  function prepareGroup(group: PendingAppend[]): PreparedGroup {
    const next = new Map<string, number>();
    const lines = new Map<string, string[]>();
    const present = new Map<string, Set<string>>();
    const results: AppendResult[] = [];
    const ingested = new Date().toISOString();
    for (const pending of group) {
      let current = next.get(pending.hostId) ?? projectedWatermark(pending.hostId);
      let accepted = 0;
      let duplicates = 0;
      for (const event of pending.events) {
        const sequence = event['event.sequence'];
        if (sequence <= current) {
          duplicates++;
          continue;
        }
        current = sequence;
        accepted++;
        const table = categoryByName.get(event['event.category'])!.table;
        let bucket = lines.get(table);
        let keys = present.get(table);
        if (!bucket || !keys) {
          lines.set(table, (bucket = []));
          present.set(table, (keys = new Set(['event.ingested'])));
        }
        for (const key in event) keys.add(key);
        (event as unknown as Record<string, unknown>)['event.ingested'] = ingested;
        bucket.push(JSON.stringify(event));
      }
      next.set(pending.hostId, current);
      results.push({ accepted, duplicates, ackedThrough: current });
    }
    const files: PreparedGroup['files'] = [];
    try {
      for (const [table, bucket] of lines) {
        const file = join(scratchDir, `${table}-${process.pid}-${scratchCounter++}.ndjson`);
        writeFileSync(file, bucket.join('\n'));
        files.push({ table, file, columns: columnsFor(tableByName.get(table)!, present.get(table)!) });
      }
    } catch (error) {
      for (const { file } of files) rmSync(file, { force: true });
      throw VigilError.wrap(error, 'unavailable', 'cannot write ingest scratch files, nothing was stored');
    }
    for (const [hostId, sequence] of next) projected.set(hostId, sequence);
    return { group, results, next, files };
  }

  /** DuckDB half: one transaction with the events and the new watermarks; resolves the appends after COMMIT. */
  async function commitGroup(prepared: PreparedGroup): Promise<void> {
    const db = writer!;
    try {
      await db.run('BEGIN TRANSACTION');
      for (const { table, file, columns } of prepared.files) {
        await db.run(`INSERT INTO ${ident(table)} BY NAME SELECT * FROM read_json(${literal(file)}, format = 'newline_delimited', columns = ${columns})`);
      }
      const changed = [...prepared.next].filter(([hostId, sequence]) => sequence !== (watermarks.get(hostId) ?? -1));
      if (changed.length) {
        await db.run(
          `INSERT OR REPLACE INTO ingest_watermarks VALUES ${changed.map((_, i) => `($${2 * i + 1}, $${2 * i + 2}, now())`).join(', ')}`,
          changed.flat(),
        );
      }
      await db.run('COMMIT');
    } catch (error) {
      await db.run('ROLLBACK').catch(() => undefined);
      throw VigilError.wrap(error, 'unavailable', 'event store write failed, nothing was stored');
    } finally {
      for (const { file } of prepared.files) rmSync(file, { force: true });
    }
    for (const [hostId, sequence] of prepared.next) watermarks.set(hostId, sequence);
    prepared.group.forEach((pending, i) => pending.resolve(prepared.results[i]!));
  }

  function takeGroup(): PendingAppend[] {
    const group: PendingAppend[] = [];
    let size = 0;
    while (queue.length && (group.length === 0 || size + queue[0]!.events.length <= maxGroupEvents)) {
      const next = queue.shift()!;
      size += next.events.length;
      group.push(next);
    }
    queuedEvents -= size;
    return group;
  }

  /**
   * Two-stage pipeline: while DuckDB commits one group, the next is prepared. A failed commit also fails the group
   * prepared behind it (its deduplication assumed the first would commit), and both are retried by their senders.
   */
  let prepared: PreparedGroup | undefined;
  function pump(): void {
    // Preparing while a commit runs overlaps the two halves, but each read_json statement costs ~4 ms whatever its
    // size, so a group is prepared early only once enough events wait; otherwise they wait for the commit to end.
    if (!prepared && queue.length && (!writing || queuedEvents >= eagerGroupEvents)) {
      const group = takeGroup();
      try {
        prepared = prepareGroup(group);
      } catch (error) {
        for (const pending of group) pending.reject(VigilError.wrap(error, 'unavailable'));
      }
    }
    if (writing || !prepared) return;
    const current = prepared;
    prepared = undefined;
    writing = commitGroup(current)
      .catch((error: unknown) => {
        const wrapped = VigilError.wrap(error, 'unavailable');
        log.error('append failed', { error: wrapped.message, batches: current.group.length });
        for (const pending of current.group) pending.reject(wrapped);
        if (prepared) {
          for (const { file } of prepared.files) rmSync(file, { force: true });
          for (const pending of prepared.group) pending.reject(wrapped);
          prepared = undefined;
        }
        projected.clear();
      })
      .finally(() => {
        writing = undefined;
        if (!prepared) projected.clear();
        pump();
      });
    setImmediate(pump);
  }

  function whereClause(filter: EventFilter, params: DuckDBValue[]): string {
    const parts: string[] = [];
    const bind = (value: DuckDBValue) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.hostId !== undefined) parts.push(`"host.id" = ${bind(filter.hostId)}`);
    if (filter.actions?.length) parts.push(`"event.action" IN (${filter.actions.map((a) => bind(a)).join(', ')})`);
    if (filter.from !== undefined) parts.push(`"@timestamp" >= CAST(${bind(filter.from)} AS TIMESTAMPTZ)::TIMESTAMP`);
    if (filter.to !== undefined) parts.push(`"@timestamp" < CAST(${bind(filter.to)} AS TIMESTAMPTZ)::TIMESTAMP`);
    return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
  }

  function source(filter: EventFilter): string {
    if (!filter.categories?.length) return 'events';
    const tables = filter.categories.map((name) => {
      const category = categoryByName.get(name);
      if (!category) throw new VigilError('invalid_input', `unknown category ${JSON.stringify(name)}`, { location: { path: 'category' } });
      return `SELECT * FROM ${ident(category.table)}`;
    });
    return tables.length === 1 ? tables[0]!.slice('SELECT * FROM '.length) : `(${tables.join(' UNION ALL BY NAME ')})`;
  }

  return {
    name: 'duckdb',

    async open() {
      mkdirSync(scratchDir, { recursive: true });
      try {
        instance = await DuckDBInstance.create(join(options.dataDir, 'events.duckdb'), {
          threads: String(options.threads ?? 2),
          // Reads order by time explicitly, so inserts need not keep arrival order; this lets DuckDB append in parallel.
          preserve_insertion_order: 'false',
          checkpoint_threshold: options.checkpointThreshold ?? '128MB',
          ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
        });
      } catch (error) {
        throw VigilError.wrap(error, 'unavailable', `cannot open the event store in ${options.dataDir} (is another Vigil server using it?)`);
      }
      writer = await instance.connect();
      reader = await instance.connect();
      for (const spec of [...eventTables, ...inventoryTableSpecs]) {
        await writer.run(createTableSql(spec));
        const existing = new Set(
          (await writer.runAndReadAll('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [spec.table])).getRows().map((r) => String(r[0])),
        );
        for (const field of spec.fields) {
          if (!existing.has(field.name)) await writer.run(`ALTER TABLE ${ident(spec.table)} ADD COLUMN ${createTableSql({ ...spec, fields: [field], notNull: new Set() }).split('\n')[1]!.trim()}`);
        }
      }
      await writer.run(watermarkTableSql);
      await writer.run(eventsViewSql());
      for (const row of (await writer.runAndReadAll('SELECT host_id, sequence FROM ingest_watermarks')).getRows()) {
        watermarks.set(String(row[0]), Number(row[1]));
      }
    },

    append(hostId, events) {
      if (closed || !writer) return Promise.reject(new VigilError('unavailable', 'event store is closed'));
      if (events.length === 0) return Promise.resolve({ accepted: 0, duplicates: 0, ackedThrough: watermarks.get(hostId) ?? -1 });
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ hostId, events, resolve, reject });
        queuedEvents += events.length;
        pump();
      });
    },

    async watermark(hostId) {
      return watermarks.get(hostId) ?? -1;
    },

    async queryEvents(query) {
      const params: DuckDBValue[] = [];
      const where = whereClause(query, params);
      const limit = Math.max(1, Math.min(10000, Math.floor(query.limit)));
      const sql = `SELECT * FROM ${source(query)} ${where} ORDER BY "@timestamp" ${query.order === 'asc' ? 'ASC' : 'DESC'}, "event.sequence" ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${limit}`;
      const result = await reader!.runAndReadAll(sql, params);
      return result.getRowObjectsJS().map(toPlainEvent);
    },

    async countEvents(filter, groupBy) {
      const params: DuckDBValue[] = [];
      const where = whereClause(filter, params);
      const key = { category: '"event.category"', action: '"event.category" || \'/\' || "event.action"', host: '"host.id"', none: "'all'" }[groupBy];
      const result = await reader!.runAndReadAll(`SELECT ${key} AS key, count(*) AS n FROM ${source(filter)} ${where} GROUP BY 1 ORDER BY 2 DESC`, params);
      return result.getRows().map((row): CountRow => ({ key: String(row[0]), count: Number(row[1]) }));
    },

    async close() {
      closed = true;
      while (writing || queue.length || prepared) {
        pump();
        await writing;
      }
      writer?.closeSync();
      reader?.closeSync();
      instance?.closeSync();
      writer = reader = instance = undefined;
    },
  };
}

/** DuckDB row → the wire shape of an event: no nulls, numbers not bigints, ISO dates. */
export function toPlainEvent(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in row) {
    const value = row[key];
    if (value === null || value === undefined) continue;
    out[key] = plain(value);
  }
  return out;
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}
