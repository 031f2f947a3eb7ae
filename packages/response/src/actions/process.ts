// Declarations of the process actions: kill (one process or its whole tree), suspend and resume.
// Data only: the agent's handlers (apps/agent/src/response/handlers/process.ts) implement and verify them.

import type { ActionSpec, JsonSchema } from '../core.js';

/** Fields that pin the target to one process incarnation, so a reused pid is never hit. */
export const processTargetProperties: Record<string, JsonSchema> = {
  pid: { type: 'integer', minimum: 1, maximum: 4194304, description: 'Process id on the endpoint' },
  start_time: {
    type: 'integer',
    minimum: 0,
    description: 'Start time in clock ticks since boot (/proc/<pid>/stat field 22, `start_ticks` in live.processes); the action is refused when the process with this pid started at another time',
  },
  entity_id: {
    type: 'string',
    pattern: '^[A-Za-z0-9_-]{22}$',
    description: "The process's process.entity_id from telemetry (hash of boot id, pid and start time); refused when it does not match the live process",
  },
  tree: { type: 'boolean', default: false, description: 'Also act on every descendant of the process' },
};

const target = (extra: Record<string, JsonSchema> = {}): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required: ['pid'],
  properties: { ...processTargetProperties, ...extra },
});

export const specs: ActionSpec[] = [
  {
    name: 'process.kill',
    title: 'Kill process',
    description:
      'Sends SIGKILL to a process, or with `tree` freezes the process and all its descendants and kills them bottom-up. Verified when every targeted process is gone (or a zombie). Refuses pid 1, the agent itself, kernel threads and a pid whose start time does not match.',
    permission: 'response:remediate',
    verification: 'Every targeted process (pid and start time) is gone from /proc or a zombie.',
    args: target(),
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 30,
  },
  {
    name: 'process.suspend',
    title: 'Suspend process',
    description: 'Sends SIGSTOP to a process (with `tree`: to its descendants too). Verified when /proc/<pid>/stat shows state T for each.',
    permission: 'response:contain',
    verification: 'Every targeted process shows state T in /proc/<pid>/stat.',
    args: target(),
    reversedBy: 'process.resume',
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 30,
  },
  {
    name: 'process.resume',
    title: 'Resume process',
    description: 'Sends SIGCONT to a suspended process (with `tree`: to its descendants too). Verified when none of them is in state T any more.',
    permission: 'response:contain',
    verification: 'No targeted process is in state T any more.',
    args: target(),
    destructive: false,
    platforms: ['linux'],
    timeoutSeconds: 30,
  },
];
