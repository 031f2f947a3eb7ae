// Exec blocklist end to end: the server's policy reaches a real agent (long-poll), whose exec monitor (bpftrace) kills
// a listed exact path in the kernel and a glob, hash or command-line match right after exec, and reports each block.
// Changes audit state and runs bpftrace: runs alone; removes its files.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, cleanup, startAgent, startServer, waitFor, type AgentHandle, type ServerHandle } from './harness.js';
import { runTask } from './network-test-support.js';

let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
const dir = `/tmp/vigil-blocklist-${randomUUID().slice(0, 8)}`;
const SLEEP = readFileSync('/bin/sleep');
const marker = `vigil-bl-marker-${randomUUID().slice(0, 8)}`;

/** A copy of sleep at `path`; with `salt` its bytes (and hash) differ from every other file. */
function sleeper(name: string, salt?: string): { path: string; sha256: string } {
  const bytes = salt ? Buffer.concat([SLEEP, Buffer.from(salt)]) : SLEEP;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  chmodSync(path, 0o755);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Runs a command (this test process is its parent, not the agent) and resolves with how it ended. */
function run(file: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

async function enforced(version: number): Promise<void> {
  await waitFor(`the agent to enforce blocklist v${version}`, async () => {
    const reply = await api.get('/api/v1/blocklist/hosts');
    const host = (reply.body.hosts as { agent_id: string; applied_version: number; state: string }[]).find((h) => h.agent_id === agent.agentId);
    return host && host.applied_version === version && host.state === 'running' ? host : undefined;
  }, 60_000, 100);
}

before(async () => {
  mkdirSync(dir, { recursive: true });
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api);
});

after(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('blocked path (kernel), glob, hash and command line are killed and reported; others run; removal lifts a block', async () => {
  const exact = sleeper('exact-blocked');
  const globbed = sleeper('glob-blocked-1');
  const hashed = sleeper('hash-blocked', marker);
  const allowedCopy = sleeper('not-listed');
  const put = await api.put('/api/v1/blocklist', {
    entries: [
      { kind: 'path', value: exact.path, description: 'exact path' },
      { kind: 'path', value: join(dir, 'glob-*'), description: 'glob' },
      { kind: 'sha256', value: hashed.sha256, description: 'hash' },
      { kind: 'cmdline', value: `sleep 2; : ${marker}`, description: 'command line' },
    ],
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const version = put.body.version as number;
  await enforced(version);

  assert.deepEqual(await run(exact.path, ['2']), { code: null, signal: 'SIGKILL' }, 'exact path killed');
  assert.deepEqual(await run(globbed.path, ['2']), { code: null, signal: 'SIGKILL' }, 'glob killed');
  assert.deepEqual(await run(hashed.path, ['2']), { code: null, signal: 'SIGKILL' }, 'hash killed');
  assert.deepEqual(await run('/bin/sh', ['-c', `sleep 2; : ${marker}`]), { code: null, signal: 'SIGKILL' }, 'command line killed');
  assert.deepEqual(await run(allowedCopy.path, ['0.1']), { code: 0, signal: null }, 'the same program at a path not listed runs');
  assert.deepEqual(await run('/bin/sh', ['-c', 'sleep 0.1; : harmless']), { code: 0, signal: null }, 'other command lines run');

  const events = await waitFor('four exec_blocked events', async () => {
    const found = await api.hostEvents(agent.agentId, 'category=process&action=exec_blocked&limit=1000');
    return found.length >= 4 ? found : undefined;
  }, 15_000, 250);
  const byExecutable = (path: string) => events.find((e) => e['process.executable'] === path);
  const kernel = byExecutable(exact.path);
  assert.ok(kernel, 'exact path reported');
  assert.deepEqual((kernel['tags'] as string[]).filter((t) => t.startsWith('blocklist:')), ['blocklist:path', 'blocklist:kernel']);
  assert.equal(kernel['event.outcome'], 'success');
  const hashEvent = byExecutable(hashed.path);
  assert.equal(hashEvent?.['process.hash.sha256'], hashed.sha256);
  assert.ok((hashEvent?.['tags'] as string[]).includes('blocklist:userspace'));
  assert.ok(byExecutable(globbed.path), 'glob reported');
  const shell = events.find((e) => String(e['process.command_line'] ?? '').includes(marker) && (e['tags'] as string[]).includes('blocklist:cmdline'));
  assert.ok(shell, 'command line reported');
  for (const event of events) assert.equal(event['user.id'], '0');

  // Removing an entry lifts its block once the agents have the new version.
  const list = await api.get('/api/v1/blocklist');
  const exactEntry = (list.body.entries as { id: string; value: string }[]).find((e) => e.value === exact.path)!;
  const removed = await api.delete(`/api/v1/blocklist/entries/${exactEntry.id}`);
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  await enforced(removed.body.version as number);
  assert.deepEqual(await run(exact.path, ['0.1']), { code: 0, signal: null }, 'runs again once unlisted');

  // The sync action reports what the agent enforces, verified against the server's version.
  const synced = await runTask(api, agent.agentId, 'defense.blocklist.sync', {});
  assert.equal(synced.state, 'succeeded', JSON.stringify(synced));
  assert.equal(synced.outcome?.verified, true);
  assert.equal(synced.outcome?.details?.server_version, removed.body.version);
  assert.equal(synced.outcome?.details?.version, removed.body.version);
  assert.ok(Number(synced.outcome?.details?.blocked) >= 4, JSON.stringify(synced.outcome));
});

test('invalid entries are refused with their location; nothing changes', async () => {
  const before = (await api.get('/api/v1/blocklist')).body.version as number;
  const bad = await api.put('/api/v1/blocklist', { entries: [{ kind: 'cmdline', value: '(a+)+$' }, { kind: 'path', value: 'relative' }] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /nested quantifiers/);
  assert.equal(bad.body.error.location.path, 'body.entries[0].value');
  const everything = await api.post('/api/v1/blocklist/entries', { kind: 'path', value: '/**' });
  assert.equal(everything.status, 400);
  assert.equal((await api.get('/api/v1/blocklist')).body.version, before);
});
