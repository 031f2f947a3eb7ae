import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createExecStarts } from './exec-starts.js';

test('exec starts: found when recorded at or after the asked time, waited for while a feed runs, missed otherwise', async () => {
  let clock = 10_000;
  const starts = createExecStarts({ now: () => clock });
  assert.equal(await starts.ticksOf(1, 0, 1000), undefined, 'no feed: no wait');
  starts.record(1, '100');
  assert.equal(await starts.ticksOf(1, 9_000, 1000), '100');
  assert.equal(await starts.ticksOf(1, 11_000, 0), undefined, 'recorded before the asked time: another exec');
  starts.setFeeding(true);
  const waiting = starts.ticksOf(2, 9_000, 5000);
  clock = 10_500;
  starts.record(3, '300');
  starts.record(2, '200');
  assert.equal(await waiting, '200', 'woken by the record of its pid');
  const tooOld = starts.ticksOf(4, 20_000, 30);
  starts.record(4, '400'); // at 10,500: older than asked
  assert.equal(await tooOld, undefined, 'a record before the asked time does not wake it; the wait ends');
  starts.setFeeding(false);
  assert.deepEqual(starts.stats(), { recorded: 4, found: 2, waited: 2, missed: 3 });
});

test('exec starts: bounded, the oldest records leave first and old ones expire', async () => {
  let clock = 0;
  const starts = createExecStarts({ now: () => clock });
  for (let pid = 1; pid <= 70_000; pid++) starts.record(pid, String(pid));
  assert.equal(await starts.ticksOf(1, 0, 0), undefined, 'the oldest left when the bound was passed');
  assert.equal(await starts.ticksOf(70_000, 0, 0), '70000');
  clock = 200_000;
  starts.record(1, 'new');
  assert.equal(await starts.ticksOf(70_000, 0, 0), undefined, 'expired two minutes after it was recorded');
  assert.equal(await starts.ticksOf(1, 0, 0), 'new');
});
