// The detection worker thread's scheduling: it runs 10 nice steps above the request thread (so that on busy cores a
// batch's alerts do not wait for a CPU behind ingest, the store and profiling), and only that thread is raised.
// Needs root (CAP_SYS_NICE), like the rest of the suite.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDuckDbStore } from '@vigil/store';
import { DetectionDb } from './detection-db.js';
import { createDetectionService } from './detection-service.js';

/** Nice value of every thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      values.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return values;
}

test('the detection worker thread runs 10 nice steps above the request thread; no other thread moves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-detection-worker-'));
  const store = createDuckDbStore({ dataDir: join(dir, 'events'), ack: 'journal', threads: 1 });
  await store.open();
  const db = new DetectionDb(join(dir, 'detection.sqlite'));
  const mainNice = getPriority(process.pid);
  const before = threadNiceValues();
  const service = createDetectionService({ db, store, installBuiltinPack: false });
  try {
    // The worker reports its index once its rules are loaded, after it set its priority.
    for (const deadline = Date.now() + 20_000; service.metrics().index === null; ) {
      assert.ok(Date.now() < deadline, 'the detection worker did not load its rules in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const after = threadNiceValues();
    const raised = [...after].filter(([, nice]) => nice !== mainNice);
    assert.deepEqual(
      raised.map(([, nice]) => nice),
      [Math.max(-20, mainNice - 10)],
      `exactly one thread (the detection worker) runs above the request thread's nice ${mainNice}`,
    );
    const [tid] = raised[0]!;
    assert.equal(before.has(tid), false, 'the raised thread started with the service');
    assert.equal(getPriority(process.pid), mainNice, 'the request thread keeps its priority');
  } finally {
    await service.close();
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
