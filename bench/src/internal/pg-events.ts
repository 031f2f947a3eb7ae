// The "traditional deployment" baseline: one PostgreSQL `events` table with host+time, type+time and sha256 indexes,
// loaded from the very batch bodies the agents send. Values are always bound parameters; nothing is spliced into SQL.

import type { QueryConfig } from 'pg';

type PgType = 'timestamptz' | 'uuid' | 'bigint' | 'integer' | 'text' | 'inet' | 'text[]';

/** Event field → column. Order is the column order of the table and of the insert statements. */
export const pgColumns: readonly (readonly [field: string, column: string, type: PgType])[] = [
  ['@timestamp', 'ts', 'timestamptz'],
  ['event.id', 'event_id', 'uuid'],
  ['event.sequence', 'sequence', 'bigint'],
  ['event.category', 'category', 'text'],
  ['event.action', 'action', 'text'],
  ['event.provider', 'provider', 'text'],
  ['host.id', 'host_id', 'text'],
  ['host.name', 'host_name', 'text'],
  ['process.pid', 'pid', 'bigint'],
  ['process.parent.pid', 'ppid', 'bigint'],
  ['process.executable', 'executable', 'text'],
  ['process.name', 'process_name', 'text'],
  ['process.args', 'args', 'text[]'],
  ['process.command_line', 'command_line', 'text'],
  ['process.working_directory', 'working_directory', 'text'],
  ['process.hash.sha256', 'sha256', 'text'],
  ['process.parent.executable', 'parent_executable', 'text'],
  ['process.parent.name', 'parent_name', 'text'],
  ['user.id', 'user_id', 'text'],
  ['user.name', 'user_name', 'text'],
  ['user.effective.id', 'effective_user_id', 'text'],
  ['group.id', 'group_id', 'text'],
  ['source.ip', 'source_ip', 'inet'],
  ['source.port', 'source_port', 'integer'],
  ['destination.ip', 'destination_ip', 'inet'],
  ['destination.port', 'destination_port', 'integer'],
  ['network.transport', 'transport', 'text'],
  ['network.type', 'network_type', 'text'],
  ['network.direction', 'direction', 'text'],
  ['file.path', 'file_path', 'text'],
  ['file.name', 'file_name', 'text'],
  ['file.directory', 'file_directory', 'text'],
];

const required = new Set(['ts', 'event_id', 'sequence', 'category', 'action', 'host_id']);

export const pgSchemaSql: readonly string[] = [
  'DROP TABLE IF EXISTS events',
  `CREATE TABLE events (\n  ${pgColumns.map(([, c, t]) => `${c} ${t}${required.has(c) ? ' NOT NULL' : ''}`).join(',\n  ')},\n  ingested timestamptz NOT NULL DEFAULT now()\n)`,
  'CREATE INDEX events_host_ts ON events (host_id, ts)',
  'CREATE INDEX events_category_ts ON events (category, ts)',
  'CREATE INDEX events_sha256 ON events (sha256)',
];

export const pgIndexNames = ['events_host_ts (host_id, ts)', 'events_category_ts (category, ts)', 'events_sha256 (sha256)'];

export type PgMethod = 'unnest' | 'json';

const columnList = pgColumns.map(([, c]) => c).join(', ');

/** INSERT ... SELECT FROM unnest($1::timestamptz[], ...): one array parameter per column, args as array literals. */
const unnestSql =
  `INSERT INTO events (${columnList}) SELECT ${pgColumns.map(([, c, t]) => (t === 'text[]' ? `u.${c}::text[]` : `u.${c}`)).join(', ')} ` +
  `FROM unnest(${pgColumns.map(([, , t], i) => `$${i + 1}::${t === 'text[]' ? 'text' : t}[]`).join(', ')}) AS u(${columnList})`;

/** INSERT ... SELECT FROM json_to_recordset($1::json -> 'events'): the agent's batch body itself is the parameter. */
const jsonSql =
  `INSERT INTO events (${columnList}) SELECT ${pgColumns.map(([f]) => `e."${f}"`).join(', ')} ` +
  `FROM json_to_recordset($1::json -> 'events') AS e(${pgColumns.map(([f, , t]) => `"${f}" ${t}`).join(', ')})`;

const NEEDS_ESCAPE = /[\\"]/;

function quoteElement(value: string): string {
  return NEEDS_ESCAPE.test(value) ? '"' + value.replace(/[\\"]/g, '\\$&') + '"' : '"' + value + '"';
}

/** A PostgreSQL array literal ('{"a","b",NULL}') for text-like and numeric elements. */
export function arrayLiteral(values: readonly (string | number | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    out += v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : quoteElement(v);
  }
  return out + '}';
}

/** Prepared parameters for one batch: built before the timed phase, so the load measures PostgreSQL, not the client. */
export type PgBatchParams = readonly (string | Buffer)[];

export function pgBatchParams(method: PgMethod, body: Buffer): PgBatchParams {
  // json_recv's binary form is the JSON text itself, so the body goes out untouched.
  if (method === 'json') return [body];
  const events = (JSON.parse(body.toString('utf8')) as { events: Record<string, unknown>[] }).events;
  return pgColumns.map(([field, , type]) => {
    const values = events.map((event) => {
      const value = event[field];
      if (value === undefined || value === null) return undefined;
      if (type === 'text[]') return arrayLiteral(value as string[]);
      return typeof value === 'number' ? value : String(value);
    });
    return arrayLiteral(values);
  });
}

export function pgInsertQuery(method: PgMethod, params: PgBatchParams): QueryConfig {
  return { name: `insert_events_${method}`, text: method === 'json' ? jsonSql : unnestSql, values: params as unknown[] };
}
