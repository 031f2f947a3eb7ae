// The inventory on this machine through its worker thread: a listener started by another process appears in the
// listening_ports table with that process (pid, executable, user) and leaves it when the process ends.
// Opens a port on loopback only; run under `flock /tmp/vigil-system.lock` with the other system tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { rowKey, type InventoryReply, type InventoryReport, type InventoryRow } from '@vigil/protocol/inventory';
import { createInventoryCollector } from './collector.js';

test('a new listening port appears with its process, and disappears when the process exits', async () => {
  const port = 20000 + Math.floor(Math.random() * 10000);
  const rows = new Map<string, InventoryRow>();
  const deleted: string[] = [];
  const collector = createInventoryCollector({ watch: false, intervals: { listening_ports: 1 }, read: { executableDirs: [] } });
  await collector.start({
    async publish(report: Omit<InventoryReport, 'host_id'>): Promise<InventoryReply> {
      for (const part of report.tables) {
        if (part.name !== 'listening_ports') continue;
        if (part.mode === 'full') rows.clear();
        for (const row of part.rows ?? part.upsert ?? []) rows.set(rowKey('listening_ports', row), row);
        for (const key of part.delete ?? []) (rows.delete(key), deleted.push(key));
      }
      return { tables: report.tables.map((p) => ({ name: p.name, status: 'applied', digest: p.digest, changes: 1 })) };
    },
  });
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`listener exited ${code}`)));
    });
    const key = JSON.stringify(['tcp', '127.0.0.1', port]);
    const deadline = Date.now() + 10_000;
    while (!rows.has(key) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const row = rows.get(key);
    assert.ok(row, `port ${port} reported within 10 s`);
    assert.equal(row['process.pid'], child.pid);
    assert.equal(row['process.executable'], realpathSync(process.execPath));
    assert.equal(row['process.name'], 'node');
    assert.equal(row['user.name'], 'root');
    assert.equal(row['network.type'], 'ipv4');
    child.kill();
    const gone = Date.now() + 10_000;
    while (!deleted.includes(key) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    assert.ok(deleted.includes(key), 'the port is deleted from the table after the process exits');
  } finally {
    child.kill();
    await collector.stop();
  }
});
