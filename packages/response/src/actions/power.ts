// Declarations of the power actions: shut the host down or reboot it.
// Data only: the agent's handlers (apps/agent/src/response/handlers/power.ts) schedule them after reporting.

import type { ActionSpec, JsonSchema } from '../core.js';

const powerArgs: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    delay_seconds: { type: 'integer', minimum: 1, maximum: 3600, default: 5, description: 'Seconds between reporting the result and powering off (the report must reach the server first)' },
    reason: { type: 'string', maxLength: 500, description: 'Logged on the endpoint before powering off' },
  },
};

export const specs: ActionSpec[] = [
  {
    name: 'host.shutdown',
    title: 'Shut down host',
    description:
      'Reports success, then after `delay_seconds` powers the host off without init (poweroff -f, i.e. reboot(2)). The agent cannot check its own power-off: the result says scheduled; the host goes offline, and the boot id changes when it comes back.',
    permission: 'response:power',
    verification: 'Not on the host (it powers off after reporting): the result says scheduled; the host goes offline and has a new boot id when it comes back.',
    args: powerArgs,
    destructive: true,
    platforms: ['linux'],
    timeoutSeconds: 30,
  },
  {
    name: 'host.reboot',
    title: 'Reboot host',
    description:
      'Reports success, then after `delay_seconds` reboots the host without init (reboot -f, i.e. reboot(2)). Verified after the fact: the agent logs the changed boot id at its next start.',
    permission: 'response:power',
    verification: 'After the fact: the agent logs the changed boot id at its next start; the result itself says scheduled.',
    args: powerArgs,
    destructive: true,
    platforms: ['linux'],
    timeoutSeconds: 30,
  },
];
