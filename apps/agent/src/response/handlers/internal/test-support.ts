// Test helpers of the handler tests: a real ActionContext over a temporary state folder, and child processes that are
// always killed. Used by tests only; never imported by handlers.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionProgress } from '@vigil/response';
import type { ActionContext } from '../../handler.js';

export interface TestContext extends ActionContext {
  progressSeen: ActionProgress[];
}

export function testContext(stateDir: string, taskId = `task-${Math.random().toString(16).slice(2)}`): TestContext {
  const progressSeen: ActionProgress[] = [];
  return {
    agentId: 'test-agent',
    stateDir,
    server: { host: '127.0.0.1', port: 1 },
    taskId,
    signal: new AbortController().signal,
    progress: (update) => progressSeen.push(update),
    progressSeen,
  };
}

const dirs: string[] = [];
export function tempDir(prefix: string, base = tmpdir()): string {
  const dir = mkdtempSync(join(base, `vigil-${prefix}-`));
  dirs.push(dir);
  return dir;
}

const children = new Set<ChildProcess>();
export function child(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const process = spawn(command, args, { stdio: 'ignore', ...options });
  children.add(process);
  process.once('exit', () => children.delete(process));
  return process;
}

/** Kills every child still running and removes every temporary folder. */
export function cleanupTestSupport(): void {
  for (const process of children) process.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
