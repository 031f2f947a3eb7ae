// Endpoint response actions end to end: a real `vigil server` process and an in-process agent (no event sources, so
// no audit state is touched; no attribute flags are set) exchanging signed tasks over mutual TLS. live.processes → process.kill pinned by entity
// id, file.quarantine → file.restore exact, file.collect into the evidence store and its download through the API
// (with the permission and upload refusals).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { enroll, startAgent, type RunningAgent } from '@vigil/agent';
import { agentHandlers } from '@vigil/agent/response/handlers/index';
import { createFileHandlers } from '@vigil/agent/response/handlers/file';
import { ApiClient, cleanup, request, startServer, tempDir, waitFor, type ServerHandle } from './harness.js';
import { runTask } from './network-test-support.js';

let server: ServerHandle;
let admin: ApiClient;
let agent: RunningAgent;
let agentId: string;
const EVIDENCE_LIMIT = 1024 * 1024;

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the response actions test acts on root-owned files and processes: run it as root');
  server = await startServer({ VIGIL_API_RATE_BURST: '1000', VIGIL_EVIDENCE_MAX_BYTES: String(EVIDENCE_LIMIT) });
  admin = await new ApiClient(server).login();
  const stateDir = tempDir('agent');
  const identity = await enroll({ serverUrl: server.apiUrl, token: await admin.enrollmentToken(), caPem: server.caPem, stateDir, hostname: 'response-actions' });
  agentId = identity.agentId;
  // The default handlers, except that vault copies are not made immutable: chattr belongs in system tests
  // (apps/agent/src/response/handlers/file.system.test.ts covers it).
  const fileHandlers = createFileHandlers({ vaultImmutable: false });
  const handlers = [...agentHandlers().filter((h) => !fileHandlers.some((f) => f.action === h.action)), ...fileHandlers];
  agent = await startAgent({ stateDir, sources: [], defense: false, heartbeatSeconds: 1, handlers });
  await waitFor('the agent to pin the task key', () => agent.tasks().key_id ?? undefined, 15_000);
});

after(async () => {
  await agent?.stop();
  await cleanup();
});

test('live.processes finds a process; process.kill pinned by its entity id kills it', async () => {
  const sleeper = spawn('sleep', ['31337'], { stdio: 'ignore' });
  try {
    const listed = await runTask(admin, agentId, 'live.processes', { name: 'sleep' });
    assert.equal(listed.state, 'succeeded', JSON.stringify(listed));
    const row = (listed.outcome!.details!.rows as { pid: number; cmdline: string; entity_id: string; start_ticks: number }[]).find((r) => r.pid === sleeper.pid);
    assert.ok(row, 'the sleeper is listed');
    assert.equal(row.cmdline, 'sleep 31337');
    const killed = await runTask(admin, agentId, 'process.kill', { pid: row.pid, entity_id: row.entity_id });
    assert.equal(killed.state, 'succeeded', JSON.stringify(killed));
    assert.equal(killed.outcome!.verified, true);
    await waitFor('the sleeper to die', () => (sleeper.signalCode === 'SIGKILL' ? true : undefined));
    const refused = await runTask(admin, agentId, 'process.kill', { pid: 1 });
    assert.equal(refused.state, 'failed');
    assert.match(JSON.stringify(refused.error), /pid 1 \(init\)/);
  } finally {
    sleeper.kill('SIGKILL');
  }
});

test('file.quarantine then file.restore give back the exact file', async () => {
  const dir = tempDir('quarantine');
  const path = join(dir, 'dropper.elf');
  const content = randomBytes(50_000);
  writeFileSync(path, content);
  chownSync(path, 4321, 1234);
  chmodSync(path, 0o4751);
  const before = lstatSync(path, { bigint: true });
  const quarantined = await runTask(admin, agentId, 'file.quarantine', { path });
  assert.equal(quarantined.state, 'succeeded', JSON.stringify(quarantined));
  assert.equal(existsSync(path), false);
  const details = quarantined.outcome!.details!;
  assert.equal(details.sha256, createHash('sha256').update(content).digest('hex'));
  const restored = await runTask(admin, agentId, 'file.restore', { vault_id: details.vault_id });
  assert.equal(restored.state, 'succeeded', JSON.stringify(restored));
  assert.equal(restored.outcome!.verified, true);
  const after = lstatSync(path, { bigint: true });
  assert.ok(readFileSync(path).equals(content));
  assert.deepEqual([after.mode, after.uid, after.gid, after.mtimeNs], [before.mode, before.uid, before.gid, before.mtimeNs]);
});

test('file.collect stores the file in the evidence store; the API lists it and serves the exact bytes to response:collect only', async () => {
  const dir = tempDir('collect');
  const path = join(dir, 'stolen-data.tar');
  const content = randomBytes(300_000);
  writeFileSync(path, content);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const collected = await runTask(admin, agentId, 'file.collect', { path });
  assert.equal(collected.state, 'succeeded', JSON.stringify(collected));
  const evidenceId = collected.outcome!.details!.evidence_id as string;
  assert.equal(collected.outcome!.details!.sha256, sha256);
  const listed = await admin.get(`/api/v1/evidence?task_id=${collected.id}`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.evidence.map((e: { id: string; sha256: string; size: number; agent_id: string; source_path: string }) => [e.id, e.sha256, e.size, e.agent_id, e.source_path]), [[evidenceId, sha256, content.length, agentId, path]]);
  assert.ok(readFileSync(join(server.dataDir, 'evidence', sha256)).equals(content), 'stored under <dataDir>/evidence/<sha256>');
  const download = await rawGet(`/api/v1/evidence/${evidenceId}/content`, admin.token);
  assert.equal(download.status, 200);
  assert.equal(download.headers['x-vigil-sha256'], sha256);
  assert.match(String(download.headers['content-disposition']), /filename="stolen-data\.tar"/);
  assert.ok(download.body.equals(content), 'downloaded bytes are the file');

  const viewer = await admin.post('/api/v1/users', { username: 'evidence-viewer', password: 'viewer-password-0123', role: 'viewer' });
  assert.equal(viewer.status, 200, JSON.stringify(viewer.body));
  const login = await request(`${server.apiUrl}/api/v1/auth/login`, { body: { username: 'evidence-viewer', password: 'viewer-password-0123' }, ca: server.caPem });
  assert.equal((await rawGet(`/api/v1/evidence/${evidenceId}/content`, login.body.token)).status, 403);
  assert.equal((await request(`${server.apiUrl}/api/v1/evidence`, { token: login.body.token, ca: server.caPem })).status, 403);
  assert.equal((await admin.get('/api/v1/evidence/no-such-evidence')).status, 404);
});

test('file.collect over the limits fails: max_bytes on the agent, VIGIL_EVIDENCE_MAX_BYTES on the server', async () => {
  const dir = tempDir('collect');
  const path = join(dir, 'big.bin');
  writeFileSync(path, randomBytes(EVIDENCE_LIMIT + 1));
  const agentLimit = await runTask(admin, agentId, 'file.collect', { path, max_bytes: 1000 });
  assert.equal(agentLimit.state, 'failed');
  assert.match(JSON.stringify(agentLimit.error), /over the limit of 1000/);
  const serverLimit = await runTask(admin, agentId, 'file.collect', { path, max_bytes: 4 * EVIDENCE_LIMIT });
  assert.equal(serverLimit.state, 'failed');
  assert.match(JSON.stringify(serverLimit.error), /over the server's limit/);
  assert.equal((await admin.get('/api/v1/evidence?limit=1000')).body.evidence.filter((e: { size: number }) => e.size > EVIDENCE_LIMIT).length, 0);
});

test('the upload route refuses a task of another agent, no task, a malformed hash and a client without a certificate', async () => {
  const other = await admin.enrollKeys();
  const content = Buffer.from('forged evidence');
  const sha = createHash('sha256').update(content).digest('hex');
  const path = encodeURIComponent('/tmp/forged');
  const taskOfFirstAgent = (await admin.get('/api/v1/evidence?limit=1')).body.evidence[0]?.task_id as string | undefined;
  assert.ok(taskOfFirstAgent, 'an earlier test collected evidence');
  const send = (headers: Record<string, string>) => upload(content, headers, other);
  const notItsTask = await send({ 'x-vigil-sha256': sha, 'x-vigil-task-id': taskOfFirstAgent, 'x-vigil-source-path': path });
  assert.equal(notItsTask.status, 403, notItsTask.text);
  const noTask = await send({ 'x-vigil-sha256': sha, 'x-vigil-source-path': path });
  assert.equal(noTask.status, 403, noTask.text);
  const badHash = await send({ 'x-vigil-sha256': 'zz', 'x-vigil-task-id': taskOfFirstAgent, 'x-vigil-source-path': path });
  assert.equal(badHash.status, 400, badHash.text);
  const noCertificate = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/evidence`, { raw: content, contentType: 'application/octet-stream', ca: server.caPem }).then(
    (reply) => reply.status,
    () => 'refused in the TLS handshake',
  );
  assert.notEqual(noCertificate, 200);
  assert.equal((await admin.get('/api/v1/evidence?limit=1000')).body.evidence.filter((e: { source_path: string }) => e.source_path === '/tmp/forged').length, 0);
});

/** POST /agent/v1/evidence with the given headers as the agent `as` (the harness request sets no custom headers). */
function upload(content: Buffer, headers: Record<string, string>, as: { key: string; cert: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: server.agentPort, path: '/agent/v1/evidence', method: 'POST', ca: server.caPem, key: as.key, cert: as.cert, agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': content.length, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(content);
  });
}

/** GET returning the raw bytes (the harness request decodes text). */
function rawGet(path: string, token: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${server.apiUrl}${path}`, { ca: server.caPem, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
