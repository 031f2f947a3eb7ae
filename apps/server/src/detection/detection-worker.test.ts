// The detection worker thread's scheduling: it runs under the real-time round-robin policy, or with `realtime: false`
// 10 nice steps above the request thread (so that on busy cores a batch's alerts do not wait for a CPU behind ingest,
// the store and profiling), and only that thread is raised. Needs root (CAP_SYS_NICE), like the rest of the suite.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDuckDbStore } from '@vigil/store';
import { DetectionDb } from './detection-db.js';
import { createDetectionService } from './detection-service.js';

/** Nice value (field 19) or scheduling policy (field 41: 0 normal, 2 round-robin) of every thread of this process. */
function threadField(field: 'nice' | 'policy'): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      values.set(Number(tid), Number(fields[field === 'nice' ? 16 : 38]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return values;
}

/** Polls until `check` passes (the worker sets its scheduling around its first rule load) or 10 s passed. */
async function eventually(check: () => void): Promise<void> {
  for (const deadline = Date.now() + 10_000; ; ) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function withService(realtime: boolean, check: (before: { nice: Map<number, number>; policy: Map<number, number> }, mainNice: number) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-detection-worker-'));
  const store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  const db = new DetectionDb(join(dir, 'detection.sqlite'));
  const mainNice = getPriority(process.pid);
  const before = { nice: threadField('nice'), policy: threadField('policy') };
  const service = createDetectionService({ db, store, installBuiltinPack: false, realtime });
  try {
    for (const deadline = Date.now() + 20_000; service.metrics().index === null; ) {
      assert.ok(Date.now() < deadline, 'the detection worker did not load its rules in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await eventually(() => check(before, mainNice));
    assert.equal(getPriority(process.pid), mainNice, 'the request thread keeps its priority');
  } finally {
    await service.close();
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the detection worker thread runs under the round-robin policy; no other thread moves', async () => {
  await withService(true, (before, mainNice) => {
    const realtime = [...threadField('policy')].filter(([, policy]) => policy !== 0);
    assert.deepEqual(realtime.map(([, policy]) => policy), [2], 'exactly one thread (the detection worker) runs round-robin');
    assert.equal(before.policy.has(realtime[0]![0]), false, 'the real-time thread started with the service');
    assert.deepEqual([...threadField('nice')].filter(([, nice]) => nice !== mainNice), [], 'no nice value moved');
  });
});

test('with realtime off the detection worker thread runs 10 nice steps above the request thread; no other thread moves', async () => {
  await withService(false, (before, mainNice) => {
    const raised = [...threadField('nice')].filter(([, nice]) => nice !== mainNice);
    assert.deepEqual(
      raised.map(([, nice]) => nice),
      [Math.max(-20, mainNice - 10)],
      `exactly one thread (the detection worker) runs above the request thread's nice ${mainNice}`,
    );
    assert.equal(before.nice.has(raised[0]![0]), false, 'the raised thread started with the service');
    assert.deepEqual([...threadField('policy')].filter(([, policy]) => policy !== 0), [], 'no thread is real-time');
  });
});
