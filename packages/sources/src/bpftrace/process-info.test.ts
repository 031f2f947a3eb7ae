// Acting-process enrichment: entity ids from kernel start times, /proc read once per process, no stale data after
// pid reuse or exec, kernel fields only for processes that are gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processEntityId } from '../internal/process-identity.js';
import { createProcessInfo, procfs, type ProcfsReader } from './process-info.js';
import type { TaskFields } from './records.js';

function fakeProc(table: Record<number, { ticks: string; exe: string; args: string[] }>) {
  let reads = 0;
  const reader: ProcfsReader = {
    startTicks: (pid) => table[pid]?.ticks,
    executable: (pid) => (reads++, table[pid]?.exe),
    args: (pid) => table[pid]?.args,
    workingDirectory: (pid) => (table[pid] ? '/srv' : undefined),
  };
  return { reader, reads: () => reads };
}
const users = { user: (id: string | number) => (String(id) === '0' ? 'root' : undefined), group: (id: string | number) => (String(id) === '0' ? 'root' : undefined) };
const task = (over: Partial<TaskFields> = {}): TaskFields => ({ pid: 100, tid: 101, ppid: 1, uid: 0, gid: 0, startTicks: '5000', parentStartTicks: '10', comm: 'curl', ...over });

test('a live process: entity ids as the auditd source computes them, executable, argv, parent and names', () => {
  const { reader } = fakeProc({ 100: { ticks: '5000', exe: '/usr/bin/curl', args: ['curl', '-s', 'https://example.com'] }, 1: { ticks: '10', exe: '/sbin/init', args: ['init'] } });
  const info = createProcessInfo({ bootId: 'boot-1', users, reader });
  assert.deepEqual(info.describe(task()), {
    'process.pid': 100,
    'process.entity_id': processEntityId('boot-1', 100, '5000'),
    'process.executable': '/usr/bin/curl',
    'process.name': 'curl',
    'process.args': ['curl', '-s', 'https://example.com'],
    'process.args_count': 3,
    'process.command_line': 'curl -s https://example.com',
    'process.working_directory': '/srv',
    'process.parent.pid': 1,
    'process.parent.entity_id': processEntityId('boot-1', 1, '10'),
    'process.parent.executable': '/sbin/init',
    'process.parent.name': 'init',
    'user.id': '0',
    'user.name': 'root',
    'group.id': '0',
    'group.name': 'root',
  });
});

test('/proc is read once per process; a new comm (exec) reads it again; a reused pid is not mistaken', () => {
  const table = { 100: { ticks: '5000', exe: '/usr/bin/bash', args: ['bash'] } };
  const { reader, reads } = fakeProc(table);
  const info = createProcessInfo({ bootId: 'b', users, reader });
  info.describe(task({ comm: 'bash', ppid: 0 }));
  info.describe(task({ comm: 'bash', ppid: 0 }));
  assert.equal(reads(), 1);
  table[100] = { ticks: '5000', exe: '/usr/bin/nc.openbsd', args: ['nc', '203.0.113.7', '4444'] };
  const execd = info.describe(task({ comm: 'nc', ppid: 0 }));
  assert.equal(execd['process.executable'], '/usr/bin/nc.openbsd');
  assert.equal(execd['process.entity_id'], processEntityId('b', 100, '5000'), 'exec keeps the entity');
  table[100] = { ticks: '9999', exe: '/usr/sbin/sshd', args: ['sshd'] };
  const gone = info.describe(task({ startTicks: '7000', comm: 'wget', ppid: 0 }));
  assert.deepEqual(gone, { 'process.pid': 100, 'process.entity_id': processEntityId('b', 100, '7000'), 'process.name': 'wget', 'user.id': '0', 'user.name': 'root', 'group.id': '0', 'group.name': 'root' });
  assert.equal(info.stats().gone, 1);
});

test('the real /proc reader describes this test process', () => {
  const ticks = procfs.startTicks(process.pid);
  assert.ok(ticks, 'start ticks of this process');
  const info = createProcessInfo({ bootId: 'b', users });
  const fields = info.describe({ pid: process.pid, tid: process.pid, ppid: process.ppid, uid: 0, gid: 0, startTicks: ticks, parentStartTicks: procfs.startTicks(process.ppid) ?? '0', comm: 'node' });
  assert.equal(fields['process.executable'], process.execPath);
  assert.match((fields['process.args'] as string[])[0]!, /node/);
  assert.ok((fields['process.command_line'] as string).includes('process-info.test'));
});
