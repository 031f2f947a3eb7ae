// The WAL checkpointer of the detection database: a thread of its own that copies the write-ahead log back into the
// database file (fsyncing both), so that the detection worker's alert commits never wait for it. It also restarts
// the WAL itself: the first commit after a complete checkpoint rewinds the WAL and, with synchronous=NORMAL, fsyncs
// its new header; that commit is this thread's one-row write to detection_state ('wal.restarted_at'), not the next
// batch of alerts. It writes no other row.

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
db.pragma('synchronous = NORMAL');
const markRestart = db.prepare(
  `INSERT INTO detection_state (key, value) VALUES ('wal.restarted_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
);

let failures = 0;
const timer = setInterval(() => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    // Every frame copied: the next write transaction restarts the WAL, and this one is that transaction.
    if (result && result.log > 0 && result.checkpointed === result.log) markRestart.run(new Date().toISOString());
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
