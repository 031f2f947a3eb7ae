// What each deployable runs, listed explicitly: the agent's sources per platform.
// Adding a source means adding it here; nothing registers itself by being imported.

import type { AgentConfig, EventSource, InventoryCollector, InventoryTableName } from '@vigil/sources';
import { DEFAULT_AGENT_CONFIG, createAuditdSource, createBpftraceSource, createChangeSource, createExecStarts, createInventoryCollector, createOslogSource, createWindowsEventLogSource } from '@vigil/sources';

export interface AgentWiringOptions {
  /** The agent's state directory (the change records keep their baseline there). */
  stateDir?: string;
  /** The operator configuration (--config); defaults when absent. */
  config?: AgentConfig;
  /** Refreshed when a change record makes one of its tables stale. */
  inventory?: InventoryCollector;
}

export function agentSources(platform: NodeJS.Platform = process.platform, options: AgentWiringOptions = {}): EventSource[] {
  const config = options.config ?? DEFAULT_AGENT_CONFIG;
  const changes = config.changes;
  // The bpftrace program sees every exec in the kernel: it gives the audit process events the start time of a process
  // that exited before its exec record was read, so process, network and DNS events agree on its entity id.
  const execStarts = createExecStarts();
  const all: EventSource[] = [createAuditdSource({ execStarts }), createBpftraceSource({ execStarts }), createOslogSource(), createWindowsEventLogSource()];
  if (changes.enabled) {
    all.push(
      createChangeSource({
        ...(options.stateDir ? { stateDir: options.stateDir } : {}),
        ...(changes.rescanSeconds ? { rescanSeconds: changes.rescanSeconds } : {}),
        ...(changes.modulesPollSeconds ? { modulesPollSeconds: changes.modulesPollSeconds } : {}),
        ...(changes.debounceMs ? { debounceMs: changes.debounceMs } : {}),
        ...(changes.contentLimit ? { contentLimit: changes.contentLimit } : {}),
        ...(changes.diffLimit ? { diffLimit: changes.diffLimit } : {}),
        onChange: (tables) => options.inventory?.refresh(tables as InventoryTableName[]),
      }),
    );
  }
  return all.filter((source) => source.platforms.includes(platform));
}

/** The agent's inventory collector (Linux), or undefined when the configuration turns it off. */
export function agentInventory(platform: NodeJS.Platform = process.platform, config: AgentConfig = DEFAULT_AGENT_CONFIG): InventoryCollector | undefined {
  if (platform !== 'linux' || !config.inventory.enabled) return undefined;
  const inventory = config.inventory;
  return createInventoryCollector({
    intervals: inventory.intervals,
    watch: inventory.watch,
    read: { ...(inventory.executableDirs ? { executableDirs: inventory.executableDirs } : {}), ...(inventory.maxExecutables ? { maxExecutables: inventory.maxExecutables } : {}) },
  });
}
