// Agent handlers of yara.scan_paths and yara.scan_memory (specs in @vigil/response/actions/yara): run the scan in the
// agent's YARA worker with the pushed rule set and answer with the matches. Read-only unless the rule set's
// quarantine policy is on; never runs without a rule set (conflict).

import { VigilError } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import type { ActionHandler } from '../handler.js';
import { activeYara } from '../../yara/agent-yara.js';

export type ScanPathsArgs = { paths: string[]; exclude?: string[]; cpu_budget?: number; max_file_size?: number };
export type ScanMemoryArgs = { pids?: number[]; cpu_budget?: number };

function yara() {
  const module = activeYara();
  if (!module?.current()) throw new VigilError('conflict', 'YARA is not running on this agent or has no rule set yet');
  return module;
}

export function createYaraHandlers(): ActionHandler[] {
  const scanPaths: ActionHandler<ScanPathsArgs> = {
    action: 'yara.scan_paths',
    async run(args, context): Promise<ActionOutcome> {
      const module = yara();
      const { summary, hits } = await module.scanPaths(
        { paths: args.paths, ...(args.exclude ? { exclude: args.exclude } : {}), ...(args.cpu_budget ? { cpuBudget: args.cpu_budget } : {}), ...(args.max_file_size ? { maxFileSize: args.max_file_size } : {}), taskId: context.taskId },
        (p) => context.progress({ message: `${p.files} files, ${p.matches} matches${p.current ? `; at ${p.current}` : ''}` }),
        context.signal,
      );
      const ruleset = module.current()!;
      return {
        ok: !summary.aborted,
        verified: summary.files > 0 || hits.length > 0,
        summary: `scanned ${summary.files} files (${Math.round(summary.bytes / 1024 / 1024)} MiB, ${summary.skipped} skipped) with ${ruleset.name} v${ruleset.version}: ${hits.length} matching file(s)${summary.aborted ? '; stopped early' : ''}`,
        details: { files: summary.files, bytes: summary.bytes, skipped: summary.skipped, errors: summary.errors, cpu_ms: summary.cpuMs, slept_ms: summary.sleptMs, ruleset: ruleset.name, ruleset_digest: ruleset.digest, hits: hits.slice(0, 1000) },
      };
    },
  };
  const scanMemory: ActionHandler<ScanMemoryArgs> = {
    action: 'yara.scan_memory',
    async run(args, context): Promise<ActionOutcome> {
      const module = yara();
      const { summary, hits } = await module.scanMemory(
        { pids: args.pids ?? [], ...(args.cpu_budget ? { cpuBudget: args.cpu_budget } : {}), taskId: context.taskId },
        (p) => context.progress({ message: `${p.files} processes, ${p.matches} matches` }),
        context.signal,
      );
      const ruleset = module.current()!;
      return {
        ok: !summary.aborted,
        verified: summary.files > 0,
        summary: `scanned the memory of ${summary.files} process(es) (${Math.round(summary.bytes / 1024 / 1024)} MiB, ${summary.skipped} unreadable) with ${ruleset.name} v${ruleset.version}: ${hits.length} matching process(es)`,
        details: { processes: summary.files, bytes: summary.bytes, regions: summary.regions ?? 0, unreadable: summary.skipped, cpu_ms: summary.cpuMs, ruleset: ruleset.name, ruleset_digest: ruleset.digest, hits },
      };
    },
  };
  return [scanPaths, scanMemory] as ActionHandler[];
}
