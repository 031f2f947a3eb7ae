// live.processes, live.connections and live.listening against real processes and sockets of this host: a child with
// a known command line, a TCP listener on IPv4 and IPv6, a UDP socket and an established connection, each with its pid.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { after, test } from 'node:test';
import type { ActionHandler } from '../handler.js';
import { createLiveQueryHandlers, type ConnectionRow, type ProcessRow } from './live-query.js';
import { entityIdOf, readStat } from './internal/procfs.js';
import { child, cleanupTestSupport, tempDir, testContext, waitFor } from './internal/test-support.js';

after(cleanupTestSupport);

const handlers = new Map(createLiveQueryHandlers().map((h) => [h.action, h] as const));
const run = async (name: string, args: Record<string, unknown> = {}) => (await (handlers.get(name) as ActionHandler).run(args, testContext(tempDir('live'))));

test('live.processes lists a known child with parent, user, executable, command line, start time and entity id', async () => {
  const sleeper = child('sleep', ['4242.5']);
  const stat = await waitFor('child', () => readStat(sleeper.pid!)?.comm === 'sleep' && readStat(sleeper.pid!));
  const outcome = await run('live.processes');
  assert.equal(outcome.ok, true);
  const rows = outcome.details?.rows as ProcessRow[];
  assert.ok(rows.length > 5 && rows.length === outcome.details?.total);
  const row = rows.find((r) => r.pid === sleeper.pid);
  assert.ok(row, 'the child is listed');
  assert.equal(row.ppid, process.pid);
  assert.equal(row.name, 'sleep');
  assert.equal(row.user, 'root');
  assert.equal(row.uid, 0);
  assert.equal(row.exe, '/usr/bin/sleep');
  assert.equal(row.cmdline, 'sleep 4242.5');
  assert.equal(row.start_ticks, Number(stat.startTicks));
  assert.equal(row.entity_id, entityIdOf(stat));
  assert.ok(Math.abs(Date.parse(row.start_time) - Date.now()) < 60_000, `start time ${row.start_time} is about now`);
  const one = rows.find((r) => r.pid === 1);
  assert.ok(one && one.ppid === 0);
  const filtered = await run('live.processes', { name: 'sleep', limit: 1 });
  assert.equal((filtered.details?.rows as ProcessRow[]).length, 1);
  assert.equal(filtered.details?.truncated, (filtered.details?.total as number) > 1);
  assert.ok((filtered.details?.rows as ProcessRow[]).every((r) => r.name.includes('sleep') || (r.exe ?? '').includes('sleep')));
});

test('live.listening and live.connections show TCP listeners (v4, v6), a bound UDP socket and an established connection with their pid', async () => {
  const listen = (host: string) =>
    new Promise<Server>((resolve) => {
      const server = createServer((socket) => socket.on('error', () => undefined));
      server.listen(0, host, () => resolve(server));
    });
  const v4 = await listen('127.0.0.1');
  const v6 = await listen('::1');
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = (server: Server) => (server.address() as { port: number }).port;
  const client: Socket = await new Promise((resolve) => {
    const socket = connect(port(v4), '127.0.0.1', () => resolve(socket));
  });
  try {
    const listening = (await run('live.listening')).details?.rows as ConnectionRow[];
    const mine = listening.filter((r) => r.pid === process.pid);
    assert.ok(mine.some((r) => r.protocol === 'tcp' && r.family === 4 && r.local_address === '127.0.0.1' && r.local_port === port(v4) && r.state === 'LISTEN' && r.process === 'node'), JSON.stringify(mine));
    assert.ok(mine.some((r) => r.protocol === 'tcp' && r.family === 6 && r.local_address === '::1' && r.local_port === port(v6)), JSON.stringify(mine));
    assert.ok(mine.some((r) => r.protocol === 'udp' && r.local_port === (udp.address() as { port: number }).port), JSON.stringify(mine));
    assert.ok(!listening.some((r) => r.state === 'ESTABLISHED'));
    const connections = (await run('live.connections', { protocol: 'tcp', pid: process.pid })).details?.rows as ConnectionRow[];
    const established = connections.find((r) => r.state === 'ESTABLISHED' && r.remote_port === port(v4) && r.local_port === client.localPort);
    assert.ok(established, JSON.stringify(connections));
    assert.equal(established.exe, process.execPath);
    assert.ok(connections.every((r) => r.protocol === 'tcp' && r.pid === process.pid));
  } finally {
    client.destroy();
    udp.close();
    await new Promise((r) => v4.close(r));
    await new Promise((r) => v6.close(r));
  }
});
