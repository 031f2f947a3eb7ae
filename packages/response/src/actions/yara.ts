// Declarations of the on-demand YARA scans: paths and process memory, with the agent's active rule set (docs/yara.md).
// Data only: the agent's handlers (apps/agent/src/response/handlers/yara.ts) run them in the agent's YARA worker.

import type { ActionSpec } from '../core.js';
import { absolutePath } from './file.js';

const cpuBudget = { type: 'number', minimum: 0.05, maximum: 4, default: 0.5, description: 'Share of one core the scan may use' };

export const specs: ActionSpec[] = [
  {
    name: 'yara.scan_paths',
    title: 'YARA scan of paths',
    description:
      'Scans the files below the given paths (recursively, symbolic links not followed, /proc /sys /dev /run left out) with the rule set the server pushed, within a CPU budget. Every match is reported in the result and sent as an event (alert kind yara); the rule set\'s quarantine policy applies. Verified by the count of files read.',
    permission: 'response:collect',
    verification: 'The count of files read is reported; a scan that read no file is not verified.',
    args: {
      type: 'object',
      additionalProperties: false,
      required: ['paths'],
      properties: {
        paths: { type: 'array', minItems: 1, maxItems: 100, items: absolutePath },
        exclude: { type: 'array', maxItems: 100, items: absolutePath },
        cpu_budget: cpuBudget,
        max_file_size: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024, description: 'Files larger than this are skipped (default: the rule set\'s limit)' },
      },
    },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 3600,
  },
  {
    name: 'yara.scan_memory',
    title: 'YARA scan of process memory',
    description:
      'Reads the readable memory regions of the given processes (default: every process) through /proc/<pid>/mem in bounded, overlapping chunks and scans them with the pushed rule set, within a CPU budget; file-backed read-only mappings are left out (they are files). Matches are reported and sent as events. Verified by the count of processes read.',
    permission: 'response:collect',
    verification: 'The count of processes read is reported; a scan that read no process is not verified.',
    args: {
      type: 'object',
      additionalProperties: false,
      properties: { pids: { type: 'array', maxItems: 10000, items: { type: 'integer', minimum: 1 } }, cpu_budget: cpuBudget },
    },
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 3600,
  },
];
