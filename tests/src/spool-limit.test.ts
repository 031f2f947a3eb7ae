// Regression guard: when the server is unreachable and the spool bound is hit, the loss is counted and reported
// in the heartbeat, and everything still in the spool is delivered once the server returns.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { startAgent } from '@vigil/agent';
import type { EventSink, EventSource } from '@vigil/sources';
import { ApiClient, cleanup, startServer, tempDir, waitFor } from './harness.js';

after(cleanup);

/** A source that emits `count` schema-valid process events as fast as it can, then stops emitting. */
function burstSource(count: number): EventSource & { emitted: number } {
  const source = {
    name: 'burst',
    platforms: ['linux'] as NodeJS.Platform[],
    emitted: 0,
    async start(sink: EventSink) {
      for (let i = 0; i < count; i++) {
        sink.emit({
          '@timestamp': new Date().toISOString(),
          'event.category': 'process',
          'event.action': 'start',
          'process.pid': 1000 + i,
          'process.executable': '/usr/bin/true',
          'process.args': ['true', `burst-${i}`, 'x'.repeat(200)],
        } as never);
        source.emitted++;
      }
    },
    async stop() {},
    stats: () => ({ emitted: source.emitted }),
  };
  return source;
}

test('spool bound hit during an outage: dropped is counted, reported, and the rest arrives', async () => {
  const server = await startServer();
  const api = await new ApiClient(server).login();
  const stateDir = tempDir('agent');
  const token = await api.enrollmentToken();
  const enrolled = spawnSync(process.execPath, [join(repoRoot(), 'apps/cli/bin/vigil.js'), 'enroll', '--server', server.apiUrl, '--token', token, '--ca-file', join(server.dataDir, 'pki/ca.crt'), '--state-dir', stateDir], { encoding: 'utf8' });
  assert.equal(enrolled.status, 0, enrolled.stderr);
  await server.stop();

  const source = burstSource(3000);
  const agent = await startAgent({ stateDir, sources: [source], spoolMaxBytes: 256 * 1024, heartbeatSeconds: 1, flushMs: 50 });
  const counters = agent.counters();
  assert.equal(counters.collected, 3000);
  assert.ok(counters.dropped > 0, 'the bound was hit');
  assert.equal(counters.dropped + counters.spooled, 3000);

  await server.start();
  await api.login();
  assert.ok(await agent.drain(20_000), 'the spool drains once the server is back');
  const host = await waitFor('a heartbeat reporting the loss', async () => {
    const hosts = (await api.get('/api/v1/hosts')).body as { id: string; counters: { dropped: number; sent: number } | null }[];
    const found = hosts.find((h) => h.id === agent.agentId);
    return found?.counters && found.counters.dropped === counters.dropped ? found : undefined;
  }, 10_000);
  const stored = (await api.get(`/api/v1/events/counts?host_id=${agent.agentId}&group_by=none`)).body.total as number;
  assert.equal(stored, counters.spooled, 'every spooled event was stored');
  assert.equal(stored + host.counters!.dropped, 3000, 'stored + dropped accounts for every collected event');
  await agent.stop();
});
