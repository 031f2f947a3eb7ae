// The OS log source on temporary files and sockets (no machine state): tailed lines, datagram and stream sockets fed by
// logger(1) and a plain client, filters, truncation, rate limit, and the kernel log record parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { createOslogSource, parseKmsgRecord } from './index.js';
import { createSyslogSocket } from './syslog-socket.js';

type Event = Record<string, unknown>;

async function waitFor<T>(what: string, find: () => T | undefined, ms = 10000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const valid = (event: Event) => assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, [], JSON.stringify(event));

test('tailed files and a datagram socket become log events; filters and truncation apply', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-oslog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'auth.log');
  writeFileSync(file, 'Dec  5 09:00:00 vm sshd[1]: before start, not read\n');
  const socketPath = join(dir, 'log.sock');
  const events: Event[] = [];
  const source = createOslogSource({
    files: [file],
    socket: { path: socketPath, type: 'dgram' },
    kmsg: false,
    exclude: [{ program: ['noisy'] }],
    pollMs: 50,
  });
  await source.start({ emit: (e: CollectedEvent) => events.push(e as Event), warn: () => undefined });
  t.after(() => source.stop());

  appendFileSync(file, 'Dec  5 10:00:01 vm sshd[812]: Accepted publickey for root from 192.0.2.1 port 52514 ssh2\n');
  const ssh = await waitFor('the file line', () => events.find((e) => e['log.syslog.appname'] === 'sshd'));
  assert.equal(ssh['event.provider'], 'logfile');
  assert.equal(ssh['log.file.path'], file);
  assert.equal(ssh['process.pid'], 812);
  assert.equal(ssh.message, 'Accepted publickey for root from 192.0.2.1 port 52514 ssh2');

  const tag = randomUUID().slice(0, 8);
  execFileSync('logger', ['--socket', socketPath, '-t', `vigil-${tag}`, '-p', 'auth.warning', 'hello from logger']);
  execFileSync('logger', ['--socket', socketPath, '-t', 'noisy', 'filtered out']);
  const logged = await waitFor('the logger message', () => events.find((e) => e['log.syslog.appname'] === `vigil-${tag}`));
  assert.equal(logged['event.provider'], 'syslog');
  assert.equal(logged['log.level'], 'warning');
  assert.equal(logged['log.syslog.severity.code'], 4);
  assert.equal(logged['log.syslog.facility.name'], 'auth');
  assert.equal(logged.message, 'hello from logger');

  truncateSync(file, 0);
  const cleared = await waitFor('the truncation', () => events.find((e) => e['event.action'] === 'audit_log_cleared'));
  assert.equal(cleared['log.file.path'], file);
  assert.equal(cleared['event.type'], 'deletion');

  await source.stop();
  assert.equal(existsSync(socketPath), false, 'the socket is removed on stop');
  assert.ok(!events.some((e) => e['log.syslog.appname'] === 'noisy'), 'excluded program');
  assert.ok(!events.some((e) => String(e.message).includes('before start')), 'existing lines are not re-read');
  assert.equal(source.stats().filtered, 1);
  for (const event of events) valid(event);
});

test('a stream socket takes NUL- and newline-ended messages; a served path is refused; a stale one is reused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-oslog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'stream.sock');
  const got: string[] = [];
  const socket = createSyslogSocket({ path, type: 'stream', onMessage: (m) => got.push(m) });
  await socket.start();
  await new Promise<void>((resolve) => {
    const client = createConnection({ path }, () => client.end('<13>Dec  5 10:00:00 app: one\0<13>Dec  5 10:00:00 app: two\n<14>three', resolve));
  });
  await waitFor('three messages', () => (got.length === 3 ? got : undefined));
  assert.deepEqual(got, ['<13>Dec  5 10:00:00 app: one', '<13>Dec  5 10:00:00 app: two', '<14>three']);
  const second = createSyslogSocket({ path, type: 'stream', onMessage: () => undefined });
  await assert.rejects(second.start(), (e: unknown) => e instanceof VigilError && e.code === 'unavailable');
  await socket.stop();
  assert.equal(existsSync(path), false);
  writeFileSync(join(dir, 'not-a-socket'), '');
  await assert.rejects(createSyslogSocket({ path: join(dir, 'not-a-socket'), onMessage: () => undefined }).start(), /not a socket/);
});

test('a log flood beyond maxEventsPerSecond is counted as dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-oslog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'flood.log');
  writeFileSync(file, '');
  const events: Event[] = [];
  const source = createOslogSource({ files: [file], socket: false, kmsg: false, maxEventsPerSecond: 10, pollMs: 20 });
  await source.start({ emit: (e: CollectedEvent) => events.push(e as Event), warn: () => undefined });
  appendFileSync(file, Array.from({ length: 50 }, (_, i) => `Dec  5 10:00:00 vm app: line ${i}\n`).join(''));
  await waitFor('the flood', () => (source.stats().lines === 50 ? true : undefined));
  await source.stop();
  assert.equal(events.length, 10);
  assert.equal(source.stats().dropped, 40);
});

test('kernel log records', () => {
  assert.deepEqual(parseKmsgRecord('6,339,5140900,-;NET: Registered protocol family 10\n SUBSYSTEM=net\n DEVICE=+net:lo\n'), {
    facility: 0, severity: 6, seq: 339, usec: 5140900, message: 'NET: Registered protocol family 10', fields: Object.assign(Object.create(null), { SUBSYSTEM: 'net', DEVICE: '+net:lo' }),
  });
  assert.equal(parseKmsgRecord('13,1,2,-,caller=T1;user \\x1b[31mred\\x0a')?.message, 'user \u001b[31mred\n');
  assert.equal(parseKmsgRecord('13,1,2,-,caller=T1;x')?.facility, 1);
  for (const bad of ['', 'no prefix', 'a,b,c,d;x', '1,2;x']) assert.equal(parseKmsgRecord(bad), undefined, bad);
});

/** Pids of live syslog relays (python3 running the relay program) serving `path`. */
function processesWith(path: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.includes(path) && cmdline.some((arg) => arg.includes('prctl(1, signal.SIGTERM)'))) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

test('datagram sockets: a served one is refused, one left by a crashed relay is taken over, the relay dies with the agent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-oslog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'dgram.sock');
  const first = createSyslogSocket({ path, type: 'dgram', onMessage: () => undefined });
  await first.start();
  await assert.rejects(createSyslogSocket({ path, type: 'dgram', onMessage: () => undefined }).start(), /served by another process/);
  // Crash the relay: its socket file stays, bound by nobody.
  for (const pid of processesWith(path)) process.kill(pid, 'SIGKILL');
  await waitFor('the relay to die', () => (processesWith(path).length === 0 ? true : undefined));
  assert.ok(lstatSync(path).isSocket(), 'a stale socket file is left');
  await first.stop();
  const got: string[] = [];
  const second = createSyslogSocket({ path, type: 'dgram', onMessage: (m) => got.push(m) });
  await second.start();
  execFileSync('logger', ['--socket', path, '-t', 'after-crash', 'x']);
  await waitFor('a message on the taken-over socket', () => (got.length > 0 ? true : undefined));
  await second.stop();
  assert.equal(existsSync(path), false);

  // The agent killed with SIGKILL: its relay must not outlive it and keep the socket.
  const agentPath = join(dir, 'agent.sock');
  const script = `import { createSyslogSocket } from ${JSON.stringify(new URL('./syslog-socket.js', import.meta.url).href)};
const s = createSyslogSocket({ path: ${JSON.stringify(agentPath)}, onMessage: () => undefined });
await s.start(); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
  const agent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    agent.stdout!.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : undefined));
    agent.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  assert.equal(processesWith(agentPath).length, 1, 'one relay runs');
  agent.kill('SIGKILL');
  await waitFor('the relay to follow the agent', () => (processesWith(agentPath).length === 0 ? true : undefined));
  await waitFor('the relay to remove its socket', () => (existsSync(agentPath) ? undefined : true));
});
