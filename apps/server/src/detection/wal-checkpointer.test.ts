// The detection database's checkpointer thread: it copies the WAL back and makes the commit that restarts the WAL
// itself (docs/architecture.md, "The detection thread's latency"), so the writer's later commits append to a rewound
// WAL, and it writes no other row.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { DetectionDb } from './detection-db.js';
import type { ToWalCheckpointer, WalCheckpointerInit } from './wal-checkpointer.js';

async function writeWhileCheckpointing(): Promise<{ restartedAt: string | undefined; restarts: number; last: string | undefined; commits: number; keys: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ckpt-'));
  const db = new DetectionDb(join(dir, 'detection.sqlite'));
  db.sqlite.db.pragma('wal_autocheckpoint = 0');
  const init: WalCheckpointerInit = { dbFile: join(dir, 'detection.sqlite'), intervalMs: 20 };
  const checkpointer = new Worker(new URL('./wal-checkpointer.js', import.meta.url), { workerData: init });
  const put = db.sqlite.db.prepare(`INSERT OR REPLACE INTO detection_state (key, value) VALUES ('test.counter', ?)`);
  const read = (key: string) => (db.sqlite.db.prepare('SELECT value FROM detection_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  try {
    let commits = 0;
    for (; commits < 150; commits++) {
      put.run(String(commits));
      await sleep(5);
    }
    await sleep(100);
    return { restartedAt: read('wal.restarted_at'), restarts: readFileSync(join(dir, 'detection.sqlite-wal')).readUInt32BE(12), last: read('test.counter'), commits, keys: (db.sqlite.db.prepare('SELECT key FROM detection_state ORDER BY key').all() as { key: string }[]).map((r) => r.key) };
  } finally {
    const exited = new Promise((resolve) => checkpointer.once('exit', resolve));
    checkpointer.postMessage({ type: 'close' } satisfies ToWalCheckpointer);
    await exited;
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the checkpointer restarts the WAL with its own commit', async () => {
  const result = await writeWhileCheckpointing();
  assert.ok(result.restartedAt, 'the checkpointer marked at least one restart');
  assert.ok(Date.parse(result.restartedAt) > Date.now() - 60_000);
  assert.equal(result.last, String(result.commits - 1), 'every commit of the writer is readable');
  assert.deepEqual(result.keys, ['test.counter', 'wal.restarted_at'], 'the checkpointer wrote no other row');
  // The WAL header's checkpoint sequence number counts restarts.
  assert.ok(result.restarts >= 2, `WAL restarted ${result.restarts} times`);
});
