// What each deployable runs, listed explicitly: the agent's sources per platform.
// Adding a source means adding it here; nothing registers itself by being imported.

import type { EventSource } from '@vigil/sources';
import { createAuditdSource, createBpftraceSource, createWindowsEventLogSource } from '@vigil/sources';

export function agentSources(platform: NodeJS.Platform = process.platform): EventSource[] {
  const all: EventSource[] = [createAuditdSource(), createBpftraceSource(), createWindowsEventLogSource()];
  return all.filter((source) => source.platforms.includes(platform));
}
