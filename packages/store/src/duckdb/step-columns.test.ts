// The step columns of a value hold exactly the rows the index's lookup answers, with the row store's times, sequences
// and id hashes and the index's hosts, also after rows are appended (extended in place), after a reset of the row
// store, and within their bound; their runs per host are in (time, sequence) order, or absent on a tie.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { IndexProbe } from '../core.js';
import { createTableSql, eventTables } from './ddl.js';
import { createEventIndex, type EventIndex } from './event-index.js';
import { createRowStore, type RowStore } from './row-store.js';
import { createStepColumns, type StepColumns } from './step-columns.js';

const PROCESS = eventTables.findIndex((t) => t.table === 'events_process');
const NETWORK = eventTables.findIndex((t) => t.table === 'events_network');
const BOTH = [PROCESS, NETWORK];

let sequence = 0;
/** Rows of both tables on three hosts; process names and ports cycle, times go back and forth within a host. */
async function insert(db: DuckDBConnection, count: number, options: { sameTime?: boolean; id?: string } = {}): Promise<void> {
  for (let i = 0; i < count; i++) {
    sequence++;
    const host = `h${sequence % 3}`;
    // Not in row order within a host: the runs per host must be sorted by time, then sequence.
    const ms = options.sameTime ? 0 : ((sequence * 7) % 50) * 1000 + (sequence % 4);
    const time = new Date(Date.UTC(2026, 2, 1) + ms).toISOString().replace('Z', '').replace('T', ' ') + (options.sameTime ? '000' : String(sequence % 10).repeat(3));
    const id = options.id ?? `e${sequence}`;
    if (sequence % 2) {
      await db.run(
        `INSERT INTO events_process ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "event.ingested", "process.pid", "process.name")
         VALUES ($1::TIMESTAMP, $2, $3, 'process', 'start', $4, now()::TIMESTAMP, $3, $5)`,
        [time, id, options.sameTime ? 7 : sequence, host, ['curl', 'bash', 'sh'][sequence % 3]!],
      );
    } else {
      await db.run(
        `INSERT INTO events_network ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "event.ingested", "process.name", "destination.port")
         VALUES ($1::TIMESTAMP, $2, $3, 'network', 'connect', $4, now()::TIMESTAMP, 'curl', $5)`,
        [time, id, options.sameTime ? 7 : sequence, host, [4444, 443][sequence % 2 === 0 ? (sequence / 2) % 2 : 0]!],
      );
    }
  }
}

const PROBES: { probe: IndexProbe; tables: number[] }[] = [
  { probe: { kind: 'equals', field: 'process.name', values: ['curl'], ignoreCase: true }, tables: [PROCESS] },
  { probe: { kind: 'equals', field: 'process.name', values: ['curl'], ignoreCase: true }, tables: BOTH },
  { probe: { kind: 'equals', field: 'process.name', values: ['curl'], ignoreCase: true }, tables: [NETWORK] },
  { probe: { kind: 'number', field: 'destination.port', values: [4444] }, tables: [NETWORK] },
  { probe: { kind: 'number', field: 'destination.port', values: [443] }, tables: BOTH },
];

/** Every table's columns equal the lookup's rows and, per row, the row store's head and the index's host. */
function check(columns: StepColumns, index: EventIndex, rows: RowStore, label: string): void {
  for (const { probe, tables } of PROBES) {
    const got = columns.rows(probe, tables, index, rows);
    const answer = index.lookup(probe, tables);
    assert.ok(got, `${label}: ${JSON.stringify(probe)} is answered`);
    assert.ok(answer);
    assert.deepEqual([...got.keys()].sort(), [...answer.keys()].sort(), `${label}: tables of ${JSON.stringify(probe)}`);
    for (const [t, table] of got) {
      const rowids: number[] = Array.from(answer.get(t)!);
      assert.deepEqual(Array.from(table.rowid.subarray(0, table.n)), rowids, `${label}: rows of ${JSON.stringify(probe)} in table ${t}`);
      const hosts = new Int32Array(rowids.length);
      assert.ok(index.rowHosts(t, rowids, hosts, 0));
      rowids.forEach((rowid, i) => {
        const head = rows.head(t, rowid)!;
        assert.deepEqual([table.us[i], table.sq[i], table.idHash[i], table.host[i]], [head.timeUs, head.sequence, head.idHash, hosts[i]], `${label}: row ${rowid}`);
      });
      const runs = table.byHost();
      assert.ok(runs, `${label}: no ties`);
      const seen: number[] = [];
      for (let h = 0; h + 1 < runs.start.length; h++) {
        for (let j: number = runs.start[h]!; j < runs.start[h + 1]!; j++) {
          const e: number = runs.order[j]!;
          seen.push(e);
          assert.equal(table.host[e], h, `${label}: run of host ${h}`);
          if (j > runs.start[h]!) {
            const d = runs.order[j - 1]!;
            assert.ok(table.us[d]! < table.us[e]! || (table.us[d] === table.us[e] && table.sq[d]! < table.sq[e]!), `${label}: run of host ${h} ascending`);
          }
        }
      }
      assert.deepEqual(seen.sort((a, b) => a - b), rowids.map((_, i) => i), `${label}: runs cover every row once`);
      assert.equal(table.distinctIds(), true, `${label}: distinct ids`);
      assert.deepEqual(table.sharedIdHashes(), { order: new Int32Array(0), starts: [0] }, `${label}: no shared id hashes`);
      assert.equal(table.fromEpoch(), true, `${label}: times after 1970`);
      assert.deepEqual(Array.from(table.tableColumn()), rowids.map(() => t), `${label}: table column`);
    }
  }
}

test('step columns equal the index lookup and the row store, after appends and a row store reset, within their bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-step-columns-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const db = await instance.connect();
  const index = createEventIndex({ minStop: 1000 });
  const rows = createRowStore(join(dir, 'rows.cache'));
  try {
    for (const spec of eventTables) await db.run(createTableSql(spec));
    const catchUp = async () => {
      await index.catchUp(db);
      await rows.catchUp(db);
    };
    await insert(db, 60);
    await catchUp();
    const columns = createStepColumns();
    check(columns, index, rows, 'first gathering');
    const before = columns.rows(PROBES[0]!.probe, [PROCESS], index, rows)!.get(PROCESS)!;
    const snapshot = { n: before.n, us: Array.from(before.us.subarray(0, before.n)), rowid: Array.from(before.rowid.subarray(0, before.n)) };
    const held = columns.held();

    await insert(db, 45);
    // Appended rows the row store has not copied yet: the columns do not answer for them.
    await index.catchUp(db);
    assert.equal(columns.rows(PROBES[0]!.probe, [PROCESS], index, rows), undefined, 'rows missing from the row store');
    await rows.catchUp(db);
    check(columns, index, rows, 'after appends');
    assert.ok(columns.held() > held, 'the columns were extended');
    assert.deepEqual(
      { n: snapshot.n, us: Array.from(before.us.subarray(0, snapshot.n)), rowid: Array.from(before.rowid.subarray(0, snapshot.n)) },
      snapshot,
      'the positions handed out before stay as they were',
    );

    // Rows deleted: the row store starts over (a new generation), and so do the columns.
    await db.run('DELETE FROM events_network WHERE "event.sequence" % 6 = 0');
    await rows.catchUp(db);
    await index.catchUp(db);
    check(columns, index, rows, 'after a delete');

    assert.equal(columns.rows({ kind: 'equals', field: 'process.name', values: ['curl', 'sh'], ignoreCase: true }, BOTH, index, rows), undefined, 'two values');
    assert.equal(columns.rows({ kind: 'equals', field: 'process.name', values: ['nothing'], ignoreCase: true }, BOTH, index, rows), undefined, 'no row');
    assert.equal(columns.rows({ kind: 'contains', field: 'process.name', needle: 'url' }, BOTH, index, rows), undefined, 'not an exact value');

    const small = createStepColumns({ maxRows: 40 });
    const port = PROBES[3]!;
    const portRows = index.lookup(port.probe, port.tables)!.get(NETWORK)!.length;
    assert.ok(portRows > 10 && portRows <= 40);
    assert.ok(small.rows(port.probe, port.tables, index, rows));
    assert.equal(small.rows(PROBES[1]!.probe, BOTH, index, rows), undefined, 'a value with more rows than the bound');
    assert.ok(small.held() <= 40);
    assert.ok(small.rows({ kind: 'number', field: 'destination.port', values: [443] }, [NETWORK], index, rows));
    assert.ok(small.held() <= 40, 'the least recently used value made room');
  } finally {
    rows.close();
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('step columns report ties in time and sequence within a host, repeated event ids and times before 1970', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-step-columns-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const db = await instance.connect();
  const index = createEventIndex();
  const rows = createRowStore(join(dir, 'rows.cache'));
  try {
    for (const spec of eventTables) await db.run(createTableSql(spec));
    await insert(db, 24, { sameTime: true, id: 'same' });
    await db.run(`INSERT INTO events_network ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "event.ingested", "destination.port")
      VALUES (TIMESTAMP '1969-12-31 23:59:59.5', 'old', 1, 'network', 'connect', 'h1', now()::TIMESTAMP, 443)`);
    await index.catchUp(db);
    await rows.catchUp(db);
    const columns = createStepColumns();
    const table = columns.rows({ kind: 'number', field: 'destination.port', values: [443] }, [NETWORK], index, rows)?.get(NETWORK);
    assert.ok(table && table.n > 2);
    assert.equal(table.byHost(), null, 'rows of one host share time and sequence');
    assert.equal(table.distinctIds(), false, 'rows share one event.id');
    // Every row but the last (event.id 'old') has event.id 'same': one group of them.
    assert.deepEqual(table.sharedIdHashes(), { order: Int32Array.from({ length: table.n - 1 }, (_, i) => i), starts: [0, table.n - 1] }, 'the rows sharing a hash');
    assert.equal(table.fromEpoch(), false, 'a row before 1970');
  } finally {
    rows.close();
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
});
