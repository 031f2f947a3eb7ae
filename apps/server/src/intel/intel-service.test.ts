// Server-side intelligence without HTTP: corpus imports (counts, all-or-nothing), stream matching with incremental
// changes and expiry, feeds over a real loopback HTTP server with ETag and If-Modified-Since, and YARA rule sets,
// match events and sweeps on their databases.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { corpusPath, VigilError } from '@vigil/common';
import type { DetectEvent } from '@vigil/detect';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import { createFeedRunner } from './feeds.js';
import { IntelDb } from './intel-db.js';
import { importIndicators } from './intel-import.js';
import { createIocStream } from './ioc-stream.js';
import { createSweeper, type Sweeper } from './sweeper.js';
import { YaraDb } from './yara-db.js';
import { createYaraService } from './yara-service.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-'));
let store: EventStore;
let db: IntelDb;
let sweeper: Sweeper;

before(async () => {
  store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  db = new IntelDb(join(dir, 'intel.sqlite'));
  sweeper = createSweeper({ db, store });
});

after(async () => {
  await sweeper.close();
  db.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const total = () => db.indicatorSummary(new Date().toISOString()).total;

test('the corpus STIX and MISP samples import with distinct counts per type; a malformed bundle imports nothing', () => {
  const apt1 = importIndicators(db, sweeper, { text: readFileSync(corpusPath('ioc', 'stix2.1', 'examples', 'threat-reports', 'apt1.json'), 'utf8'), source: 'apt1', actor: 'test' });
  assert.equal(apt1.format, 'stix');
  assert.deepEqual([apt1.byType.cidr, apt1.byType.domain, apt1.byType.md5, apt1.created], [4, 3, 3, 10]);
  assert.ok(apt1.sweepId, 'new indicators start a retro sweep');
  const again = importIndicators(db, sweeper, { text: readFileSync(corpusPath('ioc', 'stix2.1', 'examples', 'threat-reports', 'apt1.json'), 'utf8'), source: 'apt1', actor: 'test' });
  assert.deepEqual([again.created, again.updated, again.sweepId], [0, 10, null], 'a repeated import updates and sweeps nothing new');
  const poison = importIndicators(db, sweeper, { text: readFileSync(corpusPath('ioc', 'stix2.1', 'examples', 'threat-reports', 'poisonivy.json'), 'utf8'), source: 'poisonivy', actor: 'test' });
  assert.equal(poison.indicators, poison.created);
  assert.ok(poison.byType.ip > 10 && poison.byType.domain > 10 && poison.byType.file_name === 2, JSON.stringify(poison.byType));
  assert.ok(poison.warnings.some((w) => w.message.includes('domain autuo.xicp.net')), 'the invalid domain is reported');
  const misp = importIndicators(db, sweeper, { text: readFileSync(corpusPath('ioc', 'misp', 'circl-osint-asert-four-element-sword.json'), 'utf8'), source: 'misp', actor: 'test' });
  assert.equal(misp.format, 'misp');
  assert.ok(misp.byType.sha256 > 40 && misp.byType.sha1 > 50 && misp.byType.md5 > 30, JSON.stringify(misp.byType));
  const before = total();
  const bundle = JSON.parse(readFileSync(corpusPath('ioc', 'stix2.1', 'examples', 'threat-reports', 'poisonivy.json'), 'utf8')) as { objects: Record<string, unknown>[] };
  const indicator = bundle.objects.findIndex((o) => o.type === 'indicator');
  bundle.objects[indicator + 3] = { ...bundle.objects[indicator + 3], pattern: "[ipv4-addr:value = '10.9.9.9' OR ]" };
  bundle.objects.push({ type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, pattern: "[ipv4-addr:value = '10.8.8.8']", pattern_type: 'stix', valid_from: '2024-01-01T00:00:00Z' });
  assert.throws(
    () => importIndicators(db, sweeper, { text: JSON.stringify(bundle), source: 'poison-broken', actor: 'test', file: 'broken.json' }),
    (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && /nothing imported/.test(error.message) && error.location?.path === `objects[${indicator + 3}].pattern` && error.location.file === 'broken.json',
  );
  assert.equal(total(), before, 'nothing of the malformed bundle was stored');
});

const event = (fields: Record<string, unknown>): DetectEvent => ({ '@timestamp': new Date().toISOString(), 'event.id': randomUUID(), 'host.id': 'host-1', 'event.category': 'network', 'event.action': 'connect', ...fields }) as DetectEvent;

test('stream matching: every type, incremental adds and deletes, expiry, and the alert fields', async () => {
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const stream = createIocStream({ db, expiryCheckMs: 10, now: () => new Date(clock).toISOString() });
  try {
    const loaded = stream.stats().indicators;
    assert.ok(loaded > 100, `${loaded} indicators loaded at start`);
    assert.equal(stream.match([event({ 'destination.ip': '223.167.1.1' })])[0]?.rule.title, 'IOC cidr 223.166.0.0/15 (apt1)');
    const stored = db.upsertIndicators(
      [
        { type: 'ip', value: '192.0.2.55', source: 'unit', externalId: null, confidence: 40, expiresAt: null, description: null },
        { type: 'domain', value: 'c2.unit.example', source: 'unit', externalId: null, confidence: 90, expiresAt: '2030-01-01T00:10:00.000Z', description: null },
        { type: 'sha256', value: 'f'.repeat(64), source: 'unit', externalId: null, confidence: null, expiresAt: '2020-01-01T00:00:00.000Z', description: null },
      ],
      'test',
    );
    assert.equal(stream.stats().indicators, loaded + 2, 'added at once, the already expired one left out');
    const [ip] = stream.match([event({ 'destination.ip': '192.0.2.55', 'process.pid': 42 })]);
    assert.ok(ip);
    assert.equal(ip.kind, 'ioc');
    assert.equal(ip.rule.level, 'low');
    assert.equal(ip.processKey, '42');
    assert.deepEqual(ip.fields.slice(0, 4), [{ field: 'destination.ip', value: '192.0.2.55' }, { field: 'ioc.type', value: 'ip' }, { field: 'ioc.value', value: '192.0.2.55' }, { field: 'ioc.source', value: 'unit' }]);
    assert.equal(stream.match([event({ 'dns.question.name': 'x.c2.unit.example' })])[0]?.rule.level, 'high');
    assert.deepEqual(stream.match([event({ 'process.hash.sha256': 'f'.repeat(64) })]), [], 'expired indicators never match');
    db.deleteIndicators([stored[0]!.indicator.id]);
    assert.deepEqual(stream.match([event({ 'destination.ip': '192.0.2.55' })]), [], 'deleted at once');
    clock = Date.parse('2030-01-01T00:11:00Z');
    assert.deepEqual(stream.match([event({ 'dns.question.name': 'c2.unit.example' })]), [], 'past its expiry it no longer matches');
    const deadline = Date.now() + 5000;
    while (stream.stats().indicators !== loaded && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stream.stats().indicators, loaded, 'the expiry timer removed it from the matcher');
  } finally {
    stream.close();
  }
});

test('feeds over HTTP: ETag and If-Modified-Since, replace semantics, malformed versions refused, file feeds', async () => {
  let body = '# feed v1\n198.51.100.1\n198.51.100.2\nfeed.bad.example\n';
  let etag = '"v1"';
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304).end();
      return;
    }
    response.writeHead(200, { etag, 'last-modified': 'Sun, 01 Mar 2026 09:00:00 GMT', 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const runner = createFeedRunner({ db, sweeper, tickMs: 3_600_000 });
  try {
    const port = (server.address() as { port: number }).port;
    const feed = db.createFeed({ name: 'unit-http', url: `http://127.0.0.1:${port}/list.txt`, format: 'auto', intervalSeconds: 3600, enabled: true, confidence: 70, includeNonIds: false, headers: { authorization: 'secret-key' }, caPem: null });
    const first = await runner.runNow(feed.id);
    assert.equal(first.status, 'ok', first.error);
    assert.deepEqual([first.summary!.created, first.summary!.byType.ip, first.summary!.byType.domain], [3, 2, 1]);
    assert.equal(seen[0]!.authorization, 'secret-key');
    assert.equal(db.getFeed(feed.id)!.etag, '"v1"');
    const second = await runner.runNow(feed.id);
    assert.equal(second.status, 'not_modified');
    assert.equal(seen[1]!['if-none-match'], '"v1"');
    assert.equal(seen[1]!['if-modified-since'], 'Sun, 01 Mar 2026 09:00:00 GMT');
    body = '198.51.100.2\n198.51.100.3\n';
    etag = '"v2"';
    const third = await runner.runNow(feed.id);
    assert.deepEqual([third.status, third.summary!.created, third.summary!.updated, third.summary!.removed], ['ok', 1, 1, 2]);
    const values = () => db.listIndicators({ source: 'feed:unit-http' }).map((i) => i.value).sort();
    assert.deepEqual(values(), ['198.51.100.2', '198.51.100.3']);
    assert.ok(db.listIndicators({ source: 'feed:unit-http' }).every((i) => i.confidence === 70));
    body = '{"type": "bundle", "objects": [{"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "pattern": "[bad"}]}';
    etag = '"v3"';
    const broken = await runner.runNow(feed.id);
    assert.equal(broken.status, 'error');
    assert.match(broken.error!, /nothing imported/);
    assert.deepEqual(values(), ['198.51.100.2', '198.51.100.3'], 'the last good version stays');
    assert.equal(db.getFeed(feed.id)!.status, 'error');
    assert.equal(db.getFeed(feed.id)!.etag, '"v2"', 'a refused version is fetched again next time');
    const file = join(dir, 'feed.csv');
    writeFileSync(file, 'value,type\n203.0.113.200,ip\n');
    const fileFeed = db.createFeed({ name: 'unit-file', url: `file://${file}`, format: 'csv', intervalSeconds: 60, enabled: true, confidence: null, includeNonIds: false, headers: {}, caPem: null });
    assert.equal((await runner.runNow(fileFeed.id)).status, 'ok');
    assert.equal((await runner.runNow(fileFeed.id)).status, 'not_modified', 'same size and mtime');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = await runner.runNow(feed.id);
    assert.equal(down.status, 'error');
    assert.match(db.getFeed(feed.id)!.lastError!, /ECONNREFUSED|fetching the feed failed/);
  } finally {
    await runner.close();
    server.close();
  }
});

test('YARA: a rule set is compiled before it is stored, refused with locations, and match events become yara detections', async () => {
  const yaraDb = new YaraDb(join(dir, 'yara.sqlite'));
  try {
    const yara = createYaraService({ db: yaraDb });
    assert.equal(yara.active(), null);
    await assert.rejects(
      yara.putRuleSet({ name: 'bad', files: [{ name: 'ok.yar', text: 'rule ok { condition: true }' }, { name: 'bad.yar', text: 'rule bad {\n  condition: nope\n}\n' }] }, 'test'),
      (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && error.location?.file === 'bad.yar' && error.location.line === 2 && error.location.column === 14,
    );
    assert.equal(yaraDb.listRuleSets().length, 0, 'nothing stored');
    const record = await yara.putRuleSet({ name: 'unit', files: [{ name: 'm.yar', text: 'rule m : t { meta: score = 60 strings: $a = "x" condition: $a }' }], options: { quarantineOnHit: true }, activate: true }, 'test');
    assert.deepEqual([record.version, record.active, record.report.ruleCount, record.options.quarantineOnHit], [1, true, 1, true]);
    const bundle = yara.bundle()!;
    assert.equal(bundle.digest, record.digest);
    assert.deepEqual(bundle.options, { scan_on_exec: true, scan_on_write: true, watch_paths: ['/tmp', '/var/tmp', '/dev/shm'], quarantine_on_hit: true, max_file_size: 67108864 });
    const v2 = await yara.putRuleSet({ name: 'unit', files: [{ name: 'm.yar', text: 'rule m2 { condition: false }' }] }, 'test');
    assert.deepEqual([v2.version, v2.active], [2, true], 'a new version of the active set stays active');
    assert.notEqual(yara.bundle()!.digest, bundle.digest);
    const detections = yara.match([
      { ...event({}), 'event.category': 'scan', 'event.action': 'file_match', 'yara.rule': 'm', 'yara.namespace': 'default', 'yara.tags': ['t'], 'yara.score': 60, 'file.path': '/tmp/x', 'file.hash.sha256': 'a'.repeat(64) } as DetectEvent,
      event({ 'destination.ip': '1.2.3.4' }),
    ]);
    assert.equal(detections.length, 1);
    assert.deepEqual([detections[0]!.kind, detections[0]!.rule.id, detections[0]!.rule.level, detections[0]!.processKey], ['yara', 'yara:default.m', 'medium', '/tmp/x']);
    assert.ok(detections[0]!.fields.some((f) => f.field === 'file.hash.sha256'));
    // Sweeps: per-host progress folds into the sweep state; cancelled hosts stay cancelled.
    const sweep = yaraDb.createSweep({ kind: 'paths', paths: ['/tmp'], exclude: [], pids: [], cpuBudget: 0.25, maxFileSize: 1024, oneFileSystem: false }, ['h1', 'h2'], { name: 'unit', digest: v2.digest }, 'test');
    assert.equal(sweep.state, 'queued');
    assert.deepEqual(yaraDb.pendingSweeps('h1').map((s) => s.id), [sweep.id]);
    const report = { files: 10, bytes: 100, skipped: 0, matches: 1, regions: 0, rulesetDigest: v2.digest, error: null };
    assert.equal(yaraDb.recordProgress(sweep.id, 'h1', { ...report, state: 'running' }, []), true);
    assert.equal(yaraDb.getSweep(sweep.id)!.state, 'running');
    assert.deepEqual(yaraDb.pendingSweeps('h1').map((s) => s.id), [sweep.id], 'still listed while running (an agent that restarted runs it again)');
    yaraDb.recordProgress(sweep.id, 'h1', { ...report, state: 'done' }, [{ hostId: 'h1', time: new Date().toISOString(), target: 'file', path: '/tmp/x', pid: null, rule: 'm', namespace: 'default', sha256: 'a'.repeat(64) }]);
    assert.deepEqual(yaraDb.pendingSweeps('h1'), []);
    assert.equal(yaraDb.cancelSweep(sweep.id), 1);
    assert.equal(yaraDb.recordProgress(sweep.id, 'h2', { ...report, state: 'running' }, []), true);
    const final = yaraDb.getSweep(sweep.id)!;
    assert.deepEqual(final.hosts.map((h) => h.state), ['done', 'cancelled']);
    assert.equal(final.state, 'done');
    assert.equal(yaraDb.sweepHits(sweep.id).length, 1);
    assert.equal(yaraDb.recordProgress(sweep.id, 'h3', { ...report, state: 'running' }, []), false, 'unknown host');
  } finally {
    yaraDb.close();
  }
});
