// Records to events: the real capture gives the expected events (golden; VIGIL_UPDATE_GOLDEN=1 rewrites), and the
// joins (connect outcome by socket, DNS answer by id, buffer chunks by thread) and folding work on crafted records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { createNetworkConverter, normalizeAddress, type NetworkConverterOptions } from './network-events.js';
import { decodeRecord, parseOutputLine, type NetRecord, type TaskFields } from './records.js';

const CAPTURE = fileURLToPath(new URL('../../src/bpftrace/testdata/loopback-session.ndjson', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../src/bpftrace/testdata/loopback-session.events.json', import.meta.url));
const T0 = Date.parse('2026-12-05T10:00:00.000Z');

const describe: NetworkConverterOptions['describe'] = (task) => ({
  'process.pid': task.pid,
  'process.entity_id': `entity-${task.pid}-${task.startTicks}`,
  'process.name': task.comm,
  'user.id': String(task.uid),
});

function converter(extra: Partial<NetworkConverterOptions> = {}) {
  const events: Record<string, unknown>[] = [];
  const c = createNetworkConverter({ describe, emit: (e) => events.push(e as Record<string, unknown>), windowMs: 5000, ...extra });
  return { c, events };
}

function assertValid(event: Record<string, unknown>) {
  const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'test-host' };
  assert.deepEqual(checkEvent(full, 'event').problems, [], JSON.stringify(event));
}

test('golden: the real capture converts to the expected events', () => {
  const { c, events } = converter();
  const lines = readFileSync(CAPTURE, 'utf8').split('\n').filter(Boolean);
  lines.forEach((line, i) => {
    const message = parseOutputLine(line);
    if (message.type === 'printf') c.push(decodeRecord(message.data), T0 + i);
  });
  c.tick(T0 + 100);
  assert.equal(events.length, 0, 'flows wait for their window');
  c.tick(T0 + 6000);
  c.flush(T0 + 6000);
  for (const event of events) assertValid(event);
  const actual = JSON.stringify(events, null, 1) + '\n';
  if (process.env.VIGIL_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
  assert.ok(existsSync(GOLDEN), `${GOLDEN} is missing; run with VIGIL_UPDATE_GOLDEN=1`);
  assert.equal(actual, readFileSync(GOLDEN, 'utf8'));

  const find = (predicate: (e: Record<string, unknown>) => boolean) => {
    const found = events.filter(predicate);
    assert.equal(found.length, 1, 'exactly one matching event');
    return found[0]!;
  };
  const connect = find((e) => e['event.action'] === 'connect' && e['network.transport'] === 'tcp');
  assert.equal(connect['network.type'], 'ipv6');
  assert.equal(connect['destination.ip'], '::1');
  assert.equal(connect['destination.port'], 41757);
  assert.equal(connect['source.port'], 56316, 'the source port comes from SYN_SENT -> ESTABLISHED of the same socket');
  assert.equal(connect['event.outcome'], 'success');
  const accept = find((e) => e['event.action'] === 'accept');
  assert.deepEqual([accept['source.port'], accept['destination.port'], accept['network.direction']], [56316, 41757, 'ingress']);
  const listens = events.filter((e) => e['event.action'] === 'listen').map((e) => `${e['network.transport']}:${e['source.port']}`);
  assert.deepEqual(listens.sort(), ['tcp:41757', 'udp:20999']);
  const cares = find((e) => e['event.category'] === 'dns' && e['dns.question.name'] === 'example.com');
  assert.deepEqual([cares['dns.question.type'], cares['dns.response_code'], cares['dns.resolved_ip'], cares['process.name']], ['A', 'NOERROR', ['192.0.2.44'], 'node']);
  const glibc = events.filter((e) => e['event.category'] === 'dns' && e['process.name'] === 'getent').map((e) => `${e['dns.question.type']}=${String(e['dns.answers'])}`);
  assert.deepEqual(glibc.sort(), ['A=192.0.2.44', 'AAAA=2001:db8::1']);
  const long = find((e) => e['event.category'] === 'dns' && e['process.name'] === 'python3');
  assert.equal((long['dns.question.name'] as string).length, 253, 'a query split over two buffer chunks is joined');
  assert.equal(long['dns.response_code'], undefined, 'its answer came to an unconnected socket: not seen');
  assert.ok(!events.some((e) => e['destination.port'] === 0), 'UDP connects to port 0 (address selection) are not flows');
});

const task = (pid: number, comm = 'curl'): TaskFields => ({ pid, tid: pid, ppid: 1, uid: 1000, gid: 1000, startTicks: String(pid * 10), parentStartTicks: '5', comm });
const tcp = (pid: number, sk: string, oldState: number, newState: number, sport: number, daddr = '203.0.113.7', dport = 443, comm = 'curl'): NetRecord => ({
  kind: 'tcp_state',
  task: task(pid, comm),
  sk,
  oldState,
  newState,
  socket: { family: 4, localPort: sport, remotePort: dport, localAddress: '10.0.0.5', remoteAddress: daddr },
});

test('identical connects fold into one event per window; outcome and source port come from the socket', () => {
  const { c, events } = converter();
  for (let i = 0; i < 100; i++) {
    c.push(tcp(42, `ffff${i}`, 7, 2, 0), T0 + i);
    c.push(tcp(0, `ffff${i}`, 2, i < 90 ? 1 : 7, 40000 + i, '203.0.113.7', 443, 'swapper/0'), T0 + i);
  }
  c.push(tcp(42, 'ffffaa', 7, 2, 0, '203.0.113.8'), T0 + 200);
  c.push(tcp(43, 'ffffab', 7, 2, 0), T0 + 300);
  c.tick(T0 + 4999);
  assert.equal(events.length, 0);
  c.tick(T0 + 5000);
  assert.equal(events.length, 1);
  const [folded] = events;
  assert.deepEqual(
    [folded!['network.connection_count'], folded!['network.first_seen'], folded!['network.last_seen'], folded!['@timestamp'], folded!['source.port'], folded!['event.outcome']],
    [100, '2026-12-05T10:00:00.000Z', '2026-12-05T10:00:00.099Z', '2026-12-05T10:00:00.000Z', 40000, 'success'],
  );
  assert.equal(folded!['process.pid'], 42, 'the connecting task, not the one that ran when the handshake completed');
  c.tick(T0 + 5300);
  assert.deepEqual(events.slice(1).map((e) => [e['process.pid'], e['destination.ip'], e['network.connection_count']]), [[42, '203.0.113.8', 1], [43, '203.0.113.7', 1]]);
  assert.equal(events[1]!['event.outcome'], undefined, 'a connect without a seen outcome has none');
  for (const event of events) assertValid(event);
});

test('a refused connect is a failure; excluded processes are not reported', () => {
  const { c, events } = converter({ excludePids: new Set([99]) });
  c.push(tcp(42, 'ffff1', 7, 2, 0, '127.0.0.1', 1), T0);
  c.push(tcp(0, 'ffff1', 2, 7, 50000, '127.0.0.1', 1), T0 + 1);
  c.push(tcp(99, 'ffff2', 7, 2, 0), T0 + 2);
  c.push({ kind: 'accept', task: task(99), socket: { family: 4, localPort: 1, remotePort: 2, localAddress: '127.0.0.1', remoteAddress: '127.0.0.1' } }, T0 + 3);
  c.flush(T0 + 10);
  assert.equal(events.length, 1);
  assert.equal(events[0]!['event.outcome'], 'failure');
  assert.equal(c.stats().excluded, 2);
});

test('IPv4-mapped IPv6 peers are reported as IPv4; UDP sends fold with UDP connects to the same peer', () => {
  assert.deepEqual(normalizeAddress('::ffff:192.0.2.1'), { ip: '192.0.2.1', type: 'ipv4' });
  assert.deepEqual(normalizeAddress('2001:db8::ffff:1'), { ip: '2001:db8::ffff:1', type: 'ipv6' });
  const { c, events } = converter();
  const socket = { family: 6 as const, localPort: 5000, remotePort: 123, localAddress: '::', remoteAddress: '::ffff:192.0.2.1' };
  c.push({ kind: 'udp_connect', task: task(7, 'ntpd'), socket }, T0);
  c.push({ kind: 'udp_send', task: task(7, 'ntpd'), socket }, T0 + 1000);
  c.push({ kind: 'udp_bind', task: task(7, 'ntpd'), socket: { ...socket, localPort: 123, remotePort: 0 } }, T0 + 1);
  c.flush(T0 + 2000);
  const connect = events.find((e) => e['event.action'] === 'connect')!;
  assert.deepEqual([connect['destination.ip'], connect['network.type'], connect['network.transport'], connect['network.connection_count']], ['192.0.2.1', 'ipv4', 'udp', 2]);
  const listen = events.find((e) => e['event.action'] === 'listen')!;
  assert.deepEqual([listen['source.ip'], listen['source.port'], listen['network.direction'], listen['network.type']], ['::', 123, 'listening', 'ipv6']);
  for (const event of events) assertValid(event);
});

/** A DNS message as bpftrace prints it: header record then B chunks of at most 200 bytes. */
function dnsRecords(kind: 'dns_query' | 'dns_answer', pid: number, bytes: Buffer): NetRecord[] {
  const socket = { family: 4 as const, localPort: 40000, remotePort: 53, localAddress: '127.0.0.1', remoteAddress: '127.0.0.53' };
  const header: NetRecord = kind === 'dns_query' ? { kind, task: task(pid, 'resolver'), socket, length: bytes.length, explicitAddress: false } : { kind, task: task(pid, 'resolver'), socket, length: bytes.length };
  const chunks: NetRecord[] = [];
  const limit = kind === 'dns_query' ? 400 : 600;
  for (let offset = 0; offset < Math.min(bytes.length, limit); offset += 200) chunks.push({ kind: 'chunk', tid: pid, offset, bytes: bytes.subarray(offset, Math.min(offset + 200, limit, bytes.length)) });
  return [header, ...chunks];
}
const qname = (text: string) => Buffer.concat([...text.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
const dnsQuery = (id: number, name: string, type = 1) => Buffer.concat([Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), qname(name), Buffer.from([0, type, 0, 1])]);
const dnsAnswer = (id: number, name: string, ips: number[][]) =>
  Buffer.concat([
    Buffer.from([id >> 8, id & 0xff, 0x81, 0x80, 0, 1, 0, ips.length, 0, 0, 0, 0]),
    qname(name),
    Buffer.from([0, 1, 0, 1]),
    ...ips.map((ip) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip])),
  ]);

test('DNS: a query joins its answer; an unanswered query is reported after the wait; identical lookups fold', () => {
  const { c, events } = converter({ dnsAnswerWaitMs: 1000 });
  const push = (records: NetRecord[], at: number) => records.forEach((r) => c.push(r, at));
  push(dnsRecords('dns_query', 10, dnsQuery(1, 'pool.supportxmr.com')), T0);
  push(dnsRecords('dns_answer', 10, dnsAnswer(1, 'pool.supportxmr.com', [[192, 0, 2, 44], [192, 0, 2, 45]])), T0 + 20);
  push(dnsRecords('dns_query', 10, dnsQuery(2, 'POOL.supportxmr.com')), T0 + 100);
  push(dnsRecords('dns_answer', 10, dnsAnswer(2, 'POOL.supportxmr.com', [[192, 0, 2, 45], [192, 0, 2, 44]])), T0 + 120);
  push(dnsRecords('dns_query', 11, dnsQuery(3, 'silent.example', 28)), T0 + 200);
  c.tick(T0 + 1100);
  assert.equal(c.stats().pendingQueries, 1);
  c.tick(T0 + 1300);
  assert.equal(c.stats().pendingQueries, 0, 'the unanswered query left the table after the wait');
  c.flush(T0 + 1300);
  assert.equal(events.length, 2);
  const answered = events.find((e) => e['process.pid'] === 10)!;
  assert.deepEqual(
    [answered['dns.question.name'], answered['dns.question.type'], answered['dns.resolved_ip'], answered['network.connection_count'], answered['destination.ip'], answered['network.protocol']],
    ['pool.supportxmr.com', 'A', ['192.0.2.44', '192.0.2.45'], 2, '127.0.0.53', 'dns'],
  );
  const silent = events.find((e) => e['process.pid'] === 11)!;
  assert.deepEqual([silent['dns.question.type'], silent['dns.response_code'], silent['event.outcome']], ['AAAA', undefined, undefined]);
  for (const event of events) assertValid(event);
});

test('a connect to an address from an earlier DNS answer carries the name as destination.domain', () => {
  const { c, events } = converter();
  for (const r of dnsRecords('dns_query', 20, dnsQuery(5, 'pool.supportxmr.com'))) c.push(r, T0);
  for (const r of dnsRecords('dns_answer', 20, dnsAnswer(5, 'pool.supportxmr.com', [[198, 51, 100, 9]]))) c.push(r, T0 + 1);
  c.push(tcp(21, 'ffff9', 7, 2, 0, '198.51.100.9', 3333), T0 + 2);
  c.push(tcp(21, 'ffffa', 7, 2, 0, '198.51.100.10', 3333), T0 + 3);
  c.flush(T0 + 10);
  const connects = events.filter((e) => e['event.action'] === 'connect');
  assert.deepEqual(connects.map((e) => [e['destination.ip'], e['destination.domain']]), [['198.51.100.9', 'pool.supportxmr.com'], ['198.51.100.10', undefined]]);
});

test('DNS: an answer without a seen query still reports the lookup; a 253-character name spans two chunks', () => {
  const { c, events } = converter();
  const name = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');
  for (const r of dnsRecords('dns_answer', 12, dnsAnswer(9, 'late.example', [[198, 51, 100, 1]]))) c.push(r, T0);
  const query = dnsRecords('dns_query', 13, dnsQuery(10, name, 16));
  assert.equal(query.length, 3);
  for (const r of query) c.push(r, T0);
  c.flush(T0 + 5000);
  assert.equal(c.stats().unmatchedAnswers, 1);
  assert.deepEqual(events.map((e) => e['dns.question.name']).sort(), [name, 'late.example']);
  for (const event of events) assertValid(event);
});

test('DNS: a chunk out of order or without a header is skipped; a header without its chunks is completed on tick', () => {
  const { c, events } = converter({ dnsAnswerWaitMs: 0 });
  const records = dnsRecords('dns_query', 14, dnsQuery(11, 'x.example'));
  c.push({ kind: 'chunk', tid: 999, offset: 0, bytes: Buffer.from([1, 2, 3]) }, T0);
  c.push(records[0]!, T0);
  c.push({ ...(records[1] as Extract<NetRecord, { kind: 'chunk' }>), offset: 200 }, T0);
  assert.equal(c.stats().skipped, 2);
  c.tick(T0 + 1001);
  c.flush(T0 + 1001);
  assert.equal(events.length, 0, 'an empty capture is not a lookup');
  assert.equal(c.stats().undecodableDns, 1);
});

test('every emitted event type-checks as CollectedEvent', () => {
  const typed: CollectedEvent[] = [];
  const c = createNetworkConverter({ describe, emit: (e) => typed.push(e), windowMs: 0 });
  c.push(tcp(1, 'ff', 7, 10, 22, '0.0.0.0', 0), T0);
  c.flush(T0);
  assert.equal(typed[0]!['event.category'], 'network');
  assert.equal(typed[0]!['event.action'], 'listen');
});
