// End-to-end on the real kernel: `vigil agent` (auditd source) streams process events over mTLS to `vigil server`.
// Guards the foundation issue's delivery, outage and crash guarantees. Changes audit state: runs alone, restores it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, realpathSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, cleanup, startAgent, startServer, waitFor, type AgentHandle, type ServerHandle } from './harness.js';

const ECHO = realpathSync('/bin/echo');
const ECHO_SHA256 = createHash('sha256').update(readFileSync(ECHO)).digest('hex');
let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let auditRulesBefore = '';
let auditdRunningBefore = false;
const AF_UNIX_CONF = '/etc/audit/plugins.d/af_unix.conf';
let afUnixBefore = '';

function auditdRunning(): boolean {
  return execFileSync('auditctl', ['-s'], { encoding: 'utf8' }).split('\n').some((l) => /^pid\s+[1-9]/.test(l));
}

/** Runs `count` distinct commands (no shell), each with a unique marker argument; returns marker → pid. */
async function runCommands(count: number, tag: string, concurrency = 8): Promise<Map<string, number>> {
  const pids = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const marker = `vigil-e2e-${tag}-${next++}-${randomUUID().slice(0, 8)}`;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(ECHO, [marker, 'arg with space'], { stdio: 'ignore' });
        pids.set(marker, child.pid!);
        child.once('exit', () => resolve());
        child.once('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return pids;
}

async function startsByMarker(tag: string): Promise<Map<string, Record<string, unknown>[]>> {
  const events = await api.hostEvents(agent.agentId, 'category=process&action=start&limit=10000');
  const found = new Map<string, Record<string, unknown>[]>();
  for (const event of events) {
    const marker = (event['process.args'] as string[] | undefined)?.[1];
    if (marker?.startsWith(`vigil-e2e-${tag}-`)) found.set(marker, [...(found.get(marker) ?? []), event]);
  }
  return found;
}

before(async () => {
  auditRulesBefore = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  auditdRunningBefore = auditdRunning();
  afUnixBefore = existsSync(AF_UNIX_CONF) ? readFileSync(AF_UNIX_CONF, 'utf8') : '';
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api);
});

after(async () => {
  await cleanup();
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), auditRulesBefore, 'audit rules restored');
  assert.equal(auditdRunning(), auditdRunningBefore, 'auditd running state restored');
  assert.equal(existsSync(AF_UNIX_CONF) ? readFileSync(AF_UNIX_CONF, 'utf8') : '', afUnixBefore, 'af_unix plugin config restored');
});

test('200 distinct commands arrive with pid, ppid, argv, user and sha256 within 5 s', async () => {
  const pids = await runCommands(200, 'basic');
  const found = await waitFor('200 process events', async () => {
    const byMarker = await startsByMarker('basic');
    return byMarker.size === 200 ? byMarker : undefined;
  }, 5000, 100);
  for (const [marker, pid] of pids) {
    const events = found.get(marker)!;
    assert.equal(events.length, 1, `${marker} stored once`);
    const event = events[0]!;
    assert.equal(event['process.pid'], pid);
    assert.equal(event['process.parent.pid'], process.pid);
    assert.deepEqual(event['process.args'], [ECHO, marker, 'arg with space']);
    assert.equal(event['process.command_line'], `${ECHO} ${marker} arg with space`);
    assert.equal(event['process.executable'], ECHO);
    assert.equal(event['user.name'], 'root');
    assert.equal(event['user.id'], '0');
    assert.equal(event['process.hash.sha256'], ECHO_SHA256);
    assert.equal(event['host.id'], agent.agentId);
  }
  const hosts = (await api.get('/api/v1/hosts')).body as { id: string; state: string; counters: { dropped: number } | null }[];
  const host = await waitFor('a heartbeat', async () => ((await api.get('/api/v1/hosts')).body as typeof hosts).find((h) => h.id === agent.agentId && h.counters), 5000);
  assert.equal(host.state, 'online');
  for (const file of ['agent.key', 'agent.crt', 'agent.json']) assert.equal(statSync(join(agent.stateDir, file)).mode & 0o777, 0o600, `${file} is 0600`);
  assert.equal(host.counters!.dropped, 0);
});

test('server outage: 1,000 commands run while it is down all arrive exactly once after it returns', async () => {
  await server.stop('SIGTERM');
  const pids = await runCommands(1000, 'outage');
  await new Promise((r) => setTimeout(r, 1000));
  await server.start();
  await api.login();
  const found = await waitFor('1,000 spooled events', async () => {
    const byMarker = await startsByMarker('outage');
    return byMarker.size === 1000 ? byMarker : undefined;
  }, 30_000, 250);
  for (const marker of pids.keys()) assert.equal(found.get(marker)?.length, 1, `${marker} exactly once`);
});

test('kill -9 of the agent mid-stream: everything spooled arrives, nothing twice', async () => {
  const streaming = runCommands(600, 'crash', 2);
  await new Promise((r) => setTimeout(r, 400));
  await agent.stop('SIGKILL');
  await streaming;
  const spoolDir = join(agent.stateDir, 'spool');
  const spooled = new Set<string>();
  for (const file of readdirSync(spoolDir).filter((f) => f.startsWith('seg-'))) {
    for (const line of readFileSync(join(spoolDir, file), 'utf8').split('\n')) {
      const match = /vigil-e2e-crash-[^"]+/.exec(line);
      if (match && line.includes('"event.action":"start"')) spooled.add(match[0]);
    }
  }
  const storedBeforeRestart = await startsByMarker('crash');
  await agent.start();
  const after = await runCommands(100, 'crash-after');
  const found = await waitFor('the spool and new events to arrive', async () => {
    const byMarker = await startsByMarker('crash');
    const later = await startsByMarker('crash-after');
    return [...spooled].every((m) => byMarker.has(m)) && later.size === after.size ? byMarker : undefined;
  }, 20_000, 250);
  assert.ok(storedBeforeRestart.size + spooled.size > 0, 'some events were collected before the kill');
  for (const [marker, events] of found) assert.equal(events.length, 1, `${marker} stored once`);
  const all = await api.hostEvents(agent.agentId, 'limit=10000');
  assert.equal(new Set(all.map((e) => e['event.id'])).size, all.length, 'no event id twice');
  assert.equal(new Set(all.map((e) => e['event.sequence'])).size, all.length, 'no sequence twice');
});
