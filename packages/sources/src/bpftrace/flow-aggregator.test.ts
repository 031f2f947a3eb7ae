// Flow aggregation: identical flows fold within a window, windows end in order, capacity never drops a flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFlowAggregator, type Flow } from './flow-aggregator.js';

function collect(windowMs: number, maxOpen?: number) {
  const emitted: Flow<{ name: string }>[] = [];
  const aggregator = createFlowAggregator<{ name: string }>({ windowMs, ...(maxOpen ? { maxOpen } : {}), emit: (flow) => emitted.push(flow) });
  return { aggregator, emitted };
}

test('repeats within the window fold into one flow with count, first and last sighting', () => {
  const { aggregator, emitted } = collect(1000);
  let created = 0;
  for (const at of [100, 350, 900, 1099]) aggregator.add('a', at, () => ({ name: `a${++created}` }));
  aggregator.add('b', 500, () => ({ name: 'b' }));
  assert.equal(aggregator.flushDue(1099), 0, 'nothing is due before the first window ends');
  assert.equal(aggregator.flushDue(1100), 1);
  assert.deepEqual(emitted.map((f) => [f.key, f.state.name, f.count, f.firstMs, f.lastMs]), [['a', 'a1', 4, 100, 1099]]);
  assert.equal(created, 1, 'state is created once per flow');
  aggregator.add('a', 1200, () => ({ name: 'a-again' }));
  assert.equal(aggregator.flushDue(1500), 1);
  assert.deepEqual(emitted.at(-1)!.key, 'b');
  aggregator.flushDue(2200);
  assert.deepEqual(emitted.map((f) => `${f.state.name}:${f.count}`), ['a1:4', 'b:1', 'a-again:1'], 'a sighting after the window opens a new flow');
  assert.deepEqual(aggregator.stats(), { open: 0, flows: 3, sightings: 6, early: 0 });
});

test('at capacity the oldest open flow is emitted early, never dropped', () => {
  const { aggregator, emitted } = collect(60_000, 2);
  aggregator.add('a', 1, () => ({ name: 'a' }));
  aggregator.add('b', 2, () => ({ name: 'b' }));
  aggregator.add('a', 3, () => ({ name: 'x' }));
  aggregator.add('c', 4, () => ({ name: 'c' }));
  assert.deepEqual(emitted.map((f) => `${f.key}:${f.count}`), ['a:2']);
  assert.equal(aggregator.flushAll(), 2);
  assert.deepEqual(emitted.map((f) => f.key), ['a', 'b', 'c']);
  assert.equal(aggregator.stats().early, 1);
});

test('a zero window emits every sighting on the next flush', () => {
  const { aggregator, emitted } = collect(0);
  aggregator.add('a', 10, () => ({ name: 'a' }));
  aggregator.add('a', 10, () => ({ name: 'a' }));
  aggregator.flushDue(10);
  aggregator.add('a', 11, () => ({ name: 'a' }));
  aggregator.flushDue(11);
  assert.deepEqual(emitted.map((f) => f.count), [2, 1]);
  assert.throws(() => createFlowAggregator({ windowMs: -1, emit: () => undefined }), RangeError);
});
