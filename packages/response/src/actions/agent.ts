// Declarations of the agent's own actions: agent.ping answers with facts about the agent (reachability check).
// Data only: the agent's handler (apps/agent/src/response/handlers/ping.ts) implements it.

import type { ActionSpec } from '../core.js';

export const specs: ActionSpec[] = [
  {
    name: 'agent.ping',
    title: 'Ping agent',
    description:
      'Checks that the agent receives and runs tasks: it answers with its host name, agent version, process id, uptimes, platform and clock, and echoes `echo`. Changes nothing. Verified by construction: the answer comes from the running agent.',
    permission: 'response:collect',
    verification: 'By construction: the answer (host name, agent id, process id) comes from the running agent.',
    args: {
      type: 'object',
      additionalProperties: false,
      properties: { echo: { type: 'string', maxLength: 200, description: 'Text the agent returns unchanged' } },
    },
    destructive: false,
    platforms: ['linux', 'win32', 'darwin'],
    timeoutSeconds: 10,
  },
];
