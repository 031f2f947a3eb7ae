// Inventory history in SQLite: full and diff reports, resync on a wrong base or digest, the inventory at a past time,
// and "what changed since T" as transitions (added, removed, modified with before/after, baseline left out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowHash, rowKey, tableDigest, type InventoryRow, type InventoryTablePart } from '@vigil/protocol/inventory';
import { InventoryDb } from './inventory-db.js';
import { attachActingProcess } from './host-changes.js';

const HOST = 'host-a';
const T0 = Date.parse('2026-12-05T10:00:00.000Z');
/** The server's clock when reports arrive (an hour after T0: agent times in the tests are never in its future). */
const NOW = T0 + 3600_000;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const user = (name: string, shell = '/bin/bash'): InventoryRow => ({ 'user.name': name, 'user.id': String(name.length), 'user.shell': shell });
const digestOf = (table: string, rows: InventoryRow[]) => tableDigest(rows.map((r) => [rowKey(table, r), rowHash(r)] as const));
const full = (table: string, rows: InventoryRow[]): InventoryTablePart => ({ name: table, mode: 'full', digest: digestOf(table, rows), rows });

function withDb(run: (db: InventoryDb) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-invdb-'));
  const db = new InventoryDb(join(dir, 'inventory.sqlite'));
  try {
    run(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('full then diff reports keep every version; the inventory at a past time and now', () => {
  withDb((db) => {
    const first = [user('root'), user('alice')];
    const reply = db.apply(HOST, { host_id: HOST, collected_at: at(0), tables: [full('users', first)] }, NOW);
    assert.deepEqual(reply.tables, [{ name: 'users', status: 'applied', digest: digestOf('users', first), changes: 2 }]);
    const second = [user('root', '/bin/zsh'), user('bob')];
    const diff: InventoryTablePart = { name: 'users', mode: 'diff', base: digestOf('users', first), digest: digestOf('users', second), upsert: [user('root', '/bin/zsh'), user('bob')], delete: ['["alice"]'] };
    assert.equal(db.apply(HOST, { host_id: HOST, collected_at: at(10), tables: [diff] }, NOW).tables[0]!.status, 'applied');

    const now = db.snapshot(HOST, { tables: ['users'], limit: 100 }).users!;
    assert.deepEqual(now.rows.map((r) => [r['user.name'], r['user.shell']]), [['bob', '/bin/bash'], ['root', '/bin/zsh']]);
    assert.equal(now.collected_at, at(10));
    assert.equal(now.rows[0]!['host.id'], HOST);
    const before = db.snapshot(HOST, { at: T0 + 5 * 60_000, tables: ['users'], limit: 100 }).users!;
    assert.deepEqual(before.rows.map((r) => [r['user.name'], r['user.shell']]), [['alice', '/bin/bash'], ['root', '/bin/bash']]);
    assert.equal(before.rows[0]!['inventory.collected'], at(0));
    const never = db.snapshot(HOST, { at: T0 - 1, tables: ['users'], limit: 100 }).users!;
    assert.deepEqual([never.total, never.collected_at], [0, null]);
    const capped = db.snapshot(HOST, { tables: ['users'], limit: 1 }).users!;
    assert.deepEqual([capped.count, capped.total], [1, 2]);
  });
});

test('changes since T: added, removed and modified with the fields that differ; the first snapshot is baseline', () => {
  withDb((db) => {
    db.apply(HOST, { host_id: HOST, collected_at: at(0), tables: [full('users', [user('root'), user('alice')])] }, NOW);
    db.apply(HOST, { host_id: HOST, collected_at: at(10), tables: [full('users', [user('root', '/bin/zsh'), user('bob')])] }, NOW);
    const { transitions, baselineOmitted } = db.changes(HOST, T0 + 60_000, T0 + 3600_000, { limit: 100, baseline: false });
    assert.equal(baselineOmitted, 0);
    assert.deepEqual(transitions.map((t) => `${t.change} ${t.key}`), ['removed ["alice"]', 'added ["bob"]', 'modified ["root"]']);
    const modified = transitions.find((t) => t.change === 'modified')!;
    assert.deepEqual(modified.fields, ['user.shell']);
    assert.equal(modified.before!['user.shell'], '/bin/bash');
    assert.equal(modified.after!['user.shell'], '/bin/zsh');
    assert.equal(modified.at, at(10));
    const all = db.changes(HOST, T0 - 1, T0 + 3600_000, { limit: 100, baseline: false });
    assert.equal(all.baselineOmitted, 2, 'the first snapshot is not reported as changes by default');
    assert.equal(db.changes(HOST, T0 - 1, T0 + 3600_000, { limit: 100, baseline: true }).transitions.filter((t) => t.change === 'baseline').length, 2);
    const limited = db.changes(HOST, T0 + 60_000, T0 + 3600_000, { limit: 2, baseline: false });
    assert.deepEqual([limited.transitions.length, limited.truncated], [2, true]);
    assert.equal(db.changes('other-host', T0 - 1, T0 + 3600_000, { limit: 100, baseline: true }).transitions.length, 0);
  });
});

test('a diff on the wrong base, or whose result has another digest, is answered resync and changes nothing', () => {
  withDb((db) => {
    const rows = [user('root')];
    db.apply(HOST, { host_id: HOST, collected_at: at(0), tables: [full('users', rows)] }, NOW);
    const wrongBase: InventoryTablePart = { name: 'users', mode: 'diff', base: 'f'.repeat(64), digest: 'e'.repeat(64), upsert: [user('eve')], delete: [] };
    assert.equal(db.apply(HOST, { host_id: HOST, collected_at: at(1), tables: [wrongBase] }, NOW).tables[0]!.status, 'resync');
    const wrongDigest: InventoryTablePart = { name: 'users', mode: 'diff', base: digestOf('users', rows), digest: 'e'.repeat(64), upsert: [user('eve')], delete: [] };
    assert.equal(db.apply(HOST, { host_id: HOST, collected_at: at(2), tables: [wrongDigest] }, NOW).tables[0]!.status, 'resync');
    const neverSent: InventoryTablePart = { name: 'groups', mode: 'diff', base: 'a'.repeat(64), digest: 'b'.repeat(64), upsert: [], delete: [] };
    assert.equal(db.apply(HOST, { host_id: HOST, collected_at: at(2), tables: [neverSent] }, NOW).tables[0]!.status, 'resync');
    assert.deepEqual(db.snapshot(HOST, { tables: ['users'], limit: 10 }).users!.rows.map((r) => r['user.name']), ['root']);
  });
});

test('an agent clock that goes back never makes versions overlap', () => {
  withDb((db) => {
    db.apply(HOST, { host_id: HOST, collected_at: at(10), tables: [full('users', [user('root')])] }, T0 + 600_000);
    db.apply(HOST, { host_id: HOST, collected_at: at(5), tables: [full('users', [user('root', '/bin/sh')])] }, T0 + 600_000);
    const { transitions } = db.changes(HOST, T0, T0 + 3600_000, { limit: 10, baseline: true });
    const modified = transitions.find((t) => t.change === 'modified')!;
    assert.equal(modified.at, at(10), 'the new version starts when the old one did, not before');
    assert.equal(db.snapshot(HOST, { at: T0 + 600_000, tables: ['users'], limit: 10 }).users!.rows[0]!['user.shell'], '/bin/sh');
  });
});

test('acting process: the latest file event on the same path within 30 s before the record', () => {
  const records: Record<string, unknown>[] = [
    { '@timestamp': '2026-12-05T10:00:10.000Z', 'event.category': 'iam', 'event.action': 'user_created', 'file.path': '/etc/passwd' },
    { '@timestamp': '2026-12-05T10:00:10.000Z', 'event.category': 'autostart', 'event.action': 'created', 'file.path': '/etc/cron.d/x' },
    { '@timestamp': '2026-12-05T10:00:10.000Z', 'event.category': 'service', 'event.action': 'created', 'service.unit_path': '/etc/systemd/system/m.service' },
    { '@timestamp': '2026-12-05T10:00:10.000Z', 'event.category': 'driver', 'event.action': 'load', 'process.pid': 9 },
  ];
  const files: Record<string, unknown>[] = [
    { '@timestamp': '2026-12-05T10:00:09.000Z', 'event.id': 'e1', 'event.action': 'rename', 'file.path': '/etc/passwd', 'file.previous_path': '/etc/passwd+', 'process.pid': 100, 'process.executable': '/usr/sbin/useradd', 'process.command_line': 'useradd -m alice', 'user.name': 'root' },
    { '@timestamp': '2026-12-05T10:00:08.000Z', 'event.id': 'e0', 'event.action': 'modify', 'file.path': '/etc/passwd', 'process.pid': 99 },
    { '@timestamp': '2026-12-05T09:58:00.000Z', 'event.id': 'old', 'event.action': 'create', 'file.path': '/etc/cron.d/x', 'process.pid': 5 },
    { '@timestamp': '2026-12-05T10:00:09.500Z', 'event.id': 'e2', 'event.action': 'create', 'file.path': '/etc/systemd/system/m.service', 'process.pid': 7, 'process.name': 'cp' },
  ];
  assert.equal(attachActingProcess(records, files), 2);
  assert.deepEqual(records[0]!.acting_process, { pid: 100, executable: '/usr/sbin/useradd', command_line: 'useradd -m alice', user: 'root', event_id: 'e1', action: 'rename' });
  assert.equal(records[1]!.acting_process, undefined, 'a write 2 minutes before is not the cause');
  assert.deepEqual(records[2]!.acting_process, { pid: 7, name: 'cp', event_id: 'e2', action: 'create' });
  assert.equal(records[3]!.acting_process, undefined, 'records with their own process are left alone');
});
