import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createProcessEventBuilder, decodeExecveArgs, processEntityId, type ProcessCollectedEvent } from './process-events.js';
import { createExecStarts } from '../internal/exec-starts.js';
import { parseRecord } from './record-parser.js';
import { assertValidProcessEvent, convertAuditText } from './test-support.js';

/** Records captured from auditd 3.0.9 on Linux 6.18 (x86_64, enriched format) by the system test's setup. */
const KERNEL_LOG = fileURLToPath(new URL('../../src/auditd/testdata/kernel-6.18-exec.log', import.meta.url));


const convert = convertAuditText;

function assertValid(event: ProcessCollectedEvent): void {
  assertValidProcessEvent(event);
  for (const [key, value] of Object.entries(event)) assert.ok(value !== null && value !== undefined && value !== '', `${key} is empty`);
}

const users = { user: (id: string | number) => (String(id) === '0' ? 'root' : undefined), group: (id: string | number) => (String(id) === '0' ? 'root' : undefined) };

test('kernel capture: long, hex-encoded, multi-record, empty and quoted arguments decode exactly', async () => {
  const events = await convert(readFileSync(KERNEL_LOG, 'utf8'), { users, hashFile: async (path) => (path === '/usr/bin/echo' ? 'ab'.repeat(32) : undefined) });
  const start = events.find((e) => e['process.pid'] === 11769 && e['event.action'] === 'start')!;
  assert.ok(start);
  assert.deepEqual(start['process.args'], ['/bin/echo', 'x'.repeat(9000), 'ab c\u00e9\u4e2d '.repeat(1500), '', 'say "hi"', 'tab\there', 'newline\nhere']);
  assert.equal(start['process.args_count'], 7);
  assert.equal(start['process.command_line'], start['process.args']!.join(' '));
  assert.equal(start['process.executable'], '/usr/bin/echo');
  assert.equal(start['process.name'], 'echo');
  assert.equal(start['process.working_directory'], '/tmp');
  assert.equal(start['process.parent.pid'], 11732);
  assert.equal(start['process.hash.sha256'], 'ab'.repeat(32));
  assert.equal(start['event.outcome'], 'success');
  assert.equal(start['user.name'], 'root');
  assert.equal(start['user.effective.name'], 'root');
  assert.equal(start['group.name'], 'root');
  assert.equal(start['user.audit.id'], undefined, 'auid 4294967295 means unset');
  assert.equal(start['process.session_id'], undefined, 'ses 4294967295 means unset');
  assert.equal(start['process.tty.name'], undefined);
  assert.equal(start['process.interactive'], false);
  for (const event of events) assertValid(event);
});

test('kernel capture: a failed exec (EACCES) is a start event with outcome failure and the attempted path', async () => {
  const events = await convert(readFileSync(KERNEL_LOG, 'utf8'));
  const failed = events.find((e) => e['process.pid'] === 11770 && e['event.action'] === 'start')!;
  assert.equal(failed['event.outcome'], 'failure');
  assert.equal(failed['process.executable'], '/tmp/noexec.sh');
  assert.equal(failed['process.name'], 'noexec.sh');
  assert.equal(failed['process.args'], undefined, 'no EXECVE record for a failed exec; the PROCTITLE is the caller');
  assert.equal(failed['process.start'], undefined);
  const exit = events.find((e) => e['process.pid'] === 11770 && e['event.action'] === 'exit')!;
  assert.equal(exit['process.exit_code'], 127);
  assert.equal(exit['process.executable'], '/usr/bin/node');
});

test('kernel capture: exit_group gives exit events with the exit code and end time', async () => {
  const events = await convert(readFileSync(KERNEL_LOG, 'utf8'));
  const exits = events.filter((e) => e['event.action'] === 'exit');
  assert.equal(exits.length, 3);
  const sh = exits.find((e) => e['process.pid'] === 11771)!;
  assert.equal(sh['process.exit_code'], 3);
  assert.equal(sh['event.type'], 'end');
  assert.equal(sh['process.end'], sh['@timestamp']);
  assert.equal(sh['process.executable'], '/usr/bin/dash');
  assert.equal(sh['event.outcome'], undefined);
  const shStart = events.find((e) => e['process.pid'] === 11771 && e['event.action'] === 'start')!;
  assert.deepEqual(shStart['process.args'], ['/bin/sh', '-c', 'exit 3']);
});

const line = (serial: number, body: string, type = 'SYSCALL') => `type=${type} msg=audit(1700000000.123:${serial}): ${body}`;
const execSyscall = (serial: number, pid: number, ppid: number, extra = '') =>
  line(serial, `arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=${ppid} pid=${pid} auid=1000 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=7 comm="x" exe="/usr/bin/x" ${extra}key="vigil"`);

test('EXECVE decoding: chunks join as bytes, so a UTF-8 character split between chunks survives', () => {
  const bytes = Buffer.from('€uro', 'utf8');
  const first = bytes.subarray(0, 2).toString('hex').toUpperCase();
  const second = bytes.subarray(2).toString('hex').toUpperCase();
  const records = [
    parseRecord(line(1, `argc=2 a0="x" a1_len=${first.length + second.length} a1[0]=${first}`, 'EXECVE')),
    parseRecord(line(1, ` a1[1]=${second}`, 'EXECVE')),
  ];
  assert.deepEqual(decodeExecveArgs(records), { args: ['x', '€uro'], argc: 2, complete: true });
});

test('EXECVE decoding: a lost chunk or argument is reported as incomplete, never invented', () => {
  const missingChunk = [parseRecord(line(1, 'argc=2 a0="x" a1_len=16 a1[0]=41424344', 'EXECVE'))];
  assert.deepEqual(decodeExecveArgs(missingChunk), { args: ['x', 'ABCD'], argc: 2, complete: false });
  const missingArg = [parseRecord(line(1, 'argc=3 a0="x" a2="z"', 'EXECVE'))];
  assert.deepEqual(decodeExecveArgs(missingArg), { args: ['x'], argc: 3, complete: false });
  assert.equal(decodeExecveArgs([parseRecord(execSyscall(1, 2, 1))]), undefined);
});

test('audit user, session, tty and effective user come from the SYSCALL record; names from the table or enrichment', async () => {
  const text = [
    execSyscall(5, 200, 100) + '\x1dARCH=x86_64 SYSCALL=execve AUID="alice" UID="alice" GID="staff" EUID="root"',
    line(5, 'argc=1 a0="x"', 'EXECVE'),
    line(5, '', 'EOE'),
  ].join('\n');
  const [event] = await convert(text, { users });
  assert.ok(event);
  assert.equal(event['user.id'], '1000');
  assert.equal(event['user.name'], 'alice', 'falls back to the enriched name');
  assert.equal(event['user.effective.id'], '0');
  assert.equal(event['user.effective.name'], 'root');
  assert.equal(event['group.id'], '1000');
  assert.equal(event['group.name'], 'staff');
  assert.equal(event['user.audit.id'], '1000');
  assert.equal(event['user.audit.name'], 'alice');
  assert.equal(event['process.session_id'], 7);
  assert.equal(event['process.tty.name'], 'pts1');
  assert.equal(event['process.interactive'], true);
  assertValid(event);
});

test('the parent executable comes from /proc while the parent lives, else from earlier exec events', async () => {
  const live = new Map<number, string>([[100, '/usr/bin/bash']]);
  const builder = createProcessEventBuilder({ readExecutable: (pid) => live.get(pid) });
  const group = (serial: number, pid: number, ppid: number, exe: string) => [
    parseRecord(execSyscall(serial, pid, ppid).replace('exe="/usr/bin/x"', `exe="${exe}"`)),
    parseRecord(line(serial, 'argc=1 a0="x"', 'EXECVE')),
  ];
  const first = await builder.build(group(1, 200, 100, '/usr/bin/make'))!;
  assert.equal(first['process.parent.executable'], '/usr/bin/bash');
  assert.equal(first['process.parent.name'], 'bash');
  const second = await builder.build(group(2, 300, 200, '/usr/bin/cc'))!;
  assert.equal(second['process.parent.executable'], '/usr/bin/make', 'pid 200 is gone from /proc; its exec event is remembered');
  const orphan = await builder.build(group(3, 400, 999, '/usr/bin/cc'))!;
  assert.equal('process.parent.executable' in orphan, false, 'unknown parents are omitted, never null');
  const exit = await builder.build([parseRecord(line(4, 'arch=c000003e syscall=231 a0=1 a1=e7 items=0 ppid=100 pid=200 uid=0 gid=0 euid=0 tty=(none) ses=4294967295 exe="/usr/bin/make" key="vigil"'))])!;
  assert.equal(exit['process.exit_code'], 1);
  const after = await builder.build(group(5, 500, 200, '/usr/bin/cc'))!;
  assert.equal('process.parent.executable' in after, false, 'the exit of pid 200 forgets it');
});

test('other syscalls and record groups without SYSCALL are not process events', () => {
  const builder = createProcessEventBuilder({ readExecutable: () => undefined });
  assert.equal(builder.build([parseRecord(line(1, 'arch=c000003e syscall=2 success=yes exit=3 pid=1 ppid=0'))]), undefined);
  assert.equal(builder.build([parseRecord(line(1, 'argc=1 a0="x"', 'EXECVE'))]), undefined);
  assert.equal(builder.build([parseRecord(line(1, 'arch=c000003e syscall=59 success=yes exit=0 pid=abc'))]), undefined);
  const i386 = builder.build([parseRecord(line(1, 'arch=40000003 syscall=252 a0=2 pid=5 ppid=1 exe="/bin/x"'))]);
  assert.ok(i386, 'exit_group of a 32-bit process');
});

test('arguments beyond the schema limits are clipped so the event still validates', async () => {
  const many = Array.from({ length: 5000 }, (_, i) => `a${i}="${i}"`).join(' ');
  const text = [execSyscall(9, 2, 1), line(9, `argc=5000 ${many}`, 'EXECVE'), line(9, '', 'EOE')].join('\n');
  const [event] = await convert(text);
  assert.equal(event!['process.args']!.length, 4096);
  assert.equal(event!['process.args_count'], 5000);
  assertValid(event!);
});

test('entity ids: stable for a process across exec, linked parent to child, new after pid reuse', async () => {
  const ticks = new Map<number, string>([[100, '4242']]);
  const builder = createProcessEventBuilder({ readExecutable: () => undefined, readStartTicks: (pid) => ticks.get(pid), bootId: 'boot-a' });
  const group = (serial: number, pid: number, ppid: number) => [parseRecord(execSyscall(serial, pid, ppid)), parseRecord(line(serial, 'argc=1 a0="x"', 'EXECVE'))];
  const child = await builder.build(group(1, 200, 100))!;
  assert.equal(child['process.parent.entity_id'], processEntityId('boot-a', 100, '4242'), 'a live parent is identified from /proc');
  const grandchild = await builder.build(group(2, 300, 200))!;
  assert.equal(grandchild['process.parent.entity_id'], child['process.entity_id'], 'a parent already gone is known from its exec');
  const exit = await builder.build([parseRecord(line(3, 'arch=c000003e syscall=231 a0=0 a1=e7 items=0 ppid=100 pid=200 uid=0 gid=0 euid=0 tty=(none) ses=4294967295 exe="/usr/bin/x" key="vigil"'))])!;
  assert.equal(exit['process.entity_id'], child['process.entity_id']);
  const reused = await builder.build(group(9, 200, 100))!;
  assert.notEqual(reused['process.entity_id'], child['process.entity_id'], 'pid 200 reused by a new process');
  const reexec = await builder.build(group(10, 100, 1))!;
  assert.equal(reexec['process.entity_id'], processEntityId('boot-a', 100, '4242'), 'exec keeps the process: same id as before');
  const otherBoot = createProcessEventBuilder({ readExecutable: () => undefined, readStartTicks: (pid) => ticks.get(pid), bootId: 'boot-b' });
  assert.notEqual((await otherBoot.build(group(1, 100, 1))!)['process.entity_id'], reexec['process.entity_id'], 'ids differ across boots');
  for (const event of [child, grandchild, exit, reused, reexec]) assertValid(event);
});

test('a process gone before its exec was read gets its start time from the exec start feed; events built meanwhile are renamed', async () => {
  const at = 1_700_000_000_123;
  const starts = createExecStarts({ now: () => at });
  const builder = createProcessEventBuilder({ readExecutable: () => undefined, readStartTicks: () => undefined, bootId: 'boot-a', execStarts: starts });
  const group = (serial: number, pid: number, ppid: number) => [parseRecord(execSyscall(serial, pid, ppid)), parseRecord(line(serial, 'argc=1 a0="x"', 'EXECVE'))];
  const real = processEntityId('boot-a', 700, '5555');

  // Without a running feed nobody waits: the synthetic id stays.
  const alone = await builder.build(group(1, 600, 1))!;
  assert.equal(alone['process.entity_id'], processEntityId('boot-a', 600, `t${at}:1`), 'synthetic: exec time and serial');
  assert.equal(builder.canonicalEntity(String(alone['process.entity_id'])), alone['process.entity_id']);

  // Recorded by the feed after the exec was read: the event waits for it.
  starts.setFeeding(true);
  const pending = builder.build(group(2, 700, 1))!;
  const synthetic = builder.entityOf(700)!;
  assert.notEqual(synthetic, real);
  const childPending = builder.build(group(3, 800, 700))!; // its parent is the gone process, by its synthetic id for now
  assert.ok(builder.entityPending(synthetic), 'the synthetic id is still waiting');
  starts.record(700, '5555');
  starts.record(800, '5556');
  const started = await pending;
  const child = await childPending;
  assert.equal(child['process.parent.entity_id'], synthetic);
  assert.equal(child['process.entity_id'], processEntityId('boot-a', 800, '5556'));
  assert.equal(started['process.entity_id'], real, 'the kernel start time gives the id network and DNS events carry');
  assert.equal(builder.canonicalEntity(synthetic), real, 'events built meanwhile are renamed when emitted');
  assert.equal(builder.entityPending(synthetic), undefined);
  assert.equal(builder.entityOf(700), real, 'events built from now on use the real id');

  // Already recorded when the exec is read: no wait. An exec recorded long before (another process, same pid) is not used.
  starts.record(900, '7777');
  assert.equal((await builder.build(group(4, 900, 1))!)['process.entity_id'], processEntityId('boot-a', 900, '7777'));
  const later = createExecStarts({ now: () => at - 60_000 });
  later.record(950, '1111');
  later.setFeeding(true);
  const stale = createProcessEventBuilder({ readExecutable: () => undefined, readStartTicks: () => undefined, bootId: 'boot-a', execStarts: later });
  const noMatch = stale.build(group(5, 950, 1))!;
  assert.notEqual((await noMatch)['process.entity_id'], processEntityId('boot-a', 950, '1111'), 'after the wait, the synthetic id stays');
  assert.deepEqual(later.stats(), { recorded: 1, found: 0, waited: 1, missed: 1 });
  assert.deepEqual(builder.stats(), { provisional: 4, fromFeed: 3 }, 'all four were gone from /proc; the feed named 700, 800 and 900 (600 had no feed)');
  for (const event of [alone, started, child]) assertValid(event);
});
