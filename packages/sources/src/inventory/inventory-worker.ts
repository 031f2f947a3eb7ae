// The inventory worker thread: reads tables on request, so procfs walks and file hashing never block the agent.
// Holds the caches (file hashes, socket owners) between requests; answers every request, errors included, in order.

import { parentPort, workerData } from 'node:worker_threads';
import { createTableReader, type InventoryTableName, type TableReadOptions, type TableResult } from './tables.js';

export interface WorkerRequest {
  id: number;
  tables: InventoryTableName[];
}

export interface WorkerReply {
  id: number;
  results: Partial<Record<InventoryTableName, TableResult & { ms: number }>>;
}

if (parentPort) {
  const reader = createTableReader((workerData ?? {}) as TableReadOptions);
  const port = parentPort;
  port.on('message', (request: WorkerRequest) => {
    const results: WorkerReply['results'] = {};
    for (const table of request.tables) {
      const started = performance.now();
      const result = reader.read(table);
      results[table] = { ...result, ms: Math.round(performance.now() - started) };
    }
    port.postMessage({ id: request.id, results } satisfies WorkerReply);
  });
}
