// A host's isolation state from its response tasks: the latest successful isolate or release decides; a newer one
// still on its way shows as pending. Pure; tasks may come in any order and mix hosts.

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
