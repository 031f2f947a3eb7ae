// The agent's CPU scheduling priority: a raised priority (negative nice) for every thread of the agent process.
// Never lowers a priority someone else raised further, and never fails the agent: a refusal is returned, not thrown.

import { getPriority } from 'node:os';
import { processThreadIds, raiseThreadPriority, VigilError } from '@vigil/common';

/**
 * Nice value the agent runs at by default. A machine busy with short-lived processes (1,000 exec/s) keeps dozens of
 * tasks runnable; at nice 0 the agent's main thread, which reads auditd's socket, then waits on the run queue most of
 * the time and auditd's plugin queue overflows. auditd itself runs at -4 (priority_boost); the agent consumes its
 * output and must drain faster than auditd fills, hence higher. The agent uses only what its input rate needs.
 * -10 drains with margin (auditd's queue peaked at 7,611 of 65,536 at 1,000 exec/s, against 15,614-39,587 at -5).
 * (-5 shipped for a while because at -10 the isolation system test's first task report hung; that was an isolation
 * ruleset bug, conntrack picking up the open server connection from the server's reply, fixed in nftables-ruleset.ts.)
 */
export const DEFAULT_AGENT_NICE = -10;

export interface PriorityResult {
  /** The nice value of the agent's threads now (the first thread's when they differ). */
  nice: number;
  /** Threads whose priority was raised. */
  raised: number;
  /** Why raising failed (no CAP_SYS_NICE, a thread gone); absent when every thread runs at `nice` or higher. */
  problem?: VigilError;
}

/**
 * Raises every current thread of this process to `nice` (Linux nice is per thread; threads and child processes
 * started later inherit it from their creator). Threads already at `nice` or higher priority are left alone.
 */
export function raiseSchedulingPriority(nice: number): PriorityResult {
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) {
    return { nice: getPriority(), raised: 0, problem: new VigilError('invalid_config', `agent nice value must be an integer from -20 to 19, got ${String(nice)}`) };
  }
  let raised = 0;
  let problem: VigilError | undefined;
  for (const tid of processThreadIds()) {
    const change = raiseThreadPriority(tid, nice);
    if (change.outcome === 'raised') raised++;
    else if (change.outcome === 'refused') {
      problem ??= new VigilError('system', `cannot raise the agent's scheduling priority to nice ${nice} (thread ${tid}): ${change.error.message}; it runs at nice ${getPriority()} and may fall behind auditd on a busy machine`, { cause: change.error });
    }
  }
  return { nice: getPriority(), raised, ...(problem ? { problem } : {}) };
}

/** The nice value from VIGIL_AGENT_NICE, or DEFAULT_AGENT_NICE; `off` keeps the inherited priority (undefined). */
export function agentNiceFromEnv(value: string | undefined = process.env.VIGIL_AGENT_NICE): number | undefined {
  if (value === undefined || value.trim() === '') return DEFAULT_AGENT_NICE;
  if (value.trim().toLowerCase() === 'off') return undefined;
  return Number(value);
}
