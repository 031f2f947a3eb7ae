// Fleet YARA sweeps: which hosts scan which paths (or process memory) with the active rule set under a CPU budget,
// their per-host progress and hits, and schedules that start a sweep on an interval. Agents learn of queued sweeps in
// their heartbeat reply (with the rule set digest) and report progress over the agent listener.
// Never talks to agents itself: it answers what they ask.

import { VigilError, createLogger } from '@vigil/common';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { HostSweepState, SweepHit, SweepSpec, YaraDb, YaraSweepRecord } from './yara-db.js';
import type { YaraService } from './yara-service.js';

const log = createLogger('server.yara.sweeps');

export interface HeartbeatYara {
  /** The active rule set: the agent fetches it when its digest differs. */
  yara_ruleset: { name: string; version: number; digest: string } | null;
  /** Sweeps queued for this host. */
  yara_sweeps: { id: string; ruleset_digest: string; kind: string; paths: string[]; exclude: string[]; pids: number[]; cpu_budget: number; max_file_size: number; one_file_system: boolean }[];
}

export interface ProgressReport {
  state: HostSweepState;
  files: number;
  bytes: number;
  skipped: number;
  matches: number;
  regions: number;
  ruleset_digest: string | null;
  error: string | null;
  hits: { time: string; target: 'file' | 'memory'; path: string | null; pid: number | null; rule: string; namespace: string; sha256: string | null }[];
}

export interface YaraSweeps {
  create(spec: SweepSpec, hostIds: readonly string[] | null, actor: string, scheduleId?: string | null): YaraSweepRecord;
  heartbeat(hostId: string): HeartbeatYara;
  /** Stores an agent's report; answers whether the agent should stop (the sweep was cancelled). */
  report(sweepId: string, hostId: string, report: ProgressReport): { cancel: boolean };
  /** Times out the hosts past their or the sweep's deadline at `now` (also run on every tick); returns how many. */
  expire(now?: Date): number;
  close(): void;
}

export function createYaraSweeps(deps: { db: YaraDb; yara: YaraService; controlPlane: ControlPlane; tickMs?: number }): YaraSweeps {
  const { db, yara, controlPlane } = deps;

  function create(spec: SweepSpec, hostIds: readonly string[] | null, actor: string, scheduleId: string | null = null): YaraSweepRecord {
    const active = yara.active();
    if (!active) throw new VigilError('conflict', 'no active YARA rule set: upload one with PUT /api/v1/yara/rulesets/{name} and activate it');
    const known = new Set(controlPlane.listAgents().map((a) => a.id));
    const hosts = hostIds ?? [...known];
    hosts.forEach((id, index) => {
      if (!known.has(id)) throw new VigilError('not_found', `no enrolled host ${id}`, { location: { path: `host_ids[${index}]` } });
    });
    if (!hosts.length) throw new VigilError('conflict', 'no enrolled hosts to sweep');
    if (spec.kind === 'paths' && !spec.paths.length) throw new VigilError('invalid_input', 'a path sweep needs at least one path', { location: { path: 'paths' } });
    const sweep = db.createSweep(spec, hosts, active, actor, scheduleId);
    log.info('YARA sweep queued', { sweep: sweep.id, kind: spec.kind, hosts: hosts.length, ruleset: active.name });
    return sweep;
  }

  function expire(now = new Date()): number {
    const expired = db.expireSweeps(now);
    for (const e of expired) log.warn('YARA sweep host timed out', { sweep: e.sweepId, host: e.hostId, reason: e.reason });
    return expired.length;
  }

  const timer = setInterval(() => {
    const now = new Date();
    try {
      expire(now);
    } catch (error) {
      log.error('YARA sweep deadlines not checked', { error: VigilError.wrap(error).message });
    }
    for (const schedule of db.listSchedules()) {
      if (!schedule.enabled || Date.parse(schedule.nextRunAt) > now.getTime()) continue;
      const next = new Date(now.getTime() + schedule.intervalSeconds * 1000).toISOString();
      try {
        const sweep = create(schedule.spec, schedule.hostIds, `schedule:${schedule.name}`, schedule.id);
        db.scheduleRan(schedule.id, sweep.id, next);
      } catch (error) {
        log.warn('scheduled YARA sweep not started', { schedule: schedule.name, error: VigilError.wrap(error).message });
        db.scheduleRan(schedule.id, null, next);
      }
    }
  }, deps.tickMs ?? 5000);
  timer.unref();

  return {
    create,
    expire,
    heartbeat(hostId) {
      return {
        yara_ruleset: yara.active(),
        yara_sweeps: db.pendingSweeps(hostId).map((s) => ({
          id: s.id, ruleset_digest: s.rulesetDigest, kind: s.spec.kind, paths: s.spec.paths, exclude: s.spec.exclude, pids: s.spec.pids, cpu_budget: s.spec.cpuBudget, max_file_size: s.spec.maxFileSize, one_file_system: s.spec.oneFileSystem,
        })),
      };
    },
    report(sweepId, hostId, report) {
      const hits: SweepHit[] = report.hits.map((h) => ({ hostId, ...h }));
      const known = db.recordProgress(sweepId, hostId, { state: report.state, files: report.files, bytes: report.bytes, skipped: report.skipped, matches: report.matches, regions: report.regions, rulesetDigest: report.ruleset_digest, error: report.error }, hits);
      if (!known) throw new VigilError('not_found', `sweep ${sweepId} was not assigned to this host`);
      return { cancel: db.isCancelled(sweepId, hostId) };
    },
    close() {
      clearInterval(timer);
    },
  };
}
