// The shared conformance suite every EventStore implementation runs (see duckdb/duckdb-store.test.ts).
// It states the store contract: durable appends, sequence deduplication, filtered reads, survival across reopen.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkEvent, type VigilEvent } from '@vigil/schema';
import { TIMELINE_POSITION_KEY, type EventStore } from './core.js';

/** A maker of temporary folders named `<prefix>XXXXXX`, all removed when the calling test file's tests are done. */
export function temporaryDirs(prefix: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

export interface ConformanceOptions {
  /** Names the implementation (and variant) in test titles. */
  name: string;
  /** Creates a store over `dir`; called again with the same dir to check persistence. */
  create: (dir: string) => EventStore;
  makeDir: () => string;
}

export function sampleEvent(hostId: string, sequence: number, overrides: Record<string, unknown> = {}): VigilEvent {
  const event: Record<string, unknown> = {
    '@timestamp': new Date(Date.UTC(2026, 0, 1) + sequence * 1000).toISOString(),
    'event.id': randomUUID(),
    'event.sequence': sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': hostId,
    'process.pid': 100 + sequence,
    'process.parent.pid': 1,
    'process.executable': '/usr/bin/echo',
    'process.name': 'echo',
    'process.args': ['echo', `hello ${sequence}`, "it's \"quoted\""],
    'process.command_line': `echo hello ${sequence}`,
    'user.name': 'root',
    'process.hash.sha256': 'a'.repeat(64),
    ...overrides,
  };
  const check = checkEvent(event, 'sample');
  if (!check.category) throw new Error('sample event invalid: ' + JSON.stringify(check.problems));
  return event as unknown as VigilEvent;
}

export function runConformance(options: ConformanceOptions): void {
  describe(`EventStore conformance: ${options.name}`, () => {
  test('append stores events and reads them back with their values', async () => {
    const store = options.create(options.makeDir());
    await store.open();
    const events = [1, 2, 3].map((s) => sampleEvent('h1', s));
    const result = await store.append('h1', events);
    assert.deepEqual(result, { accepted: 3, duplicates: 0, ackedThrough: 3 });
    const rows = await store.queryEvents({ hostId: 'h1', limit: 10, order: 'asc' });
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0]!['process.args'], ['echo', 'hello 1', "it's \"quoted\""]);
    assert.equal(rows[0]!['process.pid'], 101);
    assert.equal(rows[0]!['@timestamp'], '2026-01-01T00:00:01.000Z');
    assert.equal(typeof rows[0]!['event.ingested'], 'string');
    await store.close();
  });

  test('search runs a compiled SELECT with bound parameters and sees every acknowledged append', async () => {
    const store = options.create(options.makeDir());
    await store.open();
    await store.append('h1', [1, 2, 3].map((s) => sampleEvent('h1', s, s === 2 ? { 'process.command_line': "curl x | sh; echo '$1'" } : {})));
    const rows = await store.search({
      sql: 'SELECT "event.id", "process.command_line" FROM events WHERE "host.id" = $1 AND lower("process.command_line") LIKE $2 ORDER BY "@timestamp"',
      params: ['h1', '%| sh%'],
    });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!['process.command_line'], "curl x | sh; echo '$1'");
    await assert.rejects(store.search({ sql: 'DELETE FROM events_process', params: [] }), /compiled SELECT/);
    assert.equal((await store.countEvents({ hostId: 'h1' }, 'none'))[0]!.count, 3);
    await store.close();
  });

  test('event.ingested strictly increases from one append to the next, also across a reopen', async () => {
    const dir = options.makeDir();
    let store = options.create(dir);
    await store.open();
    const stamps: string[] = [];
    const read = async () => (await store.search({ sql: `SELECT strftime("event.ingested", '%Y-%m-%dT%H:%M:%S.%fZ') AS t FROM events ORDER BY t`, params: [] })).map((row) => String(row.t));
    for (let round = 1; round <= 5; round++) await store.append('h1', [sampleEvent('h1', round)]);
    stamps.push(...(await read()));
    await store.close();
    store = options.create(dir);
    await store.open();
    await store.append('h1', [sampleEvent('h1', 6)]);
    const all = await read();
    assert.equal(new Set(all).size, 6, 'each append got its own ingest time');
    assert.deepEqual(all.slice(0, 5), stamps);
    for (let i = 1; i < all.length; i++) assert.ok(all[i]! > all[i - 1]!, `${all[i]} after ${all[i - 1]}`);
    await store.close();
  });

  test('keyset paging of a host timeline returns every event once, in order, both ways, even with equal times', async () => {
    const store = options.create(options.makeDir());
    await store.open();
    const time = (s: number) => new Date(Date.UTC(2026, 0, 1) + Math.floor(s / 3) * 1000).toISOString();
    const events = Array.from({ length: 25 }, (_, i) => sampleEvent('h5', i + 1, { '@timestamp': time(i + 1) }));
    await store.append('h5', events);
    for (const order of ['asc', 'desc'] as const) {
      const seen: number[] = [];
      let after: { time: string; sequence: number } | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await store.queryEvents({ hostId: 'h5', limit: 7, order, ...(after ? { after } : {}) });
        seen.push(...rows.map((row) => Number(row['event.sequence'])));
        if (rows.length < 7) break;
        const last = rows[rows.length - 1]!;
        after = { time: String(last[TIMELINE_POSITION_KEY]), sequence: Number(last['event.sequence']) };
      }
      const expected = Array.from({ length: 25 }, (_, i) => i + 1);
      assert.deepEqual(seen, order === 'asc' ? expected : expected.reverse(), order);
    }
    await store.close();
  });

  test('events at or below the host watermark are duplicates and are not stored twice', async () => {
    const store = options.create(options.makeDir());
    await store.open();
    const events = [1, 2, 3, 4].map((s) => sampleEvent('h1', s));
    await store.append('h1', events.slice(0, 3));
    const again = await store.append('h1', events);
    assert.deepEqual(again, { accepted: 1, duplicates: 3, ackedThrough: 4 });
    assert.equal(await store.watermark('h1'), 4);
    assert.equal(await store.watermark('other'), -1);
    const counts = await store.countEvents({ hostId: 'h1' }, 'none');
    assert.equal(counts[0]?.count, 4);
    await store.close();
  });

  test('concurrent appends from many hosts are all stored exactly once', async () => {
    const store = options.create(options.makeDir());
    await store.open();
    const hosts = Array.from({ length: 8 }, (_, i) => `host-${i}`);
    await Promise.all(
      hosts.flatMap((host) => [0, 1, 2].map((batch) => store.append(host, Array.from({ length: 50 }, (_, i) => sampleEvent(host, batch * 50 + i + 1))))),
    );
    const byHost = await store.countEvents({}, 'host');
    assert.equal(byHost.length, 8);
    for (const row of byHost) assert.equal(row.count, 150);
    await store.close();
  });

  test('filters by category, action and time range; counts group by category', async () => {
    const store = options.create(options.makeDir());
    await store.open();
    await store.append('h2', [
      sampleEvent('h2', 1),
      sampleEvent('h2', 2, { 'event.action': 'exit', 'process.exit_code': 3 }),
      sampleEvent('h2', 3, {
        'event.category': 'file', 'event.action': 'create', 'file.path': '/tmp/x', 'process.args': undefined,
        'process.command_line': undefined, 'process.hash.sha256': undefined,
      }),
    ]);
    assert.equal((await store.queryEvents({ hostId: 'h2', categories: ['process'], limit: 10 })).length, 2);
    assert.equal((await store.queryEvents({ hostId: 'h2', actions: ['exit'], limit: 10 }))[0]!['process.exit_code'], 3);
    const ranged = await store.queryEvents({ hostId: 'h2', from: '2026-01-01T00:00:02Z', to: '2026-01-01T00:00:03Z', limit: 10 });
    assert.equal(ranged.length, 1);
    assert.equal(ranged[0]!['event.sequence'], 2);
    const counts = await store.countEvents({ hostId: 'h2' }, 'category');
    assert.deepEqual(counts.map((c) => [c.key, c.count]).sort(), [['file', 1], ['process', 2]]);
    await store.close();
  });

  test('hostile filter values are bound, not spliced into SQL', async () => {
    const store = options.create(options.makeDir());
    await store.open();
    await store.append('h3', [sampleEvent('h3', 1)]);
    const rows = await store.queryEvents({ hostId: "h3' OR '1'='1", limit: 10 });
    assert.equal(rows.length, 0);
    await store.close();
  });

  test('data and watermarks survive close and reopen', async () => {
    const dir = options.makeDir();
    const first = options.create(dir);
    await first.open();
    await first.append('h4', [1, 2].map((s) => sampleEvent('h4', s)));
    await first.close();
    const second = options.create(dir);
    await second.open();
    assert.equal(await second.watermark('h4'), 2);
    assert.deepEqual(await second.append('h4', [sampleEvent('h4', 2)]), { accepted: 0, duplicates: 1, ackedThrough: 2 });
    assert.equal((await second.queryEvents({ hostId: 'h4', limit: 10 })).length, 2);
    await second.close();
  });
  });
}
