// Operating intel: feed fetches follow redirects only within the rules (local HTTP and HTTPS servers), IOC and fleet
// YARA sweeps time out with their reason at their deadlines (clocks given, never waited for), and the Prometheus
// families of intel and YARA carry indicators, stream matches, feed fetches, sweep durations and agents' YARA counters.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createCertificateAuthority, issueServerCertificate } from '@vigil/pki';
import type { DetectEvent } from '@vigil/detect';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import { ControlPlane } from '../control-plane/sqlite.js';
import { formatExposition } from '../http/metrics.js';
import { sweepView } from '../http/intel-routes.js';
import { createFeedRunner, MAX_FEED_REDIRECTS, redirectTarget, type FeedRunner } from './feeds.js';
import { IntelDb } from './intel-db.js';
import { intelFamilies } from './intel-metrics.js';
import type { IntelService } from './intel-service.js';
import { createIocStream } from './ioc-stream.js';
import { createSweeper, type Sweeper } from './sweeper.js';
import { YaraDb } from './yara-db.js';
import { createYaraService } from './yara-service.js';
import { createYaraSweeps } from './yara-sweeps.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-ops-'));
let store: EventStore;
let db: IntelDb;
let sweeper: Sweeper;
let feeds: FeedRunner;
const servers: Server[] = [];

before(async () => {
  store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  db = new IntelDb(join(dir, 'intel.sqlite'));
  sweeper = createSweeper({ db, store });
  feeds = createFeedRunner({ db, sweeper, tickMs: 3_600_000 });
});

after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await feeds.close();
  await sweeper.close();
  db.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const feed = (name: string, url: string, extra: { headers?: Record<string, string>; caPem?: string } = {}) =>
  db.createFeed({ name, url, format: 'auto', intervalSeconds: 3600, enabled: true, confidence: null, includeNonIds: false, headers: extra.headers ?? {}, caPem: extra.caPem ?? null });

test('redirect rules: relative locations resolve; same scheme and http to https pass; https to http and other schemes are refused', () => {
  assert.equal(redirectTarget(new URL('http://a.test/x/list'), '../y', 302).href, 'http://a.test/y');
  assert.equal(redirectTarget(new URL('http://a.test/list'), 'https://b.test/list', 301).href, 'https://b.test/list');
  assert.throws(() => redirectTarget(new URL('https://a.test/list'), 'http://a.test/list', 302), /from https to http .*refused/);
  assert.throws(() => redirectTarget(new URL('http://a.test/list'), 'file:///etc/passwd', 302), /redirected to file:/);
  assert.throws(() => redirectTarget(new URL('http://a.test/list'), undefined, 307), /without a Location header/);
});

test('feeds follow redirects: a chain with a relative hop, credentials kept to the feed origin, an upgrade to https; loops, too many hops and a downgrade fail clearly', async () => {
  const seen: { port: number; path: string; headers: IncomingHttpHeaders }[] = [];
  const other: RequestListener = (request, response) => {
    seen.push({ port: otherPort, path: request.url!, headers: request.headers });
    response.writeHead(200, { 'content-type': 'text/plain' }).end('198.51.100.77\nredirected.feed.example\n');
  };
  const otherPort = await listen(createHttpServer(other));
  const mainPort = await listen(
    createHttpServer((request, response) => {
      seen.push({ port: mainPort, path: request.url!, headers: request.headers });
      const url = request.url!;
      if (url === '/start') return void response.writeHead(301, { location: '/moved/step' }).end();
      if (url === '/moved/step') return void response.writeHead(302, { location: 'final' }).end();
      if (url === '/moved/final') return void response.writeHead(200, { 'content-type': 'text/plain' }).end('198.51.100.70\n');
      if (url === '/elsewhere') return void response.writeHead(307, { location: `http://127.0.0.1:${otherPort}/list` }).end();
      if (url === '/loop') return void response.writeHead(302, { location: '/loop2' }).end();
      if (url === '/loop2') return void response.writeHead(302, { location: '/loop' }).end();
      const hop = /^\/hop(\d+)$/.exec(url);
      if (hop) return void response.writeHead(302, { location: `/hop${Number(hop[1]) + 1}` }).end();
      response.writeHead(404).end();
    }),
  );
  const base = `http://127.0.0.1:${mainPort}`;
  const chain = await feeds.runNow(feed('chain', `${base}/start`, { headers: { authorization: 'feed-secret' } }).id);
  assert.equal(chain.status, 'ok', chain.error);
  assert.deepEqual(seen.map((s) => s.path), ['/start', '/moved/step', '/moved/final']);
  assert.ok(seen.every((s) => s.headers.authorization === 'feed-secret'), 'same origin: the feed headers go along');
  assert.deepEqual(db.listIndicators({ source: 'feed:chain' }).map((i) => i.value), ['198.51.100.70']);

  seen.length = 0;
  const cross = await feeds.runNow(feed('cross', `${base}/elsewhere`, { headers: { authorization: 'feed-secret' } }).id);
  assert.equal(cross.status, 'ok', cross.error);
  assert.deepEqual(seen.map((s) => [s.port, s.path, s.headers.authorization ?? null]), [[mainPort, '/elsewhere', 'feed-secret'], [otherPort, '/list', null]], 'another origin never gets the feed credentials');

  const loop = await feeds.runNow(feed('loop', `${base}/loop`).id);
  assert.equal(loop.status, 'error');
  assert.match(loop.error!, /redirects in a loop/);
  const many = await feeds.runNow(feed('many', `${base}/hop0`).id);
  assert.equal(many.status, 'error');
  assert.match(many.error!, new RegExp(`redirected more than ${MAX_FEED_REDIRECTS} times .*give the final URL`));

  // https: an upgrade from http is followed (with the feed's CA); a downgrade back to http is refused.
  const ca = await createCertificateAuthority({ commonName: 'Vigil feed test CA' });
  const cert = await issueServerCertificate(ca, { commonName: 'feed', dnsNames: [], ipAddresses: ['127.0.0.1'] });
  const httpsPort = await listen(
    createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (request, response) => {
      if (request.url === '/down') return void response.writeHead(302, { location: `${base}/moved/final` }).end();
      response.writeHead(200, { 'content-type': 'text/plain' }).end('198.51.100.90\n');
    }) as unknown as Server,
  );
  const upgradePort = await listen(createHttpServer((_request, response) => void response.writeHead(308, { location: `https://127.0.0.1:${httpsPort}/list` }).end()));
  const upgrade = await feeds.runNow(feed('upgrade', `http://127.0.0.1:${upgradePort}/list`, { caPem: ca.certPem }).id);
  assert.equal(upgrade.status, 'ok', upgrade.error);
  assert.deepEqual(db.listIndicators({ source: 'feed:upgrade' }).map((i) => i.value), ['198.51.100.90']);
  const downgrade = await feeds.runNow(feed('downgrade', `https://127.0.0.1:${httpsPort}/down`, { caPem: ca.certPem }).id);
  assert.equal(downgrade.status, 'error');
  assert.match(downgrade.error!, /from https to http .*refused/);
  assert.equal(db.listIndicators({ source: 'feed:downgrade' }).length, 0);

  const counts = new Map(feeds.counts().map((c) => [db.getFeed(c.feedId)!.name, [c.successes, c.failures]]));
  assert.deepEqual(Object.fromEntries(counts), { chain: [1, 0], cross: [1, 0], loop: [0, 1], many: [0, 1], upgrade: [1, 0], downgrade: [0, 1] });
});

test('IOC sweeps: one past its deadline is timed_out with the reason and never started; others finish', async () => {
  const stored = db.upsertIndicators([{ type: 'ip', value: '192.0.2.200', source: 'deadline', externalId: null, confidence: null, expiresAt: null, description: null }], 'test');
  const late = createSweeper({ db, store, deadlineMs: 0 });
  try {
    const sweep = late.request(stored.map((s) => s.indicator), { kind: 'indicators', ref: null }, 'test');
    await late.idle();
    const record = db.getSweep(sweep.id)!;
    assert.equal(record.state, 'timed_out');
    assert.match(record.error!, /past its deadline \(0 s after it was requested\) and was not started/);
    assert.equal(record.startedAt, null);
  } finally {
    await late.close();
  }
  const onTime = sweeper.request(stored.map((s) => s.indicator), { kind: 'indicators', ref: null }, 'test');
  await sweeper.idle();
  assert.equal(db.getSweep(onTime.id)!.state, 'done');
});

test('fleet YARA sweeps: hosts past the per-host or overall deadline are timed_out with the reason, stop at their next report, and show so in the API view', async () => {
  const yaraDb = new YaraDb(join(dir, 'yara.sqlite'));
  const controlPlane = new ControlPlane(join(dir, 'control.sqlite'));
  const yara = createYaraService({ db: yaraDb });
  const sweeps = createYaraSweeps({ db: yaraDb, yara, controlPlane, tickMs: 3_600_000 });
  try {
    await yara.putRuleSet({ name: 'unit', files: [{ name: 'm.yar', text: 'rule m { strings: $a = "x" condition: $a }' }], activate: true }, 'test');
    const { token } = controlPlane.createEnrollmentToken({ description: 'unit', createdBy: 'test', ttlSeconds: 600, maxUses: 10 });
    for (const id of ['h1', 'h2', 'h3']) controlPlane.enrollAgent(token, { id, hostname: id, address: '127.0.0.1', serial: randomUUID().replace(/-/g, ''), notAfter: '2099-01-01T00:00:00.000Z' });
    const spec = { kind: 'paths' as const, paths: ['/tmp'], exclude: [], pids: [], cpuBudget: 0.25, maxFileSize: 1024, oneFileSystem: false };
    const sweep = sweeps.create({ ...spec, hostTimeoutS: 60, timeoutS: 3600 }, ['h1', 'h2', 'h3'], 'test');
    const created = Date.parse(sweep.createdAt);
    const progress = { files: 3, bytes: 30, skipped: 0, matches: 0, regions: 0, ruleset_digest: null, error: null, hits: [] };
    assert.deepEqual(sweeps.report(sweep.id, 'h1', { ...progress, state: 'running' }), { cancel: false });
    sweeps.report(sweep.id, 'h1', { ...progress, state: 'done' });
    assert.deepEqual(sweeps.report(sweep.id, 'h2', { ...progress, state: 'running' }), { cancel: false });
    assert.equal(sweeps.expire(new Date(created + 30_000)), 0, 'nothing is late yet');
    assert.equal(sweeps.expire(new Date(Date.parse(yaraDb.getSweep(sweep.id)!.hosts[1]!.startedAt!) + 61_000)), 2);
    const late = yaraDb.getSweep(sweep.id)!;
    assert.deepEqual(late.hosts.map((h) => h.state), ['done', 'timed_out', 'timed_out']);
    assert.match(late.hosts[1]!.error!, /did not finish within 60 s of starting/);
    assert.match(late.hosts[2]!.error!, /did not start the sweep within 60 s/);
    assert.equal(late.state, 'done', 'a host finished');
    assert.deepEqual(sweeps.report(sweep.id, 'h2', { ...progress, state: 'done' }), { cancel: true }, 'a timed-out host is told to stop');
    assert.equal(yaraDb.getSweep(sweep.id)!.hosts[1]!.state, 'timed_out', 'and stays timed out');
    assert.deepEqual(sweeps.heartbeat('h3').yara_sweeps, [], 'no longer offered to the late host');
    const view = sweepView(yaraDb.getSweep(sweep.id)!);
    assert.deepEqual([view.host_timeout_s, view.timeout_s, view.deadline_at, view.totals.hosts_timed_out], [60, 3600, new Date(created + 3_600_000).toISOString(), 2]);
    assert.deepEqual(view.hosts.map((h) => [h.host_id, h.state, h.error !== null]), [['h1', 'done', false], ['h2', 'timed_out', true], ['h3', 'timed_out', true]]);

    const overall = sweeps.create({ ...spec, hostTimeoutS: 86400, timeoutS: 600 }, ['h1', 'h2'], 'test');
    sweeps.report(overall.id, 'h1', { ...progress, state: 'running' });
    assert.equal(sweeps.expire(new Date(Date.parse(overall.createdAt) + 599_000)), 0);
    assert.equal(sweeps.expire(new Date(Date.parse(overall.createdAt) + 600_000)), 2);
    const ended = yaraDb.getSweep(overall.id)!;
    assert.equal(ended.state, 'timed_out');
    assert.ok(ended.hosts.every((h) => h.state === 'timed_out' && /sweep's deadline passed \(600 s after it was created\)/.test(h.error!)));
    assert.equal(sweepView(ended).state, 'timed_out');
  } finally {
    sweeps.close();
    controlPlane.close();
    yaraDb.close();
  }
});

test('metrics: indicators and stream matches by type, feed fetches and last success, sweep durations and states, agents\' YARA counters', async () => {
  const yaraDb = new YaraDb(join(dir, 'yara.sqlite'));
  const controlPlane = new ControlPlane(join(dir, 'control.sqlite'));
  const stream = createIocStream({ db });
  const yara = createYaraService({ db: yaraDb });
  const yaraSweeps = createYaraSweeps({ db: yaraDb, yara, controlPlane, tickMs: 3_600_000 });
  try {
    controlPlane.touchAgent('h1', undefined, { sources: { yara: { rules: 1, scans: 40, bytes: 4096, matches: 2, scan_errors: 1 } } });
    controlPlane.touchAgent('h2', undefined, { sources: { yara: { rules: 1, scans: 2, bytes: 100, matches: 0, scan_errors: 0 } } });
    const hit = stream.match([{ '@timestamp': new Date().toISOString(), 'event.id': randomUUID(), 'host.id': 'h1', 'event.category': 'network', 'event.action': 'connect', 'destination.ip': '192.0.2.200' } as DetectEvent]);
    assert.equal(hit.length, 1);
    const intel = { db, sweeper, stream, feeds, yaraDb, yara, yaraSweeps } as Omit<IntelService, 'heartbeat' | 'close'> as IntelService;
    const text = formatExposition(intelFamilies(intel, controlPlane));
    const value = (line: string) => {
      const found = text.split('\n').find((l) => l.startsWith(`${line} `));
      assert.ok(found, `${line} is exported:\n${text}`);
      return Number(found.slice(line.length + 1));
    };
    assert.ok(value('vigil_intel_indicators{type="ip"}') >= 4);
    assert.equal(value('vigil_intel_indicators{type="domain"}'), 1);
    assert.equal(value('vigil_intel_stream_matches_total{type="ip"}'), 1);
    assert.equal(value('vigil_intel_feed_fetches_total{feed="chain",result="success"}'), 1);
    assert.equal(value('vigil_intel_feed_fetches_total{feed="downgrade",result="failure"}'), 1);
    assert.ok(Math.abs(value('vigil_intel_feed_last_success_timestamp_seconds{feed="upgrade"}') - Date.now() / 1000) < 3600);
    assert.equal(value('vigil_intel_feed_last_success_timestamp_seconds{feed="loop"}'), 0);
    assert.ok(value('vigil_intel_sweep_duration_seconds_count{kind="ioc",state="done"}') >= 1);
    assert.equal(value('vigil_intel_sweep_duration_seconds_count{kind="ioc",state="timed_out"}'), 0, 'the sweep that timed out never started: no running time');
    assert.equal(value('vigil_intel_sweep_duration_seconds_count{kind="yara_host",state="done"}'), 1);
    assert.equal(value('vigil_intel_sweep_duration_seconds_count{kind="yara_host",state="timed_out"}'), 2);
    assert.equal(value('vigil_intel_sweep_duration_seconds_bucket{kind="yara_host",state="timed_out",le="+Inf"}'), 2);
    assert.equal(value('vigil_yara_sweep_hosts{state="timed_out"}'), 4);
    assert.equal(value('vigil_yara_agents_reporting'), 2);
    assert.deepEqual([value('vigil_yara_agent_scans'), value('vigil_yara_agent_scanned_bytes'), value('vigil_yara_agent_matches'), value('vigil_yara_agent_scan_errors')], [42, 4196, 2, 1]);
  } finally {
    yaraSweeps.close();
    stream.close();
    controlPlane.close();
    yaraDb.close();
  }
});
