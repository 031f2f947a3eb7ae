// A host's isolation state from its response tasks: the latest successful isolate or release decides; a newer one
// still on its way shows as pending. The agent's own checked report (heartbeat) wins when it is at least as new as
// the deciding task. Pure; tasks may come in any order and mix hosts.

export const terminalStates: ReadonlySet<string> = new Set(['succeeded', 'failed', 'expired', 'cancelled']);

export interface IsolationTask {
  id: string;
  host_id: string;
  action: string;
  state: string;
  created_at: string;
}

export interface IsolationState<T extends IsolationTask = IsolationTask> {
  state: 'isolated' | 'released' | 'pending';
  /** The task that decided the state (the pending one while one is on its way). */
  task: T;
  /** The state the last successful task left, also while a newer one is pending. */
  settled: 'isolated' | 'released' | null;
}

export function isolationFrom<T extends IsolationTask>(tasks: readonly T[]): Map<string, IsolationState<T>> {
  const byHost = new Map<string, T[]>();
  for (const task of tasks) {
    if (task.action !== 'host.isolate' && task.action !== 'host.release') continue;
    (byHost.get(task.host_id) ?? byHost.set(task.host_id, []).get(task.host_id)!).push(task);
  }
  const result = new Map<string, IsolationState<T>>();
  for (const [host, list] of byHost) {
    list.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id.localeCompare(a.id));
    const done = list.find((t) => t.state === 'succeeded');
    const settled = done ? (done.action === 'host.isolate' ? 'isolated' : 'released') : null;
    const pending = list.find((t) => !terminalStates.has(t.state) && t.state !== 'awaiting_approval');
    if (pending && (!done || Date.parse(pending.created_at) >= Date.parse(done.created_at))) result.set(host, { state: 'pending', task: pending, settled });
    else if (done && settled) result.set(host, { state: settled, task: done, settled });
  }
  return result;
}

/** Isolation as the agent checked it on the host (IsolationReport of packages/protocol, in the host view). */
export interface AgentIsolation {
  state: 'isolated' | 'released' | 'unverified';
  since: string | null;
  checked_at: string;
  problem?: string;
}

export interface ShownIsolation {
  state: 'isolated' | 'released' | 'pending' | 'unverified';
  /** When the agent checked the state shown; null when it comes from the tasks alone. */
  verifiedAt: string | null;
  problem?: string;
}

/**
 * What to show for one host: a task on its way shows as pending; otherwise the agent's report when it was checked no
 * earlier than the deciding task finished (an older report predates that task), else the tasks' result.
 */
export function shownIsolation<T extends IsolationTask & { finished_at?: string | null }>(fromTasks: IsolationState<T> | undefined, report: AgentIsolation | null | undefined): ShownIsolation {
  if (fromTasks?.state === 'pending') return { state: 'pending', verifiedAt: null };
  const decided = fromTasks ? Date.parse(fromTasks.task.finished_at ?? fromTasks.task.created_at) : -Infinity;
  if (report && Date.parse(report.checked_at) >= decided) return { state: report.state, verifiedAt: report.checked_at, ...(report.problem ? { problem: report.problem } : {}) };
  return { state: fromTasks?.state ?? 'released', verifiedAt: null };
}
