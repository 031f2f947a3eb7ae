// The task service's state machine on real SQLite files and a real signing key, with the agent's side played by the
// protocol functions an agent uses (verifyTask on every envelope): queued → delivered → running → succeeded | failed,
// refusals reported by the agent, expiry, cancellation before and after delivery, lost tasks, approval; each step audited.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VigilError } from '@vigil/common';
import { CANCEL_ACTION, verifyTask, type SignedTask, type TaskBody } from '@vigil/response';
import { ControlPlane } from '../control-plane/sqlite.js';
import { ResponseDb } from './response-db.js';
import { loadOrCreateTaskSigner } from './signing-key.js';
import { createResponseService, type Actor, type ResponseService } from './task-service.js';

const dirs: string[] = [];
let db: ResponseDb;
let controlPlane: ControlPlane;
let service: ResponseService;
const HOST = 'host-under-test';
const OTHER = 'other-host';
const seen = new Set<string>();
const actor = (label: string): Actor => ({ label, can: () => true });
const alice = actor('user:alice');
const bob = actor('user:bob');

before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-task-service-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'pki'));
  db = new ResponseDb(dir);
  controlPlane = new ControlPlane(join(dir, 'control.sqlite'));
  const { token } = controlPlane.createEnrollmentToken({ description: 'unit', createdBy: 'test', ttlSeconds: 600, maxUses: 10 });
  for (const id of [HOST, OTHER]) controlPlane.enrollAgent(token, { id, hostname: id, address: '127.0.0.1', serial: randomUUID().replace(/-/g, ''), notAfter: '2099-01-01T00:00:00.000Z' });
  // The tick is driven by the test (tickMs far beyond the test's length).
  service = createResponseService({ db, signer: loadOrCreateTaskSigner(dir), controlPlane, tickMs: 3_600_000 });
});

after(() => {
  service.close();
  db.close();
  controlPlane.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What the agent HOST receives in one poll that answers at once, each envelope verified as the agent verifies it. */
async function poll(running: string[] = [], agentId = HOST): Promise<TaskBody[]> {
  const reply = await service.poll(agentId, { host_id: agentId, wait_s: 0, running }, new AbortController().signal);
  return reply.tasks.map((envelope) => {
    const verdict = verifyTask(envelope, { publicKey: reply.task_signing_key.public_key_pem, agentId, now: Date.now(), seenNonce: (n) => seen.has(n) });
    assert.ok(verdict.ok, `the agent accepts what the server signed: ${JSON.stringify(verdict)}`);
    seen.add(verdict.task.nonce);
    return verdict.task;
  });
}

function ping(reason = 'unit', extra: { require_approval?: boolean; expires_in_s?: number } = {}, by = alice): string {
  const created = service.createTasks({ action: 'agent.ping', args: { echo: reason }, hosts: [HOST], reason, ...extra }, by);
  assert.equal(created.status, 'created');
  return created.tasks[0]!.id;
}

const state = (id: string) => service.getTask(id)!.state;
const events = (id: string) => db.audit.query({ taskId: id }).map((e) => e.event).reverse();

test('queued → delivered → running → succeeded with its outcome; every step is audited with who, when, why, what and which host', async () => {
  const id = ping('lifecycle');
  const queued = service.getTask(id)!;
  assert.equal(queued.state, 'queued');
  assert.deepEqual(queued.args, { echo: 'lifecycle' });
  assert.equal((queued.envelope as SignedTask).task.agent_id, HOST);

  const [body] = await poll();
  assert.equal(body?.task_id, id);
  assert.equal(state(id), 'delivered');
  assert.deepEqual(await poll(), [], 'a delivered task is not handed out again');

  service.report(HOST, { host_id: HOST, task_id: id, state: 'running' });
  assert.equal(state(id), 'running');
  service.report(HOST, { host_id: HOST, task_id: id, state: 'progress', progress: { message: 'half', fraction: 0.5 } });
  assert.deepEqual(service.getTask(id)!.progress, { message: 'half', fraction: 0.5 });
  service.report(HOST, { host_id: HOST, task_id: id, state: 'succeeded', outcome: { ok: true, summary: 'pong', verified: true, details: { echo: 'lifecycle' } }, duration_ms: 3 });
  const done = service.getTask(id)!;
  assert.equal(done.state, 'succeeded');
  assert.deepEqual(done.outcome, { ok: true, summary: 'pong', verified: true, details: { echo: 'lifecycle' } });
  assert.ok(done.queued_at && done.delivered_at && done.started_at && done.finished_at);

  const create = db.audit.query({ batchId: done.batch_id, event: 'task.create' })[0]!;
  assert.deepEqual([create.actor, create.reason, create.action, create.hosts], ['user:alice', 'lifecycle', 'agent.ping', [HOST]]);
  assert.match(create.time, /^\d{4}-\d{2}-\d{2}T/);
  assert.deepEqual(events(id), ['task.delivered', 'task.running', 'task.result']);
  const result = db.audit.query({ taskId: id, event: 'task.result' })[0]!;
  assert.deepEqual([result.actor, result.outcome, result.detail?.state, result.detail?.verified], [`agent:${HOST}`, 'success', 'succeeded', true]);
});

test('a handler failure fails the task with its error', async () => {
  const id = ping('failure');
  await poll();
  service.report(HOST, { host_id: HOST, task_id: id, state: 'running' });
  service.report(HOST, { host_id: HOST, task_id: id, state: 'failed', error: { code: 'not_effective', message: 'still there' } });
  const failed = service.getTask(id)!;
  assert.equal(failed.state, 'failed');
  assert.deepEqual(failed.error, { code: 'not_effective', message: 'still there' });
});

test('a refusal reported by the agent fails the task as refused:<reason> and is audited; refusals of unknown or foreign tasks are audited too', async () => {
  for (const reason of ['unknown_key', 'bad_signature', 'expired', 'misaddressed', 'replayed', 'unsigned'] as const) {
    const id = ping(`refusal ${reason}`);
    await poll();
    service.report(HOST, { host_id: HOST, task_id: id, state: 'refused', refusal: { reason, message: `refused: ${reason}` } });
    const task = service.getTask(id)!;
    assert.equal(task.state, 'failed', reason);
    assert.deepEqual(task.error, { code: `refused:${reason}`, message: `refused: ${reason}` });
    assert.deepEqual(task.refusal, { reason, message: `refused: ${reason}` });
    const entry = db.audit.query({ taskId: id, event: 'task.refused' })[0]!;
    assert.deepEqual([entry.actor, entry.outcome, entry.detail?.reason, entry.detail?.task_failed], [`agent:${HOST}`, 'refused', reason, true]);
  }
  const unknown = randomUUID();
  assert.throws(() => service.report(HOST, { host_id: HOST, task_id: unknown, state: 'refused', refusal: { reason: 'bad_signature', message: 'forged' } }), (e: unknown) => e instanceof VigilError && e.code === 'not_found');
  assert.equal(db.audit.query({ event: 'task.refused', hostId: HOST }).find((e) => e.detail?.task_id === unknown)?.detail?.known, false);
  const foreign = ping('foreign');
  assert.throws(() => service.report(OTHER, { host_id: OTHER, task_id: foreign, state: 'refused', refusal: { reason: 'misaddressed', message: 'not mine' } }), (e: unknown) => e instanceof VigilError && e.code === 'forbidden');
  assert.equal(state(foreign), 'queued', 'another agent cannot change the task');
  assert.ok(db.audit.query({ event: 'task.refused', hostId: OTHER }).some((e) => e.detail?.task_id === foreign));
  service.report(HOST, { host_id: HOST, state: 'refused', refusal: { reason: 'malformed', message: 'no task id' } });
  assert.ok(db.audit.query({ event: 'task.refused', hostId: HOST }).some((e) => e.detail?.task_id === null && e.detail?.reason === 'malformed'));
  service.cancelTask(foreign, alice);
});

test('a queued task and one awaiting approval expire at their deadline and are never delivered', async () => {
  const queued = ping('expires', { expires_in_s: 1 });
  const waiting = service.enqueue({ action: 'agent.ping', args: {}, hosts: [HOST], reason: 'approval expires', issuedBy: 'user:alice', requestedBy: 'user:alice', needsApproval: true, ttlSeconds: 600, approvalTimeoutSeconds: 1 }).tasks[0]!.id;
  assert.equal(state(waiting), 'awaiting_approval');
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(await poll(), [], 'an expired task is not handed to the agent');
  service.tick();
  assert.equal(state(queued), 'expired');
  assert.equal(state(waiting), 'expired');
  assert.equal(db.audit.query({ taskId: queued, event: 'task.expired' })[0]?.actor, 'system');
  assert.throws(() => service.approveTask(waiting, bob), (e: unknown) => e instanceof VigilError && e.code === 'conflict');
});

test('cancel: a queued task is cancelled at once; a running one through a signed task.cancel the agent verifies', async () => {
  const queued = ping('cancel queued');
  assert.equal(service.cancelTask(queued, bob).state, 'cancelled');
  assert.deepEqual(await poll(), [], 'a cancelled task is never delivered');
  assert.equal(db.audit.query({ taskId: queued, event: 'task.cancel' })[0]?.actor, 'user:bob');

  const running = ping('cancel running');
  await poll();
  service.report(HOST, { host_id: HOST, task_id: running, state: 'running' });
  assert.equal(service.cancelTask(running, bob).cancel_requested_by, 'user:bob');
  const [cancel] = await poll([running]);
  assert.equal(cancel?.action, CANCEL_ACTION);
  assert.deepEqual(cancel?.args, { task_id: running });
  assert.equal(cancel?.issued_by, 'user:bob');
  assert.deepEqual(await poll([running]), [], 'the cancellation is sent once');
  service.report(HOST, { host_id: HOST, task_id: running, state: 'failed', error: { code: 'cancelled', message: 'aborted' } });
  assert.equal(state(running), 'cancelled');
  assert.throws(() => service.cancelTask(running, bob), (e: unknown) => e instanceof VigilError && e.code === 'conflict');
});

test('lost: a running task the agent no longer lists, and a delivered one never confirmed past its expiry; a late result still counts', async () => {
  const running = ping('lost while running');
  await poll();
  service.report(HOST, { host_id: HOST, task_id: running, state: 'running' });
  await poll([running]);
  assert.equal(state(running), 'running', 'listed by the agent: still running');
  // The agent started it 10 s ago and restarted since (it polls without it).
  db.updateTask(running, { started_at: new Date(Date.now() - 10_000).toISOString() });
  await poll([]);
  assert.deepEqual([state(running), service.getTask(running)!.error?.code], ['failed', 'lost']);

  const delivered = ping('lost after delivery');
  await poll();
  db.updateTask(delivered, { expires_at: new Date(Date.now() - 61_000).toISOString() });
  service.tick();
  assert.deepEqual([state(delivered), service.getTask(delivered)!.error?.code], ['failed', 'lost']);
  service.report(HOST, { host_id: HOST, task_id: delivered, state: 'succeeded', outcome: { ok: true, summary: 'late', verified: true } });
  assert.equal(state(delivered), 'succeeded');
  assert.equal(db.audit.query({ taskId: delivered, event: 'task.result' })[0]?.detail?.late, true);
});

test('approval: unsigned until a second person approves; the requester cannot; a rejection cancels it', async () => {
  const id = ping('four eyes', { require_approval: true });
  assert.equal(service.getTask(id)!.envelope, null);
  assert.deepEqual(await poll(), [], 'nothing to deliver before approval');
  assert.throws(() => service.approveTask(id, alice), (e: unknown) => e instanceof VigilError && e.code === 'forbidden' && /second person/.test(e.message));
  assert.equal(service.approveTask(id, bob, 'ok').state, 'queued');
  const [body] = await poll();
  assert.equal(body?.task_id, id);
  assert.equal(db.audit.query({ taskId: id, event: 'task.approve' })[0]?.actor, 'user:bob');

  const rejected = ping('rejected', { require_approval: true });
  assert.equal(service.rejectTask(rejected, bob, 'no').state, 'cancelled');
  assert.deepEqual(await poll(), []);
});

test('redelivery sends the same signed envelope, which an agent that ran it refuses as a replay', async () => {
  const id = ping('redeliver');
  const [first] = await poll();
  service.report(HOST, { host_id: HOST, task_id: id, state: 'running' });
  service.report(HOST, { host_id: HOST, task_id: id, state: 'succeeded', outcome: { ok: true, summary: 'pong', verified: true } });
  service.redeliverTask(id, bob);
  const reply = await service.poll(HOST, { host_id: HOST, wait_s: 0 }, new AbortController().signal);
  assert.equal(reply.tasks.length, 1);
  const verdict = verifyTask(reply.tasks[0], { publicKey: reply.task_signing_key.public_key_pem, agentId: HOST, now: Date.now(), seenNonce: (n) => seen.has(n) });
  assert.deepEqual(verdict.ok ? 'accepted' : verdict.reason, 'replayed');
  assert.equal((reply.tasks[0] as SignedTask).task.nonce, first!.nonce);
  assert.equal(service.getTask(id)!.deliveries, 2);
});

test('the audit chain of everything above verifies', () => {
  const verdict = db.audit.verify();
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
});
