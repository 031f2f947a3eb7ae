import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecord } from './record-parser.js';
import { createSerialGapCounter } from './serial-gaps.js';

const rec = (serial: number, type = 'SYSCALL', node = '') => parseRecord(`${node}type=${type} msg=audit(1.000:${serial}): x=1`);

test('counts skipped kernel serials once, forgives late arrivals, ignores daemon and forwarded records', () => {
  const counter = createSerialGapCounter();
  for (const serial of [10, 10, 10, 11, 12]) counter.observe(rec(serial));
  assert.equal(counter.gaps(), 0);
  counter.observe(rec(9000, 'DAEMON_CONFIG'));
  counter.observe(rec(500, 'SYSCALL', 'node=other '));
  counter.observe(rec(15));
  assert.equal(counter.gaps(), 2, '13 and 14 are missing');
  counter.observe(rec(14));
  counter.observe(rec(14, 'EOE'));
  assert.equal(counter.gaps(), 1, '14 came late');
  counter.observe(rec(16));
  assert.equal(counter.gaps(), 1);
});
