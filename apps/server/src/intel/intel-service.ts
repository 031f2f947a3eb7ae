// Assembles threat intelligence and YARA on the server: the IOC stream matcher and the YARA match handler hooked
// into the detection service, the feed runner, rule sets and fleet sweeps, and what heartbeat replies carry for them.
// Owns their lifecycle (close stops timers and waits for a feed run); never owns the databases it is given.

import { join } from 'node:path';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { DetectionService } from '../detection/detection-service.js';
import { createFeedRunner, type FeedRunner } from './feeds.js';
import type { IntelDb } from './intel-db.js';
import { createIocStream, type IocStream } from './ioc-stream.js';
import type { Sweeper } from './sweeper.js';
import { YaraDb } from './yara-db.js';
import { createYaraService, type YaraService } from './yara-service.js';
import { createYaraSweeps, type HeartbeatYara, type YaraSweeps } from './yara-sweeps.js';

export interface IntelService {
  db: IntelDb;
  sweeper: Sweeper;
  stream: IocStream;
  feeds: FeedRunner;
  yaraDb: YaraDb;
  yara: YaraService;
  yaraSweeps: YaraSweeps;
  /** Extra fields of an agent's heartbeat reply: the active rule set and the sweeps queued for it. */
  heartbeat(agentId: string): HeartbeatYara;
  close(): Promise<void>;
}

export function createIntelService(deps: { dataDir: string; db: IntelDb; sweeper: Sweeper; detection: DetectionService; controlPlane: ControlPlane; feedTickMs?: number }): IntelService {
  const stream = createIocStream({ db: deps.db });
  const yaraDb = new YaraDb(join(deps.dataDir, 'yara.sqlite'));
  const yara = createYaraService({ db: yaraDb });
  const yaraSweeps = createYaraSweeps({ db: yaraDb, yara, controlPlane: deps.controlPlane });
  const feeds = createFeedRunner({ db: deps.db, sweeper: deps.sweeper, ...(deps.feedTickMs ? { tickMs: deps.feedTickMs } : {}) });
  const removeMatcher = deps.detection.addEventMatcher((events) => [...stream.match(events), ...yara.match(events)]);
  return {
    db: deps.db,
    sweeper: deps.sweeper,
    stream,
    feeds,
    yaraDb,
    yara,
    yaraSweeps,
    heartbeat: (agentId) => yaraSweeps.heartbeat(agentId),
    async close() {
      removeMatcher();
      yaraSweeps.close();
      stream.close();
      await feeds.close();
      yaraDb.close();
    },
  };
}
