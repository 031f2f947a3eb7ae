import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import { createSocketReader } from './socket-reader.js';

function listen(path: string): Promise<{ server: Server; client: Promise<Socket> }> {
  return new Promise((resolve) => {
    let accept: (s: Socket) => void = () => undefined;
    const client = new Promise<Socket>((r) => (accept = r));
    const server = createServer((socket) => accept(socket));
    server.listen(path, () => resolve({ server, client }));
  });
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function socketPath(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'audit.sock');
}

test('joins lines split across reads, including a UTF-8 character split between chunks', async (t) => {
  const path = socketPath(t);
  const { server, client } = await listen(path);
  t.after(() => server.close());
  const lines: string[] = [];
  const reader = createSocketReader({ path, onLine: (l) => lines.push(l) });
  await reader.connect();
  const peer = await client;
  const payload = Buffer.from('type=A msg=audit(1.0:1): x="é"\ntype=B msg=audit(1.0:2): y=1\ntype=C', 'utf8');
  for (let i = 0; i < payload.length; i += 3) {
    peer.write(payload.subarray(i, i + 3));
    await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => lines.length === 2);
  peer.write(' msg=audit(1.0:3):\n');
  await until(() => lines.length === 3);
  assert.deepEqual(lines, ['type=A msg=audit(1.0:1): x="é"', 'type=B msg=audit(1.0:2): y=1', 'type=C msg=audit(1.0:3):']);
  reader.close();
});

test('skips an overlong line without buffering it, then carries on', async (t) => {
  const path = socketPath(t);
  const { server, client } = await listen(path);
  t.after(() => server.close());
  const lines: string[] = [];
  const problems: string[] = [];
  const reader = createSocketReader({ path, maxLineLength: 100, onLine: (l) => lines.push(l), onProblem: (m) => problems.push(m) });
  await reader.connect();
  const peer = await client;
  peer.write('x'.repeat(60));
  peer.write('x'.repeat(60));
  peer.write('x'.repeat(60) + '\nshort\n' + 'y'.repeat(150) + '\nend\n');
  await until(() => lines.length === 2);
  assert.deepEqual(lines, ['short', 'end']);
  assert.equal(reader.stats().oversizeLines, 2);
  reader.close();
});

test('reconnects when the daemon goes away and comes back; a partial line from the old connection is dropped', async (t) => {
  const path = socketPath(t);
  let { server, client } = await listen(path);
  const lines: string[] = [];
  const reader = createSocketReader({ path, retryMinMs: 10, retryMaxMs: 50, onLine: (l) => lines.push(l) });
  await reader.connect();
  let peer = await client;
  peer.write('first\npartial');
  await until(() => lines.length === 1);
  peer.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise((r) => setTimeout(r, 100));
  ({ server, client } = await listen(path));
  t.after(() => server.close());
  peer = await client;
  peer.write('second\n');
  await until(() => lines.length === 2);
  assert.deepEqual(lines, ['first', 'second']);
  assert.equal(reader.stats().connects, 2);
  assert.equal(reader.stats().disconnects, 1);
  reader.close();
});

test('the first connect fails with an unavailable VigilError naming the socket', async (t) => {
  const path = socketPath(t);
  const reader = createSocketReader({ path, onLine: () => undefined });
  await assert.rejects(reader.connect(), (e: unknown) => e instanceof VigilError && e.code === 'unavailable' && e.message.includes(path));
  reader.close();
});
