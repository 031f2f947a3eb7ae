// Regression (tests/src/attack-chain.system.test.ts on real telemetry): a DNS lookup and the connection it enables
// share one millisecond timestamp; a sequence step must still follow the previous one by the agent's event.sequence.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileHunt } from './compile.js';
import { openTestDb, runCompiled } from './internal/test-support.js';
import { loadTestEvents, type TestEvent } from './internal/test-events.js';

const T = '2026-03-01T10:00:00.779Z';
const event = (id: string, sequence: number, category: string, action: string, time: string, fields: Record<string, unknown>): TestEvent => ({
  '@timestamp': time, 'event.id': id, 'event.sequence': sequence, 'event.ingested': time, 'event.category': category, 'event.action': action, 'host.id': 'h1', 'process.pid': 10, ...fields,
});

test('sequence steps in the same millisecond are ordered by event.sequence, never matched backwards', async () => {
  const db = await openTestDb();
  try {
    await loadTestEvents(db.connection, [
      event('p1', 1, 'process', 'start', '2026-03-01T10:00:00.752Z', { 'process.name': 'payload' }),
      event('d1', 2, 'dns', 'query', T, { 'dns.question.name': 'c2.example' }),
      event('n1', 3, 'network', 'connect', T, { 'destination.port': 4444 }),
      // Same instant but earlier in the agent's order than the lookup: must not be a match for "after the lookup".
      event('n0', 1, 'network', 'connect', T, { 'destination.port': 5555 }),
    ]);
    const run = async (query: string) => runCompiled(db.connection, compileHunt(query, { now: new Date('2026-03-02T00:00:00Z'), limit: 100 }));
    const found = await run('sequence by host.id maxspan=1m [process where process.name == "payload"] [dns where dns.question.name == "c2.example"] [network where destination.port == 4444]');
    assert.deepEqual(found.map((r) => [r['step1.event.id'], r['step2.event.id'], r['step3.event.id']]), [['p1', 'd1', 'n1']]);
    const backwards = await run('sequence by host.id [dns where dns.question.name == "c2.example"] [network where destination.port == 5555]');
    assert.deepEqual(backwards, []);
    const self = await run('sequence by host.id [network where destination.port == 4444] [network where destination.port == 4444]');
    assert.deepEqual(self, [], 'one event never fills two steps');
  } finally {
    db.close();
  }
});
