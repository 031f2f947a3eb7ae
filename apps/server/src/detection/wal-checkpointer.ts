// The WAL checkpointer of the detection database: a thread of its own that copies the write-ahead log back into the
// database file (fsyncing both), so that the detection worker's alert commits never wait for it. Never writes a row.

import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, VigilError } from '@vigil/common';

export interface WalCheckpointerInit {
  dbFile: string;
  /** How often a PASSIVE checkpoint runs (it waits for no reader or writer; what it cannot copy yet, the next one does). */
  intervalMs: number;
}

export type ToWalCheckpointer = { type: 'close' };

const log = createLogger('server.detection.checkpointer');
const port = parentPort;
if (!port) throw new VigilError('internal', 'wal-checkpointer.js runs only as a worker thread');
const init = workerData as WalCheckpointerInit;
const db = new Database(init.dbFile);
db.pragma('wal_autocheckpoint = 0');

let failures = 0;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (error) {
    // The next interval tries again; logged once per run of failures.
    if (failures++ === 0) log.error('checkpointing the detection database failed', { error: VigilError.wrap(error).message });
  }
}, init.intervalMs);

port.on('message', (message: ToWalCheckpointer) => {
  if (message.type !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
