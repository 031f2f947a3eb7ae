// Regression guard for the foundation issue: every refusal of the agent channel and of enrollment, with clear errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createCertificateAuthority, generateKeyPair, issueClientCertificate } from '@vigil/pki';
import { repoRoot } from '@vigil/common';
import { ApiClient, cleanup, request, startServer, type ServerHandle } from './harness.js';
import { batchBody, processEvent } from './events.js';

let server: ServerHandle;
let api: ApiClient;
let agent: { agentId: string; key: string; cert: string };
const eventsUrl = () => `https://127.0.0.1:${server.agentPort}/agent/v1/events`;

before(async () => {
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await api.enrollKeys();
});
after(cleanup);

async function storedCount(): Promise<number> {
  const reply = await api.get('/api/v1/events/counts?group_by=none');
  return reply.body.total as number;
}

test('an enrolled agent with its certificate is accepted', async () => {
  const reply = await request(eventsUrl(), { raw: batchBody(agent.agentId, [processEvent(agent.agentId, 1, 'ok')]), ca: server.caPem, key: agent.key, cert: agent.cert });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.deepEqual(reply.body, { accepted: 1, duplicates: 0, acked_through: 1 });
});

test('no client certificate: the TLS handshake is refused', async () => {
  await assert.rejects(request(eventsUrl(), { raw: '{}', ca: server.caPem }), /certificate|handshake|socket hang up|ECONNRESET|alert/i);
});

test('a certificate from another CA is refused', async () => {
  const otherCa = await createCertificateAuthority({ commonName: 'Attacker CA' });
  const keys = generateKeyPair();
  const foreign = await issueClientCertificate(otherCa, { publicKeyPem: keys.publicKeyPem, commonName: agent.agentId });
  await assert.rejects(
    request(eventsUrl(), { raw: batchBody(agent.agentId, [processEvent(agent.agentId, 2, 'x')]), ca: server.caPem, key: keys.privateKeyPem, cert: foreign.certPem }),
    /certificate|handshake|socket hang up|ECONNRESET|alert/i,
  );
});

test('a revoked agent is refused with 403 and a reason', async () => {
  const victim = await api.enrollKeys();
  const ok = await request(eventsUrl(), { raw: batchBody(victim.agentId, [processEvent(victim.agentId, 1, 'before')]), ca: server.caPem, key: victim.key, cert: victim.cert });
  assert.equal(ok.status, 200);
  const revoke = await api.post(`/api/v1/hosts/${victim.agentId}/revoke`, { reason: 'test' });
  assert.equal(revoke.status, 200, JSON.stringify(revoke.body));
  const refused = await request(eventsUrl(), { raw: batchBody(victim.agentId, [processEvent(victim.agentId, 2, 'after')]), ca: server.caPem, key: victim.key, cert: victim.cert });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error.message, /revoked/);
  const hosts = (await api.get('/api/v1/hosts')).body as { id: string; state: string }[];
  assert.equal(hosts.find((h) => h.id === victim.agentId)?.state, 'revoked');
});

test('a used single-use token and an expired token cannot enroll', async () => {
  const token = await api.enrollmentToken(1);
  await api.enrollKeys(token);
  const keys = generateKeyPair();
  const reused = await request(`${server.apiUrl}/api/v1/enroll`, { body: { token, hostname: 'second', public_key_pem: keys.publicKeyPem }, ca: server.caPem });
  assert.equal(reused.status, 403);
  assert.match(reused.body.error.message, /already used/);

  const created = spawnSync(process.execPath, [join(repoRoot(), 'apps/cli/bin/vigil.js'), 'token', 'create', '--data-dir', server.dataDir, '--expires-in', '1'], { encoding: 'utf8' });
  assert.equal(created.status, 0, created.stderr);
  await new Promise((r) => setTimeout(r, 1500));
  const expired = await request(`${server.apiUrl}/api/v1/enroll`, { body: { token: created.stdout.trim(), hostname: 'late', public_key_pem: keys.publicKeyPem }, ca: server.caPem });
  assert.equal(expired.status, 403);
  assert.match(expired.body.error.message, /expired/);

  const unknown = await request(`${server.apiUrl}/api/v1/enroll`, { body: { token: 'vgl_enr_nope', hostname: 'x', public_key_pem: keys.publicKeyPem }, ca: server.caPem });
  assert.equal(unknown.status, 403);
});

test('bad batches get a 4xx with a clear message and store nothing', async () => {
  const before = await storedCount();
  const post = (raw: string | Buffer) => request(eventsUrl(), { raw, ca: server.caPem, key: agent.key, cert: agent.cert, awaitEarlyRefusal: true });
  const cases: [string, string | Buffer, number, RegExp][] = [
    ['wrong schema', batchBody(agent.agentId, [{ ...processEvent(agent.agentId, 10, 'a'), 'process.pid': 'abc' }]), 400, /process\.pid must be an integer/],
    ['unknown field', batchBody(agent.agentId, [{ ...processEvent(agent.agentId, 10, 'a'), 'process.nonsense': 1 }]), 400, /unknown field "process.nonsense"/],
    ['garbage bytes', Buffer.from([0x00, 0xff, 0x13, 0x37, 0x7b]), 400, /not valid JSON/],
    ['oversize', Buffer.alloc(9 * 1024 * 1024, 0x20), 413, /larger|limit/],
    ['wrong host id in batch', batchBody('someone-else', [processEvent('someone-else', 10, 'a')]), 403, /does not match the agent certificate/],
    ['wrong host id in event', batchBody(agent.agentId, [processEvent(agent.agentId, 10, 'a'), processEvent('someone-else', 11, 'b')]), 400, /host\.id/],
  ];
  for (const [name, body, status, message] of cases) {
    const reply = await post(body);
    assert.equal(reply.status, status, `${name}: ${JSON.stringify(reply.body)}`);
    assert.match(reply.body.error.message, message, name);
  }
  const located = await post(batchBody(agent.agentId, [processEvent(agent.agentId, 10, 'a'), { ...processEvent(agent.agentId, 11, 'b'), 'process.pid': -1.5 }]));
  assert.equal(located.body.error.location.path, 'events[1]["process.pid"]');
  assert.equal(await storedCount(), before, 'nothing from refused batches was stored');
});

test('API routes need credentials and the right role', async () => {
  const anonymous = await request(`${server.apiUrl}/api/v1/hosts`, { ca: server.caPem });
  assert.equal(anonymous.status, 401);
  const viewerToken = await api.post('/api/v1/api-tokens', { name: 'ro', role: 'viewer' });
  const viewer = viewerToken.body.token as string;
  assert.equal((await request(`${server.apiUrl}/api/v1/hosts`, { ca: server.caPem, token: viewer })).status, 200);
  const denied = await request(`${server.apiUrl}/api/v1/enrollment-tokens`, { body: {}, ca: server.caPem, token: viewer });
  assert.equal(denied.status, 403);
  assert.match(denied.body.error.message, /lacks permission/);
  const openapi = await request(`${server.apiUrl}/api/v1/openapi.json`, { ca: server.caPem });
  assert.equal(openapi.body.openapi, '3.0.3');
  assert.ok(openapi.body.paths['/api/v1/hosts/{id}/events']);
});
