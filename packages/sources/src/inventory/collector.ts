// The agent's inventory: reads tables in a worker thread on a schedule and when their files change, and publishes
// per-table diffs against what the server acknowledged (full tables when the server asks to resync).
// Never blocks the agent's event loop with file walks or hashing; never sends a table that could not be read.

import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { VigilError, createLogger } from '@vigil/common';
import { inventoryLimits, rowHash, rowKey, tableDigest, type InventoryReply, type InventoryReport, type InventoryRow, type InventoryTablePart } from '@vigil/protocol/inventory';
import { createDirWatcher, type DirWatcher } from '../changes/dir-watcher.js';
import { executableDirs } from './executables.js';
import { SYSTEMD_UNIT_DIRS, SYSV_INIT_DIR, SYSV_RC_DIRS } from './services.js';
import { INVENTORY_TABLES, createTableReader, type InventoryTableName, type ReaderCache, type TableReader, type TableReadOptions, type TableResult } from './tables.js';
import type { WorkerReply, WorkerRequest } from './inventory-worker.js';

/** Delivers reports to the server. Rejects when the report could not be delivered (the collector retries later). */
export interface InventoryPublisher {
  publish(report: Omit<InventoryReport, 'host_id'>): Promise<InventoryReply>;
}

/**
 * Lifecycle: `start` once (resolves at once; the first collection runs in the background), `stop` once.
 * `refresh` and `stats` may be called at any time. One collection and one publication run at a time.
 */
export interface InventoryCollector {
  readonly name: string;
  start(publisher: InventoryPublisher): Promise<void>;
  /** Reads these tables (default: all) soon, outside their schedule. */
  refresh(tables?: readonly InventoryTableName[]): void;
  stop(): Promise<void>;
  stats(): Record<string, number>;
  /** Resolves true once every table was read at least once and the server acknowledged the latest of each. */
  settled(timeoutMs: number): Promise<boolean>;
}

export interface InventoryOptions {
  /** Seconds between scheduled reads per table. */
  intervals?: Partial<Record<InventoryTableName, number>>;
  /** Re-read tables when their files change (inotify on the few directories involved; default true). */
  watch?: boolean;
  /** Wait after a file change before reading (ms; executables wait 10x longer, package installs touch many files). */
  debounceMs?: number;
  read?: TableReadOptions;
  /** Largest report body the agent sends; bigger sets of tables are split (default 4 MiB). */
  maxReportBytes?: number;
  /** The worker thread exits after this long without a request (ms, default 15 s; its caches stay with the agent). */
  workerIdleMs?: number;
  /**
   * Tables read on the agent's own thread instead of the worker (default INLINE_TABLES): small procfs reads on a
   * short schedule, where starting a worker (a V8 isolate: ~50 ms of CPU and ~25 MB of RSS while it lives) every
   * minute would cost more than the read itself.
   */
  inlineTables?: readonly InventoryTableName[];
}

/** Read in a few ms (listening_ports: one /proc fd walk, ~40 ms on a busy host); the rest hash files or parse package databases. */
export const INLINE_TABLES: readonly InventoryTableName[] = ['host', 'listening_ports', 'kernel_modules'];

export const DEFAULT_INTERVALS: Record<InventoryTableName, number> = {
  host: 600,
  users: 3600,
  groups: 3600,
  services: 3600,
  executables: 21_600,
  packages: 3600,
  listening_ports: 60,
  kernel_modules: 60,
};

interface TableSnapshot {
  rows: Map<string, { row: InventoryRow; hash: string }>;
  digest: string;
}

const log = createLogger('inventory');

function snapshotOf(table: InventoryTableName, rows: readonly InventoryRow[]): TableSnapshot {
  const map = new Map<string, { row: InventoryRow; hash: string }>();
  for (const row of rows) {
    const key = rowKey(table, row);
    if (!map.has(key)) map.set(key, { row, hash: rowHash(row) });
  }
  return { rows: map, digest: tableDigest([...map].map(([key, { hash }]) => [key, hash] as const)) };
}

/** The part that turns `acked` into `current` (a diff), or the whole table when nothing is acknowledged. */
export function tablePart(table: InventoryTableName, current: TableSnapshot, acked: { digest: string; hashes: Map<string, string> } | undefined): InventoryTablePart {
  if (!acked) return { name: table, mode: 'full', digest: current.digest, rows: [...current.rows.values()].map((r) => r.row) };
  const upsert: InventoryRow[] = [];
  const removed: string[] = [];
  for (const [key, { row, hash }] of current.rows) if (acked.hashes.get(key) !== hash) upsert.push(row);
  for (const key of acked.hashes.keys()) if (!current.rows.has(key)) removed.push(key);
  return { name: table, mode: 'diff', base: acked.digest, digest: current.digest, upsert, delete: removed };
}

/** Directories whose changes make a table stale, and which tables. */
function triggerDirs(executables: readonly string[]): Map<string, { tables: InventoryTableName[]; names?: Set<string> }> {
  const dirs = new Map<string, { tables: InventoryTableName[]; names?: Set<string> }>();
  dirs.set('/etc', { tables: ['users', 'groups'], names: new Set(['passwd', 'group', 'shadow']) });
  dirs.set('/var/lib/dpkg', { tables: ['packages'], names: new Set(['status']) });
  for (const dir of [...SYSTEMD_UNIT_DIRS, SYSV_INIT_DIR, ...SYSV_RC_DIRS]) {
    dirs.set(dir, { tables: ['services'] });
    if (dir.startsWith('/etc/systemd')) {
      try {
        for (const entry of readdirSync(dir)) if (entry.endsWith('.wants') || entry.endsWith('.requires')) dirs.set(join(dir, entry), { tables: ['services'] });
      } catch {
        // not there
      }
    }
  }
  for (const dir of executables) if (!dirs.has(dir)) dirs.set(dir, { tables: ['executables'] });
  return dirs;
}

export function createInventoryCollector(options: InventoryOptions = {}): InventoryCollector {
  const intervals = { ...DEFAULT_INTERVALS, ...options.intervals };
  const debounceMs = options.debounceMs ?? 1000;
  const maxReportBytes = Math.min(options.maxReportBytes ?? 4 * 1024 * 1024, inventoryLimits.maxBodyBytes - 1024);
  const counters: Record<string, number> = { collections: 0, reports: 0, report_errors: 0, resyncs: 0, digest_mismatches: 0, worker_starts: 0, worker_restarts: 0, table_errors: 0, oversized_parts: 0, rows: 0 };
  const workerIdleMs = options.workerIdleMs ?? 15_000;
  /** The worker's caches, kept here so a new worker starts warm. */
  const cache: ReaderCache = {};
  let workerIsNew = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const tableStats: Record<string, number> = {};
  const current = new Map<InventoryTableName, TableSnapshot>();
  const collectedAt = new Map<InventoryTableName, number>();
  const acked = new Map<InventoryTableName, { digest: string; hashes: Map<string, string> }>();
  const dueAt = new Map<InventoryTableName, number>(INVENTORY_TABLES.map((t) => [t, 0]));
  const requestedAt = new Map<InventoryTableName, number>();
  let publisher: InventoryPublisher | undefined;
  let worker: Worker | undefined;
  let nextRequest = 1;
  const waiting = new Map<number, { resolve(reply: WorkerReply): void; reject(error: Error): void }>();
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let publishRetryAt = 0;
  let backoffMs = 1000;
  let watcher: DirWatcher | undefined;
  let triggers = new Map<string, { tables: InventoryTableName[]; names?: Set<string> }>();
  let triggersAt = 0;

  const failWaiting = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  const ensureWorker = (): Worker => {
    if (worker) return worker;
    const created = new Worker(new URL('./inventory-worker.js', import.meta.url), { workerData: options.read ?? {} });
    created.unref();
    created.on('message', (reply: WorkerReply) => {
      if (reply.cache.files) cache.files = reply.cache.files;
      if (reply.cache.owners) cache.owners = reply.cache.owners;
      waiting.get(reply.id)?.resolve(reply);
      waiting.delete(reply.id);
      if (waiting.size === 0) {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          if (worker !== created || waiting.size) return;
          worker = undefined;
          void created.terminate();
        }, workerIdleMs);
        idleTimer.unref();
      }
    });
    created.on('error', (error) => {
      if (worker === created) worker = undefined;
      failWaiting(VigilError.wrap(error, 'internal', 'the inventory worker failed'));
    });
    created.on('exit', (code) => {
      if (worker === created) worker = undefined;
      failWaiting(new VigilError('unavailable', `the inventory worker exited (${code})`));
    });
    worker = created;
    workerIsNew = true;
    counters.worker_starts!++;
    return created;
  };
  const inlineTables = new Set(options.inlineTables ?? INLINE_TABLES);
  let inlineReader: TableReader | undefined;
  const readTables = async (tables: InventoryTableName[]): Promise<WorkerReply> => {
    const inWorker = tables.filter((t) => !inlineTables.has(t));
    const reply: WorkerReply = inWorker.length ? await readInWorker(inWorker) : { id: 0, results: {}, cache: {} };
    for (const table of tables.filter((t) => inlineTables.has(t))) {
      inlineReader ??= createTableReader(options.read ?? {});
      const started = performance.now();
      const result = inlineReader.read(table);
      reply.results[table] = { ...result, ms: Math.round(performance.now() - started) };
    }
    return reply;
  };
  const readInWorker = (tables: InventoryTableName[]): Promise<WorkerReply> => {
    clearTimeout(idleTimer);
    const target = ensureWorker();
    const warm = workerIsNew && (cache.files || cache.owners) ? cache : undefined;
    workerIsNew = false;
    const id = nextRequest++;
    return new Promise<WorkerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        counters.worker_restarts!++;
        void target.terminate();
        reject(new VigilError('unavailable', 'reading the inventory took longer than 5 minutes; the worker was restarted'));
      }, 300_000);
      waiting.set(id, {
        resolve: (reply) => (clearTimeout(timer), resolve(reply)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      target.postMessage({ id, tables, ...(warm ? { cache: warm } : {}) } satisfies WorkerRequest);
    });
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => ((wake = undefined), resolve()), Math.max(10, ms));
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const request = (tables: readonly InventoryTableName[], delayMs: number) => {
    const at = Date.now() + delayMs;
    for (const table of tables) if ((requestedAt.get(table) ?? Infinity) > at) requestedAt.set(table, at);
    wake?.();
  };

  const onFileChange = (dir: string, name: string | null) => {
    const trigger = triggers.get(dir);
    if (!trigger || (trigger.names && name !== null && !trigger.names.has(name))) return;
    request(trigger.tables, trigger.tables.includes('executables') ? debounceMs * 10 : debounceMs);
  };

  async function collect(tables: InventoryTableName[]): Promise<void> {
    const reply = await readTables(tables);
    counters.collections!++;
    const now = Date.now();
    for (const table of tables) {
      const result = reply.results[table] as (TableResult & { ms: number }) | undefined;
      if (!result) continue;
      for (const [name, value] of Object.entries(result.stats)) tableStats[`${table}.${name}`] = value;
      tableStats[`${table}.ms`] = result.ms;
      if (result.error) {
        counters.table_errors!++;
        log.warn('inventory table could not be read; keeping the previous snapshot', { table, error: result.error });
        continue;
      }
      current.set(table, snapshotOf(table, result.rows as InventoryRow[]));
      collectedAt.set(table, now);
      tableStats[`${table}.rows`] = result.rows.length;
    }
    counters.rows = [...current.values()].reduce((sum, s) => sum + s.rows.size, 0);
  }

  async function publish(): Promise<void> {
    if (!publisher) return;
    const stale = INVENTORY_TABLES.filter((t) => current.has(t) && acked.get(t)?.digest !== current.get(t)!.digest);
    if (!stale.length) return;
    // Group parts into reports below the size limit; a part alone above it is left out and counted.
    const groups: { parts: InventoryTablePart[]; bytes: number; sent: Map<InventoryTableName, TableSnapshot> }[] = [];
    for (const table of stale) {
      const snapshot = current.get(table)!;
      const part = tablePart(table, snapshot, acked.get(table));
      const bytes = Buffer.byteLength(JSON.stringify(part));
      if (bytes > maxReportBytes) {
        counters.oversized_parts!++;
        log.warn('an inventory table is larger than a report may be; not sent', { table, bytes, limit: maxReportBytes });
        continue;
      }
      let group = groups.find((g) => g.bytes + bytes <= maxReportBytes);
      if (!group) groups.push((group = { parts: [], bytes: 0, sent: new Map() }));
      group.parts.push(part);
      group.bytes += bytes;
      group.sent.set(table, snapshot);
    }
    for (const group of groups) {
      const times = group.parts.map((p) => collectedAt.get(p.name as InventoryTableName) ?? Date.now());
      const reply = await publisher.publish({ collected_at: new Date(Math.max(...times)).toISOString(), tables: group.parts });
      counters.reports!++;
      for (const answer of reply.tables) {
        const table = answer.name as InventoryTableName;
        const sent = group.sent.get(table);
        if (!sent) continue;
        if (answer.status === 'resync') {
          counters.resyncs!++;
          acked.delete(table);
          continue;
        }
        if (answer.digest !== sent.digest) counters.digest_mismatches!++;
        acked.set(table, { digest: sent.digest, hashes: new Map([...sent.rows].map(([key, { hash }]) => [key, hash])) });
      }
    }
  }

  async function run(): Promise<void> {
    while (!stopping) {
      const now = Date.now();
      if (options.watch !== false && now >= triggersAt) {
        triggers = triggerDirs(options.read?.executableDirs ?? executableDirs());
        watcher?.set(triggers.keys());
        triggersAt = now + 60_000;
      }
      const due = INVENTORY_TABLES.filter((t) => (requestedAt.get(t) ?? Infinity) <= now || (dueAt.get(t) ?? 0) <= now);
      if (due.length) {
        for (const table of due) {
          requestedAt.delete(table);
          dueAt.set(table, now + intervals[table] * 1000);
        }
        try {
          await collect(due);
        } catch (error) {
          log.warn('inventory collection failed', { tables: due, error: (error as Error).message });
        }
      }
      if (stopping) break;
      if (Date.now() >= publishRetryAt) {
        try {
          await publish();
          backoffMs = 1000;
          publishRetryAt = 0;
          // A resync answer leaves tables unacknowledged: send them in full right away.
          if (INVENTORY_TABLES.some((t) => current.has(t) && !acked.has(t))) continue;
        } catch (error) {
          counters.report_errors!++;
          if (counters.report_errors! <= 5 || counters.report_errors! % 50 === 0) log.warn('inventory report not delivered; retrying', { error: (error as Error).message, retry_ms: backoffMs });
          publishRetryAt = Date.now() + backoffMs;
          backoffMs = Math.min(backoffMs * 2, 60_000);
        }
      }
      const nextDue = Math.min(...INVENTORY_TABLES.map((t) => Math.min(dueAt.get(t) ?? Infinity, requestedAt.get(t) ?? Infinity)), publishRetryAt || Infinity, triggersAt);
      await sleep(Math.min(nextDue - Date.now(), 60_000));
    }
  }

  return {
    name: 'inventory',
    async start(target) {
      publisher = target;
      if (options.watch !== false) watcher = createDirWatcher(onFileChange);
      loop = run().catch((error: unknown) => log.error('inventory loop stopped', { error: (error as Error).message }));
    },
    refresh(tables = INVENTORY_TABLES) {
      request(tables, 0);
    },
    async stop() {
      stopping = true;
      wake?.();
      watcher?.close();
      clearTimeout(idleTimer);
      failWaiting(new VigilError('unavailable', 'the inventory stopped'));
      await loop;
      const stopped = worker;
      worker = undefined;
      await stopped?.terminate();
    },
    stats() {
      return { ...counters, ...tableStats, tables_acknowledged: acked.size, watches: watcher?.watched().length ?? 0 };
    },
    async settled(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (INVENTORY_TABLES.every((t) => current.has(t) && acked.get(t)?.digest === current.get(t)!.digest) && requestedAt.size === 0) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    },
  };
}
