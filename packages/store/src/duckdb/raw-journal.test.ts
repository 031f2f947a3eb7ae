// The DuckDB store journaling events as received (RawEventSlices): what is read back equals what was acknowledged,
// also after a SIGKILL between the journal write and the load, and after a crash that left a torn journal line.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { VigilEvent } from '@vigil/schema';
import { sampleEvent, temporaryDirs } from '../conformance.case.test.js';
import { createDuckDbStore } from './duckdb-store.js';
import { rawBatch } from './raw-batch.case.test.js';

const makeDir = temporaryDirs('vigil-duckdb-raw-');

/** Ingest times come back with millisecond precision. */
const millis = (value: unknown) => new Date(String(value)).toISOString();

const strip = (row: Record<string, unknown>): Record<string, unknown> => {
  const { ['vigil.position']: _position, ...rest } = row;
  return rest;
};

test('events appended with their received bytes read back exactly like events serialised by the store', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  const odd = {
    'process.args': ['ünïcödé ✓ 😀', 'a "quoted" \\ arg', '{"not":["json"]}'],
    'process.command_line': 'x:{y}[z],',
    'winlog.event_data': { CommandLine: 'a "b"', Level: 4, Ratio: 0.5, Elevated: true, Missing: null },
  };
  const viaRaw = Array.from({ length: 50 }, (_, i) => sampleEvent('raw', i + 1, i % 5 === 0 ? odd : {}));
  const viaJson = viaRaw.map((event) => ({ ...event, 'host.id': 'json' }) as VigilEvent);
  const raw = rawBatch(viaRaw);
  (raw.starts as number[])[7] = -1; // one event without a usable slice is serialised instead
  assert.deepEqual(await store.append('raw', viaRaw, raw), { accepted: 50, duplicates: 0, ackedThrough: 50 });
  assert.deepEqual(await store.append('json', viaJson), { accepted: 50, duplicates: 0, ackedThrough: 50 });
  const rawRows = (await store.queryEvents({ hostId: 'raw', limit: 100, order: 'asc' })).map(strip);
  const jsonRows = (await store.queryEvents({ hostId: 'json', limit: 100, order: 'asc' })).map(strip);
  assert.equal(rawRows.length, 50);
  assert.deepEqual(rawRows as unknown[], jsonRows.map((row) => ({ ...row, 'host.id': 'raw', 'event.ingested': rawRows[0]!['event.ingested'] })));
  assert.deepEqual(JSON.parse(String(rawRows[0]!['winlog.event_data'])), odd['winlog.event_data']);
  for (let i = 0; i < 50; i++) assert.deepEqual(rawRows[i]!['process.args'], (viaRaw[i] as unknown as Record<string, unknown>)['process.args']);
  // The event's ingest time is the one stored.
  assert.equal(millis(rawRows[0]!['event.ingested']), millis((viaRaw[0] as unknown as Record<string, unknown>)['event.ingested']));
  await store.close();
});

test('an event that already carries event.ingested is serialised, never journaled with the key twice', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  const events = [sampleEvent('h', 1, { 'event.ingested': '2020-01-01T00:00:00.000Z' }), sampleEvent('h', 2)];
  assert.equal((await store.append('h', events, rawBatch(events))).accepted, 2);
  const rows = await store.queryEvents({ hostId: 'h', limit: 10, order: 'asc' });
  assert.equal(rows.length, 2);
  assert.notEqual(rows[0]!['event.ingested'], '2020-01-01T00:00:00.000Z', 'the server sets the ingest time');
  await store.close();
});

test('received bytes acknowledged just before a SIGKILL are replayed with the acknowledged values; a torn tail is cut', async () => {
  const dir = makeDir();
  const storeModule = join(fileURLToPath(import.meta.url), '..', 'duckdb-store.js');
  const conformanceModule = join(fileURLToPath(import.meta.url), '..', '..', 'conformance.case.test.js');
  const helperModule = join(fileURLToPath(import.meta.url), '..', 'raw-batch.case.test.js');
  // Acks 4 × 250 events given as received bytes, prints each event's stored form (with its ingest time), dies.
  const script = `
    const { createDuckDbStore } = await import(${JSON.stringify(storeModule)});
    const { sampleEvent } = await import(${JSON.stringify(conformanceModule)});
    const { rawBatch } = await import(${JSON.stringify(helperModule)});
    const store = createDuckDbStore({ dataDir: ${JSON.stringify(dir)}, ack: 'journal', maxLoadEvents: 1 });
    await store.open();
    const batches = [0, 1, 2, 3].map((b) => Array.from({ length: 250 }, (_, i) => sampleEvent('crash-host', b * 250 + i + 1, { 'process.args': ['x', 'ü ✓ ' + i] })));
    const acks = await Promise.all(batches.map((events) => store.append('crash-host', events, rawBatch(events))));
    (await import('node:fs')).writeFileSync(${JSON.stringify(join(dir, 'acked.json'))}, JSON.stringify({ acks: acks.map((a) => a.accepted), events: batches.flat() }));
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  const { acks, events } = JSON.parse(readFileSync(join(dir, 'acked.json'), 'utf8')) as { acks: number[]; events: Record<string, unknown>[] };
  assert.deepEqual(acks, [250, 250, 250, 250]);
  const journalDir = join(dir, 'journal');
  const files = readdirSync(journalDir).sort();
  assert.ok(files.length > 0, 'the kill left journal files to replay');
  const last = join(journalDir, files[files.length - 1]!);
  assert.ok(readFileSync(last, 'utf8').includes('"process.args": [ "x",'), 'the journal holds the bytes as received');
  // A crash in the middle of writing a later group (never acknowledged) leaves a torn line in its file.
  const tornGroup = String(Number(files[files.length - 1]!.slice(0, 16)) + 1).padStart(16, '0');
  writeFileSync(join(journalDir, `${tornGroup}-events_process.ndjson`), '{"event.ingested":"2026-01-01T00:00:00.000Z","@timestamp": "2026-01-0');
  appendFileSync(last, '{"event.ingested":"2026-01-01T00:0');

  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  assert.equal(await store.watermark('crash-host'), 1000);
  const rows = (await store.queryEvents({ hostId: 'crash-host', limit: 2000, order: 'asc' })).map(strip);
  assert.equal(rows.length, 1000);
  const byId = new Map(rows.map((row) => [row['event.id'], row]));
  for (const event of events) {
    const row = byId.get(event['event.id']);
    assert.ok(row, `event ${String(event['event.sequence'])} lost`);
    assert.equal(millis(row['event.ingested']), millis(event['event.ingested']), 'the replayed ingest time is the acknowledged one');
    assert.deepEqual(row['process.args'], event['process.args']);
    assert.equal(row['process.hash.sha256'], event['process.hash.sha256']);
  }
  await store.close();
  assert.deepEqual(readdirSync(journalDir), [], 'a clean close leaves an empty journal');
});
