// The embedded telemetry store on DuckDB: a durable ingest journal, bulk loads into per-category tables,
// per-host sequence watermarks and typed reads. An append never resolves before its events are durable; values
// from users are always bound parameters.

import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open as openFile, rm as rmAsync, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { DuckDBInstance, listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { VigilError, createLogger } from '@vigil/common';
import { categoryByName, telemetryCategories, type VigilEvent } from '@vigil/schema';
import { TIMELINE_POSITION_KEY, indexSourceIdentifier, type AppendResult, type RawEventSlices, type CountRow, type EventFilter, type EventStore, type IndexedSelect, type IndexOnly, type IndexProbe, type SequenceStep } from '../core.js';
import { createEventIndex, type EventIndex, type EventIndexOptions, type IndexAnswer } from './event-index.js';
import { createRowStore, type RowStore } from './row-store.js';
import { createStepColumns, type HostRuns, type IdHashGroups, type TableRows } from './step-columns.js';
import { createTableSql, eventTables, eventsViewSql, ident, inventoryTableSpecs, literal, readJsonColumns, watermarkTableSql, type TableSpec } from './ddl.js';

/**
 * When an append resolves:
 * - `journal`: once its events are fsynced to the store's ingest journal (`<dataDir>/journal`); they are loaded into
 *   the DuckDB tables in bulk right after (reads wait for that), and replayed from the journal after a crash.
 * - `commit`: only after the DuckDB transaction holding them committed (slower: every group pays DuckDB's
 *   fixed per-statement and per-commit costs).
 */
export type DuckDbAckMode = 'journal' | 'commit';

export interface DuckDbStoreOptions {
  /** Folder for the database file and the ingest journal. */
  dataDir: string;
  ack?: DuckDbAckMode;
  /** Most events journaled as one group (several appends are grouped up to this). */
  maxGroupEvents?: number;
  /** Most events loaded into DuckDB in one transaction. */
  maxLoadEvents?: number;
  /**
   * Most events held in memory on their way into DuckDB and the index (appended, journaled, loaded but not yet
   * indexed; journal mode acknowledges before loading). Appends beyond it wait, oldest first, until loads catch up:
   * ingest slows to what the store sustains instead of the heap growing until the server fails. Default: two full
   * loads (400,000 events).
   */
  maxBacklogEvents?: number;
  threads?: number;
  memoryLimit?: string;
  /** WAL size that triggers a checkpoint at commit; larger means fewer, longer pauses and a longer replay after a crash. */
  checkpointThreshold?: string;
  /**
   * Vigil's secondary indexes (event-index.ts), built from the tables at open and kept up after every load in the
   * background; `false` runs every query by scan. Default: on.
   */
  index?: false | EventIndexOptions;
  /**
   * With the index: a copy of every row's search answer in `rows.cache` (row-store.ts) so event lists and sequence
   * steps the index answers read their rows by position instead of through DuckDB. Costs ~1.1 KB of disk per event
   * and a read-back of every loaded row; rebuilt at each open, removed at close. Default: off.
   */
  rowCache?: boolean;
  /**
   * Heap use (bytes) above which the index is dropped, so that a store outgrowing the server's memory keeps answering
   * by scan instead of taking the process down. Default: 70% of V8's heap limit (raise the limit with
   * NODE_OPTIONS=--max-old-space-size=<MiB>). Checked every `indexHeapCheckMs` (default 2,000); dropped after three
   * checks over the budget in a row, so garbage a collection is about to free does not count.
   */
  indexHeapBudgetBytes?: number;
  indexHeapCheckMs?: number;
}

interface PendingAppend {
  hostId: string;
  events: readonly VigilEvent[];
  raw: RawEventSlices | undefined;
  resolve: (result: AppendResult) => void;
  reject: (error: VigilError) => void;
}

/** One appended group as journaled: one file per table, the watermarks it reaches, and (commit mode) who waits. */
interface JournalEntry {
  number: number;
  files: { table: string; path: string; keys: Set<string> }[];
  next: Map<string, number>;
  waiting: { pending: PendingAppend; result: AppendResult }[];
  events: number;
  /** The events of each file in line order (the rows its load appends), for the index; absent for replayed files. */
  rows?: Map<string, VigilEvent[]>;
}

const log = createLogger('store.duckdb');
const MAX_JOURNALS_IN_FLIGHT = 4;
/** Events loaded but not yet read back by the index beyond which a search scans instead of waiting for the index. */
const MAX_INDEX_LAG = 200_000;
/** More matching rows than this are not worth a row-id list: the query runs by scan. */
const MAX_INDEXED_ROWS = 250_000;
/** Most rows an index-only `rows` answer fetches by row id; beyond this the query runs as SQL. */
const MAX_FETCHED_ROWS = 10_000;
/** Rows indexed from memory per turn of the event loop (a few milliseconds of work). */
const INDEX_APPEND_SLICE = 2048;
/** Bytes per row of the step columns (step-columns.ts), counted with the heap against the index's budget. */
const STEP_COLUMN_BYTES = 32;
const JOURNAL_FILE = /^(\d{16})-(events_[a-z_]+)\.ndjson$/;

export function createDuckDbStore(options: DuckDbStoreOptions): EventStore {
  const ackMode: DuckDbAckMode = options.ack ?? 'journal';
  const maxGroupEvents = options.maxGroupEvents ?? 20000;
  const maxLoadEvents = options.maxLoadEvents ?? 200000;
  const maxBacklogEvents = options.maxBacklogEvents ?? 2 * maxLoadEvents;
  const journalDir = join(options.dataDir, 'journal');
  const tableByName = new Map<string, TableSpec>(eventTables.map((t) => [t.table, t]));
  let instance: DuckDBInstance | undefined;
  let writer: DuckDBConnection | undefined;
  let reader: DuckDBConnection | undefined;
  /** The index reads new rows back on its own connection, beside loads and searches. */
  let indexReader: DuckDBConnection | undefined;
  /** The row store copies new rows on its own connection and chain, so the index never waits for it. */
  let rowReader: DuckDBConnection | undefined;
  /** Watermarks of everything durable (journal mode) or committed (commit mode). */
  const watermarks = new Map<string, number>();
  /** Watermarks including groups journaled but not yet loaded; appends deduplicate against these. */
  const projected = new Map<string, number>();
  const queue: PendingAppend[] = [];
  const loadQueue: JournalEntry[] = [];
  /** Journal groups being written or fsynced (settle in order), and what the next group must wait for. */
  const journalsInFlight = new Set<Promise<void>>();
  let durableChain: Promise<void> = Promise.resolve();
  let journalFailed = false;
  /** Highest journal number that is durable (journal mode: acknowledged). */
  let journaledThrough = 0;
  let loading: Promise<void> | undefined;
  /** Events of the entries `loading` is loading now (for stats). */
  let loadingEvents = 0;
  let closed = false;
  let nextJournalNumber = 1;
  let loadedThrough = 0;
  let loadFailures = 0;
  const loadWaiters: { number: number; resolve: () => void }[] = [];
  /** Appends waiting for the backlog to fall below maxBacklogEvents, oldest first. */
  const backlogWaiters: (() => void)[] = [];
  let backlogWaits = 0;
  /** Events held in memory: appended and not yet journaled, journaled and not loaded, loaded and not yet indexed. */
  const backlogEvents = (): number =>
    queue.reduce((sum, pending) => sum + pending.events.length, 0) + loadQueue.reduce((sum, entry) => sum + entry.events, 0) + loadingEvents + fedPending;
  /** Lets waiting appends in, oldest first, while the backlog has room (all of them once the store closes). */
  function admitFromBacklog(): void {
    while (backlogWaiters.length && (closed || backlogEvents() < maxBacklogEvents)) backlogWaiters.shift()!();
  }
  /** Secondary indexes; undefined when off or after a failure (then every query scans until the next open). */
  let index: EventIndex | undefined;
  /** Why the index was dropped while the store was open (stats), if it was. */
  let indexDropped: 'heap' | undefined;
  let heapWatch: NodeJS.Timeout | undefined;
  /** Row copies for point lookups beside the index (same lifecycle); undefined when off or after a failure. */
  let rowStore: RowStore | undefined;
  /** Columns of probed values' rows kept for sequence joins (from the index and the row store; cleared with them). */
  const stepColumns = createStepColumns();
  const tableIndexByCategory = new Map(eventTables.map((t, i) => [t.table, i]));
  /** The tables of the `events` view (what `any` reads), as positions in `eventTables`. */
  const viewTables = telemetryCategories.map((c) => tableIndexByCategory.get(c.table)!);
  /** Searches answered through the index (for stats and the equivalence tests), and of those, from the row store. */
  let indexAnswered = 0;
  let rowStoreAnswered = 0;
  /** Events of indexed sequences' steps, by where they came from (see `indexedSequence`). */
  const sequenceStepEvents = { columns: 0, index: 0, rowids: 0, sql: 0 };

  // read_json looks every declared column up in every row, so only the columns a load uses are declared
  // (a process row fills ~20 of ~65 columns); the rest are NULL through INSERT BY NAME.
  const columnSpecs = new Map<string, string>();
  function columnsFor(spec: TableSpec, keys: ReadonlySet<string>): string {
    const used = spec.fields.filter((field) => keys.has(field.name));
    const signature = spec.table + '\0' + used.map((field) => field.name).join('\0');
    let columns = columnSpecs.get(signature);
    if (!columns) {
      if (columnSpecs.size > 4096) columnSpecs.clear();
      columnSpecs.set(signature, (columns = readJsonColumns({ ...spec, fields: used })));
    }
    return columns;
  }

  const watermarkOf = (hostId: string) => projected.get(hostId) ?? watermarks.get(hostId) ?? -1;

  /** Deletes loaded or refused journal files in the thread pool; `close` waits for them. A failed delete only leaves a file that replay skips. */
  const deleting = new Set<Promise<void>>();
  function removeFiles(paths: readonly string[]): void {
    for (const path of paths) {
      const done: Promise<void> = rmAsync(path, { force: true })
        .catch((error: Error) => log.warn('cannot delete a journal file', { path, error: error.message }))
        .finally(() => deleting.delete(done));
      deleting.add(done);
    }
  }

  /**
   * `event.ingested` of a journal group: the wall clock in microseconds, but always after the previous group's (also
   * across restarts and clock steps back). Groups become visible in journal order, so a reader that pages by
   * (event.ingested, event.id) never misses a group that becomes visible after its read.
   */
  let lastIngestMicros = 0;
  function nextIngestTime(): string {
    lastIngestMicros = Math.max(Date.now() * 1000, lastIngestMicros + 1);
    const millis = Math.floor(lastIngestMicros / 1000);
    const micros = String(lastIngestMicros % 1000).padStart(3, '0');
    return new Date(millis).toISOString().replace('Z', `${micros}Z`);
  }

  /** Deduplicates a group against the projected watermarks and writes its journal files (fsynced in journal mode). */
  async function journalGroup(group: PendingAppend[]): Promise<JournalEntry> {
    const number = nextJournalNumber++;
    const next = new Map<string, number>();
    const lines = new Map<string, Uint8Array[]>();
    const keysByTable = new Map<string, Set<string>>();
    const rowsByTable = new Map<string, VigilEvent[]>();
    const waiting: JournalEntry['waiting'] = [];
    const ingested = nextIngestTime();
    // A line from received bytes: the server's ingest time first, then the event's own members as received.
    const rawPrefix = Buffer.from(`{"event.ingested":${JSON.stringify(ingested)},`, 'utf8');
    let events = 0;
    for (const pending of group) {
      let current = next.get(pending.hostId) ?? watermarkOf(pending.hostId);
      const result: AppendResult = { accepted: 0, duplicates: 0, ackedThrough: current };
      const raw = pending.raw;
      for (let index = 0; index < pending.events.length; index++) {
        const event = pending.events[index]!;
        const sequence = event['event.sequence'];
        if (sequence <= current) {
          result.duplicates++;
          continue;
        }
        current = sequence;
        result.accepted++;
        const table = categoryByName.get(event['event.category'])!.table;
        let bucket = lines.get(table);
        let keys = keysByTable.get(table);
        let tableRows = rowsByTable.get(table);
        if (!bucket || !keys || !tableRows) {
          lines.set(table, (bucket = []));
          keysByTable.set(table, (keys = new Set(['event.ingested'])));
          rowsByTable.set(table, (tableRows = []));
        }
        tableRows.push(event);
        for (const key in event) keys.add(key);
        const start = raw ? raw.starts[index]! : -1;
        // The received bytes are used unless the event already carries an ingest time (it would appear twice).
        const useRaw = start >= 0 && event['event.ingested'] === undefined;
        (event as unknown as Record<string, unknown>)['event.ingested'] = ingested;
        if (useRaw) bucket.push(rawPrefix, raw!.source.subarray(start + 1, raw!.ends[index]!), NEWLINE);
        else bucket.push(Buffer.from(wellFormedJson(event) + '\n', 'utf8'));
      }
      events += result.accepted;
      result.ackedThrough = current;
      next.set(pending.hostId, current);
      waiting.push({ pending, result });
    }
    const files: JournalEntry['files'] = [];
    const buffers: Buffer[] = [];
    for (const [table, bucket] of lines) {
      files.push({ table, path: join(journalDir, `${String(number).padStart(16, '0')}-${table}.ndjson`), keys: keysByTable.get(table)! });
      buffers.push(Buffer.concat(bucket));
    }
    // The next group deduplicates against this one while this one is written (see pumpJournal for failures).
    for (const [hostId, sequence] of next) projected.set(hostId, sequence);
    // All file work runs in the thread pool: creating a file in the journal folder can block for milliseconds while
    // another group's folder fsync is in progress, and the event loop must never wait for that. Each file is one
    // open, one positional write of the whole buffer and one fdatasync; the files of a group go in parallel.
    const handles: FileHandle[] = [];
    try {
      await Promise.all(
        files.map(async ({ path }, index) => {
          const handle = await openFile(path, 'w', 0o600);
          handles.push(handle);
          const buffer = buffers[index]!;
          for (let offset = 0; offset < buffer.length; ) offset += (await handle.write(buffer, offset, buffer.length - offset, offset)).bytesWritten;
          if (ackMode === 'journal') await handle.datasync();
        }),
      );
      if (ackMode === 'journal' && files.length) await syncDirectory(journalDir);
    } catch (error) {
      await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
      handles.length = 0;
      removeFiles(files.map((file) => file.path));
      throw VigilError.wrap(error, 'unavailable', 'cannot write the ingest journal, nothing was stored');
    } finally {
      await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
    }
    return { number, files, next, waiting, events, rows: rowsByTable };
  }

  /** Loads journal entries into DuckDB in one transaction with their watermarks; deletes their files after COMMIT. */
  async function loadEntries(entries: JournalEntry[]): Promise<void> {
    const db = writer!;
    const byTable = new Map<string, { paths: string[]; keys: Set<string> }>();
    const next = new Map<string, number>();
    for (const entry of entries) {
      for (const file of entry.files) {
        let target = byTable.get(file.table);
        if (!target) byTable.set(file.table, (target = { paths: [], keys: new Set() }));
        target.paths.push(file.path);
        for (const key of file.keys) target.keys.add(key);
      }
      for (const [hostId, sequence] of entry.next) next.set(hostId, Math.max(sequence, next.get(hostId) ?? -1));
    }
    /** Rows whose row ids are checked inside the transaction: the index takes them from memory (indexAppended). */
    const appended: { table: number; first: number; events: VigilEvent[] }[] = [];
    const withRows = index !== undefined && entries.every((entry) => entry.rows !== undefined);
    try {
      await db.run('BEGIN TRANSACTION');
      for (const [table, { paths, keys }] of byTable) {
        const list = `[${paths.map(literal).join(', ')}]`;
        const events = withRows ? entries.flatMap((entry) => entry.rows!.get(table) ?? []) : [];
        const before = events.length ? Number((await db.runAndReadAll(`SELECT count(*) FROM ${ident(table)}`)).getRows()[0]?.[0] ?? -1) : -1;
        await db.run(`INSERT INTO ${ident(table)} BY NAME SELECT * FROM read_json(${list}, format = 'newline_delimited', columns = ${columnsFor(tableByName.get(table)!, keys)})`);
        if (before >= 0) {
          // The new rows are the events in journal order when the rows from `before` on are as many and carry their ids
          // in that order. A load of several files may insert them in another order (insertion order is not kept, for
          // speed): then the row ids' event ids put the events in row order. Otherwise the index reads them back.
          const [count, digest] = (await db.runAndReadAll(`SELECT count(*), md5(string_agg("event.id", ',' ORDER BY rowid)) FROM ${ident(table)} WHERE rowid >= $1`, [before])).getRows()[0] ?? [];
          const expected = createHash('md5').update(events.map((event) => event['event.id']).join(',')).digest('hex');
          const position = tableIndexByCategory.get(table)!;
          if (Number(count) === events.length && digest === expected) appended.push({ table: position, first: before, events });
          else if (Number(count) === events.length && paths.length > 1) {
            const byId = new Map(events.map((event) => [event['event.id'], event]));
            const ids = (await db.runAndReadAll(`SELECT "event.id" FROM ${ident(table)} WHERE rowid >= $1 ORDER BY rowid`, [before])).getRows();
            const inRowOrder = ids.map((row) => byId.get(row[0] as string));
            if (byId.size === events.length && inRowOrder.every((event) => event !== undefined)) appended.push({ table: position, first: before, events: inRowOrder as VigilEvent[] });
          }
        }
      }
      const rows = [...next];
      if (rows.length) {
        await db.run(
          `INSERT OR REPLACE INTO ingest_watermarks SELECT v.host_id, greatest(v.sequence, coalesce(w.sequence, -1)), now()
           FROM (VALUES ${rows.map((_, i) => `($${2 * i + 1}, $${2 * i + 2}::BIGINT)`).join(', ')}) AS v(host_id, sequence)
           LEFT JOIN ingest_watermarks w ON w.host_id = v.host_id`,
          rows.flat(),
        );
      }
      await db.run('UPDATE ingest_journal SET loaded_through = $1', [entries[entries.length - 1]!.number]);
      // Reserved before the rows can be seen: a catch-up reads a table only below its first reserved row id.
      for (const rows of appended) reserve(rows.table, rows.first);
      await db.run('COMMIT');
    } catch (error) {
      for (const rows of appended) release(rows.table, rows.first);
      await db.run('ROLLBACK').catch(() => undefined);
      throw VigilError.wrap(error, 'unavailable', 'loading the ingest journal into DuckDB failed');
    }
    // Tables whose new rows the index takes from memory (`indexAppended`) are not read back: a catch-up of such a table
    // would read rows whose append is still queued, which then refuses them. The other tables are read back in the
    // background (the row store reads every row back); a search first waits for both (indexCatchUp).
    const fedTables = new Set(appended.map((rows) => rows.table));
    const fedEvents = appended.reduce((n, rows) => n + rows.events.length, 0);
    if (appended.length) indexAppended(appended);
    let readBack = false;
    for (const table of byTable.keys()) {
      const position = tableIndexByCategory.get(table)!;
      if (!fedTables.has(position)) (indexDirty.add(position), (readBack = true));
    }
    indexPending += entries.reduce((n, entry) => n + entry.events, 0) - fedEvents;
    if (readBack) {
      loadsIndexed = false;
      void indexCatchUp();
    }
    for (const table of byTable.keys()) rowsDirty.add(tableIndexByCategory.get(table)!);
    void rowStoreCatchUp();
    removeFiles(entries.flatMap((entry) => entry.files.map((file) => file.path)));
  }

  function takeGroup(): PendingAppend[] {
    const group: PendingAppend[] = [];
    let size = 0;
    while (queue.length && (group.length === 0 || size + queue[0]!.events.length <= maxGroupEvents)) {
      const next = queue.shift()!;
      size += next.events.length;
      group.push(next);
    }
    return group;
  }

  /**
   * Stage 1: journal what is queued, up to two groups at once (one builds and writes while the other fsyncs). Groups
   * become durable, and their appends resolve (journal mode), strictly in journal order. After a failed group nothing
   * new starts until every group in flight settled; then the projected watermarks are rebuilt from the durable ones.
   */
  function pumpJournal(): void {
    while (queue.length && journalsInFlight.size < MAX_JOURNALS_IN_FLIGHT && !(journalFailed && journalsInFlight.size)) {
      if (journalFailed) {
        journalFailed = false;
        projected.clear();
        durableChain = Promise.resolve();
      }
      const group = takeGroup();
      const previous = durableChain;
      let written: JournalEntry | undefined;
      const durable = journalGroup(group).then(async (entry) => {
        written = entry;
        await previous;
        return entry;
      });
      durableChain = durable.then(() => undefined);
      const settled = durable
        .then((entry) => {
          journaledThrough = entry.number;
          if (ackMode === 'journal') {
            for (const [hostId, sequence] of entry.next) watermarks.set(hostId, sequence);
            for (const { pending, result } of entry.waiting) pending.resolve(result);
            entry.waiting = [];
          }
          loadQueue.push(entry);
          pumpLoad();
        })
        .catch((error: unknown) => {
          journalFailed = true;
          // Written but behind a failed group: it was deduplicated against that group, so it is refused too.
          if (written) removeFiles(written.files.map((file) => file.path));
          const wrapped = VigilError.wrap(error, 'unavailable');
          log.error('journal write failed', { error: wrapped.message });
          for (const pending of group) pending.reject(wrapped);
        })
        .finally(() => {
          journalsInFlight.delete(settled);
          pumpJournal();
        });
      journalsInFlight.add(settled);
    }
  }

  /** Stage 2, serial: bulk-load everything journaled so far. In commit mode the appends resolve here. */
  function pumpLoad(): void {
    if (loading || loadQueue.length === 0) return;
    const entries: JournalEntry[] = [];
    let events = 0;
    while (loadQueue.length && (entries.length === 0 || events + loadQueue[0]!.events <= maxLoadEvents)) {
      const entry = loadQueue.shift()!;
      events += entry.events;
      entries.push(entry);
    }
    loadingEvents = events;
    loading = loadEntries(entries)
      .then(() => {
        loadFailures = 0;
        loadedThrough = entries[entries.length - 1]!.number;
        for (const entry of entries) {
          if (ackMode === 'commit') for (const [hostId, sequence] of entry.next) watermarks.set(hostId, sequence);
          for (const { pending, result } of entry.waiting) pending.resolve(result);
        }
        for (let i = loadWaiters.length - 1; i >= 0; i--) {
          if (loadWaiters[i]!.number <= loadedThrough) loadWaiters.splice(i, 1)[0]!.resolve();
        }
      })
      .catch(async (error: unknown) => {
        const wrapped = VigilError.wrap(error, 'unavailable');
        loadFailures++;
        log.error('loading into DuckDB failed', { error: wrapped.message, entries: entries.length, failures: loadFailures });
        if (ackMode === 'commit') {
          // Nothing of these entries was acknowledged: refuse them and everything journaled behind them (their
          // deduplication assumed these would commit); the senders retry.
          const dropped = [...entries, ...loadQueue.splice(0)];
          for (const entry of dropped) {
            for (const { path } of entry.files) rmSync(path, { force: true });
            for (const { pending } of entry.waiting) pending.reject(wrapped);
          }
          projected.clear();
          nextJournalNumber = Math.max(nextJournalNumber, dropped[dropped.length - 1]!.number + 1);
        } else {
          // Acknowledged events stay in the journal and are loaded again after a pause.
          loadQueue.unshift(...entries);
          await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** loadFailures)));
        }
      })
      .finally(() => {
        loading = undefined;
        loadingEvents = 0;
        if (!loadQueue.length && !journalsInFlight.size && ackMode === 'commit') projected.clear();
        if (!closed || loadQueue.length) pumpLoad();
        admitFromBacklog();
      });
  }

  /** Tables loaded into since the index last caught up; false while a load is not yet read back. */
  const indexDirty = new Set<number>();
  let loadsIndexed = true;
  /** Events loaded and not yet read back by the index, and (`fedPending`) loaded and waiting for `indexAppended`. */
  let indexPending = 0;
  let fedPending = 0;
  /** Per table, the first row ids of loads the index will take from memory, in load order (see `indexAppended`). */
  const reserved = new Map<number, number[]>();
  const reserve = (table: number, first: number) => {
    const list = reserved.get(table);
    if (list) list.push(first);
    else reserved.set(table, [first]);
  };
  const release = (table: number, first: number) => {
    const list = reserved.get(table);
    const at = list?.indexOf(first) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  };
  let indexing: Promise<void> = Promise.resolve();

  /** Drops the index after three checks in a row find the heap over its budget (see `indexHeapBudgetBytes`). */
  function watchIndexHeap(): void {
    const budget = options.indexHeapBudgetBytes ?? Math.floor(0.7 * getHeapStatistics().heap_size_limit);
    let over = 0;
    heapWatch = setInterval(() => {
      if (!index) return;
      // The step columns live outside the JavaScript heap but are part of what the index costs.
      const used = getHeapStatistics().used_heap_size + stepColumns.held() * STEP_COLUMN_BYTES;
      over = used > budget ? over + 1 : 0;
      if (over < 3) return;
      index = undefined;
      stepColumns.clear();
      indexDropped = 'heap';
      clearInterval(heapWatch);
      log.warn('the secondary index was dropped to keep the server within its memory: hunts scan until the next open', {
        heap_used_mib: Math.round(used / 2 ** 20),
        budget_mib: Math.round(budget / 2 ** 20),
        hint: 'give the server a larger heap (NODE_OPTIONS=--max-old-space-size=<MiB>) or use the distributed store',
      });
    }, options.indexHeapCheckMs ?? 2000);
    heapWatch.unref();
  }

  /**
   * Indexes loaded rows from memory, in load order with the catch-ups (`indexing`); a table the index cannot take this
   * way is read back by the catch-up that follows. Works in slices of INDEX_APPEND_SLICE rows with a turn of the event
   * loop between them: a load holds up to maxLoadEvents rows, and indexing them in one go would hold acknowledgements
   * and journal writes back for that long.
   */
  function indexAppended(appended: readonly { table: number; first: number; events: readonly VigilEvent[] }[]): void {
    for (const rows of appended) fedPending += rows.events.length;
    indexing = indexing.then(async () => {
      try {
        for (const rows of appended) {
          release(rows.table, rows.first);
          const events = rows.events as unknown as readonly Record<string, unknown>[];
          for (let offset = 0; offset < events.length; offset += INDEX_APPEND_SLICE) {
            if (offset) await new Promise<void>((resolve) => setImmediate(resolve));
            const slice = events.length <= INDEX_APPEND_SLICE ? events : events.slice(offset, offset + INDEX_APPEND_SLICE);
            fedPending -= slice.length;
            admitFromBacklog();
            if (!index || index.append(rows.table, rows.first + offset, slice)) continue;
            // Refused (the rows are not next in the index's order, or not plain enough): this slice and the rest of
            // the table's rows are read back instead.
            fedPending -= events.length - offset - slice.length;
            admitFromBacklog();
            indexDirty.add(rows.table);
            indexPending += events.length - offset;
            loadsIndexed = false;
            break;
          }
        }
      } catch (error) {
        log.error('the secondary index failed; queries scan until the next open', { error: VigilError.wrap(error, 'internal').message });
        index = undefined;
      }
      if (!loadsIndexed) void indexCatchUp();
    });
  }

  /**
   * Brings the index up to every load committed before the call (one catch-up at a time, on `indexReader`). Loads do
   * not wait for it (it still shares the CPU with them); a search that wants the index waits for it.
   */
  function indexCatchUp(): Promise<void> {
    if (loadsIndexed || !index) return indexing;
    indexing = indexing.then(async () => {
      if (loadsIndexed || !index) return;
      const tables = new Set(indexDirty);
      const covering = indexPending;
      indexDirty.clear();
      loadsIndexed = true;
      try {
        await index.catchUp(indexReader!, tables, () => closed, (table) => reserved.get(table)?.[0]);
        indexPending -= covering;
      } catch (error) {
        log.error('the secondary index failed; queries scan until the next open', { error: VigilError.wrap(error, 'internal').message });
        index = undefined;
      }
    });
    return indexing;
  }

  /** Tables loaded into since the row store last caught up. */
  const rowsDirty = new Set<number>();
  let rowCopying: Promise<void> = Promise.resolve();

  /** Brings the row store up to every load committed before the call (one catch-up at a time, on `rowReader`). */
  function rowStoreCatchUp(): Promise<void> {
    if (!rowsDirty.size || !rowStore) return rowCopying;
    rowCopying = rowCopying.then(async () => {
      if (!rowsDirty.size || !rowStore) return;
      const tables = new Set(rowsDirty);
      rowsDirty.clear();
      try {
        await rowStore.catchUp(rowReader!, tables, () => closed);
      } catch (error) {
        log.error('the row store failed; rows are read by SQL until the next open', { error: VigilError.wrap(error, 'internal').message });
        rowStore?.close();
        rowStore = undefined;
      }
    });
    return rowCopying;
  }

  /**
   * The indexed form of a query when the index answers every probe exactly: its SQL with each probed source replaced
   * by the matching rows (or tables), or the rows themselves for an index-only query. Undefined: run the plain SQL.
   */
  function indexedPlan(indexed: IndexedSelect): { sql: string; params: DuckDBValue[] } | { rows: Record<string, unknown>[] } | undefined {
    if (!index) return undefined;
    const only = indexed.indexOnly;
    if (only?.kind === 'sequence') return undefined;
    if (only?.kind === 'stats' && indexed.sources.length === 1) {
      const rows = indexOnlyStats(index, indexed.sources[0]!, only);
      if (rows) {
        indexAnswered++;
        return { rows };
      }
    }
    if (only?.kind === 'rows' && indexed.sources.length === 1) {
      const rows = indexOnlyRows(index, indexed.sources[0]!, only);
      if (rows) {
        indexAnswered++;
        rowStoreAnswered++;
        return { rows };
      }
    }
    if (only?.kind === 'count' && indexed.sources.length === 1 && indexed.sources[0]!.restrict === 'rows') {
      const { category, probe } = indexed.sources[0]!;
      const table = category === null ? undefined : tableIndexByCategory.get(categoryByName.get(category)?.table ?? '');
      if (category !== null && table === undefined) return undefined;
      const count = index.count(probe, table === undefined ? viewTables : [table]);
      if (count === undefined) return undefined;
      indexAnswered++;
      return { rows: [{ count }] };
    }
    const params: DuckDBValue[] = [...indexed.params];
    let sql = indexed.sql;
    let matched = 0;
    for (let i = 0; i < indexed.sources.length; i++) {
      const { category, probe, restrict } = indexed.sources[i]!;
      const table = category === null ? undefined : tableIndexByCategory.get(categoryByName.get(category)?.table ?? '');
      if (category !== null && table === undefined) return undefined;
      const scope = table === undefined ? viewTables : [table];
      const answer = index.lookup(probe, scope);
      if (!answer) return undefined;
      const parts = scope.map((t) => {
        const rowids = answer.get(t);
        const name = ident(eventTables[t]!.table);
        if (!rowids?.length) return `SELECT * FROM ${name} WHERE false`;
        matched += rowids.length;
        if (restrict === 'tables') return `SELECT * FROM ${name}`;
        params.push(listValue(Array.from(rowids)));
        return `SELECT * FROM ${name} WHERE rowid = ANY(CAST($${params.length} AS BIGINT[]))`;
      });
      const marker = indexSourceIdentifier(i + 1);
      if (!sql.includes(marker)) return undefined;
      sql = sql.split(marker).join(`(${parts.join(' UNION ALL BY NAME ')})`);
    }
    if (only?.kind === 'timechart') {
      const table = only.category === null ? undefined : tableIndexByCategory.get(categoryByName.get(only.category)?.table ?? '');
      const buckets = only.category !== null && table === undefined ? undefined : index.timeBuckets(table === undefined ? viewTables : [table], only.spanMs);
      if (buckets) {
        indexAnswered++;
        return {
          rows: [...buckets.keys()]
            .sort((a, b) => a - b)
            .slice(0, only.limit)
            .map((start) => ({ '@timestamp': new Date(start).toISOString(), count: buckets.get(start)! })),
        };
      }
    }
    if (only?.kind === 'top' && indexed.sources.length === 0) {
      const rows = indexOnlyTop(index, only);
      if (rows) {
        indexAnswered++;
        return { rows };
      }
    }
    // Without a probed source the indexed SQL is the plain one: an index-only answer was the only gain.
    if (matched > MAX_INDEXED_ROWS || indexed.sources.length === 0) return undefined;
    indexAnswered++;
    return { sql, params };
  }

  /** The rows of one category (or of the `events` view's tables) that satisfy the probe, and how many; undefined when the index cannot say. */
  function probeRows(from: EventIndex, category: string | null, probe: IndexProbe): { answer: IndexAnswer; total: number } | undefined {
    const table = category === null ? undefined : tableIndexByCategory.get(categoryByName.get(category)?.table ?? '');
    if (category !== null && table === undefined) return undefined;
    const answer = from.lookup(probe, table === undefined ? viewTables : [table]);
    if (!answer) return undefined;
    let total = 0;
    for (const rowids of answer.values()) total += rowids.length;
    return { answer, total };
  }

  /**
   * The rows of an index-only `rows` (IndexOnly): the newest matching rows by the index's millisecond times (with every
   * row sharing the cut-off millisecond), put in the exact order by the row store's microsecond times and sequences;
   * only the rows kept are read. Undefined when the index cannot answer exactly or too many rows would be fetched.
   */
  function indexOnlyRows(
    from: EventIndex,
    source: IndexedSelect['sources'][number],
    only: Extract<NonNullable<IndexedSelect['indexOnly']>, { kind: 'rows' }>,
  ): Record<string, unknown>[] | undefined {
    if (!rowStore) return undefined;
    const found = probeRows(from, source.category, source.probe);
    if (!found) return undefined;
    const { answer, total } = found;
    const tables = new Uint8Array(total);
    const rowids = new Float64Array(total);
    const times = new Float64Array(total);
    let n = 0;
    for (const [t, ids] of answer) {
      for (let i = 0; i < ids.length; i++, n++) {
        tables[n] = t;
        rowids[n] = ids[i]!;
        times[n] = from.rowTime(t, ids[i]!);
        // Before 1970 a date's text and its JavaScript conversion round differently: left to SQL.
        if (!(times[n]! >= 0)) return undefined;
      }
    }
    let take = total;
    let cutoff = -Infinity;
    if (total > only.limit) {
      cutoff = Float64Array.from(times).sort()[total - only.limit]!;
      take = 0;
      for (let i = 0; i < total; i++) if (times[i]! >= cutoff) take++;
    }
    if (take > MAX_FETCHED_ROWS) return undefined;
    // The exact order (µs time, then event.sequence, newest first) from the row store's memory; only the rows kept are read.
    const kept: { table: number; rowid: number; us: number; sequence: number }[] = [];
    for (let i = 0; i < total; i++) {
      if (times[i]! < cutoff) continue;
      const head = rowStore.head(tables[i]!, rowids[i]!);
      if (!head) return undefined;
      kept.push({ table: tables[i]!, rowid: rowids[i]!, us: head.timeUs, sequence: head.sequence });
    }
    kept.sort((a, b) => b.us - a.us || b.sequence - a.sequence);
    if (kept.length > only.limit) kept.length = only.limit;
    // Read per table (each row as the output columns), then put back in order.
    const byTable = new Map<number, number[]>();
    for (const { table, rowid } of kept) {
      let list = byTable.get(table);
      if (!list) byTable.set(table, (list = []));
      list.push(rowid);
    }
    const read = new Map<number, Record<string, unknown>[]>();
    for (const [table, ids] of byTable) {
      const got = rowStore.read(table, ids, only.columns);
      if (!got) return undefined;
      read.set(table, got);
    }
    const rows: Record<string, unknown>[] = new Array(kept.length);
    for (let i = kept.length - 1; i >= 0; i--) rows[i] = read.get(kept[i]!.table)!.pop()!;
    return rows;
  }

  /**
   * An indexed sequence (IndexOnly `sequence`) joined in memory: each step's events from the index and the row store
   * when its probe is all of it, else from its own SQL; undefined when this cannot be exact (see `joinSequence`).
   */
  async function indexedSequence(only: Extract<IndexOnly, { kind: 'sequence' }>): Promise<Record<string, unknown>[] | undefined> {
    // Steps that need SQL run on DuckDB's threads (one after the other) while the index answers the others here.
    const keys = createKeyCoder();
    let sqlChain: Promise<unknown> = Promise.resolve();
    const fromSql = (step: SequenceStep): Promise<StepEvents | undefined> => {
      const run = sqlChain.then(async () => {
        const byRowids = await stepByRowids(step, keys);
        if (byRowids) return (sequenceStepEvents.rowids += byRowids.n), byRowids;
        const rows = await stepRows(step, keys);
        if (rows) sequenceStepEvents.sql += rows.n;
        return rows;
      });
      sqlChain = run.catch(() => undefined);
      return run;
    };
    try {
      const pending = only.steps.map((step) => (step.probe ? null : fromSql(step)));
      const steps = await Promise.all(only.steps.map((step, i) => pending[i] ?? stepFromIndex(step, keys, i === 0) ?? fromSql(step)));
      if (steps.some((events) => events === undefined)) return undefined;
      return joinSequence(steps as StepEvents[], only, keys, resolveStepId);
    } catch (error) {
      if (error === NOT_EXACT) return undefined;
      throw error;
    }
  }

  /** A step's events from its own SQL; undefined when there are too many. */
  async function stepRows(step: SequenceStep, keys: KeyCoder): Promise<StepEvents | undefined> {
    let rows: unknown[][];
    try {
      const sql = `SELECT "id", epoch_us("ts"), "sq"${step.keys.map((_, i) => `, "k${i + 1}"`).join('')} FROM (${step.sql}) AS step LIMIT ${MAX_SQL_STEP_EVENTS + 1}`;
      rows = (await reader!.runAndReadAll(sql, [...step.params])).getRowsJS() as unknown[][];
    } catch (error) {
      throw VigilError.wrap(error, 'invalid_input', 'the store refused the compiled query');
    }
    if (rows.length > MAX_SQL_STEP_EVENTS) return undefined;
    const events = stepEvents(rows.length);
    rows.forEach((r, i) => {
      events.ids[i] = r[0];
      events.us[i] = Number(r[1]);
      events.sq[i] = Number(r[2]);
      events.key[i] = keys.code(r.slice(3).map(plain));
      events.table[i] = -1;
    });
    return events;
  }

  /**
   * Fills `events` from `at` on with rows of one table (ascending row ids): time, sequence and id hash from the row
   * store, host from the index. False when either lacks a row.
   */
  function fillFromRows(events: StepEvents, at: number, table: number, rowids: Float64Array, keys: KeyCoder): boolean {
    if (!index || !rowStore?.heads(table, rowids, events, at) || !index.rowHosts(table, rowids, events.key, at)) return false;
    events.rowid.set(rowids, at);
    events.table.fill(table, at, at + rowids.length);
    for (let i = at; i < at + rowids.length; i++) events.key[i] = keys.host(events.key[i]!, index);
    return true;
  }

  /**
   * A step's events from the index and the row store, when its probe is the whole step and it joins by host.id only;
   * `first` for the sequence's first step (whose keys the join always reads).
   */
  function stepFromIndex(step: SequenceStep, keys: KeyCoder, first: boolean): StepEvents | undefined {
    if (!index || !rowStore || !step.probe || step.keys.length !== 1 || step.keys[0] !== 'host.id') return undefined;
    const fromColumns = stepFromColumns(index, rowStore, step.category, step.probe, keys, first);
    if (fromColumns) return (sequenceStepEvents.columns += fromColumns.n), fromColumns;
    const found = probeRows(index, step.category, step.probe);
    if (!found) return undefined;
    const { answer, total } = found;
    if (total > MAX_SEQUENCE_STEP_EVENTS) return undefined;
    const events = stepEvents(total);
    let n = 0;
    for (const [t, rowids] of answer) {
      if (!fillFromRows(events, n, t, rowids, keys)) return undefined;
      n += rowids.length;
    }
    sequenceStepEvents.index += events.n;
    return events;
  }

  /**
   * A step's events from the step columns of its probed value (a probe on one value): the arrays of a step on one
   * table are the columns themselves (`StepEvents.columns`), and a later step (not `first`) whose columns have runs
   * per host leaves its `key` empty (the join reads those runs instead); undefined when the columns cannot answer.
   */
  function stepFromColumns(from: EventIndex, rows: RowStore, category: string | null, probe: IndexProbe, keys: KeyCoder, first: boolean): StepEvents | undefined {
    const table = category === null ? undefined : tableIndexByCategory.get(categoryByName.get(category)?.table ?? '');
    if (category !== null && table === undefined) return undefined;
    const found = stepColumns.rows(probe, table === undefined ? viewTables : [table], from, rows);
    if (!found) return undefined;
    let total = 0;
    for (const columns of found.values()) total += columns.n;
    if (total > MAX_SEQUENCE_STEP_EVENTS) return undefined;
    const hostKey = (hostCode: number) => keys.host(hostCode, from);
    if (found.size === 1) {
      const [, columns] = [...found][0]!;
      const n = columns.n;
      const runs = columns.byHost() ?? undefined;
      const keyed = first || runs === undefined;
      const events: StepEvents = {
        n, us: columns.us.subarray(0, n), sq: columns.sq.subarray(0, n), idHash: columns.idHash.subarray(0, n), rowid: columns.rowid.subarray(0, n),
        key: new Int32Array(keyed ? n : 0), table: columns.tableColumn(), ids: [], columns, hostKey, hostRuns: runs,
      };
      if (keyed) hostKeys(columns.host, n, hostKey, events.key, 0);
      return events;
    }
    const events = stepEvents(total);
    let at = 0;
    for (const [t, columns] of found) {
      const n = columns.n;
      events.us.set(columns.us.subarray(0, n), at);
      events.sq.set(columns.sq.subarray(0, n), at);
      events.idHash.set(columns.idHash.subarray(0, n), at);
      events.rowid.set(columns.rowid.subarray(0, n), at);
      events.table.fill(t, at, at + n);
      hostKeys(columns.host, n, hostKey, events.key, at);
      at += n;
    }
    return events;
  }

  /**
   * A step's events as row ids selected by its condition, with their time, sequence and id hash from the row store and
   * host from the index: for a step on one category that joins by host.id only.
   */
  async function stepByRowids(step: SequenceStep, keys: KeyCoder): Promise<StepEvents | undefined> {
    if (!index || !rowStore || step.category === null || step.keys.length !== 1 || step.keys[0] !== 'host.id') return undefined;
    const table = tableIndexByCategory.get(categoryByName.get(step.category)?.table ?? '');
    if (table === undefined) return undefined;
    let text: unknown;
    try {
      const sql = `SELECT string_agg(rowid::VARCHAR, ',') FROM ${ident(eventTables[table]!.table)}${step.where ? ` WHERE ${step.where}` : ''}`;
      text = (await reader!.runAndReadAll(sql, [...step.params])).getRows()[0]?.[0];
    } catch (error) {
      throw VigilError.wrap(error, 'invalid_input', 'the store refused the compiled query');
    }
    if (typeof text !== 'string') return stepEvents(0);
    // In row order each host's events come nearly in time order (a host's loads append in sequence order): the join's
    // sort of them is then cheap (sorting here is faster than DuckDB's ordered string_agg).
    const rowids = parseRowids(text).sort();
    if (rowids.length > MAX_SEQUENCE_STEP_EVENTS) return undefined;
    const events = stepEvents(rowids.length);
    return fillFromRows(events, 0, table, rowids, keys) ? events : undefined;
  }

  /** event.id of a step's event from the index (read from the row store once), or undefined when it cannot be read. */
  function resolveStepId(events: StepEvents, i: number): unknown {
    if (events.ids[i] === undefined && events.table[i]! >= 0) events.ids[i] = rowStore?.read(events.table[i]!, [events.rowid[i]!], ['event.id'])?.[0]?.['event.id'];
    return events.ids[i];
  }

  /** The rows of an index-only `stats` (IndexOnly), or undefined when the index cannot answer exactly. */
  function indexOnlyStats(
    from: EventIndex,
    source: IndexedSelect['sources'][number],
    only: Extract<NonNullable<IndexedSelect['indexOnly']>, { kind: 'stats' }>,
  ): Record<string, unknown>[] | undefined {
    const table = source.category === null ? undefined : tableIndexByCategory.get(categoryByName.get(source.category)?.table ?? '');
    if (source.category !== null && table === undefined) return undefined;
    const stats = from.valueHostStats(source.probe, table === undefined ? viewTables : [table]);
    // Group keys are ordered as JavaScript strings, which is DuckDB's order for ASCII only.
    if (!stats || stats.some((s) => /[^\x00-\x7f]/.test(s.host))) return undefined;
    const groups = new Map<string, { keys: string[]; count: number; first: number; last: number }>();
    for (const s of stats) {
      const keys = only.by.map((b) => (b.of === 'value' ? s.value : s.host));
      const id = keys.join('\0');
      const group = groups.get(id);
      if (!group) groups.set(id, { keys, count: s.count, first: s.first, last: s.last });
      else {
        group.count += s.count;
        group.first = Math.min(group.first, s.first);
        group.last = Math.max(group.last, s.last);
      }
    }
    const compare = (a: string[], b: string[]) => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
      return 0;
    };
    return [...groups.values()]
      .sort((a, b) => compare(a.keys, b.keys))
      .slice(0, only.limit)
      .map((group) => {
        const row: Record<string, unknown> = {};
        only.by.forEach((b, i) => (row[b.name] = group.keys[i]));
        for (const agg of only.aggregations) {
          row[agg.name] = agg.fn === 'count' ? group.count : new Date(agg.fn === 'min' ? group.first : group.last).toISOString();
        }
        return row;
      });
  }

  /** The rows of an index-only `top` (IndexOnly) from the index's per-value row counts, or undefined when it cannot say. */
  function indexOnlyTop(from: EventIndex, only: Extract<IndexOnly, { kind: 'top' }>): Record<string, unknown>[] | undefined {
    const table = only.category === null ? undefined : tableIndexByCategory.get(categoryByName.get(only.category)?.table ?? '');
    if (only.category !== null && table === undefined) return undefined;
    const scope = table === undefined ? viewTables : [table];
    if (!scope.some((t) => eventTables[t]!.fields.some((f) => f.name === only.field))) return undefined;
    const counts = new Map<string | null, number>();
    let nulls = 0;
    for (const t of scope) {
      const perValue = from.valueCounts(only.field, t);
      if (!perValue) return undefined;
      nulls += perValue.nulls;
      for (const [value, count] of perValue.values) counts.set(value, (counts.get(value) ?? 0) + count);
    }
    if (nulls > 0) counts.set(null, nulls);
    if (counts.size === 0) return [];
    // Only values with at least the limit-th largest count can be listed; strings compare as DuckDB's (ASCII only here).
    const threshold = counts.size <= only.limit ? 0 : Float64Array.from(counts.values()).sort()[counts.size - only.limit]!;
    const kept = [...counts].filter(([, count]) => count >= threshold);
    kept.sort(([a, x], [b, y]) => y - x || (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1));
    return kept.slice(0, only.limit).map(([value, count]) => (value === null ? { count } : { [only.field]: value, count }));
  }

  /** Resolves once every append that resolved before the call is visible to reads. */
  function caughtUp(): Promise<void> {
    const target = journaledThrough;
    if (loadedThrough >= target || ackMode === 'commit') return Promise.resolve();
    return new Promise((resolve) => loadWaiters.push({ number: target, resolve }));
  }

  /** Loads journal files left by a previous run (acknowledged, not yet in the tables) before accepting appends. */
  async function replayJournal(): Promise<void> {
    const state = (await writer!.runAndReadAll('SELECT loaded_through FROM ingest_journal')).getRows()[0];
    loadedThrough = Number(state?.[0] ?? 0);
    // Journal numbers continue after the last loaded group even when the journal folder is empty: a new group must
    // never reuse a number at or below loaded_through (replay would take it for loaded and skip it after a crash).
    nextJournalNumber = Math.max(nextJournalNumber, loadedThrough + 1);
    journaledThrough = Math.max(journaledThrough, loadedThrough);
    const pending = new Map<number, JournalEntry>();
    for (const name of readdirSync(journalDir).sort()) {
      const match = JOURNAL_FILE.exec(name);
      const path = join(journalDir, name);
      if (!match?.[1] || !match[2]) continue;
      const number = Number(match[1]);
      nextJournalNumber = Math.max(nextJournalNumber, number + 1);
      if (number <= loadedThrough || ackMode === 'commit') {
        // Loaded before the crash, or (commit mode) never acknowledged.
        rmSync(path, { force: true });
        continue;
      }
      trimTornTail(path);
      const keys = new Set(tableByName.get(match[2])?.fields.map((f) => f.name) ?? []);
      if (!keys.size) continue;
      let entry = pending.get(number);
      if (!entry) pending.set(number, (entry = { number, files: [], next: new Map(), waiting: [], events: 0 }));
      entry.files.push({ table: match[2], path, keys });
    }
    if (!pending.size) return;
    const entries = [...pending.values()].sort((a, b) => a.number - b.number);
    for (const entry of entries) {
      const paths = entry.files.map((f) => literal(f.path)).join(', ');
      const rows = (
        await writer!.runAndReadAll(
          `SELECT "host.id", max("event.sequence"), count(*) FROM read_json([${paths}], format = 'newline_delimited', columns = {'host.id': 'VARCHAR', 'event.sequence': 'BIGINT'}) GROUP BY 1`,
        )
      ).getRows();
      for (const row of rows) {
        entry.next.set(String(row[0]), Number(row[1]));
        entry.events += Number(row[2]);
      }
    }
    log.warn('replaying the ingest journal after an unclean stop', { groups: entries.length, events: entries.reduce((n, e) => n + e.events, 0) });
    await loadEntries(entries);
    loadedThrough = entries[entries.length - 1]!.number;
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
      mkdirSync(journalDir, { recursive: true, mode: 0o700 });
      rmSync(join(options.dataDir, 'ingest-scratch'), { recursive: true, force: true });
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
      indexReader = await instance.connect();
      rowReader = await instance.connect();
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
      await writer.run('CREATE TABLE IF NOT EXISTS ingest_journal (loaded_through BIGINT NOT NULL)');
      if ((await writer.runAndReadAll('SELECT count(*) FROM ingest_journal')).getRows()[0]?.[0] === 0n) await writer.run('INSERT INTO ingest_journal VALUES (0)');
      await writer.run(eventsViewSql());
      await replayJournal();
      if (options.index !== false) {
        // Built in the background: the store serves at once; searches scan until the first build is done.
        index = createEventIndex(options.index);
        if (options.rowCache) {
          rowStore = createRowStore(join(options.dataDir, 'rows.cache'));
          eventTables.forEach((_, t) => rowsDirty.add(t));
          void rowStoreCatchUp();
        }
        eventTables.forEach((_, t) => indexDirty.add(t));
        indexPending = MAX_INDEX_LAG + 1;
        loadsIndexed = false;
        void indexCatchUp();
        watchIndexHeap();
      }
      const newest = (await writer.runAndReadAll('SELECT epoch_us(max("event.ingested")) FROM events')).getRows()[0]?.[0];
      if (typeof newest === 'bigint' || typeof newest === 'number') lastIngestMicros = Math.max(lastIngestMicros, Number(newest));
      for (const row of (await writer.runAndReadAll('SELECT host_id, sequence FROM ingest_watermarks')).getRows()) {
        watermarks.set(String(row[0]), Number(row[1]));
      }
    },

    append(hostId, events, raw) {
      if (closed || !writer) return Promise.reject(new VigilError('unavailable', 'event store is closed'));
      if (events.length === 0) return Promise.resolve({ accepted: 0, duplicates: 0, ackedThrough: watermarks.get(hostId) ?? -1 });
      const enqueue = () =>
        new Promise<AppendResult>((resolve, reject) => {
          if (closed) return reject(new VigilError('unavailable', 'event store is closed'));
          queue.push({ hostId, events, raw, resolve, reject });
          pumpJournal();
        });
      // Behind earlier waiters too, so appends keep their order.
      if (!backlogWaiters.length && backlogEvents() < maxBacklogEvents) return enqueue();
      backlogWaits++;
      return new Promise<void>((resolve) => backlogWaiters.push(resolve)).then(enqueue);
    },

    async watermark(hostId) {
      return watermarks.get(hostId) ?? -1;
    },

    async queryEvents(query) {
      await caughtUp();
      const params: DuckDBValue[] = [];
      let where = whereClause(query, params);
      const ascending = query.order === 'asc';
      if (query.after) {
        if (query.hostId === undefined) throw new VigilError('invalid_input', 'paging with a position needs a host', { location: { path: 'cursor' } });
        params.push(query.after.time, query.after.sequence);
        const time = `CAST($${params.length - 1} AS TIMESTAMPTZ)::TIMESTAMP`;
        const sequence = `$${params.length}::BIGINT`;
        const compare = ascending ? '>' : '<';
        const keyset = `("@timestamp" ${compare} ${time} OR ("@timestamp" = ${time} AND "event.sequence" ${compare} ${sequence}))`;
        where = where ? `${where} AND ${keyset}` : `WHERE ${keyset}`;
      }
      const limit = Math.max(1, Math.min(10000, Math.floor(query.limit)));
      const position = query.hostId !== undefined ? `, strftime("@timestamp", '%Y-%m-%dT%H:%M:%S.%fZ') AS "${TIMELINE_POSITION_KEY}"` : '';
      const sql = `SELECT *${position} FROM ${source(query)} ${where} ORDER BY "@timestamp" ${ascending ? 'ASC' : 'DESC'}, "event.sequence" ${ascending ? 'ASC' : 'DESC'} LIMIT ${limit}`;
      const result = await reader!.runAndReadAll(sql, params);
      return result.getRowObjectsJS().map(toPlainEvent);
    },

    stats() {
      return {
        append_queue_length: queue.length,
        journal_groups_in_flight: journalsInFlight.size,
        load_queue_length: loadQueue.length,
        events_journaled_not_loaded: loadQueue.reduce((sum, entry) => sum + entry.events, 0) + loadingEvents,
        appends_waiting_for_backlog: backlogWaiters.length,
        backlog_waits: backlogWaits,
        load_failures: loadFailures,
        ...(index?.stats() ?? {}),
        ...(rowStore?.stats() ?? {}),
        index_answered_searches: indexAnswered,
        index_row_store_searches: rowStoreAnswered,
        index_step_column_rows: stepColumns.held(),
        index_sequence_step_events_from_columns: sequenceStepEvents.columns,
        index_sequence_step_events_from_index: sequenceStepEvents.index,
        index_sequence_step_events_from_rowids: sequenceStepEvents.rowids,
        index_sequence_step_events_from_sql: sequenceStepEvents.sql,
        index_pending_events: indexPending + fedPending,
        ...(indexDropped ? { index_dropped_for_heap: 1 } : {}),
      };
    },

    async search(query) {
      if (!/^\s*(SELECT|WITH)\b/i.test(query.sql)) throw new VigilError('invalid_input', 'only a compiled SELECT can be searched');
      await caughtUp();
      // Waits for the index to read back what was loaded, unless ingest ran far ahead of it (then a scan is sooner).
      const useIndex = query.indexed !== undefined && indexPending + fedPending <= MAX_INDEX_LAG;
      if (useIndex) await indexCatchUp();
      const only = query.indexed?.indexOnly;
      // Event lists and sequences read the row store: it catches up too (rows it lacks send the query to SQL).
      if (useIndex && (only?.kind === 'rows' || only?.kind === 'sequence')) await rowStoreCatchUp();
      if (useIndex && only?.kind === 'sequence') {
        const rows = await indexedSequence(only);
        if (rows) {
          indexAnswered++;
          return rows;
        }
      }
      const plan = useIndex ? indexedPlan(query.indexed!) : undefined;
      if (plan && 'rows' in plan) return plan.rows;
      try {
        const result = await reader!.runAndReadAll(plan?.sql ?? query.sql, plan?.params ?? [...query.params]);
        return result.getRowObjectsJS().map(toPlainEvent);
      } catch (error) {
        throw VigilError.wrap(error, 'invalid_input', 'the store refused the compiled query');
      }
    },

    async processChildren(hostId, parentEntityIds) {
      await caughtUp();
      if (!index || indexPending + fedPending > MAX_INDEX_LAG) return undefined;
      await indexCatchUp();
      return index?.children(hostId, parentEntityIds);
    },

    async countEvents(filter, groupBy) {
      await caughtUp();
      const params: DuckDBValue[] = [];
      const where = whereClause(filter, params);
      const key = { category: '"event.category"', action: '"event.category" || \'/\' || "event.action"', host: '"host.id"', none: "'all'" }[groupBy];
      const result = await reader!.runAndReadAll(`SELECT ${key} AS key, count(*) AS n FROM ${source(filter)} ${where} GROUP BY 1 ORDER BY 2 DESC`, params);
      return result.getRows().map((row): CountRow => ({ key: String(row[0]), count: Number(row[1]) }));
    },

    async close() {
      closed = true;
      admitFromBacklog();
      clearInterval(heapWatch);
      while (journalsInFlight.size || loading || queue.length || loadQueue.length) {
        pumpJournal();
        pumpLoad();
        await Promise.all(journalsInFlight);
        await loading;
        if (loadFailures > 3) break; // what is left stays in the journal and is replayed at the next open
      }
      while (deleting.size) await Promise.all(deleting);
      await indexing;
      await rowCopying;
      rowStore?.close();
      rowStore = undefined;
      stepColumns.clear();
      writer?.closeSync();
      reader?.closeSync();
      indexReader?.closeSync();
      rowReader?.closeSync();
      instance?.closeSync();
      writer = reader = indexReader = rowReader = instance = undefined;
    },
  };
}

const NEWLINE = Buffer.from('\n');

/** Row ids from DuckDB's comma-separated text of them (digits and commas only). */
function parseRowids(text: string): Float64Array {
  let count = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 44) count++;
  const rowids = new Float64Array(count);
  let n = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) {
      rowids[n++] = value;
      value = 0;
    } else value = value * 10 + (c - 48);
  }
  rowids[n] = value;
  return rowids;
}

/** Most events one step of an indexed sequence may have (in typed arrays, ~40 bytes each); beyond, the sequence runs as SQL. */
const MAX_SEQUENCE_STEP_EVENTS = 1_000_000;
/** Most events a step may read through its own SQL (one JavaScript row each); beyond, the sequence runs as SQL. */
const MAX_SQL_STEP_EVENTS = 200_000;

/**
 * The events of one sequence step, by position: @timestamp in microseconds, event.sequence, join key code (see
 * `KeyCoder`; -1 when a key is null: never joins), event.id where known; for events from the index (table >= 0) their
 * row (table position, row id) and a 31-bit hash of event.id, whose id is read only when needed.
 */
interface StepEvents {
  n: number;
  us: Float64Array;
  sq: Float64Array;
  key: Int32Array;
  table: Int32Array;
  rowid: Float64Array;
  idHash: Int32Array;
  /** event.id by position where known (filled as read; positions not read are holes). */
  ids: unknown[];
  /**
   * Set when the events are the first `n` rows of one table's step columns, position for position (`us`, `sq`,
   * `idHash`, `rowid` and `table` are theirs, never to be changed): what the columns derive once (id distinctness,
   * runs per host) holds here.
   */
  columns?: TableRows;
  /** The columns' runs per host for these `n` events, when they have them; `key` is then empty unless the step is the first. */
  hostRuns?: HostRuns;
  /** For events from the index: the key code of an index host code (see `KeyCoder.host`). */
  hostKey?: (hostCode: number) => number;
}

/** Writes the key codes of `n` index host codes into `into` from `at` on, asking `hostKey` once per host. */
function hostKeys(hosts: Int32Array, n: number, hostKey: (hostCode: number) => number, into: Int32Array, at: number): void {
  const codes: number[] = [];
  for (let i = 0; i < n; i++) {
    const host = hosts[i]!;
    let code = codes[host];
    if (code === undefined) codes[host] = code = hostKey(host);
    into[at + i] = code;
  }
}

function stepEvents(n: number): StepEvents {
  return { n, us: new Float64Array(n), sq: new Float64Array(n), key: new Int32Array(n), table: new Int32Array(n), rowid: new Float64Array(n), idHash: new Int32Array(n), ids: [] };
}

/**
 * Join keys as codes 0, 1, ... shared by the steps of one sequence: equal keys (SQL equality of plain scalars, the
 * same types) get one code; `values[code]` are the key's values. A key holding null is -1; any other value that is not
 * a plain scalar throws NOT_EXACT.
 */
interface KeyCoder {
  values: unknown[][];
  code(keys: unknown[]): number;
  /** The code of the single key host.id for a host code of the index. */
  host(hostCode: number, from: EventIndex): number;
}

function createKeyCoder(): KeyCoder {
  const codes = new Map<unknown, number>();
  const values: unknown[][] = [];
  const byHost: number[] = [];
  const code = (keys: unknown[]): number => {
    let id: unknown = '';
    for (const value of keys) {
      if (value === null || value === undefined) return -1;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw NOT_EXACT;
      // One plain scalar is its own Map key (Map equality is SQL equality for these); several are joined.
      id = keys.length === 1 ? value : `${String(id)}${typeof value}:${String(value)}\0`;
    }
    let c = codes.get(id);
    if (c === undefined) {
      codes.set(id, (c = values.length));
      values.push(keys);
    }
    return c;
  };
  return {
    values,
    code,
    host(hostCode, from) {
      let c = byHost[hostCode];
      if (c === undefined) byHost[hostCode] = c = code([from.hostName(hostCode)]);
      return c;
    },
  };
}

/**
 * Positions 0..n-1 grouped by `groupOf` (an id hash or an id, compared as Map keys): each group is a run of `order`
 * between two consecutive `starts` (the last is n), positions ascending within a run, runs by their first position.
 */
function groupByIdentity(n: number, groupOf: (i: number) => unknown): { order: Int32Array; starts: number[] } {
  // Groups are chained through `next` (no list per group): a Map from the group to its number, its first and last position.
  const numberOf = new Map<unknown, number>();
  const heads: number[] = [];
  const tails: number[] = [];
  const next = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const key = groupOf(i);
    const g = numberOf.get(key);
    if (g === undefined) {
      numberOf.set(key, heads.length);
      heads.push(i);
      tails.push(i);
    } else {
      next[tails[g]!] = i;
      tails[g] = i;
    }
  }
  const order = new Int32Array(n);
  const starts: number[] = [];
  let at = 0;
  for (const head of heads) {
    starts.push(at);
    for (let i = head; i >= 0; i = next[i]!) order[at++] = i;
  }
  starts.push(n);
  return { order, starts };
}

/** Every event's time is at or after 1970 (JavaScript and DuckDB round earlier microseconds differently). */
function allTimesFromEpoch(events: StepEvents): boolean {
  if (events.columns !== undefined && events.columns.n === events.n) return events.columns.fromEpoch();
  const us = events.us;
  for (let i = 0; i < events.n; i++) if (!(us[i]! >= 0)) return false;
  return true;
}

/** Every event of the step is a row of the index (table >= 0), so equal rows are the same event. */
function allFromIndex(events: StepEvents): boolean {
  if (events.columns !== undefined && events.columns.n === events.n) return true;
  const table = events.table;
  for (let i = 0; i < events.n; i++) if (table[i]! < 0) return false;
  return true;
}

/** The different values of `positions`, each below `n`, in first-seen order. */
function distinctPositions(positions: ArrayLike<number>, n: number): Int32Array {
  const seen = new Uint8Array(n);
  const out = new Int32Array(positions.length);
  let count = 0;
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    if (seen[p] === 1) continue;
    seen[p] = 1;
    out[count++] = p;
  }
  return out.subarray(0, count);
}

/** Whether `hashes` at the first `n` of `at` (or at 0..n-1 when null) are pairwise different. */
function distinctHashes(hashes: Int32Array, at: Int32Array | null, n: number): boolean {
  const sorted = new Int32Array(n);
  for (let i = 0; i < n; i++) sorted[i] = hashes[at === null ? i : at[i]!]!;
  sorted.sort();
  for (let i = 1; i < n; i++) if (sorted[i] === sorted[i - 1]) return false;
  return true;
}

/**
 * The positions of a step's events with a key grouped by key code (a counting sort: positions ascending within a
 * key): key k's events are `order[start[k]]` up to before `order[start[k + 1]]`.
 */
function groupByKey(step: StepEvents, keyCount: number): { start: Int32Array; order: Int32Array } {
  const key = step.key;
  const start = new Int32Array(keyCount + 1);
  for (let i = 0; i < step.n; i++) if (key[i]! >= 0) start[key[i]! + 1]! += 1;
  for (let k = 0; k < keyCount; k++) start[k + 1]! += start[k]!;
  const order = new Int32Array(start[keyCount]!);
  const fill = start.slice(0, keyCount);
  for (let i = 0; i < step.n; i++) if (key[i]! >= 0) order[fill[key[i]!]!++] = i;
  return { start, order };
}

/** Whether the events at `order[from]` up to before `order[to]` are strictly ascending by (time, sequence). */
function strictlyAscending(step: StepEvents, order: Int32Array, from: number, to: number): boolean {
  const { us, sq } = step;
  for (let j = from + 1; j < to; j++) {
    const a = order[j - 1]!;
    const b = order[j]!;
    if (!(us[a]! < us[b]! || (us[a] === us[b] && sq[a]! < sq[b]!))) return false;
  }
  return true;
}

/** The first index j in [low, high) whose event `order[j]` is strictly after (us, sq), or high; the run is sorted. */
function firstAfter(step: StepEvents, order: Int32Array, low: number, high: number, us: number, sq: number): number {
  const times = step.us;
  const sequences = step.sq;
  while (low < high) {
    const mid = (low + high) >> 1;
    const e = order[mid]!;
    if (times[e]! > us || (times[e] === us && sequences[e]! > sq)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Whether the id hashes of all a step's events are pairwise different (once per step columns' length when it has them). */
function distinctIdHashes(step: StepEvents): boolean {
  return step.columns !== undefined && step.columns.n === step.n ? step.columns.distinctIds() : distinctHashes(step.idHash, null, step.n);
}

/** The step columns a step's events are, position for position, or undefined. */
function stepColumnsOf(step: StepEvents): TableRows | undefined {
  return step.columns !== undefined && step.columns.n === step.n ? step.columns : undefined;
}

/** Whether no two of `positions` (different, each below `n`) are in one group of `shared` (see `TableRows.sharedIdHashes`). */
function noneShareAHash(shared: IdHashGroups, positions: Int32Array, n: number): boolean {
  if (shared.starts.length === 1) return true;
  const taken = new Uint8Array(n);
  for (let i = 0; i < positions.length; i++) taken[positions[i]!] = 1;
  for (let g = 0; g + 1 < shared.starts.length; g++) {
    let count = 0;
    for (let k = shared.starts[g]!; k < shared.starts[g + 1]!; k++) count += taken[shared.order[k]!]!;
    if (count > 1) return false;
  }
  return true;
}

/** A step's events by key code: key k's events are `order[from[k]]` up to before `order[to[k]]`, in the SQL's order. */
interface KeyRuns {
  from: Int32Array;
  to: Int32Array;
  order: Int32Array;
}

/**
 * A step's runs per key from its step columns' runs per host (each host's key code through `step.hostKey`; codes
 * from `keyCount` on were given to no earlier step's event and are left out); undefined when the step has no columns
 * or they have ties (then the SQL's order needs event ids).
 */
function columnRuns(step: StepEvents, keyCount: number): KeyRuns | undefined {
  const byHost = step.hostRuns;
  if (!byHost || !step.hostKey) return undefined;
  const from = new Int32Array(keyCount);
  const to = new Int32Array(keyCount);
  for (let host = 0; host + 1 < byHost.start.length; host++) {
    if (byHost.start[host] === byHost.start[host + 1]) continue;
    const k = step.hostKey(host);
    if (k < 0 || k >= keyCount) continue;
    from[k] = byHost.start[host]!;
    to[k] = byHost.start[host + 1]!;
  }
  return { from, to, order: byHost.order };
}

/**
 * For each partial sequence p (first event `heads[p]`, last event `lasts[p]` of `previous`): the position of the
 * earliest event of `step` after it on the first event's key, at most `maxspanUs` after the first event; -1 when none.
 */
function nextEvents(first: StepEvents, heads: Int32Array, previous: StepEvents, lasts: Int32Array, step: StepEvents, runs: KeyRuns, maxspanUs: number): Int32Array {
  const found = new Int32Array(heads.length);
  const { from, to, order } = runs;
  const firstKey = first.key;
  const firstUs = first.us;
  const stepUs = step.us;
  for (let p = 0; p < heads.length; p++) {
    found[p] = -1;
    const head = heads[p]!;
    const key = firstKey[head]!;
    if (key < 0) continue;
    const before = lasts[p]!;
    const end = to[key]!;
    const low = firstAfter(step, order, from[key]!, end, previous.us[before]!, previous.sq[before]!);
    if (low === end) continue;
    const event = order[low]!;
    if (stepUs[event]! > firstUs[head]! + maxspanUs) continue;
    found[p] = event;
  }
  return found;
}

/** Thrown inside `joinSequence` when JavaScript could not decide exactly as DuckDB does. */
const NOT_EXACT = new Error('not exact');

/**
 * The sequences of IndexOnly `sequence` from its steps' events, exactly as the compiled SQL finds them; throws
 * NOT_EXACT where a JavaScript comparison could differ from DuckDB's (times before 1970, non-ASCII ids, repeated
 * first-step ids, keys that are not plain scalars). Ids of events from the index are read (`resolve`) only where
 * the SQL would compare them: hash collisions, ties in time and sequence, and the output.
 */
function joinSequence(
  steps: readonly StepEvents[],
  only: Extract<IndexOnly, { kind: 'sequence' }>,
  keys: KeyCoder,
  resolve: (events: StepEvents, i: number) => unknown,
): Record<string, unknown>[] {
  const keyValues = keys.values;
  const ASCII = /^[\x00-\x7f]*$/;
  const idOf = (events: StepEvents, i: number): string => {
    const id = resolve(events, i);
    if (typeof id !== 'string' || !ASCII.test(id)) throw NOT_EXACT;
    return id;
  };
  const sameEvent = (a: StepEvents, i: number, b: StepEvents, j: number) =>
    (a.table[i]! >= 0 && a.table[i] === b.table[j] && a.rowid[i] === b.rowid[j]) || idOf(a, i) === idOf(b, j);
  /** Groups by event.id: the known id, or for events from the index the hash, then the id within a hash. */
  const idGroup = (events: StepEvents, i: number): unknown => (events.table[i]! >= 0 ? events.idHash[i] : idOf(events, i));
  for (const events of steps) if (!allTimesFromEpoch(events)) throw NOT_EXACT;
  const first = steps[0]!;
  const keyCount = keyValues.length;
  const maxspanUs = only.maxspanMs === null ? Infinity : only.maxspanMs * 1000;
  /** Partial sequences: `at[s][p]` is the position of the p-th partial sequence's event in step s. */
  const everyFirst = new Int32Array(first.n);
  for (let i = 0; i < first.n; i++) everyFirst[i] = i;
  let at: Int32Array[] = [everyFirst];
  // The SQL keeps one extension per first-step event.id: repeated first-step ids are left to it. Rows of the index
  // with different id hashes are different events: only rows sharing a hash are compared (step columns know them).
  const firstIds = stepColumnsOf(first)?.sharedIdHashes() ?? (allFromIndex(first) && distinctIdHashes(first) ? { order: new Int32Array(0), starts: [0] } : groupByIdentity(first.n, (i) => idGroup(first, i)));
  for (let g = 0; g + 1 < firstIds.starts.length; g++) {
    for (let a = firstIds.starts[g]!; a < firstIds.starts[g + 1]!; a++) {
      for (let b = a + 1; b < firstIds.starts[g + 1]!; b++) if (sameEvent(first, firstIds.order[a]!, first, firstIds.order[b]!)) throw NOT_EXACT;
    }
  }
  for (let s = 1; s < steps.length; s++) {
    const step = steps[s]!;
    const previous = steps[s - 1]!;
    // The step's events by key, each key's run in the SQL's order (ts, sq, id): from the step columns' runs per
    // host when it has them (no ties), else by a counting sort whose runs already ascending by (ts, sq) are kept and
    // others sorted.
    let runs = columnRuns(step, keyCount);
    if (!runs) {
      const { start, order } = groupByKey(step, keyCount);
      const compare = (a: number, b: number) => {
        if (step.us[a] !== step.us[b] || step.sq[a] !== step.sq[b]) return step.us[a]! - step.us[b]! || step.sq[a]! - step.sq[b]!;
        const x = idOf(step, a);
        const y = idOf(step, b);
        return x === y ? 0 : x < y ? -1 : 1;
      };
      for (let k = 0; k < keyCount; k++) {
        if (!strictlyAscending(step, order, start[k]!, start[k + 1]!)) order.set(Array.from(order.subarray(start[k]!, start[k + 1]!)).sort(compare), start[k]!);
      }
      runs = { from: start.subarray(0, keyCount), to: start.subarray(1), order };
    }
    const found = nextEvents(first, at[0]!, previous, at[s - 1]!, step, runs, maxspanUs);
    let kept = 0;
    for (let p = 0; p < found.length; p++) if (found[p]! >= 0) kept++;
    const next: Int32Array[] = [];
    for (let l = 0; l <= s; l++) {
      const from = l < s ? at[l]! : found;
      const to = new Int32Array(kept);
      let w = 0;
      for (let p = 0; p < found.length; p++) if (found[p]! >= 0) to[w++] = from[p]!;
      next.push(to);
    }
    at = next;
  }
  // Of the sequences ending on one event (by event.id), the one whose first event is latest (ts, then id) stays.
  const lastStep = steps[steps.length - 1]!;
  const lastAt = at[steps.length - 1]!;
  if (only.output === 'count' && allFromIndex(lastStep)) {
    // One sequence per last event: rows of the index with pairwise different id hashes are different events, so the
    // count is the number of different last rows (which first event stays does not change it).
    const lastRows = distinctPositions(lastAt, lastStep.n);
    const columns = stepColumnsOf(lastStep);
    if (columns ? noneShareAHash(columns.sharedIdHashes(), lastRows, lastStep.n) : distinctHashes(lastStep.idHash, lastRows, lastRows.length)) return [{ count: lastRows.length }];
  }
  const byLast = groupByIdentity(lastAt.length, (p) => idGroup(lastStep, lastAt[p]!));
  /** Kept sequences, in the order of their group's first partial sequence, then as kept within the group. */
  const chains: number[] = [];
  for (let g = 0; g + 1 < byLast.starts.length; g++) {
    const from = chains.length;
    for (let r = byLast.starts[g]!; r < byLast.starts[g + 1]!; r++) {
      const p = byLast.order[r]!;
      let same = -1;
      for (let k = from; k < chains.length && same < 0; k++) if (sameEvent(lastStep, lastAt[chains[k]!]!, lastStep, lastAt[p]!)) same = k;
      if (same < 0) {
        chains.push(p);
        continue;
      }
      const a = at[0]![p]!;
      const b = at[0]![chains[same]!]!;
      if (first.us[a]! > first.us[b]! || (first.us[a] === first.us[b] && idOf(first, a) > idOf(first, b))) chains[same] = p;
    }
  }
  if (only.output === 'count') return [{ count: chains.length }];
  const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
  chains.sort((x, y) => first.us[at[0]![x]!]! - first.us[at[0]![y]!]!);
  return chains.slice(0, only.limit).map((p) => {
    const row: Record<string, unknown> = {};
    const head = at[0]![p]!;
    const keys = keyValues[first.key[head]!];
    if (!keys) throw NOT_EXACT;
    only.by.forEach((name, i) => (row[name] = keys[i]));
    row['sequence.start'] = iso(first.us[head]!);
    row['sequence.end'] = iso(lastStep.us[lastAt[p]!]!);
    steps.forEach((events, s) => {
      row[`step${s + 1}.event.id`] = idOf(events, at[s]![p]!);
      row[`step${s + 1}.@timestamp`] = iso(events.us[at[s]![p]!]!);
    });
    return row;
  });
}

/**
 * JSON text of an event that DuckDB's reader accepts: JSON.stringify writes a lone UTF-16 surrogate (possible in
 * Windows strings) as a `\udXXX` escape, which DuckDB refuses, and the load would then fail for ever; such
 * strings are stored with U+FFFD in place of the lone surrogate.
 */
function wellFormedJson(event: VigilEvent): string {
  const text = JSON.stringify(event);
  if (!text.includes('\\ud')) return text;
  return JSON.stringify(event, (_key, value: unknown) => (typeof value === 'string' ? (value as unknown as { toWellFormed(): string }).toWellFormed() : value));
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

/** Makes a new file's directory entry durable. */
/** fsync of a folder, so that files created in it survive a crash (in the thread pool). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await openFile(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}


/** Cuts a journal file back to its last complete line (a crash mid-write leaves a partial one; it was never acknowledged). */
function trimTornTail(path: string): void {
  if (!existsSync(path)) return;
  const content = readFileSync(path);
  const end = content.lastIndexOf(10) + 1;
  if (end === content.length) return;
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, end);
  } finally {
    closeSync(fd);
  }
}
