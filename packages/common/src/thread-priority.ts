// Per-thread CPU scheduling priority. On Linux the nice value belongs to each thread (threads and processes started
// later inherit their creator's); elsewhere only the process is addressed. Refusals are returned, never thrown, so
// callers decide how loudly to report them.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The kernel id of the calling thread (Linux), or undefined where thread ids are not visible. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** The kernel ids of every current thread of this process (Linux), or just the process id elsewhere. */
export function processThreadIds(): number[] {
  try {
    return process.platform === 'linux' ? readdirSync('/proc/self/task').map(Number).filter(Number.isInteger) : [process.pid];
  } catch {
    return [process.pid];
  }
}

export type PriorityChange =
  | { outcome: 'raised' | 'unchanged' | 'gone' }
  /** Refused: typically no CAP_SYS_NICE. */
  | { outcome: 'refused'; error: Error };

/**
 * Raises thread `tid` to `nice` (-20 highest .. 19); a thread already at `nice` or higher priority is left alone
 * ('unchanged'), a thread that ended meanwhile is 'gone'.
 */
export function raiseThreadPriority(tid: number, nice: number): PriorityChange {
  try {
    if (getPriority(tid) <= nice) return { outcome: 'unchanged' };
    setPriority(tid, nice);
    return { outcome: 'raised' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return { outcome: 'gone' };
    return { outcome: 'refused', error: error as Error };
  }
}

export type SchedulingPolicy =
  /** SCHED_RR at real-time priority 1: runs before every normal thread as soon as it is runnable. */
  | 'round-robin'
  /** SCHED_OTHER, the kernel's default time sharing (the nice value then applies). */
  | 'normal';

/**
 * Sets the scheduling policy of thread `tid` (Linux, through util-linux's `chrt`). A round-robin thread preempts
 * every normal thread at once when it wakes, so it must only do work that something else bounds; the kernel keeps
 * 5 % of each second for normal threads (sched_rt_runtime_us). Refused (no CAP_SYS_NICE, no chrt, not Linux) is
 * returned, never thrown.
 */
export function setThreadScheduling(tid: number, policy: SchedulingPolicy): PriorityChange {
  if (process.platform !== 'linux') return { outcome: 'refused', error: new Error('scheduling policies are set on Linux only') };
  try {
    execFileSync('chrt', policy === 'round-robin' ? ['--rr', '-p', '1', String(tid)] : ['--other', '-p', '0', String(tid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { outcome: 'raised' };
  } catch (error) {
    if (!existsSync(`/proc/${tid}`)) return { outcome: 'gone' };
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return { outcome: 'refused', error: new Error(stderr || (error as Error).message) };
  }
}
