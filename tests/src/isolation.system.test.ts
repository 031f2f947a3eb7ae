// Host isolation and network blocking on real network namespaces (server, endpoint, peer on one bridge): the Vigil
// server runs in the server namespace, the agent (auditd source) in the endpoint namespace, and every action travels
// as a signed task. Changes audit state and network namespaces: runs alone; removes every namespace it created.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { ApiClient, cleanup, startAgent, startServer, waitFor, type AgentHandle, type ServerHandle } from './harness.js';
import { createLan, leftovers, type Lan } from './netns.js';
import { listen, listenReplyOnTrigger, longConnection, ping, quietConnection, runTask, tcpProbe } from './network-test-support.js';

let lan: Lan;
let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
const PEER_PORT = 4444;
const ENDPOINT_PORT = 2222;
/** The endpoint's configured resolver is the peer (resolv.conf below): isolation keeps its port 53 open, nothing else. */
const DNS_PORT = 53;
/** A peer service that answers only when told to (listenReplyOnTrigger). */
const QUIET_PORT = 4445;
let S: string;
let E: string;
let P: string;

function nft(host: string, ...args: string[]): string {
  return lan.exec(host, 'nft', args);
}

function tableExists(host: string, table: string): boolean {
  return nft(host, 'list', 'tables').includes(`table inet ${table}`);
}

/** The isolation the agent reported in its last heartbeat, as the host API shows it. */
async function reportedIsolation(state: 'isolated' | 'released'): Promise<void> {
  await waitFor(`the agent to report its isolation as ${state}`, async () => {
    const host = (await api.get(`/api/v1/hosts/${agent.agentId}`)).body as { isolation: { state: string; checked_at: string } | null };
    return host.isolation?.state === state || undefined;
  }, 15_000, 250);
}

/** A process start on this machine reaches the server as an event of the endpoint's agent (auditd is global). */
async function eventFlows(): Promise<void> {
  const marker = `vigil-isolation-${randomUUID().slice(0, 8)}`;
  spawnSync('/bin/echo', [marker]);
  await waitFor('a process event sent by the isolated agent', async () => {
    const events = await api.hostEvents(agent.agentId, 'category=process&action=start&limit=10000');
    return events.some((e) => (e['process.args'] as string[] | undefined)?.[1] === marker) || undefined;
  }, 15_000, 250);
}

before(async () => {
  lan = createLan(['server', 'endpoint', 'peer']);
  S = lan.hosts.server!.address;
  E = lan.hosts.endpoint!.address;
  P = lan.hosts.peer!.address;
  // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf for the agent it starts; the LAN
  // removes the folder. Names still resolve from the LAN's hosts file first.
  writeFileSync(`/etc/netns/${lan.hosts.endpoint!.ns}/resolv.conf`, `nameserver ${P}\n`);
  server = await startServer({ VIGIL_API_RATE_BURST: '1000' }, { wrap: lan.hosts.server!.wrap, host: S });
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api, { wrap: lan.hosts.endpoint!.wrap });
  await listen(lan, 'peer', PEER_PORT);
  await listen(lan, 'peer', DNS_PORT);
  await listen(lan, 'endpoint', ENDPOINT_PORT);
});

after(async () => {
  await cleanup();
  const id = lan?.id;
  lan?.destroy();
  if (lan) assert.deepEqual(leftovers(lan), [], `namespaces and links of test network ${id} removed`);
});

test('isolate: only the server stays reachable, open connections are cut, tasks and events still flow; restart keeps it; release restores everything', async () => {
  assert.equal(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'peer reachable before isolation');
  assert.equal(tcpProbe(lan, 'peer', E, ENDPOINT_PORT), 'ok', 'endpoint reachable from the peer before isolation');
  assert.ok(ping(lan, 'endpoint', P), 'ping works before isolation');
  const shell = await longConnection(lan, 'endpoint', P, PEER_PORT);

  const isolated = await runTask(api, agent.agentId, 'host.isolate', {});
  assert.equal(isolated.state, 'succeeded', JSON.stringify(isolated));
  assert.equal(isolated.outcome?.verified, true);
  assert.ok(Number(isolated.outcome?.details?.connections_cut) >= 1, `connections cut: ${JSON.stringify(isolated.outcome)}`);

  assert.equal(tcpProbe(lan, 'endpoint', S, server.agentPort), 'ok', 'the server agent port stays reachable');
  assert.notEqual(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'the peer is cut off');
  assert.deepEqual(isolated.outcome?.details?.dns, [P], 'the resolver of resolv.conf is kept');
  assert.equal(tcpProbe(lan, 'endpoint', P, DNS_PORT), 'ok', 'the configured resolver stays reachable on port 53');
  assert.notEqual(tcpProbe(lan, 'endpoint', S, server.apiPort), 'ok', 'other ports of the server are cut off too');
  assert.notEqual(tcpProbe(lan, 'peer', E, ENDPOINT_PORT), 'ok', 'the peer cannot reach the endpoint');
  assert.equal(ping(lan, 'endpoint', P), false, 'ping fails');
  await waitFor('the open connection to the peer to end', () => shell.closedAt(), 3000, 20);
  assert.ok(shell.lines.some((l) => /^(closed|error)/.test(l)), `long-lived connection: ${shell.lines.join(', ')}`);
  assert.equal(tcpProbe(lan, 'endpoint', '127.0.0.1', ENDPOINT_PORT), 'ok', 'loopback keeps working');

  // Tasks and events still flow.
  const pinged = await runTask(api, agent.agentId, 'agent.ping', { echo: 'isolated' });
  assert.equal(pinged.state, 'succeeded', JSON.stringify(pinged));
  await eventFlows();
  await reportedIsolation('isolated');

  // Agent restart: the kernel table survives the agent; a reboot (the table gone) is repaired at the next start.
  await agent.stop();
  assert.ok(tableExists('endpoint', 'vigil_isolation'), 'isolation stays while the agent is stopped');
  nft('endpoint', 'delete', 'table', 'inet', 'vigil_isolation');
  assert.equal(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'table removed as by a reboot');
  await agent.start();
  assert.ok(tableExists('endpoint', 'vigil_isolation'), 'the agent re-applied the isolation at start');
  assert.notEqual(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'the peer is cut off again after the restart');
  assert.notEqual(tcpProbe(lan, 'peer', E, ENDPOINT_PORT), 'ok');
  const afterRestart = await runTask(api, agent.agentId, 'agent.ping', {});
  assert.equal(afterRestart.state, 'succeeded', 'tasks flow after the restart');
  await reportedIsolation('isolated');

  const released = await runTask(api, agent.agentId, 'host.release', {});
  assert.equal(released.state, 'succeeded', JSON.stringify(released));
  assert.equal(released.outcome?.verified, true);
  assert.equal(tableExists('endpoint', 'vigil_isolation'), false);
  assert.equal(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'peer reachable after release');
  assert.equal(tcpProbe(lan, 'peer', E, ENDPOINT_PORT), 'ok', 'endpoint reachable from the peer after release');
  assert.ok(ping(lan, 'endpoint', P), 'ping works after release');
  await reportedIsolation('released');
});

test('isolate with allow: an allowed address:port stays reachable, the same host on another port does not', async () => {
  const isolated = await runTask(api, agent.agentId, 'host.isolate', { allow: [`${P}:${PEER_PORT}`], allow_dns: false, allow_dhcp: false });
  assert.equal(isolated.state, 'succeeded', JSON.stringify(isolated));
  try {
    assert.equal(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'allowed service reachable');
    assert.notEqual(tcpProbe(lan, 'peer', E, ENDPOINT_PORT), 'ok', 'an address:port entry does not open inbound connections');
    assert.equal(ping(lan, 'endpoint', P), false, 'only the allowed port, not the whole host');
    assert.notEqual(tcpProbe(lan, 'endpoint', P, DNS_PORT), 'ok', 'allow_dns: false closes the resolver too');
  } finally {
    assert.equal((await runTask(api, agent.agentId, 'host.release', {})).state, 'succeeded');
  }
});

test('isolate keeps a connection open before it (allowed service): a reply that is the first packet after the table loads gets through', async () => {
  // Conntrack starts in a namespace only when a ruleset using it loads, so it first sees this connection from the
  // peer's reply; a `ct state established` rule alone would drop it. The agent's own server connection is the same case.
  const trigger = `/tmp/vigil-quiet-reply-${lan.id}`;
  rmSync(trigger, { force: true });
  await listenReplyOnTrigger(lan, 'peer', QUIET_PORT, trigger);
  const quiet = await quietConnection(lan, 'endpoint', P, QUIET_PORT);
  const isolated = await runTask(api, agent.agentId, 'host.isolate', { allow: [`${P}:${QUIET_PORT}`], allow_dns: false });
  assert.equal(isolated.state, 'succeeded', JSON.stringify(isolated));
  try {
    writeFileSync(trigger, '');
    await waitFor('the peer\'s reply on the connection opened before isolation', () => quiet.lines.includes('reply') || undefined, 5000, 20);
    assert.equal(quiet.closedAt(), undefined, `the allowed connection stays open: ${quiet.lines.join(', ')}`);
    assert.notEqual(tcpProbe(lan, 'peer', E, ENDPOINT_PORT), 'ok', 'still isolated: no connection opens to the endpoint');
  } finally {
    quiet.child.kill();
    rmSync(trigger, { force: true });
    assert.equal((await runTask(api, agent.agentId, 'host.release', {})).state, 'succeeded');
  }
});

test('isolation is refused when the server is not reachable, and nothing is applied', async () => {
  try {
    // A server the endpoint cannot reach (nothing listens on port 1) never sends tasks, so the handler is called
    // directly inside the endpoint namespace.
    const output = lan.exec('endpoint', process.execPath, [new URL('./netns-action.js', import.meta.url).pathname, 'host.isolate', '{}', JSON.stringify({ stateDir: `/tmp/vigil-isolation-refusal-${lan.id}`, server: { host: S, port: 1 } })]);
    const result = JSON.parse(output) as { ok: boolean; error?: { code: string; message: string } };
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'conflict');
    assert.match(result.error?.message ?? '', /not reachable/);
    assert.equal(tableExists('endpoint', 'vigil_isolation'), false, 'nothing applied');
  } finally {
    spawnSync('rm', ['-rf', `/tmp/vigil-isolation-refusal-${lan.id}`]);
  }
});

test('net.block: a blocked address, port and domain refuse connections; unblocking restores them; the server cannot be blocked', async () => {
  const blocked = await runTask(api, agent.agentId, 'net.block', { ip: P });
  assert.equal(blocked.state, 'succeeded', JSON.stringify(blocked));
  assert.equal(blocked.outcome?.verified, true);
  assert.notEqual(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'blocked address');
  assert.notEqual(tcpProbe(lan, 'peer', E, ENDPOINT_PORT), 'ok', 'blocked in both directions');
  assert.equal(tcpProbe(lan, 'endpoint', S, server.apiPort), 'ok', 'other addresses unaffected');
  assert.equal((await runTask(api, agent.agentId, 'net.unblock', { ip: P })).state, 'succeeded');
  assert.equal(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'unblocked address');

  assert.equal((await runTask(api, agent.agentId, 'net.block', { port: PEER_PORT, protocol: 'tcp' })).state, 'succeeded');
  assert.notEqual(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'blocked port');
  assert.equal(tcpProbe(lan, 'endpoint', S, server.apiPort), 'ok', 'other ports unaffected');
  assert.equal((await runTask(api, agent.agentId, 'net.unblock', { port: PEER_PORT, protocol: 'tcp' })).state, 'succeeded');
  assert.equal(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'unblocked port');

  const domain = await runTask(api, agent.agentId, 'net.block', { domain: lan.hosts.peer!.dnsName });
  assert.equal(domain.state, 'succeeded', JSON.stringify(domain));
  assert.deepEqual(domain.outcome?.details?.addresses, [P], 'the domain resolved to the peer');
  assert.notEqual(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'blocked by domain');
  assert.equal((await runTask(api, agent.agentId, 'net.unblock', { domain: lan.hosts.peer!.dnsName })).state, 'succeeded');
  assert.equal(tcpProbe(lan, 'endpoint', P, PEER_PORT), 'ok', 'unblocked domain');

  const refused = await runTask(api, agent.agentId, 'net.block', { ip: lan.subnet });
  assert.equal(refused.state, 'failed', 'blocking the server network is refused');
  assert.match(JSON.stringify(refused.error), /contains the Vigil server address/);
  assert.equal(tcpProbe(lan, 'endpoint', S, server.agentPort), 'ok');
  assert.equal(tableExists('endpoint', 'vigil_block'), false, 'nothing left blocked');
});
