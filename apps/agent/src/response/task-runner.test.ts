// The task runner against a small mutual-TLS server written here (it only queues envelopes and records reports): every
// refusal reason reaches the server, a task runs once, timeouts and cancellations abort the handler, nonces survive a
// restart, restore runs at start, and the pinned key follows a signed rotation.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCertificateAuthority, generateKeyPair, issueClientCertificate, issueServerCertificate } from '@vigil/pki';
import { createActionRegistry, publicKeyId, signKeyRotation, signTask, type ActionSpec, type SignedKeyRotation, type TaskBody, type TaskReport } from '@vigil/response';
import { specs as agentSpecs } from '@vigil/response/actions/agent';
import type { ActionHandler } from './handler.js';
import { createPingHandler } from './handlers/ping.js';
import { createTaskRunner, type TaskRunner } from './task-runner.js';

const AGENT = 'agent-under-test';
const sleepSpec = (name: string, timeoutSeconds: number): ActionSpec => ({
  name,
  title: name,
  description: 'test action that waits for its abort signal',
  permission: 'response:collect',
  verification: 'none: it only waits',
  args: { type: 'object', additionalProperties: false, properties: {} },
  destructive: false,
  platforms: [process.platform],
  timeoutSeconds,
});
const registry = createActionRegistry([...agentSpecs, sleepSpec('test.hang', 1), sleepSpec('test.slow', 60), sleepSpec('test.unhandled', 5)]);

let restored = 0;
const hang = (action: string): ActionHandler => ({
  action,
  run: (_args, context) =>
    new Promise((_, reject) => {
      context.progress({ message: 'waiting', fraction: 0.5 });
      context.signal.addEventListener('abort', () => reject(context.signal.reason as Error));
    }),
  async restore() {
    restored++;
  },
});

let server: https.Server;
let port = 0;
let credentials: { keyPem: string; certPem: string; caPem: string };
let signing: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ed25519');
let rotations: SignedKeyRotation[] = [];
const queue: unknown[] = [];
const reports: TaskReport[] = [];
let wakePoll: (() => void) | undefined;
const dirs: string[] = [];

function offer() {
  return { key_id: publicKeyId(signing.publicKey), public_key_pem: signing.publicKey.export({ type: 'spki', format: 'pem' }).toString(), rotations };
}

function push(...envelopes: unknown[]): void {
  queue.push(...envelopes);
  wakePoll?.();
}

function task(extra: Partial<TaskBody> = {}, key: KeyObject = signing.privateKey) {
  const now = Date.now();
  return signTask(
    {
      task_id: randomUUID(),
      agent_id: AGENT,
      action: 'agent.ping',
      args: {},
      issued_at: new Date(now).toISOString(),
      expires_at: new Date(now + 600_000).toISOString(),
      nonce: randomBytes(18).toString('base64url'),
      issued_by: 'user:test',
      reason: 'unit test',
      ...extra,
    },
    key,
  );
}

async function reportFor(taskId: string, state: TaskReport['state']): Promise<TaskReport> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found = reports.find((r) => r.task_id === taskId && r.state === state);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${state} report for ${taskId}; got ${JSON.stringify(reports.filter((r) => r.task_id === taskId))}`);
}

async function refusal(envelope: ReturnType<typeof task>): Promise<string> {
  push(envelope);
  return (await reportFor(envelope.task.task_id, 'refused')).refusal!.reason;
}

function newRunner(stateDir: string): TaskRunner {
  return createTaskRunner({
    agentId: AGENT,
    stateDir,
    endpoint: `127.0.0.1:${port}`,
    credentials,
    handlers: [createPingHandler(), hang('test.hang'), hang('test.slow')],
    registry,
    pollWaitSeconds: 1,
  });
}

before(async () => {
  const ca = await createCertificateAuthority({ commonName: 'runner test CA' });
  const serverCert = await issueServerCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const agentKeys = generateKeyPair();
  const agentCert = await issueClientCertificate(ca, { publicKeyPem: agentKeys.publicKeyPem, commonName: AGENT });
  credentials = { keyPem: agentKeys.privateKeyPem, certPem: agentCert.certPem, caPem: ca.certPem };
  server = https.createServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      const answer = (value: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/agent/v1/tasks/result') {
        reports.push(body as unknown as TaskReport);
        return answer({ ok: true });
      }
      const reply = () => answer({ tasks: queue.splice(0), task_signing_key: offer(), server_time: new Date().toISOString() });
      if (queue.length) return reply();
      const timer = setTimeout(() => ((wakePoll = undefined), reply()), 1000);
      wakePoll = () => {
        clearTimeout(timer);
        wakePoll = undefined;
        reply();
      };
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('the runner pins the key from a poll, runs verified tasks once and reports every refusal with its reason', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-runner-'));
  dirs.push(stateDir);
  let runner = newRunner(stateDir);
  await runner.start();
  assert.equal(restored, 2, 'restore ran at start for each handler that has one');
  try {
    // Pinned from the first poll reply (trust on first use over mutual TLS).
    const ping = task({ args: { echo: 'hello' } });
    push(ping);
    const done = await reportFor(ping.task.task_id, 'succeeded');
    assert.equal(done.outcome?.details?.echo, 'hello');
    await reportFor(ping.task.task_id, 'running');
    assert.equal(runner.stats().key_id, publicKeyId(signing.publicKey));

    const other = generateKeyPairSync('ed25519');
    assert.equal(await refusal(task({}, other.privateKey)), 'unknown_key');
    assert.equal(await refusal({ ...task({}, other.privateKey), key_id: publicKeyId(signing.publicKey) }), 'bad_signature');
    const altered = task({ args: { echo: 'a' } });
    assert.equal(await refusal({ ...altered, task: { ...altered.task, args: { echo: 'b' } } }), 'bad_signature');
    assert.equal(await refusal(task({ agent_id: 'someone-else' })), 'misaddressed');
    assert.equal(await refusal(task({ issued_at: new Date(Date.now() - 700_000).toISOString(), expires_at: new Date(Date.now() - 1000).toISOString() })), 'expired');
    assert.equal(await refusal(task({ issued_at: new Date(Date.now() + 600_000).toISOString(), expires_at: new Date(Date.now() + 900_000).toISOString() })), 'not_yet_valid');
    assert.equal(await refusal(task({ action: 'agent.explode' })), 'unknown_action');
    assert.equal(await refusal(task({ args: { echo: 5 } })), 'invalid_args');
    assert.equal(await refusal(task({ action: 'test.unhandled' })), 'unsupported');
    assert.equal(await refusal(ping), 'replayed');
    // An envelope without a readable task id is still reported.
    push({ task: { nonsense: true }, key_id: 'x', signature: 'y' });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(reports.some((r) => r.state === 'refused' && r.task_id === undefined && r.refusal?.reason === 'malformed'));
    assert.equal(runner.stats().succeeded, 1, 'only the valid task ran');

    // Timeout aborts the handler; a signed cancellation aborts a running task.
    const hangs = task({ action: 'test.hang' });
    push(hangs);
    assert.equal((await reportFor(hangs.task.task_id, 'failed')).error?.code, 'timeout');
    assert.equal((await reportFor(hangs.task.task_id, 'progress')).progress?.fraction, 0.5);
    const slow = task({ action: 'test.slow' });
    push(slow);
    await reportFor(slow.task.task_id, 'running');
    push(task({ action: 'task.cancel', args: { task_id: slow.task.task_id } }));
    assert.equal((await reportFor(slow.task.task_id, 'failed')).error?.code, 'cancelled');

    // After a restart the nonce store still refuses the replay.
    await runner.stop();
    runner = newRunner(stateDir);
    await runner.start();
    assert.equal(await refusal({ ...ping }), 'replayed');

    // The server rotates its key: the runner follows the signed statement and accepts tasks from the new key only.
    const next = generateKeyPairSync('ed25519');
    rotations = [signKeyRotation(signing.privateKey, next.publicKey, new Date().toISOString())];
    const previous = signing;
    signing = next;
    const afterRotation = task({ args: { echo: 'rotated' } });
    push(afterRotation);
    assert.equal((await reportFor(afterRotation.task.task_id, 'succeeded')).outcome?.details?.echo, 'rotated');
    assert.equal(runner.stats().key_id, publicKeyId(next.publicKey));
    assert.equal(await refusal(task({}, previous.privateKey)), 'unknown_key');
    // A key offered without a valid rotation is not pinned.
    signing = generateKeyPairSync('ed25519');
    rotations = [];
    const intruder = task();
    push(intruder);
    assert.equal((await reportFor(intruder.task.task_id, 'refused')).refusal?.reason, 'unknown_key');
    assert.equal(runner.stats().key_id, publicKeyId(next.publicKey));
  } finally {
    await runner.stop();
  }
});
