// process.kill / suspend / resume on real processes: single and tree kills are verified by /proc, stop states by
// field 3 of /proc/<pid>/stat, and every refusal (pid 1, the agent, kernel threads, a reused pid) leaves the target alone.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { VigilError } from '@vigil/common';
import type { ActionHandler } from '../handler.js';
import { createProcessHandlers } from './process.js';
import { descendants, entityIdOf, isGone, readStat, snapshot } from './internal/procfs.js';
import { child, cleanupTestSupport, tempDir, testContext, waitFor } from './internal/test-support.js';

after(cleanupTestSupport);

const handlers = new Map(createProcessHandlers().map((h) => [h.action, h] as const));
const handler = (name: string): ActionHandler => handlers.get(name)!;
const context = () => testContext(tempDir('proc'));

const refusedWith = (code: string, pattern: RegExp) => (error: unknown) => error instanceof VigilError && error.code === code && pattern.test(error.message);

/** A shell with two sleeping children and a grandchild; resolves once all four exist. */
async function tree(): Promise<{ root: number; all: number[] }> {
  const shell = child('sh', ['-c', 'sleep 1000 & sleep 1000 & sh -c "sleep 1000 & wait" & wait']);
  const root = shell.pid!;
  const all = await waitFor('the process tree', () => {
    const below = descendants(root, snapshot());
    return below.length >= 4 ? [root, ...below.map((s) => s.pid)] : undefined;
  });
  return { root, all };
}

test('process.kill kills one process and verifies it is gone', async () => {
  const sleeper = child('sleep', ['1000']);
  const stat = await waitFor('sleep', () => readStat(sleeper.pid!));
  const outcome = await handler('process.kill').run({ pid: sleeper.pid!, start_time: Number(stat.startTicks) }, context());
  assert.equal(outcome.ok, true, outcome.summary);
  assert.equal(outcome.verified, true);
  assert.ok(isGone(stat.pid, stat.startTicks));
  const processes = outcome.details?.processes as { pid: number; result: string }[];
  assert.deepEqual(processes.map((p) => [p.pid, p.result]), [[stat.pid, 'signalled']]);
});

test('process.kill with tree kills the process and every descendant', async () => {
  const { root, all } = await tree();
  const stats = all.map((pid) => readStat(pid)!);
  const outcome = await handler('process.kill').run({ pid: root, tree: true }, context());
  assert.equal(outcome.verified, true, outcome.summary);
  for (const stat of stats) assert.ok(isGone(stat.pid, stat.startTicks), `pid ${stat.pid} (${stat.comm}) survived`);
  const killed = (outcome.details?.processes as { pid: number }[]).map((p) => p.pid).sort();
  assert.deepEqual(killed, [...all].sort());
  assert.match(outcome.summary, new RegExp(`killed ${all.length} processes \\(tree of pid ${root}`));
});

test('process.suspend stops a tree (state T) and process.resume lets it run again', async () => {
  const { root, all } = await tree();
  const ctx = context();
  const suspended = await handler('process.suspend').run({ pid: root, tree: true }, ctx);
  assert.equal(suspended.verified, true, suspended.summary);
  for (const pid of all) assert.equal(readStat(pid)?.state, 'T', `pid ${pid} is not stopped`);
  const resumed = await handler('process.resume').run({ pid: root, tree: true }, ctx);
  assert.equal(resumed.verified, true, resumed.summary);
  for (const pid of all) assert.notEqual(readStat(pid)?.state, 'T', `pid ${pid} is still stopped`);
  await handler('process.kill').run({ pid: root, tree: true }, ctx);
});

test('process.suspend of one process leaves its children running', async () => {
  const { root, all } = await tree();
  const outcome = await handler('process.suspend').run({ pid: root }, context());
  assert.equal(outcome.verified, true);
  assert.equal(readStat(root)?.state, 'T');
  for (const pid of all.slice(1)) assert.notEqual(readStat(pid)?.state, 'T');
  await handler('process.kill').run({ pid: root, tree: true }, context());
});

test('refusals: pid 1, the agent itself, a tree holding the agent, a kernel thread; nothing is signalled', async () => {
  await assert.rejects(handler('process.kill').run({ pid: 1 }, context()), refusedWith('invalid_input', /pid 1 \(init\)/));
  await assert.rejects(handler('process.suspend').run({ pid: process.pid }, context()), refusedWith('invalid_input', /Vigil agent itself/));
  await assert.rejects(handler('process.kill').run({ pid: process.ppid, tree: true }, context()), refusedWith('invalid_input', /agent is part of it/));
  assert.notEqual(readStat(process.ppid)?.state, 'T');
  const kthread = [...snapshot().values()].find((s) => s.ppid === 2);
  assert.ok(kthread, 'this kernel shows kernel threads under kthreadd');
  await assert.rejects(handler('process.kill').run({ pid: kthread.pid }, context()), refusedWith('invalid_input', /kernel thread/));
  const protectedSleeper = child('sleep', ['1000']);
  const guarded = new Map(createProcessHandlers({ protectedPids: [protectedSleeper.pid!] }).map((h) => [h.action, h] as const));
  await assert.rejects(guarded.get('process.kill')!.run({ pid: protectedSleeper.pid! }, context()), refusedWith('invalid_input', /protected by the agent configuration/));
  assert.ok(readStat(protectedSleeper.pid!));
});

test('a pid whose start time or entity id does not match is refused (pid reuse) and left alone', async () => {
  const sleeper = child('sleep', ['1000']);
  const stat = await waitFor('sleep', () => readStat(sleeper.pid!));
  await assert.rejects(handler('process.kill').run({ pid: stat.pid, start_time: Number(stat.startTicks) + 1 }, context()), refusedWith('conflict', /pid was reused/));
  await assert.rejects(handler('process.kill').run({ pid: stat.pid, entity_id: 'AAAAAAAAAAAAAAAAAAAAAA' }, context()), refusedWith('conflict', /pid was reused/));
  assert.ok(!isGone(stat.pid, stat.startTicks), 'the process was killed despite the mismatch');
  const outcome = await handler('process.kill').run({ pid: stat.pid, entity_id: entityIdOf(stat) }, context());
  assert.equal(outcome.verified, true);
});

test('a pid that does not exist is not_found', async () => {
  await assert.rejects(handler('process.kill').run({ pid: 4194000 }, context()), refusedWith('not_found', /no process with pid 4194000/));
});
