import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { runConformance, sampleEvent, temporaryDirs } from '../conformance.case.test.js';
import { createDuckDbStore, type DuckDbAckMode } from './duckdb-store.js';

const makeDir = temporaryDirs('vigil-duckdb-');
for (const ack of ['journal', 'commit'] as DuckDbAckMode[]) {
  runConformance({ name: `duckdb (ack: ${ack})`, create: (dir) => createDuckDbStore({ dataDir: dir, ack }), makeDir });
}

test('journal mode: events acknowledged just before a SIGKILL are replayed from the journal at the next open', async () => {
  const dir = makeDir();
  const storeModule = join(fileURLToPath(import.meta.url), '..', 'duckdb-store.js');
  const conformanceModule = join(fileURLToPath(import.meta.url), '..', '..', 'conformance.case.test.js');
  const script = `
    const { createDuckDbStore } = await import(${JSON.stringify(storeModule)});
    const { sampleEvent } = await import(${JSON.stringify(conformanceModule)});
    const store = createDuckDbStore({ dataDir: ${JSON.stringify(dir)}, ack: 'journal', maxLoadEvents: 1 });
    await store.open();
    const acks = await Promise.all([0, 1, 2, 3].map((b) => store.append('crash-host', Array.from({ length: 250 }, (_, i) => sampleEvent('crash-host', b * 250 + i + 1)))));
    process.stdout.write(JSON.stringify(acks.map((a) => a.accepted)));
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), [250, 250, 250, 250]);
  assert.ok(readdirSync(join(dir, 'journal')).length > 0, 'the kill left journal files to replay');
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  assert.equal(await store.watermark('crash-host'), 1000);
  assert.equal((await store.countEvents({ hostId: 'crash-host' }, 'none'))[0]?.count, 1000);
  assert.deepEqual(await store.append('crash-host', [sampleEvent('crash-host', 1000)]), { accepted: 0, duplicates: 1, ackedThrough: 1000 });
  await store.close();
  assert.deepEqual(readdirSync(join(dir, 'journal')), [], 'a clean close leaves an empty journal');
});

// Regression guard: after a restart with an empty journal folder, new groups once restarted at number 1, at or below
// loaded_through, so a crash before their load made the replay skip them as already loaded.
test('journal numbers continue after a restart with an empty journal, so a crash before the load loses nothing', async () => {
  const dir = makeDir();
  const first = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await first.open();
  for (let s = 1; s <= 3; s++) await first.append('h', [sampleEvent('h', s)]);
  await first.close();
  assert.deepEqual(readdirSync(join(dir, 'journal')), []);
  const storeModule = join(fileURLToPath(import.meta.url), '..', 'duckdb-store.js');
  const conformanceModule = join(fileURLToPath(import.meta.url), '..', '..', 'conformance.case.test.js');
  // The second run acknowledges one more event and dies before its loader can commit (the load is held back).
  const script = `
    const { createDuckDbStore } = await import(${JSON.stringify(storeModule)});
    const { sampleEvent } = await import(${JSON.stringify(conformanceModule)});
    const store = createDuckDbStore({ dataDir: ${JSON.stringify(dir)}, ack: 'journal' });
    await store.open();
    const ack = await store.append('h', [sampleEvent('h', 4)]);
    process.stdout.write(JSON.stringify(ack));
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  assert.equal(JSON.parse(child.stdout).ackedThrough, 4);
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  assert.equal(await store.watermark('h'), 4);
  assert.equal((await store.countEvents({ hostId: 'h' }, 'none'))[0]?.count, 4);
  await store.close();
});

/** Closes `store` once `rows` are indexed and returns its index gauges and how many rows were indexed from loads. */
async function closeIndexed(store: ReturnType<typeof createDuckDbStore>, rows: number): Promise<{ gauges: Record<string, number | undefined>; fromLoads: number }> {
  while ((store.stats?.()['index_rows'] ?? 0) < rows) await new Promise((resolve) => setImmediate(resolve));
  const stats = store.stats!();
  await store.close();
  return { gauges: Object.fromEntries(['index_rows', 'index_values', 'index_tokens', 'index_process_edges', 'index_postings'].map((g) => [g, stats[g]])), fromLoads: stats['index_rows_from_loads']! };
}

/** Reopens the store in `dir` (its index is read back from the tables) and checks it equals the `fed` one. */
async function assertReadBackIndexEquals(dir: string, rows: number, fed: Record<string, number | undefined>): Promise<void> {
  const reopened = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await reopened.open();
  const { gauges, fromLoads } = await closeIndexed(reopened, rows);
  assert.equal(fromLoads, 0, 'the reopened index read the rows back');
  assert.deepEqual(gauges, fed);
}

// Guards the index's ingest path: rows are indexed from the loaded events (not read back), and that index is the one a
// full read-back at the next open builds.
test('the index fed from loaded events equals the index read back from the tables at open', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  const names = ['bash', 'curl', 'python3', 'Ünïcode', 'sshd'];
  let sequence = 0;
  for (let batch = 0; batch < 6; batch++) {
    const events = Array.from({ length: 120 }, () => {
      sequence++;
      const name = names[sequence % names.length]!;
      return sampleEvent('index-host', sequence, {
        'process.name': name,
        'process.executable': `/usr/bin/${name}`,
        'process.args': [name, `--run=${sequence % 17}`],
        'process.entity_id': `e-${sequence}`,
        'process.parent.entity_id': `e-${sequence - (sequence % 7)}`,
      });
    });
    await store.append('index-host', events);
  }
  const fed = await closeIndexed(store, sequence);
  assert.equal(fed.fromLoads, sequence, 'every loaded row was indexed from its event');
  await assertReadBackIndexEquals(dir, sequence, fed.gauges);
});

// Guards the index's ingest path for Windows events: a flat `winlog.event_data` object is indexed from the loaded event
// (its JSON text holds the tokens of DuckDB's stored JSON), anything else is read back; both give the index an open builds.
test('Windows event data indexed from loaded events equals the index read back at open', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  const random = seededRandom(0xe7d);
  const pieces = ['Admin', 'C:\\Windows\\System32\\cmd.exe', '\\\\server\\share', 'tab\there', 'line\nbreak', 'quote"d', 'ctl\u0001\u001f', '%%1833', '0x3e7', 'S-1-5-18', 'ünï', '{guid}', 'C:\\users\\u\\x'];
  // The last batch also holds values the index reads back (it takes a load from memory only when every event is flat).
  const value = (exotic: boolean) => {
    const roll = exotic ? random() : random() * 0.9;
    if (roll < 0.6) return pieces[Math.floor(random() * pieces.length)]! + String(Math.floor(random() * 50));
    if (roll < 0.75) return Math.floor(random() * 2 ** 40) * (random() < 0.5 ? -1 : 1);
    if (roll < 0.85) return random() < 0.5;
    if (roll < 0.9) return null;
    if (roll < 0.95) return 1e21 * Math.floor(1 + random() * 9); // JavaScript writes 1e+21, DuckDB 1e21: read back
    return Math.floor(random() * 1000) / 8; // fractions: read back
  };
  let sequence = 0;
  for (let batch = 0; batch < 6; batch++) {
    const events = Array.from({ length: 100 }, () => {
      sequence++;
      const data: Record<string, unknown> = {};
      for (let k = 0; k < 1 + Math.floor(random() * 6); k++) data[['SubjectUserName', 'TargetFilename', 'Image', 'LogonType', '2', 'Hashes'][k]!] = value(batch === 5);
      return sampleEvent('win-host', sequence, { 'winlog.event_data': data, 'winlog.channel': 'Security', 'winlog.event_id': 4688 });
    });
    await store.append('win-host', events);
    // One load per batch: the next batch is appended once this one is indexed.
    while ((store.stats?.()['index_rows'] ?? 0) < sequence) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const fed = await closeIndexed(store, sequence);
  assert.equal(fed.fromLoads, 500, 'the five batches of flat event data were indexed from their events, the last one read back');
  await assertReadBackIndexEquals(dir, sequence, fed.gauges);
});

// Guards the sliced indexing of a large load (INDEX_APPEND_SLICE rows per turn of the event loop): the slices give the
// index an open builds, and a slice the index refuses is read back together with every row after it.
test('a load larger than one index slice: indexed slice by slice, a refused slice and the rows after it read back', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal' });
  await store.open();
  const total = 5000;
  const refusedAt = 4500;
  const events = Array.from({ length: total }, (_, i) => {
    const sequence = i + 1;
    // A fractional number in event data is stored as DuckDB writes it, which the index cannot know: read back.
    const data: Record<string, unknown> = { Image: `C:\\Windows\\tool${i % 31}.exe`, LogonType: i === refusedAt ? 2.5 : i % 11 };
    return sampleEvent('slice-host', sequence, { 'winlog.event_data': data, 'winlog.channel': 'Security', 'winlog.event_id': 4688, 'process.name': `tool${i % 31}.exe` });
  });
  await store.append('slice-host', events);
  const fed = await closeIndexed(store, total);
  assert.equal(fed.fromLoads, 4096, 'the two slices before the refused one were indexed from their events');
  await assertReadBackIndexEquals(dir, total, fed.gauges);
});

// Guards the heap budget: a store whose index outgrows it drops the index and keeps answering by scan.
test('over its heap budget the index is dropped after three checks in a row; the store keeps answering by scan', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal', indexHeapBudgetBytes: 1, indexHeapCheckMs: 10 });
  await store.open();
  const events = Array.from({ length: 300 }, (_, i) => sampleEvent('heap-host', i + 1, { 'process.entity_id': `e-${i + 1}`, 'process.parent.entity_id': 'e-0' }));
  await store.append('heap-host', events);
  for (const deadline = Date.now() + 10_000; !store.stats!()['index_dropped_for_heap']; ) {
    assert.ok(Date.now() < deadline, 'the index was not dropped within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(store.stats!()['index_rows'], undefined, 'no index gauges once dropped');
  assert.equal(await store.processChildren?.('heap-host', ['e-0']), undefined, 'index-only lookups step aside');
  assert.equal((await store.countEvents({ hostId: 'heap-host' }, 'none'))[0]?.count, 300, 'scans still answer');
  assert.equal((await store.queryEvents({ hostId: 'heap-host', limit: 1000 })).length, 300);
  await store.close();
});

test('within its heap budget the index stays', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal', indexHeapCheckMs: 10 });
  await store.open();
  await store.append('heap-host', Array.from({ length: 50 }, (_, i) => sampleEvent('heap-host', i + 1)));
  while ((store.stats!()['index_rows'] ?? 0) < 50) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(store.stats!()['index_dropped_for_heap'], undefined);
  assert.equal(store.stats!()['index_rows'], 50);
  await store.close();
});

test('backlog bound: appends past maxBacklogEvents wait for loads, keep their order and lose nothing', async () => {
  const dir = makeDir();
  const store = createDuckDbStore({ dataDir: dir, ack: 'journal', maxGroupEvents: 50, maxLoadEvents: 50, maxBacklogEvents: 100 });
  await store.open();
  // 40 batches of 25 sent at once: far more than 100 events can be journaled but not loaded at a time.
  const acks = await Promise.all(
    Array.from({ length: 40 }, (_, b) => store.append('bounded-host', Array.from({ length: 25 }, (_, i) => sampleEvent('bounded-host', b * 25 + i + 1)))),
  );
  assert.deepEqual(
    acks.map((ack) => ack.ackedThrough),
    Array.from({ length: 40 }, (_, b) => (b + 1) * 25),
    'acknowledged in the order sent',
  );
  assert.ok(acks.every((ack) => ack.accepted === 25));
  const stats = store.stats!();
  assert.ok((stats['backlog_waits'] ?? 0) > 0, 'some appends waited for the backlog');
  assert.equal(stats['appends_waiting_for_backlog'], 0);
  assert.equal((await store.countEvents({ hostId: 'bounded-host' }, 'none'))[0]?.count, 1000);
  await store.close();
  await assert.rejects(store.append('bounded-host', [sampleEvent('bounded-host', 1001)]), { code: 'unavailable' });
});
