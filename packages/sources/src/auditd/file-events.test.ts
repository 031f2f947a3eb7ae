// File events from audit records captured on this machine (testdata/file-ops-6.18.log: kernel 6.18, auditd 3.0.9, raw
// format, a folder watched with -p wa plus the /proc write and FS_IOC_SETFLAGS rules), and from hand-made records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { classifyProcPath, createFileEventBuilder, fileTypeOf, parseChattrArgs, type FileEventOptions } from './file-events.js';
import { parseRecord, type AuditRecord } from './record-parser.js';
import { groupsOf } from './test-support.js';

const log = readFileSync(new URL('../../src/auditd/testdata/file-ops-6.18.log', import.meta.url), 'utf8');
const W = '/tmp/vigil-exp/w';

function valid(event: CollectedEvent): void {
  const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' };
  assert.deepEqual(checkEvent(full, 'event').problems, [], JSON.stringify(event));
}

async function convert(text: string, options: FileEventOptions = {}): Promise<CollectedEvent[]> {
  const builder = createFileEventBuilder({ readLink: () => undefined, entityOf: (pid) => `E${pid}`, readExecutable: () => undefined, ...options });
  const events: CollectedEvent[] = [];
  const later: Promise<CollectedEvent[]>[] = [];
  for (const group of groupsOf(text)) {
    builder.noteExec(group);
    const result = builder.build(group);
    if (!result) continue;
    events.push(...result.now);
    if (result.later) later.push(result.later);
  }
  for (const batch of await Promise.all(later)) events.push(...batch);
  return events.sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']));
}

const find = (events: CollectedEvent[], action: string, path: string) =>
  events.find((e) => e['event.action'] === action && (e as Record<string, unknown>)['file.path'] === path) as Record<string, unknown> | undefined;

test('captured file operations become file events with the acting process', async () => {
  const inspected: string[] = [];
  const events = await convert(log, {
    inspect: async (path) => {
      inspected.push(path);
      return path.endsWith('/mytrue') ? { size: 39304, executable: true, sha256: 'a'.repeat(64) } : { size: 3, executable: false };
    },
  });
  for (const event of events) valid(event);
  const files = events.filter((e) => e['event.category'] === 'file');

  const created = find(files, 'create', `${W}/new.txt`)!;
  assert.equal(created['event.type'], 'creation');
  assert.equal(created['process.executable'], '/usr/bin/bash');
  assert.equal(created['process.pid'], 1876);
  assert.equal(created['process.entity_id'], 'E1876');
  assert.equal(created['process.parent.pid'], 1837);
  assert.equal(created['process.working_directory'], W);
  assert.equal(created['user.id'], '0');
  assert.equal(created['file.name'], 'new.txt');
  assert.equal(created['file.directory'], W);
  assert.equal(created['file.extension'], 'txt');
  assert.equal(created['file.type'], 'file');
  assert.equal(created['file.mode'], '0644');
  assert.equal(created['file.device'], '254:0');
  assert.equal(created['file.executable'], false, 'inspected after the write');
  assert.equal(created['file.size'], 3);

  assert.ok(find(files, 'modify', `${W}/new.txt`), 'append is a modify');
  const copy = find(files, 'create', `${W}/mytrue`)!;
  assert.equal(copy['process.executable'], '/usr/bin/cp');
  assert.equal(copy['file.hash.sha256'], 'a'.repeat(64));
  assert.equal(copy['file.executable'], true);
  assert.equal(copy['file.mode'], '0755');

  const chmod = find(files, 'permission_change', `${W}/mytrue`)!;
  assert.equal(chmod['file.mode'], '4755');
  assert.equal(chmod['file.previous_mode'], '0755');
  assert.equal(chmod['file.setuid'], true);
  assert.equal(chmod['file.setgid'], false);
  assert.equal(chmod['process.name'], 'chmod');

  const chown = find(files, 'owner_change', `${W}/new.txt`)!;
  assert.equal(chown['file.uid'], '65534');
  assert.equal(chown['file.gid'], '65534');
  assert.equal(chown['file.previous_uid'], '0');

  const rename = find(files, 'rename', `${W}/renamed.txt`)!;
  assert.equal(rename['file.previous_path'], `${W}/new.txt`);
  assert.equal(rename['process.executable'], '/usr/bin/mv');

  const hard = find(files, 'link', `${W}/hard.txt`)!;
  assert.equal(hard['file.target_path'], `${W}/renamed.txt`);
  const soft = find(files, 'link', `${W}/sym.txt`)!;
  assert.equal(soft['file.target_path'], 'renamed.txt', 'a symbolic link keeps its target as written');
  assert.equal(soft['file.type'], 'symlink');

  assert.equal(find(files, 'create', `${W}/sub`)?.['file.type'], 'dir');
  // rm -r removes sub/a through a directory descriptor: resolved from the folder's inode learned at mkdir.
  assert.ok(find(files, 'delete', `${W}/sub/a`), JSON.stringify(files.filter((e) => e['event.action'] === 'delete').map((e) => (e as Record<string, unknown>)['file.path'])));
  assert.equal(find(files, 'delete', `${W}/sub`)?.['file.type'], 'dir');

  assert.ok(find(files, 'attribute_change', `${W}/renamed.txt`), 'setxattr');
  const flags = files.filter((e) => e['event.action'] === 'attribute_change' && e['process.name'] === 'chattr') as Record<string, unknown>[];
  assert.equal(flags.length, 2, 'chattr +i and -i');
  assert.deepEqual(flags[0]!['file.attributes'], ['immutable']);
  assert.equal(flags[0]!['file.path'], `${W}/renamed.txt`);
  assert.equal(flags[1]!['file.attributes'], undefined, '-i sets nothing');
  assert.match(String(flags[1]!.message), /-immutable/);

  assert.equal(find(files, 'create', `${W}/fifo`)?.['file.type'], 'fifo');
  for (const name of ['renamed.txt', 'hard.txt', 'sym.txt', 'mytrue', 'fifo', 'run.sh']) assert.ok(find(files, 'delete', `${W}/${name}`), `rm ${name}`);
  assert.ok(find(files, 'permission_change', `${W}/run.sh`));

  const sysctl = find(files, 'modify', '/proc/sys/vm/drop_caches')!;
  assert.equal(sysctl['process.executable'], '/usr/bin/bash');

  const mem = events.filter((e) => e['event.category'] === 'injection') as Record<string, unknown>[];
  assert.equal(mem.length, 2, 'absolute and cwd-relative /proc/<pid>/mem opens; /proc/self/comm is dropped');
  for (const event of mem) {
    assert.equal(event['event.action'], 'proc_mem_write');
    assert.equal(event['target.process.pid'], 1896);
    assert.equal(event['target.process.entity_id'], 'E1896');
    assert.equal(event['process.executable'], '/usr/bin/python3.11');
    assert.equal(event['file.path'], '/proc/1896/mem');
  }
  assert.ok(!inspected.includes(`${W}/sub`), 'folders are not inspected');
});

test('the agent itself and excluded folders are never reported', async () => {
  assert.equal((await convert(log, { selfPid: 1876 })).filter((e) => e['process.pid'] === 1876).length, 0);
  const excluded = await convert(log, { exclude: [`${W}/sub`] });
  assert.equal(excluded.filter((e) => String((e as Record<string, unknown>)['file.path']).startsWith(`${W}/sub`)).length, 0);
  assert.ok(excluded.some((e) => (e as Record<string, unknown>)['file.path'] === `${W}/new.txt`));
});

test('a directory descriptor of a live process resolves relative names', async () => {
  const records = [
    'type=SYSCALL msg=audit(1700000000.100:7): arch=c000003e syscall=263 success=yes exit=0 a0=5 a1=1 a2=0 a3=0 items=2 ppid=1 pid=42 uid=1000 gid=1000 euid=1000 exe="/usr/bin/rm" key="vigil-file"',
    'type=CWD msg=audit(1700000000.100:7): cwd="/"',
    'type=PATH msg=audit(1700000000.100:7): item=0 name="/wrong/name" inode=99 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT',
    'type=PATH msg=audit(1700000000.100:7): item=1 name="victim" inode=100 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=DELETE',
  ].join('\n');
  const events = await convert(records, { readLink: (path) => (path === '/proc/42/fd/5' ? '/home/alice/.ssh' : undefined) });
  assert.equal((events[0] as Record<string, unknown>)['file.path'], '/home/alice/.ssh/victim');
  const builder = createFileEventBuilder({ readLink: () => undefined });
  assert.equal(builder.build(groupsOf(records)[0]!), undefined, 'unresolvable: no event');
  assert.equal(builder.stats().unresolved, 1);
});

test('a write to /etc/ld.so.preload also reports each library it now lists', async () => {
  const records = [
    'type=SYSCALL msg=audit(1700000000.200:8): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=241 a3=1b6 items=2 ppid=1 pid=43 uid=0 gid=0 euid=0 exe="/usr/bin/bash" key="vigil-file"',
    'type=CWD msg=audit(1700000000.200:8): cwd="/root"',
    'type=PATH msg=audit(1700000000.200:8): item=0 name="/etc/" inode=2 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT',
    'type=PATH msg=audit(1700000000.200:8): item=1 name="/etc/ld.so.preload" inode=3 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE',
  ].join('\n');
  const events = await convert(records, { readPreload: async () => '# hook\n/dev/shm/.x.so /usr/lib/libok.so\n', inspect: async () => ({ size: 10, executable: false }) });
  for (const event of events) valid(event);
  assert.equal(events[0]!['event.category'], 'file');
  const preloads = events.filter((e) => e['event.action'] === 'ld_preload') as Record<string, unknown>[];
  assert.deepEqual(preloads.map((e) => e['file.path']), ['/dev/shm/.x.so', '/usr/lib/libok.so']);
  assert.equal(preloads[0]!['process.executable'], '/usr/bin/bash');
});

test('chattr arguments, /proc paths and file types', () => {
  assert.deepEqual(parseChattrArgs(['chattr', '-R', '+ia', '-d', '/etc/a', 'b']), { set: ['immutable', 'append_only'], cleared: ['no_dump'], files: ['/etc/a', 'b'] });
  assert.deepEqual(parseChattrArgs(['chattr', '-v', '3', '=i', '--', '-weird']), { set: ['immutable'], cleared: [], files: ['-weird'] });
  assert.equal(parseChattrArgs(['chattr', 'file']), undefined);
  assert.deepEqual(classifyProcPath('/proc/12/mem', 5), { kind: 'mem', pid: 12 });
  assert.deepEqual(classifyProcPath('/proc/12/task/13/mem', 5), { kind: 'mem', pid: 12 });
  assert.deepEqual(classifyProcPath('/proc/self/mem', 5), { kind: 'mem', pid: 5 });
  assert.deepEqual(classifyProcPath('/proc/sys/kernel/core_pattern', 5), { kind: 'sysctl' });
  assert.equal(classifyProcPath('/proc/12/comm', 5), undefined);
  assert.equal(classifyProcPath('/proc/12/memx', 5), undefined);
  assert.equal(fileTypeOf(0o100644), 'file');
  assert.equal(fileTypeOf(0o140755), 'socket');
  assert.equal(fileTypeOf(0o060600), 'device');
});

test('failed syscalls and other syscalls are not file events', () => {
  const builder = createFileEventBuilder();
  const group = (body: string): AuditRecord[] => [parseRecord(`type=SYSCALL msg=audit(1700000000.300:9): ${body}`)];
  assert.equal(builder.build(group('arch=c000003e syscall=87 success=no exit=-2 a0=1 items=1 pid=5 exe="/usr/bin/rm"')), undefined);
  assert.equal(builder.build(group('arch=c000003e syscall=59 success=yes exit=0 items=1 pid=5 exe="/usr/bin/rm"')), undefined, 'execve');
  assert.equal(builder.build(group('arch=c000003e syscall=0 success=yes exit=0 items=0 pid=5')), undefined, 'read');
});

test('emptying an existing file under /var/log is also a log/audit_log_cleared with the acting process', async () => {
  const records = (serial: number, syscall: string, args: string, name: string, nametype: string) =>
    [
      `type=SYSCALL msg=audit(1700000000.400:${serial}): arch=c000003e syscall=${syscall} success=yes exit=3 ${args} items=1 ppid=1 pid=44 uid=0 gid=0 euid=0 exe="/usr/bin/bash" key="vigil-file"`,
      `type=CWD msg=audit(1700000000.400:${serial}): cwd="/root"`,
      `type=PATH msg=audit(1700000000.400:${serial}): item=0 name="${name}" inode=5 dev=fe:00 mode=0100640 ouid=0 ogid=4 rdev=00:00 nametype=${nametype}`,
    ].join('\n');
  const text = [
    records(10, '257', 'a0=ffffff9c a1=1 a2=241 a3=1b6', '/var/log/auth.log', 'NORMAL'), // > auth.log (O_TRUNC)
    records(11, '257', 'a0=ffffff9c a1=1 a2=441 a3=1b6', '/var/log/auth.log', 'NORMAL'), // >> auth.log (O_APPEND)
    records(12, '76', 'a0=1 a1=0', '/var/log/wtmp', 'NORMAL'), // truncate -s 0 (truncate(2))
    records(13, '257', 'a0=ffffff9c a1=1 a2=241 a3=1b6', '/var/log/new.log', 'CREATE'), // a new file is not a clearing
    records(14, '257', 'a0=ffffff9c a1=1 a2=241 a3=1b6', '/tmp/x.log', 'NORMAL'),
  ].join('\n');
  const events = await convert(text);
  for (const event of events) valid(event);
  const cleared = events.filter((e) => e['event.action'] === 'audit_log_cleared') as Record<string, unknown>[];
  assert.deepEqual(cleared.map((e) => e['log.file.path']), ['/var/log/auth.log', '/var/log/wtmp']);
  assert.equal(cleared[0]!['process.executable'], '/usr/bin/bash');
  assert.equal(cleared[0]!['event.type'], 'deletion');
  assert.equal(events.filter((e) => e['event.category'] === 'file').length, 5, 'every write is still a file event');
});
