import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seededRandom } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { ldPreloadEvents, ldSoPreloadEvents, parsePreloadList, preloadFromEnviron, preloadOfExec, readEnviron } from './ld-preload.js';
import { parseRecord } from './record-parser.js';

const env = (...entries: string[]) => Buffer.from(entries.map((e) => `${e}\0`).join(''));
const valid = (event: object) => assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, []);

test('LD_PRELOAD is found in an environment block; look-alikes are not', () => {
  assert.equal(preloadFromEnviron(env('PATH=/bin', 'LD_PRELOAD=/tmp/x.so', 'HOME=/root')), '/tmp/x.so');
  assert.equal(preloadFromEnviron(env('XLD_PRELOAD=/tmp/x.so', 'LD_PRELOADX=1', 'LD_PRELOAD=')), undefined);
  assert.equal(preloadFromEnviron(Buffer.from('LD_PRELOAD=/a.so')), '/a.so', 'no trailing NUL');
  assert.equal(preloadFromEnviron(Buffer.alloc(0)), undefined);
});

test('preload lists split on spaces and colons; the file form has comments', () => {
  assert.deepEqual(parsePreloadList('/a.so /b.so:/c.so\t/a.so'), ['/a.so', '/b.so', '/c.so']);
  assert.deepEqual(parsePreloadList('# comment /x.so\n/lib/hook.so # trailing\n\n', true), ['/lib/hook.so']);
  assert.equal(parsePreloadList(Array.from({ length: 40 }, (_, i) => `/l${i}.so`).join(' ')).length, 16);
});

test('fuzz: random environment blocks never throw', () => {
  const random = seededRandom(0x1d9e);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.alloc(Math.floor(random() * 200));
    for (let j = 0; j < bytes.length; j++) bytes[j] = random() < 0.2 ? 0 : random() < 0.3 ? 'LD_PRELOAD='.charCodeAt(j % 11) : Math.floor(random() * 256);
    const value = preloadFromEnviron(bytes);
    if (value !== undefined) assert.ok(value.length > 0 && !value.includes('\0'));
    for (const library of parsePreloadList(value ?? bytes.toString('latin1'), random() < 0.5)) assert.ok(library.length > 0 && !/[\s:]/.test(library));
  }
});

test('this process: its own environment is readable, and a preload set for a child is seen at exec', () => {
  const own = readEnviron(process.pid);
  assert.ok(own && own.length > 0);
  assert.equal(readEnviron(2 ** 30), undefined, 'gone');
  const exec = [
    parseRecord('type=SYSCALL msg=audit(1700000000.100:5): arch=c000003e syscall=59 success=yes exit=0 items=2 ppid=1 pid=4242 exe="/usr/bin/sudo"'),
    parseRecord('type=EXECVE msg=audit(1700000000.100:5): argc=2 a0="sudo" a1="-l"'),
  ];
  assert.deepEqual(preloadOfExec(exec, (pid) => (pid === 4242 ? env('LD_PRELOAD=/home/a/.hook.so') : undefined)), ['/home/a/.hook.so']);
  assert.equal(preloadOfExec(exec, () => env('A=1')), undefined);
  assert.equal(preloadOfExec([exec[0]!], () => env('LD_PRELOAD=/x.so')), undefined, 'not an exec event');
});

test('events: a process started with LD_PRELOAD, and /etc/ld.so.preload written or in use', () => {
  const start = {
    '@timestamp': '2026-12-05T10:00:00.000Z', 'event.category': 'process', 'event.action': 'start', 'event.outcome': 'success', 'process.pid': 9,
    'process.executable': '/usr/sbin/sshd', 'process.args': ['/usr/sbin/sshd', '-D'], 'process.entity_id': 'E9', 'user.id': '0',
  } as const;
  const [event] = ldPreloadEvents(start as never, ['/dev/shm/.libx.so']);
  assert.equal(event?.['event.action'], 'ld_preload');
  assert.equal(event?.['file.path'], '/dev/shm/.libx.so');
  assert.equal(event?.['file.name'], '.libx.so');
  assert.equal(event?.['process.entity_id'], 'E9');
  valid(event!);
  assert.deepEqual(ldPreloadEvents({ ...start, 'event.outcome': 'failure' } as never, ['/x.so']), []);
  const atStart = ldSoPreloadEvents(['/lib/a.so'], undefined, '2026-12-05T10:00:00.000Z');
  assert.equal(atStart[0]?.['process.pid'], undefined);
  assert.match(String(atStart[0]?.message), /when collection starts/);
  valid(atStart[0]!);
});
