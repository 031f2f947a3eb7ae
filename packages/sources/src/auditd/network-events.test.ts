import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { checkEvent } from '@vigil/schema';
import { buildNetworkEvent } from './network-events.js';
import { parseRecord } from './record-parser.js';

const line = (serial: number, body: string, type = 'SYSCALL') => `type=${type} msg=audit(1700000000.900:${serial}): ${body}`;
const valid = (event: object) => assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, []);
// sockaddr_in for 203.0.113.7:443 and sockaddr_in6 for [2001:db8::1]:22, as the kernel logs them (family little endian, port big endian).
const V4 = '020001BBCB007107' + '0000000000000000';
const V6 = '0A000016' + '00000000' + '20010DB8000000000000000000000001' + '00000000';

test('a connect names the destination; a non-blocking one in progress is a successful attempt', () => {
  const connect = buildNetworkEvent(
    [parseRecord(line(1, 'arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffd a2=10 items=0 ppid=1 pid=321 uid=33 exe="/usr/bin/curl" key="vigil"')), parseRecord(line(1, `saddr=${V4}`, 'SOCKADDR'))],
    (pid) => `E${pid}`,
  )!;
  assert.equal(connect['event.action'], 'connect');
  assert.equal(connect['event.outcome'], 'success');
  assert.equal(connect['destination.ip'], '203.0.113.7');
  assert.equal(connect['destination.port'], 443);
  assert.equal(connect['process.entity_id'], 'E321');
  valid(connect);
});

test('accept4 gives the peer as source over IPv6; unix sockets and failed accepts are not network events', () => {
  const accept = buildNetworkEvent([parseRecord(line(2, 'arch=c000003e syscall=288 success=yes exit=5 a0=3 items=0 pid=10 exe="/usr/sbin/sshd" key="vigil"')), parseRecord(line(2, `saddr=${V6}`, 'SOCKADDR'))])!;
  assert.equal(accept['event.action'], 'accept');
  assert.equal(accept['source.ip'], '2001:db8::1');
  assert.equal(accept['source.port'], 22);
  assert.equal(accept['network.direction'], 'inbound');
  valid(accept);
  const unix = '01002F72756E2F7800';
  assert.equal(buildNetworkEvent([parseRecord(line(3, 'arch=c000003e syscall=42 success=yes exit=0 pid=10 key="vigil"')), parseRecord(line(3, `saddr=${unix}`, 'SOCKADDR'))]), undefined);
  assert.equal(buildNetworkEvent([parseRecord(line(4, 'arch=c000003e syscall=43 success=no exit=-11 pid=10 key="vigil"')), parseRecord(line(4, `saddr=${V4}`, 'SOCKADDR'))]), undefined);
});

test('listen has no address; bind gives the local one', () => {
  const listen = buildNetworkEvent([parseRecord(line(5, 'arch=c000003e syscall=50 success=yes exit=0 a0=3 a1=80 items=0 pid=10 exe="/usr/bin/nc" key="vigil"'))])!;
  assert.equal(listen['event.action'], 'listen');
  valid(listen);
  const bind = buildNetworkEvent([parseRecord(line(6, 'arch=c000003e syscall=49 success=yes exit=0 pid=10 exe="/usr/bin/nc" key="vigil"')), parseRecord(line(6, `saddr=${V4}`, 'SOCKADDR'))])!;
  assert.equal(bind['source.ip'], '203.0.113.7');
  valid(bind);
});
