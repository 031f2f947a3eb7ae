// Forged task envelopes end to end: a real `vigil server` and a real agent (ping handler only). While the agent is
// offline, an attacker with write access to the server's task table swaps queued envelopes for ones signed by another
// key, altered after signing, unsigned, expired, addressed to another agent, or reusing a nonce the agent has seen.
// The agent must refuse each with its reason and report it; the server fails the task and audits the refusal.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { enroll, startAgent, type RunningAgent } from '@vigil/agent';
import { createPingHandler } from '@vigil/agent/response/handlers/ping';
import { publicKeyId, signTask, type SignedTask, type TaskBody } from '@vigil/response';
import { ApiClient, cleanup, startServer, tempDir, waitFor, type ServerHandle } from './harness.js';

let server: ServerHandle;
let admin: ApiClient;
let agent: RunningAgent | undefined;
let agentId: string;
let stateDir: string;

const start = async () => (agent = await startAgent({ stateDir, sources: [], defense: false, heartbeatSeconds: 1, handlers: [createPingHandler()] }));

async function finalTask(id: string): Promise<any> {
  return waitFor(`task ${id} to finish`, async () => {
    const task = (await admin.get(`/api/v1/response/tasks/${id}`)).body;
    return ['succeeded', 'failed', 'expired', 'cancelled'].includes(task.state) ? task : undefined;
  }, 20_000, 50);
}

async function ping(echo: string): Promise<string> {
  const created = await admin.post('/api/v1/response/tasks', { action: 'agent.ping', args: { echo }, hosts: [agentId], reason: `forgery check: ${echo}` });
  assert.equal(created.status, 201, created.text);
  return created.body.tasks[0].id as string;
}

before(async () => {
  server = await startServer({ VIGIL_API_RATE_BURST: '1000' });
  admin = await new ApiClient(server).login();
  stateDir = tempDir('forgery-agent');
  agentId = (await enroll({ serverUrl: server.apiUrl, token: await admin.enrollmentToken(), caPem: server.caPem, stateDir, hostname: 'forgery' })).agentId;
  await start();
  await waitFor('the agent to pin the task key', () => agent!.tasks().key_id ?? undefined, 15_000);
});

after(async () => {
  await agent?.stop();
  await cleanup();
});

test('forged, altered, unsigned, expired, mis-addressed and replayed envelopes are refused, reported, failed and audited; none runs', async () => {
  const genuine = await finalTask(await ping('genuine'));
  assert.equal(genuine.state, 'succeeded', JSON.stringify(genuine));
  const seenNonce = (genuine.envelope as SignedTask).task.nonce;
  await agent!.stop();
  agent = undefined;

  const serverKey = createPrivateKey(readFileSync(join(server.dataDir, 'pki', 'task-signing.key'), 'utf8'));
  const attackerKey = generateKeyPairSync('ed25519').privateKey;
  const other = await admin.enrollKeys();
  const resign = (task: TaskBody, key: KeyObject, change: Partial<TaskBody> = {}): SignedTask => signTask({ ...task, nonce: randomBytes(18).toString('base64url'), ...change }, key);
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const forgeries: Record<string, (envelope: SignedTask) => unknown> = {
    unknown_key: (e) => resign(e.task, attackerKey),
    bad_signature: (e) => ({ ...e, task: { ...e.task, args: { echo: 'altered after signing' } } }),
    forged_key_id: (e) => ({ ...resign(e.task, attackerKey), key_id: publicKeyId(createPublicKey(serverKey)) }),
    unsigned: (e) => ({ task: e.task }),
    expired: (e) => resign(e.task, serverKey, { issued_at: minutesAgo(20), expires_at: minutesAgo(10) }),
    misaddressed: (e) => resign(e.task, serverKey, { agent_id: other.agentId }),
    replayed: (e) => resign(e.task, serverKey, { nonce: seenNonce }),
  };
  const expectedReason: Record<string, string> = { forged_key_id: 'bad_signature' };

  const ids: Record<string, string> = {};
  for (const name of Object.keys(forgeries)) ids[name] = await ping(name);
  const db = new Database(join(server.dataDir, 'response.sqlite'));
  try {
    for (const [name, forge] of Object.entries(forgeries)) {
      const row = db.prepare('SELECT state, envelope FROM tasks WHERE id = ?').get(ids[name]) as { state: string; envelope: string };
      assert.equal(row.state, 'queued', `${name}: the agent is offline, the task waits`);
      db.prepare('UPDATE tasks SET envelope = ? WHERE id = ?').run(JSON.stringify(forge(JSON.parse(row.envelope) as SignedTask)), ids[name]);
    }
  } finally {
    db.close();
  }

  await start();
  for (const [name, id] of Object.entries(ids)) {
    const reason = expectedReason[name] ?? name;
    const task = await finalTask(id);
    assert.equal(task.state, 'failed', `${name}: ${JSON.stringify(task)}`);
    assert.equal(task.error.code, `refused:${reason}`, name);
    assert.equal(task.refusal.reason, reason, name);
    assert.equal(task.outcome, null, `${name} never ran`);
    const [entry] = (await admin.get(`/api/v1/response/audit?task_id=${id}&event=task.refused`)).body;
    assert.ok(entry, `${name}: the refusal is in the audit log`);
    assert.equal(entry.actor, `agent:${agentId}`);
    assert.equal(entry.outcome, 'refused');
    assert.equal(entry.detail.reason, reason);
    assert.deepEqual(entry.hosts, [agentId]);
  }
  const stats = agent!.tasks();
  assert.equal(stats.refused, Object.keys(forgeries).length, JSON.stringify(stats));
  assert.equal(stats.succeeded, 0, 'no forged task ran');

  // The channel still works for genuine tasks.
  assert.equal((await finalTask(await ping('after the forgeries'))).state, 'succeeded');
  assert.equal((await admin.get('/api/v1/response/audit/verify')).body.ok, true);
});
