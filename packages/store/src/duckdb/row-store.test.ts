// The row store returns for each row exactly what a search returns for it (toPlainEvent of the DuckDB row): dates
// with microseconds cut to milliseconds, JSON objects as text, lists with nulls, booleans, escapes, non-ASCII text.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { createTableSql, eventTables } from './ddl.js';
import { toPlainEvent } from './duckdb-store.js';
import { createRowStore } from './row-store.js';

test('rows read back by row id equal the rows a search returns, before and after a delete (cached or not)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-row-store-'));
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  const store = createRowStore(join(dir, 'rows.cache'));
  try {
    const table = eventTables.findIndex((t) => t.table === 'events_process');
    for (const spec of eventTables) await db.run(createTableSql(spec));
    await db.run(`INSERT INTO events_process ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "event.ingested",
      "process.pid", "process.name", "process.args", "process.interactive", "winlog.event_data") VALUES
      ('2026-03-01 10:00:00.123456', 'e1', 1, 'process', 'start', 'h1', '2026-03-01 10:00:01.999999', 42, 'a"b\\c' || chr(10) || 'd', ['x', NULL, 'ü'], true, '{"A": 1.0, "B":"é"}'),
      ('2026-03-01 10:00:00.000001', 'e2', 2, 'process', 'start', 'h2', '2026-03-01 10:00:02', 9007199254740993, 'straße', [], false, NULL),
      ('2026-03-01 10:00:00.5', 'e3', 3, 'process', 'start', 'h1', '2026-03-01 10:00:03', -7, NULL, NULL, NULL, '[]')`);
    const expected = async () =>
      (await db.runAndReadAll('SELECT rowid AS r, epoch_us("@timestamp") AS us, * FROM events_process ORDER BY rowid')).getRowObjectsJS().map((row) => {
        const { r, us, ...rest } = row;
        return { rowid: Number(r), us: Number(us), row: toPlainEvent(rest) };
      });
    const check = async () => {
      for (const { rowid, us, row } of await expected()) {
        const read = store.read(table, [rowid]);
        assert.ok(read, `row ${rowid} is copied`);
        assert.deepEqual(read[0], row);
        assert.deepEqual(Object.keys(read[0]!), Object.keys(row), 'keys in table order');
        // Reads come from a cache of parsed rows: every read is a copy the caller may change.
        (read[0]!['event.id'] as unknown) = 'changed';
        const args = read[0]!['process.args'];
        if (Array.isArray(args)) args.push('changed');
        assert.deepEqual(store.read(table, [rowid])?.[0], row, 'a read after the caller changed an earlier one');
        const columns = ['process.args', 'event.id', 'no.such.column', '@timestamp'];
        const projected = store.read(table, [rowid], columns)?.[0];
        assert.deepEqual(projected, Object.fromEntries(columns.filter((c) => row[c] !== undefined).map((c) => [c, row[c]])));
        assert.deepEqual(Object.keys(projected!), columns.filter((c) => row[c] !== undefined), 'keys in the order of the columns asked');
        assert.equal(store.head(table, rowid)?.timeUs, us);
        assert.equal(store.head(table, rowid)?.sequence, row['event.sequence']);
      }
    };
    await store.catchUp(db);
    await check();
    assert.equal(store.read(table, [99]), undefined, 'a row never copied is not answered');
    await db.run("DELETE FROM events_process WHERE \"event.id\" = 'e2'");
    await db.run(`INSERT INTO events_process ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "event.ingested", "process.pid")
      VALUES ('2026-03-01 10:00:04', 'e4', 4, 'process', 'start', 'h3', '2026-03-01 10:00:04', 1)`);
    await store.catchUp(db);
    await check();
    assert.equal(store.stats()['row_store_rows'], 3);
  } finally {
    store.close();
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
});
