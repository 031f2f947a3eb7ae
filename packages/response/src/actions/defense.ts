// Threat-defense actions: the exec blocklist (hashes, path globs, command-line patterns) that agents enforce at exec.
// The list itself is a server policy (apps/server/src/response/blocklist.ts) that agents long-poll; this is only a nudge.

import type { ActionSpec } from '../core.js';

export const specs: ActionSpec[] = [
  {
    name: 'defense.blocklist.sync',
    title: 'Synchronise the exec blocklist now',
    description:
      'Makes the agent fetch the exec blocklist from the server at once (instead of waiting for its long-poll) and report the version it enforces, how many entries it enforces in the kernel and in user space, and whether the exec monitor runs. Verified: the enforced version equals the server version.',
    permission: 'response:collect',
    verification: 'The version the agent enforces equals the server version and the exec monitor is not failed.',
    args: { type: 'object', additionalProperties: false, properties: {}, examples: [{}] },
    destructive: false,
    platforms: ['linux'],
  },
];
