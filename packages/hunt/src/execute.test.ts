// Execution tests: compiled queries run on a real in-memory DuckDB (real DDL, hand-built events) and return exactly
// the rows a plain JavaScript reading of the same events expects.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DuckDBConnection } from '@duckdb/node-api';
import { compileHunt, type HuntOptions } from './compile.js';
import { openTestDb, runCompiled } from './internal/test-support.js';
import { EXEC_NOW, buildTestEvents, loadTestEvents, type TestEvent } from './internal/test-events.js';

const events = buildTestEvents();
let db: { connection: DuckDBConnection; close: () => void };

before(async () => {
  db = await openTestDb();
  await loadTestEvents(db.connection, events);
});
after(() => db.close());

async function rows(query: string, options: HuntOptions = {}): Promise<Record<string, unknown>[]> {
  return runCompiled(db.connection, compileHunt(query, { now: EXEC_NOW, limit: 100000, ...options }));
}

async function ids(query: string, options: HuntOptions = {}): Promise<string[]> {
  return (await rows(`${query} | fields event.id`, options)).map((r) => String(r['event.id'])).sort();
}

function expectIds(category: string | null, keep: (e: TestEvent) => boolean): string[] {
  return events.filter((e) => (category === null || e['event.category'] === category) && keep(e)).map((e) => e['event.id']).sort();
}

const str = (e: TestEvent, f: string) => (typeof e[f] === 'string' ? (e[f] as string) : undefined);

test('the test data is a few hundred events over 3 hosts and 2 days', () => {
  assert.ok(events.length > 500 && events.length < 700, String(events.length));
});

test('wildcard equality ignores case', async () => {
  assert.deepEqual(await ids('process where process.name == "PY*"'), expectIds('process', (e) => str(e, 'process.name')?.startsWith('py') === true));
});

test('case-sensitive equality does not ignore case', async () => {
  assert.deepEqual(await ids('process where process.name equals_cs "Bash"'), []);
  assert.equal((await ids('process where process.name equals_cs "bash"')).length, expectIds('process', (e) => e['process.name'] === 'bash').length);
});

test('!= keeps events where the field is missing', async () => {
  assert.deepEqual(await ids('process where process.parent.name != "sshd"'), expectIds('process', (e) => e['process.parent.name'] !== 'sshd'));
});

test('contains, startswith, endswith', async () => {
  assert.deepEqual(await ids('process where process.command_line contains "MIMIKATZ"'), expectIds('process', (e) => /mimikatz/i.test(str(e, 'process.command_line') ?? '')));
  assert.deepEqual(await ids('process where process.executable startswith "/usr/bin/c"'), expectIds('process', (e) => str(e, 'process.executable')?.startsWith('/usr/bin/c') === true));
  assert.deepEqual(await ids('file where file.path endswith ".so"'), expectIds('file', (e) => str(e, 'file.path')?.endsWith('.so') === true));
});

test('in and not in', async () => {
  assert.deepEqual(await ids('process where process.name in ("curl", "SSHD")'), expectIds('process', (e) => ['curl', 'sshd'].includes(str(e, 'process.name') ?? '')));
  assert.deepEqual(await ids('network where destination.port not in (443, 22)'), expectIds('network', (e) => ![443, 22].includes(e['destination.port'] as number)));
});

test('CIDR over IPv4 and IPv6, and over a list of addresses', async () => {
  assert.deepEqual(await ids('network where destination.ip in cidr("10.0.0.0/8", "fe80::/10")'), expectIds('network', (e) => ['10.1.2.3', 'fe80::1'].includes(str(e, 'destination.ip') ?? '')));
  assert.deepEqual(await ids('network where cidrmatch(destination.ip, "2001:db8::/32")'), expectIds('network', (e) => e['destination.ip'] === '2001:db8::5'));
  assert.deepEqual(await ids('dns where dns.resolved_ip in cidr("203.0.113.0/24")'), expectIds('dns', (e) => (e['dns.resolved_ip'] as string[]).includes('203.0.113.7')));
});

test('regular expressions', async () => {
  assert.deepEqual(await ids('dns where dns.question.name matches /^[a-z]{30,}\\./'), expectIds('dns', (e) => /^[a-z]{30,}\./.test(str(e, 'dns.question.name') ?? '')));
  assert.deepEqual(await ids('dns where dns.question.name !~ "example"'), expectIds('dns', (e) => !/example/.test(str(e, 'dns.question.name') ?? '')));
});

test('numbers, booleans, lists and exists', async () => {
  assert.deepEqual(await ids('network where network.bytes between 300 and 500'), expectIds('network', (e) => (e['network.bytes'] as number) >= 300 && (e['network.bytes'] as number) <= 500));
  assert.deepEqual(await ids('process where process.interactive == true'), expectIds('process', (e) => e['process.interactive'] === true));
  assert.deepEqual(await ids('process where process.args contains "-C"'), expectIds('process', (e) => Array.isArray(e['process.args']) && (e['process.args'] as string[]).includes('-c')));
  assert.deepEqual(await ids('process where not exists(process.parent.name)'), expectIds('process', (e) => e['process.parent.name'] == null));
});

test('free text and fuzzy free text', async () => {
  assert.deepEqual(await ids('"mimikatz"'), expectIds(null, (e) => e['process.pid'] === 7777));
  assert.deepEqual(await ids('~"mimikatz"'), expectIds(null, (e) => e['process.pid'] === 7777 || e['process.pid'] === 7778));
  assert.deepEqual(await ids('"mimikatz" or "tunnel.io"'), expectIds(null, (e) => e['process.pid'] === 7777 || str(e, 'dns.question.name')?.includes('tunnel.io') === true));
  assert.deepEqual(await ids('process where "mimikatz" and not "powershell"'), []);
});

test('time ranges in the query and in the options', async () => {
  const day2 = (e: TestEvent) => e['@timestamp'] >= '2026-03-02';
  assert.deepEqual(await ids('any where @timestamp >= now() - 24h'), expectIds(null, day2));
  assert.deepEqual(await ids('any where @timestamp between "2026-03-01T00:00:00Z" and "2026-03-01T02:00:00Z"'), expectIds(null, (e) => e['@timestamp'] >= '2026-03-01T00:00:00.000Z' && e['@timestamp'] <= '2026-03-01T02:00:00.000Z'));
  assert.deepEqual(await ids('process', { start: '2026-03-02T00:00:00Z', hostIds: ['h2'] }), expectIds('process', (e) => day2(e) && e['host.id'] === 'h2'));
  assert.equal((await ids('any', { limit: 7 })).length, 7);
});

test('stats counts, distinct counts and sums by host', async () => {
  const result = await rows('network | stats count(), dc(destination.ip) as peers, sum(network.bytes) as bytes by host.id');
  const expected = ['h1', 'h2', 'h3'].map((host) => {
    const mine = events.filter((e) => e['event.category'] === 'network' && e['host.id'] === host);
    return { 'host.id': host, count: mine.length, peers: new Set(mine.map((e) => e['destination.ip'])).size, bytes: mine.reduce((s, e) => s + ((e['network.bytes'] as number) ?? 0), 0) };
  });
  assert.deepEqual(result, expected);
});

test('where after stats filters the aggregated rows', async () => {
  const result = await rows('authentication where event.action == "logon_failed" | stats count() as failures by host.id, user.name | where failures >= 5');
  assert.deepEqual(result, [{ 'host.id': 'h1', 'user.name': 'alice', failures: 20 }]);
});

test('top N by group', async () => {
  const result = await rows('process where @timestamp < "2026-03-02" | top 1 process.name by host.id');
  assert.deepEqual(result, [
    { 'host.id': 'h1', 'process.name': 'bash', count: 8 },
    { 'host.id': 'h2', 'process.name': 'bash', count: 8 },
    { 'host.id': 'h3', 'process.name': 'bash', count: 8 },
  ]);
  const overall = await rows('process | top 2 process.name');
  assert.equal(overall.length, 2);
  assert.equal(overall[0]!.count, 48);
});

test('timechart buckets by day and host', async () => {
  const result = await rows('authentication | timechart span=1d count() by host.id');
  assert.deepEqual(
    result.map((r) => [r['@timestamp'], r['host.id'], r.count]),
    ['2026-03-01', '2026-03-02'].flatMap((day) => ['h1', 'h2', 'h3'].map((h) => [`${day}T00:00:00.000Z`, h, 15])),
  );
});

test('sort and limit', async () => {
  const result = await rows('network | sort network.bytes desc, event.id asc | limit 3 | fields network.bytes');
  assert.deepEqual(result.map((r) => r['network.bytes']), [2000, 2000, 2000]);
});

test('sequences are found in order within maxspan only', async () => {
  const query = 'sequence by host.id maxspan=5m [process where process.name == "dropper"] [file where file.path == "/tmp/.hidden"] [network where destination.port == 31337]';
  const result = await rows(query);
  assert.equal(result.length, 1);
  const only = result[0]!;
  assert.equal(only['host.id'], 'h1');
  assert.deepEqual([only['step1.event.id'], only['step2.event.id'], only['step3.event.id']], expectIds(null, (e) => e['host.id'] === 'h1' && (e['process.name'] === 'dropper' || e['file.path'] === '/tmp/.hidden' || e['destination.port'] === 31337)).sort((a, b) => (a.startsWith('process') ? -1 : a.startsWith('file') && b.startsWith('network') ? -1 : 1)));
  const wider = await rows(query.replace('maxspan=5m', 'maxspan=10m'));
  assert.deepEqual(wider.map((r) => r['host.id']), ['h1', 'h3']);
});
