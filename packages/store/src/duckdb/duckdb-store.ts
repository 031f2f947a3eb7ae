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
  let writing: Promise<void> | undefined;
  let closed = false;
  let scratchCounter = 0;

  async function writeGroup(group: PendingAppend[]): Promise<void> {
    const db = writer!;
    const next = new Map<string, number>();
    const lines = new Map<string, string[]>();
    const results: AppendResult[] = [];
    const ingested = new Date().toISOString();
    for (const pending of group) {
      let current = next.get(pending.hostId) ?? watermarks.get(pending.hostId) ?? -1;
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
        if (!bucket) lines.set(table, (bucket = []));
        (event as unknown as Record<string, unknown>)['event.ingested'] = ingested;
        bucket.push(JSON.stringify(event));
      }
      next.set(pending.hostId, current);
      results.push({ accepted, duplicates, ackedThrough: current });
    }
    const files: string[] = [];
    try {
      for (const [table, bucket] of lines) {
        const file = join(scratchDir, `${table}-${process.pid}-${scratchCounter++}.ndjson`);
        writeFileSync(file, bucket.join('\n'));
        files.push(file);
      }
      await db.run('BEGIN TRANSACTION');
      let index = 0;
      for (const table of lines.keys()) {
        const spec = tableByName.get(table)!;
        await db.run(
          `INSERT INTO ${ident(table)} BY NAME SELECT * FROM read_json(${literal(files[index++]!)}, format = 'newline_delimited', columns = ${readJsonColumns(spec)})`,
        );
      }
      for (const [hostId, sequence] of next) {
        if (sequence === (watermarks.get(hostId) ?? -1)) continue;
        await db.run('INSERT OR REPLACE INTO ingest_watermarks VALUES ($1, $2, now())', [hostId, sequence]);
      }
      await db.run('COMMIT');
    } catch (error) {
      await db.run('ROLLBACK').catch(() => undefined);
      throw VigilError.wrap(error, 'unavailable', 'event store write failed, nothing was stored');
    } finally {
      for (const file of files) rmSync(file, { force: true });
    }
    for (const [hostId, sequence] of next) watermarks.set(hostId, sequence);
    group.forEach((pending, i) => pending.resolve(results[i]!));
  }

  function pump(): void {
    if (writing || queue.length === 0) return;
    const group: PendingAppend[] = [];
    let size = 0;
    while (queue.length && (group.length === 0 || size + queue[0]!.events.length <= maxGroupEvents)) {
      const next = queue.shift()!;
      size += next.events.length;
      group.push(next);
    }
    writing = writeGroup(group)
      .catch((error: unknown) => {
        const wrapped = VigilError.wrap(error, 'unavailable');
        log.error('append failed', { error: wrapped.message, batches: group.length });
        for (const pending of group) pending.reject(wrapped);
      })
      .finally(() => {
        writing = undefined;
        pump();
      });
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
      while (writing || queue.length) {
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
