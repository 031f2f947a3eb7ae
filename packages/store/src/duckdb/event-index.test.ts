// Unit tests of the secondary index on a bare DuckDB with the store's DDL: each probe kind, the cases where it must
// step aside (non-ASCII text, too frequent values), and consistency after rows are deleted (retention).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { createTableSql, eventTables } from './ddl.js';
import type { IndexProbe } from '../core.js';
import { createEventIndex, withinDistance } from './event-index.js';

const PROCESS = eventTables.findIndex((t) => t.table === 'events_process');
const NETWORK = eventTables.findIndex((t) => t.table === 'events_network');

async function openDb(): Promise<{ db: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const db = await instance.connect();
  for (const spec of eventTables) await db.run(createTableSql(spec));
  return { db, close: () => (db.closeSync(), instance.closeSync()) };
}

let sequence = 0;
async function insertProcess(db: DuckDBConnection, name: string, commandLine: string, hash: string, args: string[] = []): Promise<void> {
  sequence++;
  await db.run(
    `INSERT INTO events_process ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "process.pid", "process.name", "process.command_line", "process.hash.sha256", "process.args", "event.ingested")
     VALUES (now()::TIMESTAMP, $1, $2, 'process', 'start', 'h1', $2, $3, $4, $5, $6::VARCHAR[], now()::TIMESTAMP)`,
    [`e${sequence}`, sequence, name, commandLine, hash, args.length ? listValue(args) : null],
  );
}

const rowsOf = (answer: ReturnType<ReturnType<typeof createEventIndex>['lookup']>, table: number) => (answer ? Array.from(answer.get(table) ?? []) : undefined);

test('equals, contains and fuzzy probes return exactly the matching rows', async () => {
  const { db, close } = await openDb();
  try {
    await insertProcess(db, 'Bash', '/bin/bash -c "curl http://x/mimikatz"', 'ab'.repeat(32), ['bash', '-c']);
    await insertProcess(db, 'curl', 'curl -sO http://203.0.113.7/x', 'cd'.repeat(32));
    await insertProcess(db, 'python3', 'python3 /dev/shm/run.py', 'AB'.repeat(32));
    const index = createEventIndex({ minStop: 100 });
    await index.catchUp(db);
    const scope = [PROCESS, NETWORK];
    assert.deepEqual(rowsOf(index.lookup({ kind: 'equals', field: 'process.name', values: ['bash'], ignoreCase: true }, scope), PROCESS), [0]);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'equals', field: 'process.args', values: ['-c'], ignoreCase: true }, scope), PROCESS), [0], 'a list element');
    // Hash fields compare exactly: the upper-case hash stored in row 2 is not the lower-case one asked for.
    assert.deepEqual(rowsOf(index.lookup({ kind: 'equals', field: 'process.hash.sha256', values: ['ab'.repeat(32)], ignoreCase: false }, scope), PROCESS), [0]);
    assert.equal(index.lookup({ kind: 'equals', field: 'process.hash.sha256', values: ['ab'.repeat(32)], ignoreCase: true }, scope), undefined, 'a case-insensitive probe on an exact dictionary');
    assert.deepEqual(rowsOf(index.lookup({ kind: 'contains', field: 'process.command_line', needle: 'http://' }, scope), PROCESS), [0, 1]);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'contains', field: 'process.command_line', needle: '/dev/shm/' }, scope), PROCESS), [2]);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'contains', field: 'process.command_line', needle: 'nowhere' }, scope), PROCESS), []);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'fuzzy', term: 'mimikats', distance: 1 }, scope), PROCESS), [0]);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'fuzzy', term: 'Mimikatz', distance: 0 }, scope), PROCESS), [], 'tokens are lower-cased, the term is not');
    assert.equal(index.lookup({ kind: 'fuzzy', term: 'ab', distance: 2 }, scope), undefined, 'a term no longer than the distance matches empty tokens');
  } finally {
    close();
  }
});

test('the index steps aside for non-ASCII text and for values too frequent to keep', async () => {
  const { db, close } = await openDb();
  try {
    for (let i = 0; i < 30; i++) await insertProcess(db, 'sh', `sh -c job${i}`, 'ef'.repeat(32));
    await insertProcess(db, 'straße', 'echo straße', '01'.repeat(32));
    const index = createEventIndex({ minStop: 10, stopFraction: 0.1 });
    await index.catchUp(db);
    const scope = [PROCESS];
    assert.equal(index.lookup({ kind: 'equals', field: 'process.name', values: ['sh'], ignoreCase: true }, scope), undefined, 'a stopped value');
    assert.equal(index.lookup({ kind: 'equals', field: 'process.name', values: ['strasse'], ignoreCase: true }, scope), undefined, 'a field holding non-ASCII text');
    assert.equal(index.lookup({ kind: 'fuzzy', term: 'echo', distance: 1 }, scope), undefined, 'a table holding non-ASCII text');
    assert.deepEqual(rowsOf(index.lookup({ kind: 'equals', field: 'process.hash.sha256', values: ['01'.repeat(32)], ignoreCase: false }, scope), PROCESS), [30]);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'fuzzy', term: 'echo', distance: 1 }, [NETWORK]), NETWORK), [], 'other tables still answer');
  } finally {
    close();
  }
});

test('a value common in one table is not stopped when a smaller table holding the field is indexed (issue 6: "curl" at 10M events)', async () => {
  const { db, close } = await openDb();
  try {
    // 9 of 200 process rows (under the 10% share) and 4 network rows: the network table's first rows must be weighed
    // against every indexed row, not against the network table's own (then the 13 rows pass its minStop of 10).
    for (let i = 0; i < 200; i++) await insertProcess(db, i % 22 === 0 ? 'curl' : `tool${i % 40}`, `run ${i}`, 'ef'.repeat(32));
    for (let i = 0; i < 4; i++) {
      sequence++;
      await db.run(
        `INSERT INTO events_network ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "event.ingested", "process.name", "destination.port")
         VALUES (now()::TIMESTAMP, $1, $2, 'network', 'connect', 'h1', now()::TIMESTAMP, 'curl', 4444)`,
        [`e${sequence}`, sequence],
      );
    }
    const index = createEventIndex({ minStop: 10, stopFraction: 0.1 });
    await index.catchUp(db);
    const probe: IndexProbe = { kind: 'equals', field: 'process.name', values: ['curl'], ignoreCase: true };
    const answer = index.lookup(probe, [PROCESS, NETWORK]);
    assert.equal(rowsOf(answer, PROCESS)?.length, 10);
    assert.deepEqual(rowsOf(answer, NETWORK), [0, 1, 2, 3]);
    assert.equal(index.valueList(probe, [PROCESS, NETWORK])?.n, 14, 'the row list is kept');
  } finally {
    close();
  }
});

test('value counts of a table stay exact for stopped values and step aside for mixed case and non-ASCII text', async () => {
  const { db, close } = await openDb();
  try {
    for (let i = 0; i < 30; i++) await insertProcess(db, 'sh', `sh -c job${i}`, 'ef'.repeat(32));
    await insertProcess(db, 'curl', 'curl x', 'EF'.repeat(32));
    const index = createEventIndex({ minStop: 10, stopFraction: 0.1 });
    await index.catchUp(db);
    assert.equal(index.lookup({ kind: 'equals', field: 'process.name', values: ['sh'], ignoreCase: true }, [PROCESS]), undefined, '"sh" is stopped');
    for (let i = 0; i < 5; i++) await insertProcess(db, 'sh', `sh -c late${i}`, 'ef'.repeat(32));
    await index.catchUp(db);
    const counts = index.valueCounts('process.name', PROCESS);
    assert.deepEqual(counts && [...counts.values].sort(), [['curl', 1], ['sh', 35]], 'a stopped value keeps counting its rows');
    assert.equal(counts?.nulls, 0);
    assert.deepEqual(index.valueCounts('process.hash.sha256', PROCESS)?.values, new Map([['ef'.repeat(32), 35], ['EF'.repeat(32), 1]]), 'hashes keep their case');
    assert.deepEqual(index.valueCounts('process.name', NETWORK), { values: new Map(), nulls: 0 }, 'a table without rows');
    assert.equal(index.valueCounts('process.args', PROCESS), undefined, 'a list field');
    await insertProcess(db, 'Curl', 'Curl y', 'ef'.repeat(32));
    await index.catchUp(db);
    assert.equal(index.valueCounts('process.name', PROCESS), undefined, 'keys are case-folded: "Curl" is not its key');
    assert.equal(index.valueCounts('process.hash.sha256', PROCESS)?.values.get('ef'.repeat(32)), 36);
    await insertProcess(db, 'straße', 'echo straße', '01'.repeat(32));
    await index.catchUp(db);
    assert.equal(index.valueCounts('process.command_line', PROCESS), undefined, 'a field holding non-ASCII text');
  } finally {
    close();
  }
});

test('after rows are deleted (retention) the next catch-up rebuilds, so answers match the table again', async () => {
  const { db, close } = await openDb();
  try {
    for (let i = 0; i < 5; i++) await insertProcess(db, `p${i}`, `run p${i}`, 'aa'.repeat(32));
    const index = createEventIndex();
    await index.catchUp(db);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'equals', field: 'process.name', values: ['p3'], ignoreCase: true }, [PROCESS]), PROCESS), [3]);
    await db.run(`DELETE FROM events_process WHERE "process.name" IN ('p0', 'p3')`);
    await insertProcess(db, 'p5', 'run p5', 'aa'.repeat(32));
    await index.catchUp(db);
    const expected = async (name: string) =>
      (await db.runAndReadAll(`SELECT rowid FROM events_process WHERE "process.name" = $1 ORDER BY 1`, [name])).getRows().map((r) => Number(r[0]));
    for (const name of ['p0', 'p1', 'p3', 'p4', 'p5']) {
      assert.deepEqual(rowsOf(index.lookup({ kind: 'equals', field: 'process.name', values: [name], ignoreCase: true }, [PROCESS]), PROCESS), await expected(name), name);
    }
    assert.equal(index.stats()['index_rows'], 4);
  } finally {
    close();
  }
});

async function insertConnect(db: DuckDBConnection, host: string, port: number | null, hash: string): Promise<void> {
  sequence++;
  await db.run(
    `INSERT INTO events_network ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "destination.port", "process.hash.sha256", "event.ingested")
     VALUES (TIMESTAMP '2026-03-01 00:00:00' + to_seconds($2), $1, $2, 'network', 'connect', $3, $4, $5, now()::TIMESTAMP)`,
    [`e${sequence}`, sequence, host, port, hash],
  );
}

test('number probes return exactly the rows holding the integer, and step aside for values beyond 2^53', async () => {
  const { db, close } = await openDb();
  try {
    for (const port of [4444, 443, null, 4444, 80]) await insertConnect(db, 'h1', port, 'ab'.repeat(32));
    // Frequent values are never stopped: their rows cost 4 bytes each.
    const index = createEventIndex({ minStop: 1, stopFraction: 0 });
    await index.catchUp(db);
    const scope = [PROCESS, NETWORK];
    assert.deepEqual(rowsOf(index.lookup({ kind: 'number', field: 'destination.port', values: [4444] }, scope), NETWORK), [0, 3]);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'number', field: 'destination.port', values: [80, 443, 80] }, scope), NETWORK), [1, 4]);
    assert.deepEqual(rowsOf(index.lookup({ kind: 'number', field: 'destination.port', values: [22] }, scope), NETWORK), []);
    assert.equal(index.lookup({ kind: 'number', field: 'process.pid', values: [1] }, scope), undefined, 'a field without postings');
    await db.run(`INSERT INTO events_network ("@timestamp", "event.id", "event.sequence", "event.category", "event.action", "host.id", "destination.port", "event.ingested")
      VALUES (now()::TIMESTAMP, 'big', 99, 'network', 'connect', 'h1', 9007199254740993, now()::TIMESTAMP)`);
    await index.catchUp(db);
    assert.equal(index.lookup({ kind: 'number', field: 'destination.port', values: [4444] }, scope), undefined, 'a value JavaScript cannot hold exactly');
  } finally {
    close();
  }
});

test('per value and host summaries stay exact for hashes whose row lists are stopped', async () => {
  const { db, close } = await openDb();
  try {
    const hosts = ['h1', 'h2', 'h3'];
    for (let i = 0; i < 40; i++) await insertConnect(db, hosts[i % 3]!, 4444, i % 4 === 0 ? 'cd'.repeat(32) : 'ab'.repeat(32));
    const index = createEventIndex({ minStop: 5, stopFraction: 0 });
    await index.catchUp(db);
    assert.equal(index.lookup({ kind: 'equals', field: 'process.hash.sha256', values: ['ab'.repeat(32)], ignoreCase: false }, [NETWORK]), undefined, 'the row list is stopped');
    const expected = (
      await db.runAndReadAll(`SELECT "process.hash.sha256", "host.id", count(*)::INTEGER, epoch_ms(min("@timestamp"))::DOUBLE, epoch_ms(max("@timestamp"))::DOUBLE FROM events_network GROUP BY ALL ORDER BY ALL`)
    ).getRows().map((r) => r.map((v) => (typeof v === 'string' ? v : Number(v))));
    const stats = index.valueHostStats({ kind: 'equals', field: 'process.hash.sha256', values: ['ab'.repeat(32), 'cd'.repeat(32), 'ef'.repeat(32)], ignoreCase: false }, [PROCESS, NETWORK]);
    assert.deepEqual(stats?.map((s) => [s.value, s.host, s.count, s.first, s.last]).sort(), expected.sort());
  } finally {
    close();
  }
});

test('count equals the number of rows lookup answers, for scalar and list fields, repeated values and every probe kind', async () => {
  const { db, close } = await openDb();
  try {
    await insertProcess(db, 'curl', 'curl -sO http://x/dev/shm/a', 'ab'.repeat(32), ['curl', '-sO', 'curl']);
    await insertProcess(db, 'CURL', 'curl http://x/dev/shm/b', 'cd'.repeat(32), ['curl', '/dev/shm/b']);
    await insertProcess(db, 'bash', 'bash -c /dev/shm/curl', 'ab'.repeat(32), ['bash', '-c', '/dev/shm/curl']);
    for (const port of [4444, 443, 4444]) await insertConnect(db, 'h1', port, 'ab'.repeat(32));
    await db.run(`UPDATE events_network SET "process.name" = 'curl'`);
    const index = createEventIndex({ minStop: 100 });
    await index.catchUp(db);
    const probes: IndexProbe[] = [
      { kind: 'equals', field: 'process.name', values: ['curl'], ignoreCase: true },
      { kind: 'equals', field: 'process.name', values: ['curl', 'bash', 'curl'], ignoreCase: true },
      { kind: 'equals', field: 'process.args', values: ['curl', '-sO'], ignoreCase: true },
      { kind: 'equals', field: 'process.hash.sha256', values: ['ab'.repeat(32), 'ab'.repeat(32)], ignoreCase: false },
      { kind: 'contains', field: 'process.command_line', needle: '/dev/shm/' },
      { kind: 'contains', field: 'process.args', needle: 'cur' },
      { kind: 'number', field: 'destination.port', values: [4444, 443, 4444] },
      { kind: 'fuzzy', term: 'curk', distance: 1 },
      { kind: 'equals', field: 'process.name', values: ['Curl'], ignoreCase: true },
    ];
    for (const scope of [[PROCESS], [NETWORK], [PROCESS, NETWORK]]) {
      for (const probe of probes) {
        const answer = index.lookup(probe, scope);
        const rows = answer ? [...answer.values()].reduce((n, rowids) => n + rowids.length, 0) : undefined;
        assert.equal(index.count(probe, scope), rows, `${JSON.stringify(probe)} in ${scope.join(',')}`);
      }
    }
    assert.equal(index.count({ kind: 'contains', field: 'process.command_line', needle: '/dev/shm/' }, [PROCESS]), 3);
    assert.equal(index.count({ kind: 'equals', field: 'process.args', values: ['curl'], ignoreCase: true }, [PROCESS]), 2, 'a row whose list holds the value twice counts once');
    assert.equal(index.count({ kind: 'equals', field: 'process.name', values: ['curl', 'curl'], ignoreCase: true }, [PROCESS, NETWORK]), 5, 'a value asked twice');
  } finally {
    close();
  }
});

test('contains answers the same whether the trigram index was built at once or extended row by row', async () => {
  const { db, close } = await openDb();
  try {
    const words = ['/dev/shm/', 'curl', '-sO', 'http://203.0.113.7/', 'bash', 'abcabc', 'x', '%', 'a_b', 'Mimikatz', 'ss'];
    const lines: string[] = [];
    for (let i = 0; i < 70; i++) lines.push([words[i % words.length], words[(i * 7) % words.length], words[(i * 3 + 1) % words.length], String(i % 9)].join(i % 2 ? ' ' : ''));
    const needles = ['/dev/shm/', 'curl -so', 'abc', 'bca', 'cab', 'http', '3.7/', 'sss', 'a_b', 'mimikatz', 'kat', 'zzz', ' 1 ', 'h://', '%ss'];
    const inOrder = createEventIndex();
    const smallStops = createEventIndex({ minStop: 3, stopFraction: 0.05 });
    for (let i = 0; i < lines.length; i++) {
      await insertProcess(db, `p${i}`, lines[i]!, 'ab'.repeat(32));
      await inOrder.catchUp(db);
      // Probing after every row extends the trigram index key by key.
      inOrder.lookup({ kind: 'contains', field: 'process.command_line', needle: needles[i % needles.length]! }, [PROCESS]);
    }
    const atOnce = createEventIndex();
    await atOnce.catchUp(db);
    await smallStops.catchUp(db);
    let stopped = 0;
    for (const needle of needles) {
      const expected = lines.flatMap((line, row) => (line.toLowerCase().includes(needle) ? [row] : []));
      const probe = { kind: 'contains', field: 'process.command_line', needle } as const;
      assert.deepEqual(rowsOf(atOnce.lookup(probe, [PROCESS]), PROCESS), expected, `${needle}: built at once`);
      assert.deepEqual(rowsOf(inOrder.lookup(probe, [PROCESS]), PROCESS), expected, `${needle}: built row by row`);
      const few = smallStops.lookup(probe, [PROCESS]);
      if (few) assert.deepEqual(rowsOf(few, PROCESS), expected, `${needle}: with stopped trigrams`);
      else stopped++;
    }
    assert.ok(stopped > 0 && stopped < needles.length, 'some needles have only stopped trigrams');
  } finally {
    close();
  }
});

test('withinDistance is the Levenshtein bound', () => {
  assert.equal(withinDistance('mimikatz', 'mimikats', 1), true);
  assert.equal(withinDistance('mimikatz', 'mimikats', 0), false);
  assert.equal(withinDistance('kitten', 'sitting', 3), true);
  assert.equal(withinDistance('kitten', 'sitting', 2), false);
  assert.equal(withinDistance('', 'abc', 3), true);
  assert.equal(withinDistance('abcdef', 'abc', 2), false);
});
