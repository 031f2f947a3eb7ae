import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

/** Nice value of each thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceByThread(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

test('lowerThreadPriority lowers only the calling thread', async () => {
  const mainNice = niceByThread().get(process.pid)!;
  const source = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('./thread-priority.js', import.meta.url).href)}).then(({ lowerThreadPriority }) => {
      const nice = lowerThreadPriority(3);
      const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
      parentPort.postMessage({ nice, tid });
      setTimeout(() => {}, 2000);
    });`;
  const worker = new Worker(source, { eval: true });
  try {
    const { nice, tid } = await new Promise<{ nice: number; tid: number }>((resolve, reject) => (worker.once('message', resolve), worker.once('error', reject)));
    assert.equal(nice, Math.min(19, mainNice + 3));
    const threads = niceByThread();
    assert.equal(threads.get(tid), nice, 'the worker thread runs at the lowered priority');
    assert.equal(threads.get(process.pid), mainNice, 'the main thread keeps its priority');
  } finally {
    await worker.terminate();
  }
});
