// Start times of processes as the kernel reported them at exec, shared between sources of one agent.
// The audit subsystem's exec records carry no start time: the process source reads it from /proc/<pid>/stat when it
// builds the event, and a process that has already exited by then (a dropper that runs for a few milliseconds while
// the agent is busy) has none. A source that sees every exec in the kernel (the bpftrace program's exec tracepoint)
// records the start time here, so the process source can still give the process the entity id that network and DNS
// events of the same process carry.

/** How long an exec's start time is kept: far longer than any source lags behind the kernel. */
const KEEP_MS = 120_000;
/** Processes kept at most (the oldest leave first). */
const MAX_ENTRIES = 65_536;

export interface ExecStarts {
  /** Records that process `pid` exec'd (now, by the local clock) and started at `ticks` (clock ticks since boot, as /proc). */
  record(pid: number, ticks: string): void;
  /**
   * The start ticks of pid's latest exec recorded at or after `sinceMs` (local clock, ms), waiting up to `waitMs` for one
   * to be recorded; undefined when none comes (no feed, or it lags more). Resolves at once when no feed is attached.
   */
  ticksOf(pid: number, sinceMs: number, waitMs: number): Promise<string | undefined>;
  /** Called by the feeding source while it runs: without a live feed nobody waits. */
  setFeeding(feeding: boolean): void;
  stats(): { recorded: number; found: number; waited: number; missed: number };
}

export function createExecStarts(options: { now?: () => number } = {}): ExecStarts {
  const now = options.now ?? Date.now;
  /** pid -> latest exec, oldest first. */
  const latest = new Map<number, { ticks: string; atMs: number }>();
  const waiters = new Map<number, Set<(ticks: string, atMs: number) => void>>();
  let feeding = false;
  const counts = { recorded: 0, found: 0, waited: 0, missed: 0 };

  const known = (pid: number, sinceMs: number): string | undefined => {
    const entry = latest.get(pid);
    return entry && entry.atMs >= sinceMs ? entry.ticks : undefined;
  };

  return {
    record(pid, ticks) {
      const atMs = now();
      counts.recorded++;
      latest.delete(pid);
      latest.set(pid, { ticks, atMs });
      for (const [oldest, entry] of latest) {
        if (latest.size <= MAX_ENTRIES && entry.atMs >= atMs - KEEP_MS) break;
        latest.delete(oldest);
      }
      const waiting = waiters.get(pid);
      if (waiting) for (const wake of waiting) wake(ticks, atMs);
    },

    ticksOf(pid, sinceMs, waitMs) {
      const found = known(pid, sinceMs);
      if (found !== undefined) {
        counts.found++;
        return Promise.resolve(found);
      }
      if (!feeding || waitMs <= 0) {
        counts.missed++;
        return Promise.resolve(undefined);
      }
      counts.waited++;
      return new Promise((resolve) => {
        let set = waiters.get(pid);
        if (!set) waiters.set(pid, (set = new Set()));
        const done = (ticks: string | undefined) => {
          clearTimeout(timer);
          set!.delete(wake);
          if (set!.size === 0) waiters.delete(pid);
          if (ticks === undefined) counts.missed++;
          else counts.found++;
          resolve(ticks);
        };
        const wake = (ticks: string, atMs: number) => {
          if (atMs >= sinceMs) done(ticks);
        };
        const timer = setTimeout(() => done(undefined), waitMs);
        set.add(wake);
      });
    },

    setFeeding(value) {
      feeding = value;
    },

    stats: () => ({ ...counts }),
  };
}
