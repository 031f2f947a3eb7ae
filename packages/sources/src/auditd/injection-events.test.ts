import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { checkEvent } from '@vigil/schema';
import { buildInjectionEvent, memfdExecution } from './injection-events.js';
import { parseRecord } from './record-parser.js';

const line = (serial: number, body: string, type = 'SYSCALL') => `type=${type} msg=audit(1700000000.700:${serial}): ${body}`;
const valid = (event: object) => assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, []);

test('ptrace attach and poke name the target; other ptrace requests are not reported', () => {
  const attach = buildInjectionEvent(
    [
      parseRecord(line(1, 'arch=c000003e syscall=101 success=yes exit=0 a0=10 a1=1f40 a2=0 a3=0 items=0 ppid=1 pid=500 uid=0 exe="/usr/bin/gdb" key="vigil"')),
      parseRecord(line(1, 'opid=8000 oauid=-1 ouid=0 oses=-1 ocomm="sshd"', 'OBJ_PID')),
    ],
    { entityOf: (pid) => `E${pid}`, readExecutable: () => undefined },
  )!;
  assert.equal(attach['event.action'], 'ptrace_attach');
  assert.equal(attach['target.process.pid'], 8000);
  assert.equal(attach['target.process.entity_id'], 'E8000');
  assert.equal(attach['target.process.name'], 'sshd');
  assert.equal(attach['process.entity_id'], 'E500');
  valid(attach);
  const poke = buildInjectionEvent([parseRecord(line(2, 'arch=c000003e syscall=101 success=yes exit=0 a0=5 a1=1f40 items=0 pid=500 exe="/tmp/x" key="vigil"'))])!;
  assert.equal(poke['event.action'], 'ptrace_poke');
  valid(poke);
  assert.equal(buildInjectionEvent([parseRecord(line(3, 'arch=c000003e syscall=101 success=yes exit=0 a0=2 a1=1f40 items=0 pid=500 key="vigil"'))]), undefined, 'PEEKDATA');
});

test('process_vm_writev names its target; a refused one is still reported', () => {
  const write = buildInjectionEvent([parseRecord(line(4, 'arch=c000003e syscall=311 success=no exit=-14 a0=1f41 a1=7ffd a2=1 a3=7ffe items=0 pid=600 exe="/usr/bin/python3.11" key="vigil"'))], { readExecutable: (pid) => (pid === 8001 ? '/usr/sbin/nginx' : undefined) })!;
  assert.equal(write['event.action'], 'process_vm_write');
  assert.equal(write['event.outcome'], 'failure');
  assert.equal(write['target.process.pid'], 8001);
  assert.equal(write['target.process.executable'], '/usr/sbin/nginx');
  valid(write);
});

test('a successful start from /memfd: is also fileless execution', () => {
  const start = { '@timestamp': '2026-12-04T10:00:00.000Z', 'event.category': 'process', 'event.action': 'start', 'event.outcome': 'success', 'process.pid': 9, 'process.executable': '/memfd:payload (deleted)', 'process.args': ['payload'], 'process.entity_id': 'E9' } as const;
  const fileless = memfdExecution(start as never)!;
  assert.equal(fileless['event.action'], 'memfd_exec');
  assert.equal(fileless['process.entity_id'], 'E9');
  valid(fileless);
  assert.equal(memfdExecution({ ...start, 'process.executable': '/usr/bin/true' } as never), undefined);
});
