// Regression guard: an acknowledged event is durable even when the server is killed with SIGKILL mid-stream.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ApiClient, cleanup, request, startServer, waitFor } from './harness.js';
import { batchBody, processEvent } from './events.js';

after(cleanup);

for (const ack of ['journal', 'commit']) test(`kill -9 of the server while batches are acknowledged loses no acknowledged event (store ack: ${ack})`, async () => {
  const server = await startServer({ VIGIL_STORE_ACK: ack });
  const api = await new ApiClient(server).login();
  const agents = await Promise.all([0, 1, 2].map(() => api.enrollKeys()));
  const acked = new Map<string, Set<string>>(agents.map((a) => [a.agentId, new Set()]));
  let stop = false;
  const senders = agents.map(async (agent) => {
    let sequence = 0;
    // At most 45 batches of 200 per agent, so one events page (10,000) can show all of them afterwards.
    while (!stop && sequence < 45 * 200) {
      const events = Array.from({ length: 200 }, () => processEvent(agent.agentId, ++sequence, `m${sequence}`));
      try {
        const reply = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(agent.agentId, events), ca: server.caPem, key: agent.key, cert: agent.cert });
        if (reply.status === 200) for (const e of events) acked.get(agent.agentId)!.add(e['event.id'] as string);
      } catch {
        return; // the server died under us: later batches were never acknowledged
      }
    }
  });
  const ackedTotal = () => [...acked.values()].reduce((n, set) => n + set.size, 0);
  await waitFor('batches to be acknowledged', () => ackedTotal() >= 3000 || undefined, 30_000, 5);
  await server.stop('SIGKILL');
  stop = true;
  await Promise.all(senders);
  const total = [...acked.values()].reduce((n, s) => n + s.size, 0);
  assert.ok(total >= 3000, `enough acknowledged before the kill (${total})`);
  assert.ok(total < 3 * 45 * 200, 'the kill came in the middle of the stream');

  await server.start();
  await api.login();
  for (const agent of agents) {
    const stored = new Set((await api.hostEvents(agent.agentId)).map((e) => e['event.id'] as string));
    for (const id of acked.get(agent.agentId)!) assert.ok(stored.has(id), `acknowledged event ${id} of ${agent.agentId} is missing after the crash`);
  }
});
