// Prometheus families of threat intelligence and YARA: indicators loaded and stream matches by type, feed fetches,
// sweep states and durations, and the YARA scan counters agents report in their heartbeats. Reads memory and the
// intel and YARA SQLite databases only (small tables), never the event store.

import type { ControlPlane } from '../control-plane/sqlite.js';
import { histogramSamples, type MetricFamily } from '../http/metrics.js';
import type { IntelService } from './intel-service.js';

/** Sweep duration buckets, seconds: a retro sweep takes seconds, a fleet YARA sweep under a CPU budget hours. */
export const SWEEP_DURATION_BOUNDS = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400];

function histogram(seconds: readonly number[]): { bounds: number[]; counts: number[]; sum: number; count: number } {
  const counts = new Array<number>(SWEEP_DURATION_BOUNDS.length + 1).fill(0);
  let sum = 0;
  for (const s of seconds) {
    const value = Math.max(0, s);
    const index = SWEEP_DURATION_BOUNDS.findIndex((bound) => value <= bound);
    counts[index < 0 ? SWEEP_DURATION_BOUNDS.length : index]!++;
    sum += value;
  }
  return { bounds: SWEEP_DURATION_BOUNDS, counts, sum, count: seconds.length };
}

/** YARA counters of the agents' last heartbeats (`sources.yara`), summed over the fleet. */
function agentYaraTotals(controlPlane: ControlPlane): { agents: number; scans: number; bytes: number; matches: number; errors: number } {
  const totals = { agents: 0, scans: 0, bytes: 0, matches: 0, errors: 0 };
  for (const agent of controlPlane.listAgents()) {
    const sources = agent.lastHeartbeat?.sources as Record<string, Record<string, unknown>> | undefined;
    const yara = sources?.yara;
    if (!yara || typeof yara !== 'object') continue;
    const number = (key: string) => (typeof yara[key] === 'number' ? (yara[key] as number) : 0);
    totals.agents++;
    totals.scans += number('scans');
    totals.bytes += number('bytes');
    totals.matches += number('matches');
    totals.errors += number('scan_errors');
  }
  return totals;
}

export function intelFamilies(intel: IntelService, controlPlane: ControlPlane): MetricFamily[] {
  const stream = intel.stream.stats();
  const feeds = intel.db.listFeeds();
  const fetches = new Map(intel.feeds.counts().map((c) => [c.feedId, c]));
  const iocDurations = intel.db.sweepDurations();
  const yaraHosts = intel.yaraDb.sweepHostStats();
  const agents = agentYaraTotals(controlPlane);
  return [
    { name: 'vigil_intel_indicators', help: 'Indicators loaded for stream matching (live, not expired), by type.', type: 'gauge', samples: Object.entries(stream.byType).map(([type, value]) => ({ labels: { type }, value })) },
    { name: 'vigil_intel_stream_matches_total', help: 'Stream matches (IOC alerts) since the server started, by indicator type.', type: 'counter', samples: Object.entries(stream.hitsByType).map(([type, value]) => ({ labels: { type }, value: value ?? 0 })) },
    {
      name: 'vigil_intel_feed_fetches_total',
      help: 'Feed runs since the server started by feed and result (success: imported or not modified; failure: fetch, redirect or parse error).',
      type: 'counter',
      samples: feeds.flatMap((feed) => [
        { labels: { feed: feed.name, result: 'success' }, value: fetches.get(feed.id)?.successes ?? 0 },
        { labels: { feed: feed.name, result: 'failure' }, value: fetches.get(feed.id)?.failures ?? 0 },
      ]),
    },
    {
      name: 'vigil_intel_feed_last_success_timestamp_seconds',
      help: 'Unix time of the last successful run of each feed (0: never).',
      type: 'gauge',
      samples: feeds.map((feed) => ({ labels: { feed: feed.name }, value: feed.lastSuccessAt ? Date.parse(feed.lastSuccessAt) / 1000 : 0 })),
    },
    {
      name: 'vigil_intel_sweep_duration_seconds',
      help: 'Running time of finished sweeps: IOC retro sweeps (kind ioc) and each host of a fleet YARA sweep (kind yara_host), by final state.',
      type: 'histogram',
      samples: [
        ...(['done', 'failed', 'timed_out'] as const).flatMap((state) => histogramSamples(histogram(iocDurations.filter((d) => d.state === state).map((d) => d.seconds)), { kind: 'ioc', state })),
        ...(['done', 'failed', 'timed_out'] as const).flatMap((state) => histogramSamples(histogram(yaraHosts.durations.filter((d) => d.state === state).map((d) => d.seconds)), { kind: 'yara_host', state })),
      ],
    },
    { name: 'vigil_yara_sweep_hosts', help: 'Hosts of stored fleet YARA sweeps by state (timed_out: missed the per-host or overall deadline).', type: 'gauge', samples: Object.entries(yaraHosts.states).map(([state, value]) => ({ labels: { state }, value })) },
    { name: 'vigil_yara_agents_reporting', help: 'Agents whose last heartbeat carries YARA counters (a rule set loaded at some point).', type: 'gauge', samples: [{ value: agents.agents }] },
    {
      name: 'vigil_yara_agent_scans',
      help: 'On-write and on-exec YARA file scans, summed over the counters agents last reported (each resets when its agent restarts).',
      type: 'gauge',
      samples: [{ value: agents.scans }],
    },
    { name: 'vigil_yara_agent_scanned_bytes', help: 'Bytes scanned by on-write and on-exec YARA scans, summed over the agents\' last reports.', type: 'gauge', samples: [{ value: agents.bytes }] },
    { name: 'vigil_yara_agent_matches', help: 'YARA matches (files and memory), summed over the agents\' last reports.', type: 'gauge', samples: [{ value: agents.matches }] },
    { name: 'vigil_yara_agent_scan_errors', help: 'YARA scans that failed or could not read their file, summed over the agents\' last reports.', type: 'gauge', samples: [{ value: agents.errors }] },
  ];
}
