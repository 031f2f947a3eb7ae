// Agent handlers of process.kill, process.suspend and process.resume (specs in @vigil/response/actions/process).
// Never signals pid 1, the agent, a kernel thread, or a pid whose start time differs from the one the task pinned.

import { VigilError } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import type { ActionContext, ActionHandler } from '../handler.js';
import { ancestors, descendants, entityIdOf, isGone, isKernelThread, readStat, snapshot, type ProcStat } from './internal/procfs.js';

export type ProcessTargetArgs = { pid: number; start_time?: number; entity_id?: string; tree?: boolean };

export interface ProcessHandlerOptions {
  /** Further pids that must never be signalled (pid 1 and the agent's own pid always are). */
  protectedPids?: readonly number[];
  /** How long to wait for the kernel to show the effect (default 5000 ms). */
  verifyTimeoutMs?: number;
}

type Signal = 'SIGKILL' | 'SIGSTOP' | 'SIGCONT';

interface Target {
  stat: ProcStat;
  /** What happened when it was signalled. */
  result?: 'signalled' | 'already_gone' | 'pid_reused';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function protectedReason(stat: ProcStat, extra: ReadonlySet<number>): string | undefined {
  if (stat.pid === 1) return 'pid 1 (init) is never signalled';
  if (stat.pid === process.pid) return 'it is the Vigil agent itself';
  if (isKernelThread(stat)) return `pid ${stat.pid} (${stat.comm}) is a kernel thread`;
  if (extra.has(stat.pid)) return `pid ${stat.pid} (${stat.comm}) is protected by the agent configuration`;
  return undefined;
}

/** The live process the task means, after the pid-reuse and protection checks. */
function resolveRoot(args: ProcessTargetArgs, extra: ReadonlySet<number>): ProcStat {
  const stat = readStat(args.pid);
  if (!stat) throw new VigilError('not_found', `no process with pid ${args.pid}`, { location: { path: 'args.pid' } });
  if (args.start_time !== undefined && String(args.start_time) !== stat.startTicks) {
    throw new VigilError('conflict', `pid ${args.pid} (${stat.comm}) started at tick ${stat.startTicks}, not ${args.start_time}: the process the task meant is gone and its pid was reused`, { location: { path: 'args.start_time' } });
  }
  if (args.entity_id !== undefined && args.entity_id !== entityIdOf(stat)) {
    throw new VigilError('conflict', `pid ${args.pid} (${stat.comm}) is not the process with entity id ${args.entity_id}: that process is gone and its pid was reused`, { location: { path: 'args.entity_id' } });
  }
  const reason = protectedReason(stat, extra);
  if (reason) throw new VigilError('invalid_input', `refusing to signal pid ${args.pid}: ${reason}`, { location: { path: 'args.pid' } });
  // Checked before any signal: stopping an ancestor of the agent first and finding out later would freeze the agent's parent.
  if (args.tree && ancestors(process.pid).includes(stat.pid)) {
    throw new VigilError('invalid_input', `refusing to act on the tree of pid ${args.pid} (${stat.comm}): the Vigil agent is part of it`, { location: { path: 'args.tree' } });
  }
  return stat;
}

/** Sends the signal unless the pid now belongs to another process; records what happened. */
function signal(target: Target, name: Signal): void {
  const now = readStat(target.stat.pid);
  if (!now || now.state === 'Z' || now.state === 'X') {
    target.result = 'already_gone';
    return;
  }
  if (now.startTicks !== target.stat.startTicks) {
    target.result = 'pid_reused';
    return;
  }
  try {
    process.kill(target.stat.pid, name);
    target.result = 'signalled';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') target.result = 'already_gone';
    else throw new VigilError('system', `cannot send ${name} to pid ${target.stat.pid}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Stops the root, then repeatedly stops every descendant not yet stopped until a snapshot shows no new one, so a
 * tree that forks cannot outrun the kill. Returns the targets in breadth-first order (root first).
 */
async function freezeTree(root: ProcStat, extra: ReadonlySet<number>, context: ActionContext): Promise<Target[]> {
  const targets = new Map<number, Target>([[root.pid, { stat: root }]]);
  signal(targets.get(root.pid)!, 'SIGSTOP');
  for (let round = 0; round < 50; round++) {
    const fresh = descendants(root.pid, snapshot()).filter((stat) => !targets.has(stat.pid));
    if (fresh.length === 0) return [...targets.values()];
    for (const stat of fresh) {
      const reason = protectedReason(stat, extra);
      if (reason) {
        for (const target of targets.values()) if (target.result === 'signalled') signal(target, 'SIGCONT');
        throw new VigilError('invalid_input', `refusing to act on the tree of pid ${root.pid}: it contains pid ${stat.pid}, and ${reason}`, { location: { path: 'args.tree' } });
      }
      const target: Target = { stat };
      targets.set(stat.pid, target);
      signal(target, 'SIGSTOP');
    }
    context.progress({ message: `froze ${targets.size} processes of the tree of pid ${root.pid}` });
    await sleep(5);
  }
  throw new VigilError('conflict', `the tree of pid ${root.pid} kept spawning processes while being frozen; retry`);
}

async function waitUntil(done: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline || signal.aborted) return done();
    await sleep(10);
  }
}

const stopped = (target: Target) => {
  const now = readStat(target.stat.pid);
  return !!now && now.startTicks === target.stat.startTicks && (now.state === 'T' || now.state === 't');
};

/** At most this many processes are listed in a result (a report is at most 1 MiB); the counts cover all. */
const MAX_LISTED = 2000;

const report = (targets: readonly Target[]) => targets.slice(0, MAX_LISTED).map((t) => ({ pid: t.stat.pid, ppid: t.stat.ppid, name: t.stat.comm, start_ticks: Number(t.stat.startTicks), result: t.result ?? 'not_signalled' }));

export function createProcessHandlers(options: ProcessHandlerOptions = {}): ActionHandler[] {
  const extra = new Set(options.protectedPids ?? []);
  const timeoutMs = options.verifyTimeoutMs ?? 5000;

  const kill: ActionHandler<ProcessTargetArgs> = {
    action: 'process.kill',
    async run(args, context): Promise<ActionOutcome> {
      const root = resolveRoot(args, extra);
      if (root.state === 'Z') return { ok: true, verified: true, summary: `pid ${root.pid} (${root.comm}) had already exited (zombie)`, details: { processes: report([{ stat: root, result: 'already_gone' }]) } };
      let targets: Target[];
      if (args.tree) {
        targets = await freezeTree(root, extra, context);
        // Bottom-up: the deepest descendants first, the root last, so no child is re-parented while its tree dies.
        for (const target of [...targets].reverse()) signal(target, 'SIGKILL');
      } else {
        targets = [{ stat: root }];
        signal(targets[0]!, 'SIGKILL');
      }
      const verified = await waitUntil(() => targets.every((t) => isGone(t.stat.pid, t.stat.startTicks)), timeoutMs, context.signal);
      const survivors = targets.filter((t) => !isGone(t.stat.pid, t.stat.startTicks)).map((t) => t.stat.pid);
      const count = targets.filter((t) => t.result === 'signalled').length;
      return {
        ok: verified,
        verified,
        summary: verified
          ? args.tree
            ? `killed ${count} processes (tree of pid ${root.pid}, ${root.comm})`
            : `killed pid ${root.pid} (${root.comm})`
          : `sent SIGKILL but ${survivors.length} processes still exist after ${timeoutMs} ms: ${survivors.slice(0, 10).join(', ')}`,
        details: { processes: report(targets), total: targets.length, ...(survivors.length ? { survivors: survivors.slice(0, MAX_LISTED) } : {}) },
      };
    },
  };

  const suspend: ActionHandler<ProcessTargetArgs> = {
    action: 'process.suspend',
    async run(args, context): Promise<ActionOutcome> {
      const root = resolveRoot(args, extra);
      if (root.state === 'Z') throw new VigilError('conflict', `pid ${root.pid} (${root.comm}) has already exited (zombie)`);
      let targets: Target[];
      if (args.tree) targets = await freezeTree(root, extra, context);
      else {
        targets = [{ stat: root }];
        signal(targets[0]!, 'SIGSTOP');
      }
      const live = () => targets.filter((t) => !isGone(t.stat.pid, t.stat.startTicks));
      const verified = await waitUntil(() => live().every(stopped), timeoutMs, context.signal);
      const running = live().filter((t) => !stopped(t)).map((t) => t.stat.pid);
      return {
        ok: verified,
        verified,
        summary: verified ? `suspended ${live().length} process${live().length === 1 ? '' : 'es'} (pid ${root.pid}, ${root.comm}${args.tree ? ' and descendants' : ''})` : `sent SIGSTOP but ${running.length} processes are not stopped: ${running.slice(0, 10).join(', ')}`,
        details: { processes: report(targets), total: targets.length, ...(running.length ? { running: running.slice(0, MAX_LISTED) } : {}) },
      };
    },
  };

  const resume: ActionHandler<ProcessTargetArgs> = {
    action: 'process.resume',
    async run(args, context): Promise<ActionOutcome> {
      const root = resolveRoot(args, extra);
      const targets: Target[] = [{ stat: root }];
      if (args.tree) {
        for (const stat of descendants(root.pid, snapshot())) {
          const reason = protectedReason(stat, extra);
          if (reason) throw new VigilError('invalid_input', `refusing to act on the tree of pid ${root.pid}: it contains pid ${stat.pid}, and ${reason}`, { location: { path: 'args.tree' } });
          targets.push({ stat });
        }
      }
      for (const target of targets) signal(target, 'SIGCONT');
      const live = () => targets.filter((t) => !isGone(t.stat.pid, t.stat.startTicks));
      const verified = await waitUntil(() => live().every((t) => !stopped(t)), timeoutMs, context.signal);
      const still = live().filter(stopped).map((t) => t.stat.pid);
      return {
        ok: verified,
        verified,
        summary: verified ? `resumed ${live().length} process${live().length === 1 ? '' : 'es'} (pid ${root.pid}, ${root.comm}${args.tree ? ' and descendants' : ''})` : `sent SIGCONT but ${still.length} processes are still stopped (traced?): ${still.slice(0, 10).join(', ')}`,
        details: { processes: report(targets), total: targets.length, ...(still.length ? { still_stopped: still.slice(0, MAX_LISTED) } : {}) },
      };
    },
  };

  return [kill, suspend, resume];
}
