// The agent's response handlers, listed explicitly: one line per handler module. The task runner refuses an action
// without a handler here (`unsupported`). Adding a handler means adding its line; nothing registers itself.

import type { ActionHandler } from '../handler.js';
import { createPingHandler } from './ping.js';
import { createIsolationHandlers } from './isolate.js';
import { createBlockHandlers } from './block.js';
import { createBlocklistHandler } from './blocklist.js';
import { createProcessHandlers } from './process.js';
import { createFileHandlers } from './file.js';
import { createAccountHandlers } from './account.js';
import { createPowerHandlers } from './power.js';
import { createCollectHandlers } from './collect.js';
import { createLiveQueryHandlers } from './live-query.js';
import { createYaraHandlers } from './yara.js';

/** Every handler of this agent. Add `...create<X>Handlers(),` (or `create<X>Handler(),`) with its import. */
export function agentHandlers(): ActionHandler[] {
  return [
    createPingHandler(),
    ...createIsolationHandlers(),
    ...createBlockHandlers(),
    createBlocklistHandler(),
    ...createProcessHandlers(),
    ...createFileHandlers(),
    ...createAccountHandlers(),
    ...createPowerHandlers(),
    ...createCollectHandlers(),
    ...createLiveQueryHandlers(),
    ...createYaraHandlers(),
  ] as ActionHandler[];
}
