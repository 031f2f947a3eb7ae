// DuckDB DDL generated from the schema: one table per event category and inventory table, and the `events` view.
// Column names are the schema's dotted field names, always double-quoted; nothing here executes SQL.

import type { FieldDef, FieldType } from '@vigil/schema';
import { resolvedCategories, resolvedInventoryTables, telemetryCategories } from '@vigil/schema';

export const duckdbType: Record<FieldType, string> = {
  keyword: 'VARCHAR',
  text: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'TIMESTAMP',
  ip: 'VARCHAR',
  'keyword[]': 'VARCHAR[]',
  'ip[]': 'VARCHAR[]',
  object: 'JSON',
};

/** Quotes an identifier; the schema's names never hold a double quote, but this stays safe if one ever does. */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A SQL string literal for names known at build time (never for user input, which is always bound). */
export function literal(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}

export interface TableSpec {
  table: string;
  fields: readonly FieldDef[];
  notNull: ReadonlySet<string>;
}

export const eventTables: readonly TableSpec[] = resolvedCategories.map((category) => ({
  table: category.table,
  fields: [...category.fields.filter((f) => f.name !== 'event.ingested'), { name: 'event.ingested', type: 'date', description: 'Server ingest time.' } as FieldDef],
  notNull: new Set([...category.requiredFields, 'event.ingested']),
}));

export const inventoryTableSpecs: readonly TableSpec[] = resolvedInventoryTables.map((table) => ({
  table: table.table,
  fields: table.fields,
  notNull: new Set([...table.required, 'host.id', 'inventory.collected']),
}));

export function createTableSql(spec: TableSpec): string {
  const columns = spec.fields.map((f) => `  ${ident(f.name)} ${duckdbType[f.type]}${spec.notNull.has(f.name) ? ' NOT NULL' : ''}`);
  return `CREATE TABLE IF NOT EXISTS ${ident(spec.table)} (\n${columns.join(',\n')}\n)`;
}

/** The `columns={...}` argument of read_json for a table. */
export function readJsonColumns(spec: TableSpec): string {
  return '{' + spec.fields.map((f) => `${literal(f.name)}: ${literal(duckdbType[f.type])}`).join(', ') + '}';
}

/** The `events` view: the telemetry tables only (categories the server writes, such as alerts, stay out of it). */
export function eventsViewSql(): string {
  return `CREATE OR REPLACE VIEW events AS\n${telemetryCategories.map((c) => `SELECT * FROM ${ident(c.table)}`).join('\nUNION ALL BY NAME\n')}`;
}

export const watermarkTableSql = 'CREATE TABLE IF NOT EXISTS ingest_watermarks (host_id VARCHAR PRIMARY KEY, sequence BIGINT NOT NULL, updated TIMESTAMP NOT NULL)';
