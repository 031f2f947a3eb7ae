// End-to-end on the real kernel: indicators of compromise against telemetry from this host (auditd process starts
// with hashes, bpftrace DNS lookups and connections) through a real `vigil server` and `vigil agent`. A dropped
// binary is executed, a listed domain is resolved and a listed address connected to: first before the indicators are
// known (the retro sweep finds host, first seen and first host), then after (stream matching raises `ioc` alerts).
// Traffic stays on loopback and in a network namespace LAN created here; restores everything it changed.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { ApiClient, cleanup, startAgent, startServer, tempDir, waitFor, type AgentHandle, type ServerHandle } from './harness.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { createLan, leftovers, type Lan } from './netns.js';
import { listen } from './network-test-support.js';

const run = randomBytes(4).toString('hex');
const RETRO_DOMAIN = `retro-${run}.ioc.vigil.test`;
const STREAM_DOMAIN = `stream-${run}.ioc.vigil.test`;
const PORT = 4446;

let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let lan: Lan;
let dns: DnsServer;
let dropDir: string;

/** A copy of /usr/bin/true with random bytes appended: runs like true, with a SHA-256 nobody else has. */
function dropBinary(name: string): { path: string; sha256: string } {
  const path = join(dropDir, name);
  copyFileSync(realpathSync('/usr/bin/true'), path);
  appendFileSync(path, randomBytes(64));
  chmodSync(path, 0o755);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

/** Resolves `domain` through the test DNS server (a private mount namespace) and connects to it, as a shell would. */
async function lookupAndConnect(domain: string): Promise<number> {
  const resolvConf = join(tempDir('resolv'), 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${dns.address}\noptions attempts:1 timeout:2\n`);
  const shell = `exec 3<>/dev/tcp/${domain}/${PORT} || exit 3; echo ping >&3; read -r -t 5 reply <&3; [ "$reply" = ping ]`;
  const child = spawn('unshare', ['-m', 'sh', '-c', `mount --bind ${resolvConf} /etc/resolv.conf || exit 97; exec /usr/bin/bash -c '${shell}'`], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `the lookup and connection to ${domain} worked`);
  return child.pid!;
}

async function events(category: string, action?: string): Promise<Record<string, unknown>[]> {
  return api.hostEvents(agent.agentId, `category=${category}${action ? `&action=${action}` : ''}&limit=10000`);
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the intel end-to-end test must run as root (auditd, bpftrace, namespaces)');
  lan = createLan(['c2']);
  dns = await startDnsServer({ [RETRO_DOMAIN]: [lan.hosts.c2!.address], [STREAM_DOMAIN]: [lan.hosts.c2!.address] });
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api);
  dropDir = tempDir('ioc-drop');
  // bpftrace attaches its probes after the agent says it runs; wait until its heartbeat reports it running.
  await waitFor('the bpftrace source to run', async () => {
    const hosts = (await api.get('/api/v1/hosts')).body as { id: string; sources: Record<string, Record<string, number>> | null }[];
    return hosts.find((h) => h.id === agent.agentId)?.sources?.bpftrace?.running === 1 || undefined;
  }, 30_000, 250);
});

after(async () => {
  await cleanup();
  await dns?.close();
  lan?.destroy();
  if (lan) assert.deepEqual(leftovers(lan), [], 'the test network is gone');
});

test('retro sweep: indicators imported after the activity find the host, first seen and first host for hash, address and domain', async () => {
  const listener = await listen(lan, 'c2', PORT);
  try {
    const dropper = dropBinary(`retro-dropper-${run}`);
    assert.equal(spawnSync(dropper.path).status, 0);
    const shellPid = await lookupAndConnect(RETRO_DOMAIN);
    const exec = await waitFor('the dropper start with its hash', async () => (await events('process', 'start')).find((e) => e['process.executable'] === dropper.path), 30_000, 250);
    assert.equal(exec['process.hash.sha256'], dropper.sha256, 'auditd process events carry the executable hash');
    const lookup = await waitFor('the DNS lookup', async () => (await events('dns')).find((e) => e['dns.question.name'] === RETRO_DOMAIN), 30_000, 250);
    const connect = await waitFor('the connection', async () => (await events('network', 'connect')).find((e) => e['process.pid'] === shellPid && e['destination.port'] === PORT), 30_000, 250);
    assert.equal(connect['destination.ip'], lan.hosts.c2!.address);

    // No alert yet: nothing was listed.
    const before = (await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as { kind: string }[];
    assert.equal(before.filter((a) => a.kind === 'ioc').length, 0);

    // The indicators arrive now, through the CLI, as a plain list.
    const list = join(dropDir, 'retro-iocs.txt');
    writeFileSync(list, `# case ${run}\n${dropper.sha256};dropper\n${lan.hosts.c2!.address};c2 address\n${RETRO_DOMAIN};c2 name\n`);
    const token = (await api.post('/api/v1/api-tokens', { name: 'intel-cli', role: 'analyst' })).body.token as string;
    const cli = spawnSync(process.execPath, [join(repoRoot(), 'apps', 'cli', 'bin', 'vigil.js'), 'intel', 'import', list, '--source', `case-${run}`, '--server', server.apiUrl, '--ca-file', join(server.dataDir, 'pki', 'ca.crt')], { env: { ...process.env, VIGIL_API_TOKEN: token }, encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /imported 3 indicators from 3 list entries: 3 new, 0 updated \(sha256=1 ip=1 domain=1\)/);
    assert.match(cli.stderr, /upload \[#+\] \d+\/\d+ 100%/, 'the upload shows progress');
    const sweepId = /retro sweep over stored events: ([0-9a-f-]{36})/.exec(cli.stdout)?.[1];
    assert.ok(sweepId, cli.stdout);
    const sweep = await waitFor('the retro sweep', async () => {
      const reply = await api.get(`/api/v1/sweeps/${sweepId}`);
      return reply.body.state === 'done' ? reply.body : undefined;
    }, 30_000, 250);
    const result = new Map((sweep.indicators as { type: string; value: string; count: number; hosts: string[]; first_host_id: string; first_seen: string; first_event_id: string }[]).map((r) => [r.type, r]));
    const hash = result.get('sha256')!;
    assert.deepEqual([hash.value, hash.hosts, hash.first_host_id], [dropper.sha256, [agent.agentId], agent.agentId]);
    // With file telemetry the copy that dropped the binary is seen (hashed) before it runs: the first event is the
    // file event or the process start, whichever came first.
    const withHash = [exec, ...(await events('file')).filter((e) => e['file.hash.sha256'] === dropper.sha256)];
    // Events in the same millisecond (the copy's file event and the start) tie; the sweep may name either of them.
    const firstTime = withHash.map((e) => String(e['@timestamp'])).sort()[0];
    const firstIds = withHash.filter((e) => String(e['@timestamp']) === firstTime).map((e) => e['event.id']);
    assert.equal(hash.count, withHash.length);
    assert.ok(firstIds.includes(hash.first_event_id), `first event ${hash.first_event_id} is one of the earliest: ${firstIds.join(', ')}`);
    assert.equal(hash.first_seen, firstTime);
    const domain = result.get('domain')!;
    assert.deepEqual([domain.hosts, domain.first_host_id], [[agent.agentId], agent.agentId]);
    assert.ok(domain.count >= 2, 'the lookup and the connection (destination.domain) both name it');
    assert.ok(domain.first_seen <= String(connect['@timestamp']));
    // getaddrinfo asks for A and AAAA: the first of the events naming the domain is one of them or the connection.
    const naming = [...(await events('dns')).filter((e) => e['dns.question.name'] === RETRO_DOMAIN), connect].map((e) => e['event.id']);
    assert.ok(naming.includes(lookup['event.id']));
    assert.ok(naming.includes(domain.first_event_id), `${domain.first_event_id} is one of ${naming.join(', ')}`);
    const address = result.get('ip')!;
    assert.deepEqual([address.hosts, address.first_host_id], [[agent.agentId], agent.agentId]);
    assert.ok(address.count >= 2, 'the connection and the resolved address of the lookup');
  } finally {
    listener.kill('SIGKILL');
  }
});

test('stream matching: after a STIX import, executing, resolving and connecting raise ioc alerts naming indicator, type and source', async () => {
  const listener = await listen(lan, 'c2', PORT);
  try {
    const dropper = dropBinary(`stream-dropper-${run}`);
    const subnet = lan.hosts.c2!.address.replace(/\.\d+$/, '.0/24');
    const bundle = {
      type: 'bundle',
      id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
      objects: [
        { type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', created: '2026-01-01T00:00:00Z', modified: '2026-01-01T00:00:00Z', name: 'stream test', confidence: 90, pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z', pattern: `[file:hashes.'SHA-256' = '${dropper.sha256}'] OR [domain-name:value = '${STREAM_DOMAIN}'] OR [ipv4-addr:value = '${subnet}']` },
      ],
    };
    const imported = await api.post('/api/v1/intel/import', { content: JSON.stringify(bundle), source: `stix-${run}` });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.deepEqual([imported.body.format, imported.body.by_type.sha256, imported.body.by_type.domain, imported.body.by_type.cidr], ['stix', 1, 1, 1]);
    const summary = (await api.get('/api/v1/intel/summary')).body;
    assert.ok(summary.stream.indicators >= 6, 'the stream matcher holds the new indicators at once');

    assert.equal(spawnSync(dropper.path).status, 0);
    const shellPid = await lookupAndConnect(STREAM_DOMAIN);
    const wanted = [
      { type: 'sha256', value: dropper.sha256, field: 'process.hash.sha256' },
      { type: 'domain', value: STREAM_DOMAIN, field: 'dns.question.name' },
      // The LAN's own side is in the range too, and the lookup came first: the alert of this process may name
      // source.ip or dns.resolved_ip; the connection is folded into it (same rule, host and process).
      { type: 'cidr', value: subnet, field: /^(destination\.ip|source\.ip|dns\.resolved_ip)$/ },
    ];
    type Alert = { kind: string; ruleTitle: string; level: string; hostId: string; eventIds: string[]; fields: { field: string; value: unknown }[] };
    let seen: Alert[] = [];
    const alerts = await waitFor('ioc alerts for the hash, the domain and the range', async () => {
      const list = ((await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as Alert[]).filter((a) => a.kind === 'ioc');
      seen = list;
      const found = wanted.map((w) => list.find((a) => a.fields.some((f) => f.field === 'ioc.value' && f.value === w.value) && a.fields.some((f) => (typeof w.field === 'string' ? f.field === w.field : w.field.test(f.field)))));
      return found.every(Boolean) ? (found as Alert[]) : undefined;
    }, 30_000, 250).catch((error: unknown) => {
      throw new Error(`${String(error)}; ioc alerts: ${JSON.stringify(seen.map((a) => [a.ruleTitle, a.fields.slice(0, 1)]))}`);
    });
    for (const [index, alert] of alerts.entries()) {
      const field = (name: string) => alert.fields.find((f) => f.field === name)?.value;
      assert.equal(field('ioc.type'), wanted[index]!.type);
      assert.equal(field('ioc.source'), `stix-${run}`);
      assert.equal(field('ioc.confidence'), 90);
      assert.equal(alert.level, 'high');
      assert.equal(alert.hostId, agent.agentId);
      assert.match(alert.ruleTitle, new RegExp(`^IOC ${wanted[index]!.type} `));
    }
    const connects = (await events('network', 'connect')).filter((e) => e['process.pid'] === shellPid);
    assert.ok(connects.length > 0);
    await waitFor('the range alert to name the connection event', async () => {
      const list = ((await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as Alert[]).filter((a) => a.kind === 'ioc' && a.fields.some((f) => f.field === 'ioc.value' && f.value === subnet));
      return list.some((a) => a.eventIds.some((id) => connects.some((e) => e['event.id'] === id))) || undefined;
    }, 10_000, 250);
    // The address listed in the first test matches the new connection too (an indicator keeps matching after its sweep).
    const list = ((await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as Alert[]).filter((a) => a.kind === 'ioc');
    assert.ok(list.some((a) => a.fields.some((f) => f.field === 'ioc.source' && f.value === `case-${run}`) && a.fields.some((f) => f.field === 'ioc.type' && f.value === 'ip')));
  } finally {
    listener.kill('SIGKILL');
  }
});

test('a malformed bundle is refused with its location and imports nothing', async () => {
  const before = (await api.get('/api/v1/intel/summary')).body.total as number;
  const broken = { type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: [
    { type: 'indicator', spec_version: '2.1', id: 'indicator--1f1e0b3a-7b7a-4c3e-9d55-7e0f3d9c2b11', pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z', pattern: "[ipv4-addr:value = '198.51.100.77']" },
    { type: 'indicator', spec_version: '2.1', id: 'indicator--2a2b3c4d-1111-4222-8333-944455556666', pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z', pattern: "[domain-name:value = 'x.example' OR ]" },
  ] };
  const reply = await api.post('/api/v1/intel/import', { content: JSON.stringify(broken), source: 'broken', file_name: 'broken.json' });
  assert.equal(reply.status, 400);
  assert.match(reply.body.error.message, /nothing imported/);
  assert.deepEqual([reply.body.error.location.file, reply.body.error.location.path], ['broken.json', 'objects[1].pattern']);
  assert.equal((await api.get('/api/v1/intel/summary')).body.total, before);
});
