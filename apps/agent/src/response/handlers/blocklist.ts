// Agent handler of defense.blocklist.sync (spec in @vigil/response/actions/defense): fetch the exec blocklist now and
// report what is enforced. Changes nothing but the enforced policy version; never edits the list itself.

import { VigilError } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import { activeDefense } from '../../defense/index.js';
import type { ActionHandler } from '../handler.js';

export function createBlocklistHandler(): ActionHandler<Record<string, never>> {
  return {
    action: 'defense.blocklist.sync',
    async run(): Promise<ActionOutcome> {
      const defense = activeDefense();
      if (!defense) throw new VigilError('conflict', 'exec blocklist enforcement is not running in this agent');
      const { server_version, status } = await defense.syncNow();
      const verified = status.version === server_version && status.state !== 'failed';
      return {
        ok: verified,
        verified,
        summary:
          status.state === 'failed'
            ? `blocklist v${server_version} received but not enforced: ${status.error ?? 'unknown error'}`
            : `blocklist v${status.version} enforced (${status.userspace_entries} entries, ${status.kernel_paths} killed in the kernel at exec; ${status.blocked} processes stopped since start)`,
        details: { server_version, ...status },
      };
    },
  };
}
