// End-to-end inbound API on real server processes: an integration token pushes indicators (a sha256 two hosts ran,
// an IP one host connected to) and an alert with an observable; the IOC sweeps find the hosts and events; pushes are
// idempotent; /metrics parses and follows ingest; a token over its rate limit gets 429 with Retry-After.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, ApiClient, cleanup, request, startServer, waitFor, type ServerHandle } from './harness.js';
import { batchBody } from './events.js';

let server: ServerHandle;
let admin: ApiClient;
let integrationToken: string;
let hostA: { agentId: string; key: string; cert: string };
let hostB: { agentId: string; key: string; cert: string };
const sequences = new Map<string, number>();
const dropperSha256 = randomUUID().replace(/-/g, '').repeat(2);
const c2Address = '203.0.113.77';
const eventIds: Record<string, string> = {};

/** An HTTPS call that also returns the answer's headers (the harness' request does not). */
const call = request;

function event(host: string, seconds: number, fields: Record<string, unknown>, name?: string): Record<string, unknown> {
  const sequence = (sequences.get(host) ?? 0) + 1;
  sequences.set(host, sequence);
  const id = randomUUID();
  if (name) eventIds[name] = id;
  return { '@timestamp': new Date(Date.now() - 3_600_000 + seconds * 1000).toISOString(), 'event.id': id, 'event.sequence': sequence, 'host.id': host, ...fields };
}

const processStart = (executable: string, sha256: string) => ({
  'event.category': 'process',
  'event.action': 'start',
  'process.pid': 3100,
  'process.parent.pid': 1,
  'process.executable': executable,
  'process.name': executable.split('/').pop(),
  'process.command_line': executable,
  'process.hash.sha256': sha256,
});

async function postBatch(agent: { agentId: string; key: string; cert: string }, events: Record<string, unknown>[]): Promise<void> {
  const reply = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(agent.agentId, events), ca: server.caPem, key: agent.key, cert: agent.cert });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.accepted, events.length);
}

const api = (path: string, options: { method?: string; token?: string; body?: unknown } = {}) => call(`${server.apiUrl}${path}`, { ...options, ca: server.caPem });

async function finishedSweep(id: string, token = integrationToken): Promise<any> {
  return waitFor(`sweep ${id} to finish`, async () => {
    const reply = await api(`/api/v1/sweeps/${id}`, { token });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.notEqual(reply.body.state, 'failed', reply.body.error);
    return reply.body.state === 'done' ? reply.body : undefined;
  }, 20_000);
}

/** Sample values of a Prometheus text answer by metric name and sorted label text. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3] === '+Inf' ? Infinity : match[3]));
  }
  return samples;
}

before(async () => {
  server = await startServer();
  admin = await new ApiClient(server).login();
  const token = await admin.post('/api/v1/api-tokens', { name: 'threat-feed', role: 'integration' });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  integrationToken = token.body.token;
  hostA = await admin.enrollKeys();
  hostB = await admin.enrollKeys();
  await postBatch(hostA, [
    event(hostA.agentId, 20, processStart('/tmp/.cache/updater', dropperSha256), 'aProcess'),
    event(hostA.agentId, 25, { 'event.category': 'network', 'event.action': 'connect', 'process.pid': 3100, 'source.ip': '10.1.0.5', 'source.port': 40000, 'destination.ip': c2Address, 'destination.port': 443, 'network.transport': 'tcp' }, 'aConnect'),
    event(hostA.agentId, 30, processStart('/usr/bin/ls', 'e'.repeat(64))),
  ]);
  await postBatch(hostB, [event(hostB.agentId, 10, processStart('/var/tmp/updater', dropperSha256), 'bProcess')]);
});
after(cleanup);

test('an integration token may push and read alerts and metrics, nothing else', async () => {
  assert.equal((await api('/api/v1/hosts', { token: integrationToken })).status, 403);
  assert.equal((await api('/api/v1/alerts', { token: integrationToken })).status, 200);
  assert.equal((await api('/metrics', { token: integrationToken })).status, 200);
  assert.equal((await api('/api/v1/inbound/indicators', { body: { source: 'x', indicators: [{ type: 'ip', value: '192.0.2.1' }] } })).status, 401);
  const viewer = await admin.post('/api/v1/api-tokens', { name: 'viewer-token', role: 'viewer' });
  assert.equal((await api('/api/v1/inbound/alerts', { token: viewer.body.token, body: { source: 'x', external_id: '1', title: 't' } })).status, 403);
});

test('pushed indicators start a sweep whose results list the hosts, first seen, counts, first host and event', async () => {
  const push = await api('/api/v1/inbound/indicators', {
    token: integrationToken,
    body: {
      source: 'misp',
      indicators: [
        { type: 'sha256', value: dropperSha256.toUpperCase(), external_id: 'attr-1', confidence: 90 },
        { type: 'ip', value: c2Address, external_id: 'attr-2' },
        { type: 'domain', value: 'never-seen.example' },
      ],
    },
  });
  assert.equal(push.status, 202, JSON.stringify(push.body));
  assert.equal(push.body.created, 3);
  assert.equal(push.headers['x-ratelimit-limit'], '600');
  const sweep = await finishedSweep(push.body.sweep_id);
  assert.equal(sweep.trigger.kind, 'indicators');
  assert.equal(sweep.indicator_count, 3);
  assert.equal(sweep.matched_count, 2);
  const byType = Object.fromEntries(sweep.indicators.map((r: any) => [r.type, r]));
  assert.deepEqual(byType.sha256.hosts, [hostA.agentId, hostB.agentId].sort());
  assert.equal(byType.sha256.count, 2);
  assert.equal(byType.sha256.first_host_id, hostB.agentId, 'host B ran it first');
  assert.equal(byType.sha256.first_event_id, eventIds.bProcess);
  assert.ok(Date.parse(byType.sha256.first_seen) < Date.parse(byType.sha256.last_seen));
  assert.deepEqual(byType.ip.hosts, [hostA.agentId]);
  assert.equal(byType.ip.first_event_id, eventIds.aConnect);
  assert.equal(byType.domain.count, 0);
  assert.deepEqual(byType.domain.hosts, []);

  const again = await api('/api/v1/inbound/indicators', {
    token: integrationToken,
    body: { source: 'misp', indicators: [{ type: 'sha256', value: dropperSha256, external_id: 'attr-1', confidence: 95 }, { type: 'ip', value: c2Address, external_id: 'attr-2' }, { type: 'domain', value: 'never-seen.example' }] },
  });
  assert.equal(again.status, 202, JSON.stringify(again.body));
  assert.deepEqual([again.body.created, again.body.updated], [0, 3]);
  assert.deepEqual(again.body.indicators.map((i: any) => i.id), push.body.indicators.map((i: any) => i.id));
  assert.equal(again.body.indicators[0].confidence, 95);
  const listed = await api('/api/v1/indicators?source=misp', { token: integrationToken });
  assert.equal(listed.body.length, 3);
  const sweeps = await api('/api/v1/sweeps', { token: integrationToken });
  assert.ok(sweeps.body.some((s: any) => s.id === push.body.sweep_id));
  await finishedSweep(again.body.sweep_id);
});

test('a bad indicator is refused with its position and nothing of the push is stored', async () => {
  const reply = await api('/api/v1/inbound/indicators', { token: integrationToken, body: { source: 'bad-feed', indicators: [{ type: 'ip', value: '192.0.2.9' }, { type: 'md5', value: 'not-a-hash' }] } });
  assert.equal(reply.status, 400);
  assert.equal(reply.body.error.code, 'invalid_input');
  assert.equal(reply.body.error.location.path, 'indicators[1].value');
  assert.equal((await api('/api/v1/indicators?source=bad-feed', { token: integrationToken })).body.length, 0);
});

test('an inbound alert with an observable is listed as an external alert, triggers a sweep, and is idempotent', async () => {
  const alert = {
    source: 'soar',
    external_id: 'case-4711',
    title: 'Dropper downloaded per proxy logs',
    severity: 'high',
    description: 'The proxy saw the dropper being downloaded.',
    host: hostA.agentId,
    observables: [{ type: 'sha256', value: dropperSha256 }],
  };
  const first = await api('/api/v1/inbound/alerts', { token: integrationToken, body: alert });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  assert.equal(first.body.created, true);
  assert.equal(first.body.alert.kind, 'external');
  assert.equal(first.body.alert.hostId, hostA.agentId);
  assert.ok(first.body.sweep_id);
  const listed = await api(`/api/v1/alerts?host_id=${hostA.agentId}`, { token: integrationToken });
  const found = listed.body.find((a: any) => a.id === first.body.id);
  assert.ok(found, JSON.stringify(listed.body));
  assert.equal(found.kind, 'external');
  assert.equal(found.ruleId, 'external:soar');
  assert.equal(found.level, 'high');
  assert.ok(found.fields.some((f: any) => f.field === 'observable.sha256' && f.value === dropperSha256));
  const sweep = await finishedSweep(first.body.sweep_id);
  assert.deepEqual(sweep.trigger, { kind: 'alert', ref: first.body.id });
  assert.deepEqual(sweep.indicators[0].hosts, [hostA.agentId, hostB.agentId].sort());

  const second = await api('/api/v1/inbound/alerts', { token: integrationToken, body: alert });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.deepEqual([second.body.id, second.body.created, second.body.sweep_id], [first.body.id, false, first.body.sweep_id]);
  const all = await api('/api/v1/alerts?limit=1000', { token: integrationToken });
  assert.equal(all.body.filter((a: any) => a.ruleId === 'external:soar').length, 1);
});

test('/metrics is Prometheus text that follows ingest and carries the documented families', async () => {
  const before = await api('/metrics', { token: integrationToken });
  assert.equal(before.status, 200);
  assert.match(String(before.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const start = parseMetrics(before.text);
  await postBatch(hostB, [event(hostB.agentId, 50, processStart('/usr/bin/true', 'f'.repeat(64))), event(hostB.agentId, 51, processStart('/usr/bin/true', 'f'.repeat(64)))]);
  const afterText = (await api('/metrics', { token: integrationToken })).text;
  const end = parseMetrics(afterText);
  assert.equal(end.get('vigil_ingest_events_accepted_total')! - start.get('vigil_ingest_events_accepted_total')!, 2);
  assert.equal(end.get('vigil_ingest_batches_total')! - start.get('vigil_ingest_batches_total')!, 1);
  assert.equal(end.get('vigil_agents_total'), 2);
  assert.ok(end.has('vigil_detection_alert_latency_ms_bucket{le="+Inf"}'));
  assert.ok(end.has('vigil_store_queue_depth{store="duckdb",queue="events_journaled_not_loaded"}'));
  assert.ok(end.get('process_resident_memory_bytes')! > 0);
  assert.ok(end.get('vigil_rules_active')! > 0);
  assert.ok(end.get('vigil_http_requests_total{method="POST",route="/api/v1/inbound/alerts",status="201"}')! >= 1);
  assert.match(afterText, /^# TYPE vigil_exporter_failures_total counter$/m);
  assert.match(afterText, /^# TYPE vigil_ingest_events_per_second gauge$/m);
  const viewerSession = await admin.post('/api/v1/users', { username: 'metrics-viewer', password: 'viewer-password-123', role: 'viewer' });
  assert.equal(viewerSession.status, 200);
  const login = await api('/api/v1/auth/login', { body: { username: 'metrics-viewer', password: 'viewer-password-123' } });
  assert.equal((await api('/metrics', { token: login.body.token })).status, 403, 'metrics:read is for admins and API tokens');
});

test('a token over its rate limit gets 429 with Retry-After; logins are limited per address', async () => {
  const limited = await startServer({ VIGIL_API_RATE_PER_MIN: '3', VIGIL_LOGIN_RATE_PER_MIN: '2' });
  const url = (path: string) => `${limited.apiUrl}${path}`;
  const login = await call(url('/api/v1/auth/login'), { ca: limited.caPem, body: { username: 'admin', password: ADMIN_PASSWORD } });
  assert.equal(login.status, 200);
  const token = login.body.token as string;
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await call(url('/api/v1/auth/me'), { ca: limited.caPem, token }));
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 429]);
  assert.deepEqual(answers.slice(0, 3).map((a) => a.headers['x-ratelimit-remaining']), ['2', '1', '0']);
  const refused = answers[3]!;
  assert.equal(refused.headers['x-ratelimit-limit'], '3');
  assert.ok(Number(refused.headers['retry-after']) >= 1, JSON.stringify(refused.headers));
  assert.equal(refused.body.error.code, 'rate_limited');
  assert.match(refused.body.error.message, /retry in \d+ s/);
  assert.ok(refused.body.error.details.length >= 1);
  const wrong = await call(url('/api/v1/auth/login'), { ca: limited.caPem, body: { username: 'admin', password: 'wrong-password-0000' } });
  assert.equal(wrong.status, 401);
  const blocked = await call(url('/api/v1/auth/login'), { ca: limited.caPem, body: { username: 'admin', password: ADMIN_PASSWORD } });
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers['retry-after']) >= 1);
  await limited.stop();
});
