// Test helpers shared by the hunting tests: the golden-file layout, a fixed clock and an in-memory DuckDB with the
// real store DDL. Test-only: never imported by the compiler.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { repoRoot } from '@vigil/common';
import { createTableSql, eventTables, eventsViewSql } from '@vigil/store/duckdb/ddl';
import type { CompiledHunt } from '../compile.js';

export const FIXED_NOW = new Date('2026-03-02T00:00:00.000Z');

export function testdataDir(): string {
  return join(repoRoot(), 'packages', 'hunt', 'src', 'testdata');
}

export function goldenCases(): { name: string; huntPath: string; sqlPath: string }[] {
  const dir = testdataDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hunt'))
    .sort()
    .map((f) => ({ name: f.slice(0, -5), huntPath: join(dir, f), sqlPath: join(dir, f.slice(0, -5) + '.sql') }));
}

/** The golden text of a compiled query: SQL, then kind, parameters and columns as SQL comments. */
export function goldenText(compiled: CompiledHunt): string {
  return [
    compiled.sql,
    `-- kind: ${compiled.kind}`,
    `-- params: ${JSON.stringify(compiled.params)}`,
    `-- columns: ${compiled.columns.map((c) => `${c.name}:${c.type}`).join(', ')}`,
    '',
  ].join('\n');
}

/** An in-memory DuckDB holding every event table and the events view, empty. */
export async function openTestDb(): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  for (const spec of eventTables) await connection.run(createTableSql(spec));
  await connection.run(eventsViewSql());
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Rows as plain objects, BIGINT and HUGEINT as numbers, timestamps as ISO strings. */
export async function runCompiled(connection: DuckDBConnection, compiled: CompiledHunt): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(compiled.sql, compiled.params);
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      out[key] = typeof value === 'bigint' ? Number(value) : value instanceof Date ? value.toISOString() : value;
    }
    return out;
  });
}
