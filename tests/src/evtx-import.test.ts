// End-to-end `vigil evtx import` on a real server: events of two corpus .evtx files land under host ids derived from
// their computer names, are searchable with hunts, and raise alerts from an uploaded SigmaHQ rule pack; a bad batch is
// refused whole, and a role without events:import is refused.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { corpusPath, repoRoot } from '@vigil/common';
import { ApiClient, cleanup, request, startServer, type ServerHandle } from './harness.js';

let server: ServerHandle;
let admin: ApiClient;
let importToken: string;
let viewerToken: string;

const samples = () => [corpusPath('evtx', 'hayabusa-sample-evtx', 'DeepBlueCLI', 'new-user-security.evtx'), corpusPath('evtx', 'hayabusa-sample-evtx', 'DeepBlueCLI', 'metasploit-psexec-native-target-system.evtx')];

/** SigmaHQ rules that fire on the samples (read from the corpus, uploaded as a pack). */
const ruleFiles = [
  'rules/windows/builtin/security/win_security_user_creation.yml',
  'rules/windows/builtin/system/service_control_manager/win_system_meterpreter_or_cobaltstrike_getsystem_service_installation.yml',
  'rules/windows/builtin/system/microsoft_windows_eventlog/win_system_susp_eventlog_cleared.yml',
];

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot(), 'apps/cli/bin/vigil.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function hunt(query: string): Promise<Record<string, unknown>[]> {
  const reply = await admin.post('/api/v1/hunt', { query, limit: 1000 });
  assert.equal(reply.status, 200, reply.text);
  return reply.body.rows;
}

before(async () => {
  server = await startServer();
  admin = await new ApiClient(server).login();
  for (const [role, set] of [
    ['analyst', (t: string) => (importToken = t)],
    ['viewer', (t: string) => (viewerToken = t)],
  ] as const) {
    const reply = await admin.post('/api/v1/api-tokens', { name: `evtx-${role}`, role });
    assert.equal(reply.status, 200, reply.text);
    set(reply.body.token);
  }
  const pack = await request(`${server.apiUrl}/api/v1/rule-packs/sigma-windows-sample`, {
    method: 'PUT',
    body: { version: '1', files: ruleFiles.map((file) => ({ file, text: readFileSync(corpusPath('sigma', file), 'utf8') })) },
    token: admin.token,
    ca: server.caPem,
  });
  assert.equal(pack.status, 200, pack.text);
  assert.equal(pack.body.rules_loaded, ruleFiles.length, pack.text);
});
after(cleanup);

test('vigil evtx import stores the events under imported-<computer>, hunts find them, and the rules raise alerts', async () => {
  const caFile = join(server.dataDir, 'pki', 'ca.crt');
  const run = await cli(['evtx', 'import', ...samples(), '--server', server.apiUrl, '--token', importToken, '--ca-file', caFile, '--json', '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { files: number; records: number; events: number; accepted: number; alerts: number; hosts: string[] };
  assert.equal(result.files, 2);
  assert.equal(result.events, result.records, 'every record maps to an event');
  assert.ok(result.events >= 10, `${result.events} events`);
  assert.equal(result.accepted, result.events);
  assert.deepEqual(result.hosts, ['imported-ie10win7', 'imported-ie8win7']);
  assert.ok(result.alerts >= 3, `${result.alerts} alerts`);

  const created = await hunt('iam where event.action == "user_created"');
  assert.equal(created.length, 1);
  assert.equal(created[0]!['host.id'], 'imported-ie8win7');
  assert.equal(created[0]!['host.name'], 'IE8Win7');
  assert.deepEqual(created[0]!['tags'], ['imported', 'imported:evtx']);
  const services = await hunt('service where event.action == "created" and host.id == "imported-ie10win7"');
  assert.ok(services.length >= 1, JSON.stringify(services));
  const all = await hunt('host.id in ("imported-ie10win7", "imported-ie8win7") | stats count() as n');
  assert.equal(all[0]!['n'], result.events);

  const alerts = await admin.get('/api/v1/alerts?limit=100');
  assert.equal(alerts.status, 200, alerts.text);
  const fired = new Set((alerts.body as { ruleId: string; hostId: string }[]).map((alert) => `${alert.ruleId} ${alert.hostId}`));
  assert.ok(fired.has('66b6be3d-55d0-4f47-9855-d69df21740ea imported-ie8win7'), [...fired].join('\n'));
  assert.ok(fired.has('843544a7-56e0-4dcc-a44f-5cc266dd97d6 imported-ie10win7'), [...fired].join('\n'));
  assert.ok(fired.has('100ef69e-3327-481c-8e5c-6d80d9507556 imported-ie10win7'), [...fired].join('\n'));

  // A second import of the same files stores nothing: every record is counted as already imported.
  const again = await cli(['evtx', 'import', ...samples(), '--server', server.apiUrl, '--token', importToken, '--ca-file', caFile, '--json', '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  const second = JSON.parse(again.stdout) as { events: number; accepted: number; duplicates: number };
  assert.equal(second.events, result.events);
  assert.equal(second.accepted, 0, 'nothing stored twice');
  assert.equal(second.duplicates, result.events);
  const users = await hunt('iam where event.action == "user_created"');
  assert.equal(users.length, 1);
  const afterAgain = await hunt('host.id in ("imported-ie10win7", "imported-ie8win7") | stats count() as n');
  assert.equal(afterAgain[0]!['n'], result.events);
});

test('a batch with one invalid event is refused whole with its location; events need host.name; viewers may not import', async () => {
  const good = { '@timestamp': '2026-11-03T09:14:22.529Z', 'event.category': 'process', 'event.action': 'start', 'host.name': 'WKS-REFUSED', 'process.pid': 1 };
  const bad = { ...good, 'process.pid': 'not a number' };
  const refused = await request(`${server.apiUrl}/api/v1/events/import`, { body: { source: 'evtx', events: [good, bad] }, token: importToken, ca: server.caPem });
  assert.equal(refused.status, 400, refused.text);
  assert.match(JSON.stringify(refused.body.error), /events\[1\]/);
  const nameless = await request(`${server.apiUrl}/api/v1/events/import`, { body: { source: 'evtx', events: [{ ...good, 'host.name': undefined }] }, token: importToken, ca: server.caPem });
  assert.equal(nameless.status, 400, nameless.text);
  assert.equal(nameless.body.error.location.path, 'events[0]["host.name"]');
  assert.equal((await hunt('host.id == "imported-wks-refused"')).length, 0, 'nothing of a refused batch is stored');
  const viewer = await request(`${server.apiUrl}/api/v1/events/import`, { body: { source: 'evtx', events: [good] }, token: viewerToken, ca: server.caPem });
  assert.equal(viewer.status, 403, viewer.text);
  const accepted = await request(`${server.apiUrl}/api/v1/events/import`, { body: { source: 'evtx', file: 'hand.json', events: [good] }, token: importToken, ca: server.caPem });
  assert.equal(accepted.status, 200, accepted.text);
  assert.deepEqual(accepted.body, { accepted: 1, duplicates: 0, alerts: 0, hosts: [{ computer: 'WKS-REFUSED', host_id: 'imported-wks-refused', accepted: 1, duplicates: 0 }] });
  // Without a record identity (winlog.channel and winlog.record_id) an event cannot be recognised: sent again, it is stored again.
  const resent = await request(`${server.apiUrl}/api/v1/events/import`, { body: { source: 'evtx', events: [good] }, token: importToken, ca: server.caPem });
  assert.equal(resent.body.accepted, 1, resent.text);
  assert.equal((await hunt('host.id == "imported-wks-refused"')).length, 2);
});

test('records are recognised by channel, record number and time: repeats in one request and across requests are stored once, a new record number is stored', async () => {
  const record = (id: number, time = '2026-11-03T09:14:22.529Z') => ({ '@timestamp': time, 'event.category': 'process', 'event.action': 'start', 'host.name': 'WKS-DEDUP', 'process.pid': id, 'winlog.channel': 'Security', 'winlog.record_id': id, 'winlog.event_id': 4688 });
  const first = await request(`${server.apiUrl}/api/v1/events/import`, { body: { source: 'evtx', events: [record(1), record(2), record(1)] }, token: importToken, ca: server.caPem });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.accepted, 2, first.text);
  assert.equal(first.body.duplicates, 1, 'the repeat inside the request');
  // Record 1 again, record 2 after a log clear (same number, another time), and a new record 3.
  const second = await request(`${server.apiUrl}/api/v1/events/import`, { body: { source: 'evtx', events: [record(1), record(2, '2026-11-04T00:00:00.000Z'), record(3)] }, token: importToken, ca: server.caPem });
  assert.equal(second.status, 200, second.text);
  assert.deepEqual([second.body.accepted, second.body.duplicates], [2, 1], second.text);
  const stored = await hunt('host.id == "imported-wks-dedup"');
  assert.equal(stored.length, 4);
  assert.equal(new Set(stored.map((event) => event['event.id'])).size, 4, 'distinct event ids');
  assert.deepEqual(stored.map((event) => Number(event['event.sequence'])).sort((a, b) => a - b), [0, 1, 2, 3], 'sequence numbers continue without gaps');
});
