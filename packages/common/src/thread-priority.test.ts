import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { currentThreadId, setThreadScheduling } from './thread-priority.js';

/** The scheduling policy field of /proc/<tid>/stat (0 SCHED_OTHER, 2 SCHED_RR). */
function policyOf(tid: number): number {
  const stat = readFileSync(`/proc/${tid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; the policy is field 41.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

test('setThreadScheduling moves the calling thread to round-robin and back to normal', () => {
  const tid = currentThreadId();
  assert.ok(tid, 'thread ids are visible on Linux');
  try {
    const raised = setThreadScheduling(tid, 'round-robin');
    assert.equal(raised.outcome, 'raised', raised.outcome === 'refused' ? raised.error.message : '');
    assert.equal(policyOf(tid), 2);
  } finally {
    assert.equal(setThreadScheduling(tid, 'normal').outcome, 'raised');
  }
  assert.equal(policyOf(tid), 0);
});

test('setThreadScheduling reports a thread that does not exist as gone, not as an exception', () => {
  const change = setThreadScheduling(2 ** 22 + 12345, 'round-robin');
  assert.ok(change.outcome === 'gone' || change.outcome === 'refused');
});
