import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { agentNiceFromEnv, DEFAULT_AGENT_NICE, raiseSchedulingPriority } from './scheduling.js';

const moduleUrl = new URL('./scheduling.js', import.meta.url).href;
const isRoot = process.getuid?.() === 0;

/**
 * Runs `calls` (nice values, in order) through raiseSchedulingPriority in a fresh node process (the test runner keeps
 * its own priority), starts a worker thread afterwards, and returns each result and the nice value of every thread.
 */
function inChild(calls: number[], asUser?: number): { results: { nice: number; raised: number; problem?: string }[]; threadNice: number[] } {
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { Worker } from 'node:worker_threads';
    const { raiseSchedulingPriority } = await import(${JSON.stringify(moduleUrl)});
    const results = ${JSON.stringify(calls)}.map((nice) => {
      const r = raiseSchedulingPriority(nice);
      return { nice: r.nice, raised: r.raised, ...(r.problem ? { problem: r.problem.code } : {}) };
    });
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    const threadNice = readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
    await worker.terminate();
    process.stdout.write(JSON.stringify({ results, threadNice }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)), ...(asUser !== undefined ? { uid: asUser, gid: asUser } : {}) });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as ReturnType<typeof inChild>;
}

test('every thread is raised, and a worker thread started afterwards inherits the priority (needs root, as the whole suite)', () => {
  const { results, threadNice } = inChild([-7]);
  assert.equal(results[0]!.problem, undefined);
  assert.equal(results[0]!.nice, -7);
  assert.ok(results[0]!.raised >= 2, `node runs several threads; raised ${results[0]!.raised}`);
  assert.ok(threadNice.length > results[0]!.raised, 'the worker added threads after the call');
  assert.deepEqual(new Set(threadNice), new Set([-7]));
});

test('a priority already higher is never lowered (needs root)', () => {
  const { results, threadNice } = inChild([-12, -5]);
  assert.equal(results[1]!.raised, 0);
  assert.equal(results[1]!.nice, -12);
  assert.deepEqual(new Set(threadNice), new Set([-12]));
});

test('without CAP_SYS_NICE the refusal is returned as a system error, not thrown', () => {
  // As root the child drops to nobody (65534), which may not raise priorities.
  const { results } = inChild([-10], isRoot ? 65534 : undefined);
  assert.equal(results[0]!.problem, 'system');
  assert.equal(results[0]!.raised, 0);
});

test('a nice value out of range or not an integer is refused as invalid_config and changes nothing', () => {
  for (const bad of [-21, 20, 2.5, Number.NaN]) {
    const result = raiseSchedulingPriority(bad);
    assert.equal(result.problem?.code, 'invalid_config', String(bad));
    assert.equal(result.raised, 0);
  }
});

test('VIGIL_AGENT_NICE: unset means the default, off keeps the inherited priority, a number is taken as is', () => {
  assert.equal(agentNiceFromEnv(undefined), DEFAULT_AGENT_NICE);
  assert.equal(agentNiceFromEnv(' '), DEFAULT_AGENT_NICE);
  assert.equal(agentNiceFromEnv('off'), undefined);
  assert.equal(agentNiceFromEnv('OFF'), undefined);
  assert.equal(agentNiceFromEnv('-4'), -4);
  assert.ok(Number.isNaN(agentNiceFromEnv('fast')), 'not a number: raiseSchedulingPriority refuses it');
});
