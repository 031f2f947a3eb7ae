// Scheduling priority of the calling thread (Linux: the nice value is per thread). Used by worker threads whose work
// can wait (behaviour profiling) so that, when the cores are busy, the request thread and the detection worker run first.

import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Raises the calling thread's nice value by `steps` (lower priority). Returns the new nice value, or undefined where
 * thread ids are not visible (not Linux) or the change is refused; the thread then keeps its priority.
 */
export function lowerThreadPriority(steps: number): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(19, getPriority(tid) + steps);
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
