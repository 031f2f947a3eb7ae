// Cleanup registry for benchmarks: everything a run starts (child processes, temp folders, sockets) is registered here
// and undone in reverse order on success, failure and SIGINT/SIGTERM. A failing step is logged and never stops the rest.

export interface CleanupRegistry {
  /** Registers one undo step; steps run last-registered first. */
  add(name: string, run: () => void | Promise<void>): void;
  /** Runs every registered step once; later calls return the same promise. */
  runAll(): Promise<void>;
  /** True once SIGINT or SIGTERM arrived: the registry then cleans up and exits the process with status 130. */
  readonly interrupted: boolean;
}

/** Creates the registry and installs the SIGINT/SIGTERM handlers that clean up and exit. Create one per process. */
export function createCleanupRegistry(log: (line: string) => void): CleanupRegistry {
  const steps: { name: string; run: () => void | Promise<void> }[] = [];
  let cleaning: Promise<void> | undefined;
  let interrupted = false;
  const runAll = (): Promise<void> =>
    (cleaning ??= (async () => {
      while (steps.length) {
        const step = steps.pop()!;
        try {
          await step.run();
        } catch (error) {
          log(`cleanup ${step.name} failed: ${(error as Error).message}`);
        }
      }
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`\n${signal}: stopping and cleaning up`);
      void runAll().finally(() => process.exit(130));
    });
  }
  return {
    add: (name, run) => void steps.push({ name, run }),
    runAll,
    get interrupted() {
      return interrupted;
    },
  };
}
