// System test: the real bpftrace source on this kernel. Real TCP (IPv4 and IPv6 on loopback), UDP and DNS traffic from
// child processes; asserts the events and their acting process. Needs root; restores the tracefs mount state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { createExecStarts } from '../internal/exec-starts.js';
import { processEntityId, readBootId, readProcStartTicks } from '../internal/process-identity.js';
import type { EventSource } from '../core.js';
import { createBpftraceSource } from './index.js';

type Event = Record<string, unknown>;
const NODE = realpathSync(process.execPath);
const events: Event[] = [];
const warnings: string[] = [];
let source: EventSource;
let tracefsBefore = false;
const dir = mkdtempSync(join(tmpdir(), 'vigil-bpftrace-'));
const children = new Set<ChildProcess>();

/** A loopback address of our own for the DNS server, so port 53 never clashes with anything else on the machine. */
const DNS_ADDRESS = `127.${53}.${1 + (randomBytes(1)[0]! % 250)}.${1 + (randomBytes(1)[0]! % 250)}`;
const NAME = `vigil-net-${randomUUID().slice(0, 8)}.example`;
let dnsServer: Socket;
const execStarts = createExecStarts();

const tracefsMounted = () => readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/kernel/tracing');

/** Children of this process named bpftrace (or setpriv about to become it). */
function ourBpftrace(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && (name === 'bpftrace' || name === 'setpriv')) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

async function waitFor<T>(what: string, find: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; warnings: ${warnings.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Child {
  pid: number;
  entity: string;
  /** The JSON lines the child printed so far. */
  lines: Event[];
  /** Lets the child exit (it waits for its stdin to close) and waits for it. */
  finish(): Promise<number | null>;
}

/** Runs `code` in a child `node -e`, which prints JSON lines and exits when its stdin closes. */
async function child(code: string, args: string[] = [], file = NODE, fileArgs?: string[]): Promise<Child> {
  const proc = spawn(file, fileArgs ?? ['-e', `${code}\nprocess.stdin.on('end', () => process.exit(0)); process.stdin.resume();`, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(proc);
  const lines: Event[] = [];
  let buffer = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Event);
      } catch {
        lines.push({ text: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => (children.delete(proc), resolve(c))));
  const pid = proc.pid!;
  const ticks = await waitFor(`start time of child ${pid}`, () => readProcStartTicks(pid), 5000);
  return { pid, entity: processEntityId(readBootId(), pid, ticks), lines, finish: () => (proc.stdin!.end(), exited) };
}

/** Answers A and AAAA for NAME from DNS_ADDRESS:53; NXDOMAIN for anything else. */
function startDnsServer(): Promise<void> {
  dnsServer = createSocket('udp4');
  dnsServer.on('message', (query, peer) => {
    if (query.length < 17) return;
    let end = 12;
    while (end < query.length && query[end] !== 0) end += query[end]! + 1;
    const question = query.subarray(12, end + 5);
    const labels: string[] = [];
    for (let at = 12; at < end; at += query[at]! + 1) labels.push(query.subarray(at + 1, at + 1 + query[at]!).toString());
    const type = question.readUInt16BE(question.length - 4);
    const known = labels.join('.').toLowerCase() === NAME;
    const answer =
      known && type === 1 ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 77])
      : known && type === 28 ? Buffer.from([0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77])
      : Buffer.alloc(0);
    const header = Buffer.from([query[0]!, query[1]!, 0x81, known ? 0x80 : 0x83, 0, 1, 0, answer.length ? 1 : 0, 0, 0, 0, 0]);
    dnsServer.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  return new Promise((resolve, reject) => {
    dnsServer.once('error', reject);
    dnsServer.bind(53, DNS_ADDRESS, () => resolve());
  });
}

const byPid = (pid: number, predicate: (e: Event) => boolean = () => true) => events.filter((e) => e['process.pid'] === pid && predicate(e));

function assertProcess(event: Event, c: Child, executable = NODE) {
  assert.equal(event['process.pid'], c.pid);
  assert.equal(event['process.entity_id'], c.entity, 'entity id as the auditd source computes it');
  assert.equal(event['process.executable'], executable);
  assert.equal(event['user.name'], 'root');
  assert.equal(event['process.parent.pid'], process.pid);
  assert.equal(event['event.provider'], 'bpftrace');
  const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'system-test' };
  assert.deepEqual(checkEvent(full, 'event').problems, []);
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the bpftrace system test must run as root (BPF and tracefs need it)');
  tracefsBefore = tracefsMounted();
  await startDnsServer();
  source = createBpftraceSource({ windowMs: 3000, dnsAnswerWaitMs: 500, execStarts });
  await source.start({ emit: (e: CollectedEvent) => events.push(e as Event), warn: (m) => warnings.push(m) });
  assert.ok(tracefsMounted(), 'tracefs is mounted while the source runs');
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await source?.stop();
  dnsServer?.close();
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(ourBpftrace(), [], 'no bpftrace child is left');
  assert.equal(tracefsMounted(), tracefsBefore, 'tracefs mount state restored');
});

const SERVER = `
const net = require('net');
const server = net.createServer((c) => c.end()).listen(0, process.argv[1], () => console.log(JSON.stringify({ port: server.address().port })));`;
const CLIENT = `
const net = require('net');
const [host, port, count] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
(async () => {
  let ok = 0, failed = 0;
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => {
      const c = net.connect(port, host);
      c.on('connect', () => { ok++; c.destroy(); resolve(); });
      c.on('error', () => { failed++; resolve(); });
    });
  }
  console.log(JSON.stringify({ ok, failed }));
})();`;

for (const [family, host] of [['IPv4', '127.0.0.1'], ['IPv6', '::1']] as const) {
  test(`${family} TCP on loopback: listen and accept by the server process, 20 connects folded with their count`, async () => {
    const server = await child(SERVER, [host]);
    const { port } = (await waitFor('server port', () => server.lines[0])) as { port: number };
    const client = await child(CLIENT, [host, String(port), '20']);
    await waitFor('20 connects', () => (client.lines[0]?.ok === 20 ? true : undefined));
    const connects = await waitFor('connect events for all 20', () => {
      const found = byPid(client.pid, (e) => e['event.action'] === 'connect');
      return found.reduce((sum, e) => sum + (e['network.connection_count'] as number), 0) === 20 ? found : undefined;
    });
    // 20 sequential loopback connects normally share one window; a window boundary may split them, never lose one.
    assert.ok(connects.length < 20 && connects.some((e) => (e['network.connection_count'] as number) > 1), 'identical flows are folded');
    const connect = connects[0]!;
    assertProcess(connect, client);
    assert.equal(connect['network.transport'], 'tcp');
    assert.equal(connect['network.type'], family === 'IPv4' ? 'ipv4' : 'ipv6');
    assert.equal(connect['network.direction'], 'egress');
    assert.equal(connect['destination.ip'], host);
    assert.equal(connect['destination.port'], port);
    assert.equal(connect['event.outcome'], 'success');
    assert.equal(typeof connect['source.port'], 'number');
    const accepts = await waitFor('accept events for all 20', () => {
      const found = byPid(server.pid, (e) => e['event.action'] === 'accept');
      return found.reduce((sum, e) => sum + (e['network.connection_count'] as number), 0) === 20 ? found : undefined;
    });
    assert.ok(accepts.length < 20, 'accepts are folded');
    const accept = accepts[0]!;
    assertProcess(accept, server);
    assert.equal(accept['destination.port'], port);
    assert.equal(accept['source.ip'], host);
    assert.equal(accept['network.direction'], 'ingress');
    const listen = byPid(server.pid, (e) => e['event.action'] === 'listen');
    assert.equal(listen.length, 1);
    assertProcess(listen[0]!, server);
    assert.deepEqual([listen[0]!['source.ip'], listen[0]!['source.port'], listen[0]!['network.transport']], [host, port, 'tcp']);
    await Promise.all([server.finish(), client.finish()]);
  });
}

test('a refused TCP connect is reported with outcome failure', async () => {
  const probe = createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const closedPort = probe.address().port; // a port nobody listens on with TCP
  probe.close();
  const client = await child(CLIENT, ['127.0.0.1', String(closedPort), '1']);
  await waitFor('the refused connect', () => (client.lines[0]?.failed === 1 ? true : undefined));
  const connect = await waitFor('connect event', () => byPid(client.pid, (e) => e['event.action'] === 'connect')[0]);
  assertProcess(connect, client);
  assert.equal(connect['event.outcome'], 'failure');
  assert.equal(connect['destination.port'], closedPort);
  await client.finish();
});

test('UDP: datagrams to an address, a connected socket on ::1 and a bound port are reported with the process', async () => {
  const receiver = createSocket('udp4');
  await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', () => r()));
  const target = receiver.address().port;
  const boundPort = 20000 + (randomBytes(2).readUInt16BE() % 10000);
  const udp = await child(
    `
const dgram = require('dgram');
const [target, bound] = [Number(process.argv[1]), Number(process.argv[2])];
const a = dgram.createSocket('udp4');
let sent = 0;
const next = () => (sent++ < 5 ? a.send('ping', target, '127.0.0.1', next) : done());
const b = dgram.createSocket('udp6');
const l = dgram.createSocket('udp4');
const done = () => b.connect(9, '::1', () => b.send('x', () => l.bind(bound, '127.0.0.1', () => console.log(JSON.stringify({ ok: true })))));
next();`,
    [String(target), String(boundPort)],
  );
  await waitFor('UDP traffic', () => udp.lines[0]);
  receiver.close();
  const sent = await waitFor('datagram flow', () => byPid(udp.pid, (e) => e['event.action'] === 'connect' && e['destination.port'] === target)[0]);
  assertProcess(sent, udp);
  assert.deepEqual([sent['network.transport'], sent['network.type'], sent['destination.ip']], ['udp', 'ipv4', '127.0.0.1']);
  const count = sent['network.connection_count'] as number;
  assert.ok(count >= 1 && count <= 5, `five datagrams are at most five sightings (${count})`);
  const connected = await waitFor('UDP connect on ::1', () => byPid(udp.pid, (e) => e['event.action'] === 'connect' && e['destination.port'] === 9)[0]);
  assert.deepEqual([connected['network.transport'], connected['network.type'], connected['destination.ip']], ['udp', 'ipv6', '::1']);
  const bound = await waitFor('UDP bind', () => byPid(udp.pid, (e) => e['event.action'] === 'listen')[0]);
  assertProcess(bound, udp);
  assert.deepEqual([bound['network.transport'], bound['source.ip'], bound['source.port']], ['udp', '127.0.0.1', boundPort]);
  assert.equal(byPid(udp.pid, (e) => e['event.action'] === 'listen').length, 1, 'sockets bound to port 0 before sending are not listeners');
  await udp.finish();
});

test('DNS through c-ares (Node Resolver): name, type, answers and the querying process', async () => {
  const resolver = await child(
    `
const { Resolver } = require('dns');
const r = new Resolver({ timeout: 2000, tries: 1 });
r.setServers([process.argv[1]]);
r.resolve4(process.argv[2], (error, addresses) => console.log(JSON.stringify({ error: error && error.code, addresses })));`,
    [DNS_ADDRESS, NAME],
  );
  const answer = await waitFor('resolution', () => resolver.lines[0]);
  assert.deepEqual(answer, { error: null, addresses: ['192.0.2.77'] });
  const lookup = await waitFor('DNS event', () => byPid(resolver.pid, (e) => e['event.category'] === 'dns')[0]);
  assertProcess(lookup, resolver);
  assert.deepEqual(
    [lookup['dns.question.name'], lookup['dns.question.type'], lookup['dns.response_code'], lookup['dns.answers'], lookup['dns.resolved_ip'], lookup['destination.ip'], lookup['destination.port']],
    [NAME, 'A', 'NOERROR', ['192.0.2.77'], ['192.0.2.77'], DNS_ADDRESS, 53],
  );
  await resolver.finish();
});

test('DNS through glibc (getent, sendmmsg of A and AAAA) with a private resolv.conf', async () => {
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${DNS_ADDRESS}\noptions attempts:1 timeout:2\n`);
  // A private mount namespace points /etc/resolv.conf at our server for this one command only.
  // It waits for its stdin to close before resolving, so its start time can be read while it runs. Never falls back
  // to the machine's own resolver: a failed mount ends the command.
  const script = `mount --bind ${resolvConf} /etc/resolv.conf || exit 97; read _; exec /usr/bin/getent ahosts ${NAME}`;
  const getent = await child('', [], '/usr/bin/unshare', ['-m', 'sh', '-c', script]);
  const code = await getent.finish();
  assert.equal(code, 0, 'getent resolved the name');
  const lookups = await waitFor('A and AAAA events', () => {
    const found = events.filter((e) => e['event.category'] === 'dns' && e['dns.question.name'] === NAME && e['process.name'] === 'getent');
    return found.length >= 2 ? found : undefined;
  });
  assert.deepEqual(lookups.map((e) => `${e['dns.question.type']}=${String(e['dns.resolved_ip'])}`).sort(), ['A=192.0.2.77', 'AAAA=2001:db8::77']);
  for (const lookup of lookups) {
    // getent was exec'd by sh in the unshare child: same pid, so the spawned child is the acting process.
    assert.equal(lookup['process.pid'], getent.pid);
    assert.equal(lookup['process.entity_id'], getent.entity);
    assert.equal(lookup['process.name'], 'getent');
  }
});

test('every exec reaches the exec start feed with the start time /proc shows, also for a process that exits at once', async () => {
  const since = Date.now();
  const lingering = spawn('/usr/bin/sleep', ['1']);
  children.add(lingering);
  const ticks = readProcStartTicks(lingering.pid!);
  assert.ok(ticks, 'the sleep runs');
  assert.equal(await execStarts.ticksOf(lingering.pid!, since, 5000), ticks);
  // `true` is gone long before anyone could read /proc: the feed is the only place its start time is known.
  const brief = spawn('/usr/bin/true');
  await new Promise((resolve) => brief.once('exit', resolve));
  assert.match((await execStarts.ticksOf(brief.pid!, since, 5000)) ?? '', /^\d+$/, 'the start time of a process already gone');
});

test('stats report what was read; nothing was lost or unparseable', () => {
  const stats = source.stats();
  assert.equal(stats.running, 1);
  assert.equal(stats.parseErrors, 0);
  assert.equal(stats.dropped, 0);
  assert.ok((stats.records ?? 0) > 0 && (stats.events ?? 0) >= events.length);
  assert.deepEqual(warnings, []);
});

test('bpftrace killed while running is restarted and collection resumes', async () => {
  const [first] = ourBpftrace();
  assert.ok(first, 'bpftrace runs as a child of this process');
  process.kill(first, 'SIGKILL');
  await waitFor('the restart', () => (source.stats().restarts === 1 && source.stats().running === 1 && ourBpftrace().length === 1 && ourBpftrace()[0] !== first ? true : undefined), 30_000);
  assert.equal(source.stats().exits, 1);
  assert.ok(warnings.some((w) => /bpftrace exited .*restarting in 1000 ms/.test(w)), warnings.join(' | '));
  // The restarted bpftrace attaches before `running` is 1 again; a connect made now is reported.
  const server = await child(SERVER, ['127.0.0.1']);
  const { port } = (await waitFor('server port', () => server.lines[0])) as { port: number };
  const client = await child(CLIENT, ['127.0.0.1', String(port), '1']);
  const connect = await waitFor('connect after the restart', () => byPid(client.pid, (e) => e['event.action'] === 'connect')[0]);
  assertProcess(connect, client);
  await Promise.all([server.finish(), client.finish()]);
});
