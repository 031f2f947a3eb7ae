// Regression guard: a source that cannot start (here the bpftrace source with no bpftrace binary) no longer stops the
// agent. The agent runs with its other sources and the heartbeat shows the failed one.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@vigil/common';
import { startAgent } from '@vigil/agent';
import { createBpftraceSource, type EventSink, type EventSource } from '@vigil/sources';
import { ApiClient, cleanup, startServer, tempDir, waitFor } from './harness.js';

after(cleanup);

/** A source that emits a few schema-valid process events at start. */
function fewEvents(count: number): EventSource {
  return {
    name: 'few',
    platforms: ['linux'],
    async start(sink: EventSink) {
      for (let i = 0; i < count; i++) {
        sink.emit({ '@timestamp': new Date().toISOString(), 'event.category': 'process', 'event.action': 'start', 'process.pid': 7000 + i, 'process.args': ['true', `start-failure-${i}`] } as never);
      }
    },
    async stop() {},
    stats: () => ({ emitted: count }),
  };
}

test('the agent runs without a source that fails to start and reports it in the heartbeat', async () => {
  const server = await startServer();
  const api = await new ApiClient(server).login();
  const stateDir = tempDir('agent');
  const token = await api.enrollmentToken();
  const enrolled = spawnSync(process.execPath, [join(repoRoot(), 'apps/cli/bin/vigil.js'), 'enroll', '--server', server.apiUrl, '--token', token, '--ca-file', join(server.dataDir, 'pki/ca.crt'), '--state-dir', stateDir], { encoding: 'utf8' });
  assert.equal(enrolled.status, 0, enrolled.stderr);

  const missing = createBpftraceSource({ bpftracePath: '/nonexistent/vigil-test/bpftrace' });
  const agent = await startAgent({ stateDir, sources: [missing, fewEvents(5)], heartbeatSeconds: 1, flushMs: 50 });
  try {
    assert.ok(await agent.drain(20_000), 'the working source’s events are delivered');
    const events = await api.hostEvents(agent.agentId, 'category=process&limit=100');
    assert.equal(events.filter((e) => String((e['process.args'] as string[] | undefined)?.[1]).startsWith('start-failure-')).length, 5);
    const host = await waitFor('a heartbeat naming the failed source', async () => {
      const hosts = (await api.get('/api/v1/hosts')).body as { id: string; sources: Record<string, Record<string, number>> | null }[];
      return hosts.find((h) => h.id === agent.agentId && h.sources?.bpftrace?.start_failed === 1);
    }, 15_000, 200);
    assert.equal(host.sources!.bpftrace!.running, 0);
    assert.equal(host.sources!.few!.start_failed, undefined);
  } finally {
    await agent.stop();
  }

});
