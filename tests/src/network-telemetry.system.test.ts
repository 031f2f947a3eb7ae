// End-to-end on the real kernel: `vigil agent` (bpftrace source) reports a shell that resolves a mining pool and
// connects to it, the events reach `vigil server` with the acting process, and the network and DNS Sigma rules fire.
// All traffic stays on loopback and in a network namespace LAN created here; restores everything it changed.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '@vigil/common';
import { processEntityId } from '@vigil/sources/internal/process-identity';
import { ApiClient, cleanup, request, startAgent, startServer, tempDir, waitFor, type AgentHandle, type ServerHandle } from './harness.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { createLan, leftovers, type Lan } from './netns.js';
import { listen } from './network-test-support.js';

const POOL = 'pool.supportxmr.com';
const PORT = 4444;
const RULES = {
  shellConnect: '5d266960-5200-4253-bb03-913f840091b1', // Vigil: Shell Process Opens a Network Connection
  miningLookup: '8c6ee999-7c75-4d90-aacb-ffeb7ae64f9f', // Vigil: Mining Pool Domain Resolved
};
/** SigmaHQ's own Linux network_connection rules, uploaded as a pack: they read Image, DestinationIp, DestinationHostname. */
const SIGMA_FILES = ['net_connection_lnx_back_connect_shell_dev.yml', 'net_connection_lnx_crypto_mining_indicators.yml'];

let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let lan: Lan;
let dns: DnsServer;
let tracefsBefore = false;
const sigmaIds: string[] = [];

const tracefsMounted = () => readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/kernel/tracing');

function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the network telemetry end-to-end test must run as root (bpftrace, namespaces)');
  tracefsBefore = tracefsMounted();
  lan = createLan(['c2']);
  dns = await startDnsServer({ [POOL]: [lan.hosts.c2!.address] });
  server = await startServer();
  api = await new ApiClient(server).login();
  const files = SIGMA_FILES.map((file) => {
    const text = readFileSync(corpusPath('sigma', 'rules', 'linux', 'network_connection', file), 'utf8');
    sigmaIds.push(/^id: (\S+)/m.exec(text)![1]!);
    return { file, text };
  });
  const upload = await request(`${server.apiUrl}/api/v1/rule-packs/sigmahq-linux-network`, { method: 'PUT', body: { version: '1', description: 'SigmaHQ Linux network_connection rules', files }, token: api.token, ca: server.caPem });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
  agent = await startAgent(server, api);
});

after(async () => {
  await cleanup();
  await dns?.close();
  lan?.destroy();
  if (lan) assert.deepEqual(leftovers(lan), [], 'the test network is gone');
  assert.equal(tracefsMounted(), tracefsBefore, 'tracefs mount state restored when the agent stopped');
});

test('a shell resolving a mining pool and connecting to it: events with the acting process reach the server; network and DNS rules fire', async (t) => {
  const listener = await listen(lan, 'c2', PORT);
  const resolvConf = join(tempDir('resolv'), 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${dns.address}\noptions attempts:1 timeout:2\n`);
  // A private mount namespace points this one shell's resolver at the test's DNS server (never the machine's own:
  // a failed mount ends the command). The shell waits for a line on stdin so its start time can be read first, and
  // stays connected, as a reverse shell does, until stdin closes.
  const shell = `exec 3<>/dev/tcp/${POOL}/${PORT} || exit 3; echo ping >&3; read -r -t 5 reply <&3; echo "$reply"; read -r done`;
  const child = spawn('unshare', ['-m', 'sh', '-c', `mount --bind ${resolvConf} /etc/resolv.conf || exit 97; read -r go; exec /usr/bin/bash -c '${shell}'`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const pid = child.pid!;
  const ticks = await waitFor('the shell to start', () => startTicks(pid), 5000, 10);
  const entity = processEntityId(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pid, ticks);
  child.stdin!.write('go\n');
  await waitFor('the echo through the connection', () => (output.trim() === 'ping' ? true : undefined), 10_000, 20);
  assert.ok(dns.queries.includes(`${POOL}/1`), 'the lookup went to the test DNS server');

  const lookup = await waitFor('the DNS event', async () => (await api.hostEvents(agent.agentId, 'category=dns&limit=1000')).find((e) => e['dns.question.name'] === POOL && e['dns.question.type'] === 'A' && e['process.pid'] === pid), 30_000, 250);
  assert.equal(lookup['event.action'], 'query');
  assert.equal(lookup['event.provider'], 'bpftrace');
  assert.equal(lookup['process.entity_id'], entity, 'the same entity id as the process start from auditd');
  assert.equal(lookup['process.executable'], '/usr/bin/bash');
  assert.equal(lookup['user.name'], 'root');
  assert.equal(lookup['dns.question.type'], 'A');
  assert.equal(lookup['dns.response_code'], 'NOERROR');
  assert.deepEqual(lookup['dns.resolved_ip'], [lan.hosts.c2!.address]);
  assert.deepEqual([lookup['destination.ip'], lookup['destination.port'], lookup['network.transport']], [dns.address, 53, 'udp']);

  const network = await waitFor('the connect event', async () => (await api.hostEvents(agent.agentId, 'category=network&action=connect&limit=1000')).find((e) => e['process.pid'] === pid && e['network.transport'] === 'tcp'), 30_000, 250);
  assert.equal(network['process.entity_id'], entity);
  assert.equal(network['process.executable'], '/usr/bin/bash');
  assert.deepEqual([network['destination.ip'], network['destination.port'], network['destination.domain']], [lan.hosts.c2!.address, PORT, POOL]);
  assert.deepEqual([network['network.type'], network['network.direction'], network['event.outcome'], network['network.connection_count']], ['ipv4', 'egress', 'success', 1]);
  assert.equal(network['source.ip'], lan.rootAddress);

  const accepted = await waitFor('the accept event in the namespace', async () => (await api.hostEvents(agent.agentId, 'category=network&action=accept&limit=1000')).find((e) => e['process.pid'] === listener.pid), 30_000, 250);
  assert.deepEqual([accepted['source.ip'], accepted['destination.ip'], accepted['destination.port']], [lan.rootAddress, lan.hosts.c2!.address, PORT]);
  assert.equal(accepted['process.executable'], process.execPath);

  const expected = new Map([
    [RULES.shellConnect, network['event.id']],
    [RULES.miningLookup, lookup['event.id']],
    [sigmaIds[0]!, network['event.id']],
    [sigmaIds[1]!, network['event.id']],
  ]);
  const alerts = await waitFor('alerts of the four rules', async () => {
    const list = (await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as { ruleId: string; eventIds: string[] }[];
    return [...expected].every(([rule, event]) => list.some((a) => a.ruleId === rule && a.eventIds.includes(event as string))) ? list : undefined;
  }, 30_000, 250);
  assert.ok(alerts.length >= 4);

  const host = await waitFor('a heartbeat with the bpftrace source running', async () => {
    const hosts = (await api.get('/api/v1/hosts')).body as { id: string; sources: Record<string, Record<string, number>> | null }[];
    const mine = hosts.find((h) => h.id === agent.agentId);
    return mine?.sources?.bpftrace?.running === 1 ? mine : undefined;
  }, 30_000, 250);
  assert.equal(host.sources!.bpftrace!.parseErrors, 0);
  assert.equal(host.sources!.bpftrace!.dropped, 0);
  child.stdin!.end('done\n');
  assert.equal(await exited, 0, 'the shell connected, got its echo and ended cleanly');
  listener.kill('SIGKILL');
});
