// Agent handler of agent.ping (spec in @vigil/response/actions/agent): answers with facts about the running agent.
// Reads only; never changes anything on the endpoint.

import { arch, hostname, platform, release, uptime } from 'node:os';
import { VIGIL_VERSION } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import type { ActionHandler } from '../handler.js';

const startedAt = Date.now();

export function createPingHandler(): ActionHandler<{ echo?: string }> {
  return {
    action: 'agent.ping',
    async run(args, context): Promise<ActionOutcome> {
      const details = {
        agent_id: context.agentId,
        hostname: hostname(),
        version: VIGIL_VERSION,
        pid: process.pid,
        platform: platform(),
        kernel: release(),
        arch: arch(),
        uptime_s: Math.round(uptime()),
        agent_uptime_s: Math.round((Date.now() - startedAt) / 1000),
        agent_time: new Date().toISOString(),
        ...(args.echo !== undefined ? { echo: args.echo } : {}),
      };
      return { ok: true, summary: `agent ${context.agentId} on ${details.hostname} answered (version ${VIGIL_VERSION})`, verified: true, details };
    },
  };
}
