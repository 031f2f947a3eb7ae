// The inventory worker thread: reads tables on request, so procfs walks and file hashing never block the agent.
// Its caches (file hashes, socket owners) travel with each request and reply, so the agent may let it exit when idle.

import { parentPort, workerData } from 'node:worker_threads';
import { createTableReader, type InventoryTableName, type ReaderCache, type TableReadOptions, type TableResult } from './tables.js';

export interface WorkerRequest {
  id: number;
  tables: InventoryTableName[];
  /** The caches of the previous worker, when this one is new. */
  cache?: ReaderCache;
}

export interface WorkerReply {
  id: number;
  results: Partial<Record<InventoryTableName, TableResult & { ms: number }>>;
  /** The caches the requested tables changed. */
  cache: ReaderCache;
}

if (parentPort) {
  const reader = createTableReader((workerData ?? {}) as TableReadOptions);
  const port = parentPort;
  port.on('message', (request: WorkerRequest) => {
    if (request.cache) reader.importCache(request.cache);
    const results: WorkerReply['results'] = {};
    for (const table of request.tables) {
      const started = performance.now();
      const result = reader.read(table);
      results[table] = { ...result, ms: Math.round(performance.now() - started) };
    }
    port.postMessage({ id: request.id, results, cache: reader.exportCache(request.tables) } satisfies WorkerReply);
  });
}
