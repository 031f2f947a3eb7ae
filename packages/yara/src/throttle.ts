// Holds a sweep to a CPU budget: compares the process's CPU time (process.cpuUsage: user + system, all threads)
// with the wall time since the window started, and sleeps long enough to bring the ratio back to the budget.
// Never busy-waits; the clocks are injectable so tests do not depend on timing.

export interface CpuThrottleOptions {
  /** Share of one core the process may use, 0 < budget <= cores (0.25 = a quarter of one core). */
  budget: number;
  /** Checks happen at most this often (default 50 ms); calls in between return at once. */
  checkEveryMs?: number;
  /** Longest single sleep (default 5,000 ms). */
  maxSleepMs?: number;
  /** CPU microseconds used by the process so far (default process.cpuUsage user + system). */
  cpuMicros?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CpuThrottle {
  /** Call between units of work; resolves when the work may go on (at each check it yields to the event loop at least once). */
  pace(): Promise<void>;
  stats(): { sleptMs: number; sleeps: number; cpuMs: number; wallMs: number };
}

export function createCpuThrottle(options: CpuThrottleOptions): CpuThrottle {
  if (!(options.budget > 0)) throw new RangeError('the CPU budget must be above 0');
  const cpuMicros = options.cpuMicros ?? (() => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  });
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const checkEvery = options.checkEveryMs ?? 50;
  const maxSleep = options.maxSleepMs ?? 5000;
  const startCpu = cpuMicros();
  const startWall = now();
  let lastCheck = -Infinity;
  let sleptMs = 0;
  let sleeps = 0;
  return {
    async pace() {
      const wall = now();
      if (wall - lastCheck < checkEvery) return;
      lastCheck = wall;
      const cpuMs = (cpuMicros() - startCpu) / 1000;
      const wallMs = wall - startWall;
      // The wall time at which the CPU used so far is exactly the budget.
      const owed = cpuMs / options.budget - wallMs;
      if (owed <= 1) {
        // Under budget: still let queued messages and timers of this thread run (scans requested during a sweep).
        await new Promise<void>((resolve) => setImmediate(resolve));
        return;
      }
      const ms = Math.min(owed, maxSleep);
      sleeps++;
      sleptMs += ms;
      await sleep(ms);
      lastCheck = now();
    },
    stats: () => ({ sleptMs: Math.round(sleptMs), sleeps, cpuMs: Math.round((cpuMicros() - startCpu) / 1000), wallMs: Math.round(now() - startWall) }),
  };
}
