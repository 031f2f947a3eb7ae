import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { checkEvent } from '@vigil/schema';
import { buildKernelModuleEvent } from './kernel-module-events.js';
import { parseRecord } from './record-parser.js';

const line = (serial: number, body: string, type = 'SYSCALL') => `type=${type} msg=audit(1700000000.500:${serial}): ${body}`;
const valid = (event: object) => assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, []);

test('a refused init_module is a load attempt by the acting process', () => {
  const event = buildKernelModuleEvent([parseRecord(line(1, 'arch=c000003e syscall=175 success=no exit=-38 a0=0 a1=0 a2=7f items=0 ppid=10 pid=4242 auid=0 uid=0 gid=0 euid=0 tty=pts0 ses=1 comm="insmod" exe="/usr/bin/kmod" key="vigil"'))], (pid) => (pid === 4242 ? 'E-4242' : undefined))!;
  assert.equal(event['event.category'], 'driver');
  assert.equal(event['event.action'], 'load_attempt');
  assert.equal(event['event.outcome'], 'failure');
  assert.equal(event['process.pid'], 4242);
  assert.equal(event['process.entity_id'], 'E-4242');
  assert.equal(event['process.executable'], '/usr/bin/kmod');
  assert.match(String(event.message), /refused \(exit -38\)/);
  valid(event);
});

test('a successful finit_module is a load with the module name; delete_module is an unload', () => {
  const load = buildKernelModuleEvent([
    parseRecord(line(2, 'arch=c000003e syscall=313 success=yes exit=0 a0=3 a1=0 a2=0 items=0 ppid=1 pid=77 uid=0 euid=0 exe="/usr/bin/kmod" key="vigil"')),
    parseRecord(line(2, 'name="nf_tables"', 'KERN_MODULE')),
  ])!;
  assert.equal(load['event.action'], 'load');
  assert.equal(load['event.outcome'], 'success');
  assert.equal(load['driver.name'], 'nf_tables');
  valid(load);
  const unload = buildKernelModuleEvent([parseRecord(line(3, 'arch=c000003e syscall=176 success=yes exit=0 a0=55 a1=800 items=0 ppid=1 pid=78 uid=0 euid=0 exe="/usr/bin/kmod" key="vigil"'))])!;
  assert.equal(unload['event.action'], 'unload');
  assert.equal(unload['event.type'], 'end');
  valid(unload);
});

test('other syscalls are not module events', () => {
  assert.equal(buildKernelModuleEvent([parseRecord(line(4, 'arch=c000003e syscall=59 success=yes exit=0 pid=1 ppid=0'))]), undefined);
  assert.equal(buildKernelModuleEvent([parseRecord(line(5, 'name="x"', 'KERN_MODULE'))]), undefined);
});
