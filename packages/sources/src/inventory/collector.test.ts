// The inventory collector with its real worker thread and a recording publisher: full tables first, then diffs
// against what the server acknowledged, full tables again after a resync answer, retries after a failed delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowHash, rowKey, tableDigest, type InventoryReply, type InventoryReport, type InventoryTablePart } from '@vigil/protocol/inventory';
import { createInventoryCollector } from './collector.js';

type Sent = Omit<InventoryReport, 'host_id'>;

/** A server in memory: applies parts like inventory.sqlite does and answers resync on a wrong base. */
function fakeServer(options: { failFirst?: number; resyncOnce?: string } = {}) {
  const tables = new Map<string, Map<string, string>>();
  const reports: Sent[] = [];
  let failures = options.failFirst ?? 0;
  let resync = options.resyncOnce;
  return {
    reports,
    tables,
    async publish(report: Sent): Promise<InventoryReply> {
      if (failures > 0) {
        failures--;
        throw new Error('connection refused');
      }
      reports.push(structuredClone(report));
      return {
        tables: report.tables.map((part: InventoryTablePart) => {
          const current = tables.get(part.name);
          const digest = current ? tableDigest(current) : null;
          if (part.mode === 'diff' && (part.base !== digest || resync === part.name)) {
            if (resync === part.name) resync = undefined;
            return { name: part.name, status: 'resync' as const, digest, changes: 0 };
          }
          const next = part.mode === 'full' ? new Map<string, string>() : new Map(current);
          for (const row of part.rows ?? part.upsert ?? []) next.set(rowKey(part.name, row), rowHash(row));
          for (const key of part.delete ?? []) next.delete(key);
          tables.set(part.name, next);
          return { name: part.name, status: 'applied' as const, digest: tableDigest(next), changes: 1 };
        }),
      };
    },
  };
}

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-collector-'));
  writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\n');
  writeFileSync(join(dir, 'group'), 'root:x:0:\nalice:x:1001:\n');
  writeFileSync(join(dir, 'shadow'), 'root:*:20000::::::\n');
  return dir;
}

const readOptions = (dir: string) => ({ executableDirs: [dir], paths: { passwd: join(dir, 'passwd'), group: join(dir, 'group'), shadow: join(dir, 'shadow'), root: dir } });

test('first every table in full, then only diffs; nothing is sent when nothing changed', async () => {
  const dir = fixture();
  const server = fakeServer();
  const collector = createInventoryCollector({ watch: false, read: readOptions(dir) });
  try {
    await collector.start(server);
    assert.ok(await collector.settled(30_000), 'settled');
    const first = server.reports.flatMap((r) => r.tables);
    assert.deepEqual(first.map((p) => p.mode), first.map(() => 'full'));
    assert.deepEqual(first.map((p) => p.name).sort(), ['executables', 'groups', 'host', 'kernel_modules', 'listening_ports', 'packages', 'services', 'users']);
    assert.deepEqual(first.find((p) => p.name === 'users')!.rows!.map((r) => r['user.name']), ['root', 'alice']);

    const reportsBefore = server.reports.length;
    collector.refresh(['users', 'groups']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(server.reports.length, reportsBefore, 'an unchanged table is not sent again');

    writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/sh\n');
    collector.refresh(['users']);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await collector.settled(10_000));
    const diff = server.reports.slice(reportsBefore).flatMap((r) => r.tables);
    assert.equal(diff.length, 1);
    assert.equal(diff[0]!.mode, 'diff');
    assert.deepEqual(diff[0]!.upsert!.map((r) => r['user.name']), ['bob']);
    assert.deepEqual(diff[0]!.delete, ['["alice"]']);
    assert.equal(collector.stats().report_errors, 0);
  } finally {
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a resync answer makes the collector send that table in full', async () => {
  const dir = fixture();
  const server = fakeServer({ resyncOnce: 'users' });
  const collector = createInventoryCollector({ watch: false, read: readOptions(dir) });
  try {
    await collector.start(server);
    assert.ok(await collector.settled(30_000));
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/zsh\n');
    collector.refresh(['users']);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await collector.settled(10_000));
    const users = server.reports.flatMap((r) => r.tables).filter((p) => p.name === 'users');
    assert.deepEqual(users.map((p) => p.mode), ['full', 'diff', 'full']);
    assert.equal(collector.stats().resyncs, 1);
    assert.deepEqual([...server.tables.get('users')!.keys()], ['["root"]']);
  } finally {
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed delivery is retried with backoff and nothing is lost', async () => {
  const dir = fixture();
  const server = fakeServer({ failFirst: 1 });
  const collector = createInventoryCollector({ watch: false, read: readOptions(dir) });
  try {
    await collector.start(server);
    assert.ok(await collector.settled(30_000));
    assert.equal(collector.stats().report_errors, 1);
    assert.equal(server.tables.get('users')?.size, 2);
  } finally {
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file change in a watched directory refreshes its table without waiting for the schedule', async () => {
  const dir = fixture();
  const server = fakeServer();
  const exe = mkdtempSync(join(tmpdir(), 'vigil-collector-exe-'));
  const collector = createInventoryCollector({ debounceMs: 50, read: { ...readOptions(dir), executableDirs: [exe] } });
  try {
    await collector.start(server);
    assert.ok(await collector.settled(30_000));
    const reports = server.reports.length;
    writeFileSync(join(exe, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    // Executables wait 10x the debounce (package installs write many files): 500 ms here, far below their 6 h schedule.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(await collector.settled(10_000));
    assert.ok(server.reports.length > reports, 'a report followed the file change');
    assert.ok(server.tables.get('executables')?.has('["' + join(exe, 'tool') + '"]'));
  } finally {
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(exe, { recursive: true, force: true });
  }
});

test('the worker exits when idle and a new one starts warm: unchanged executables are not hashed again', async () => {
  const dir = fixture();
  const exe = mkdtempSync(join(tmpdir(), 'vigil-collector-warm-'));
  writeFileSync(join(exe, 'tool'), '#!/bin/sh\necho 1\n', { mode: 0o755 });
  const server = fakeServer();
  const collector = createInventoryCollector({ watch: false, workerIdleMs: 100, read: { ...readOptions(dir), executableDirs: [exe] } });
  try {
    await collector.start(server);
    assert.ok(await collector.settled(30_000));
    assert.equal(collector.stats()['executables.hashed'], 1);
    await new Promise((r) => setTimeout(r, 400));
    collector.refresh(['executables']);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(await collector.settled(10_000));
    const stats = collector.stats();
    assert.equal(stats.worker_starts, 2, 'a second worker was started after the first exited');
    assert.equal(stats['executables.hashed'], 0, 'the new worker got the hash cache');
    assert.equal(stats['executables.cached'], 1);
  } finally {
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(exe, { recursive: true, force: true });
  }
});
