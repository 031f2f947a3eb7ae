// Behaviour profiles on the server: runs the baseline engine over every accepted batch (on the baseline worker thread,
// baseline-worker.ts, its detections stored with the rules', so anomalies become alerts of kind `anomaly` with the rules' grouping), persists profiles in
// baseline.sqlite, clusters hosts into roles, and applies analyst feedback. Never throws into the ingest path.

import { join } from 'node:path';
import { createLogger, VigilError } from '@vigil/common';
import {
  clusterHosts, createBaselineEngine, defaultEngineSettings, defaultProfilers, describeProfile, disabledByDefault, FLEET_SCOPE,
  type BaselineEngine, type Clustering, type EngineFinding, type EngineSettings, type HostLearning, type ProfileTableView,
} from '@vigil/baseline';
import type { DetectEvent, Detection, SigmaLevel } from '@vigil/detect';
import type { AlertRecord, DetectionDb } from '../detection/detection-db.js';
import { BaselineDb, type FindingFilter, type FindingRecord, type SuppressionRecord } from './baseline-db.js';

const log = createLogger('server.baseline');

/** Operator settings (docs/anomaly.md, "Tuning"). */
export interface BaselineSettings {
  enabled: boolean;
  threshold: number;
  learningDays: number;
  burnInDays: number;
  halfLifeDays: number;
  /** Profilers that learn but do not raise alerts. */
  disabled: string[];
}

export const defaultBaselineSettings: BaselineSettings = {
  enabled: true,
  threshold: defaultEngineSettings.threshold,
  learningDays: defaultEngineSettings.learningDays,
  burnInDays: defaultEngineSettings.burnInDays,
  halfLifeDays: defaultEngineSettings.tuning.halfLifeDays,
  disabled: [...disabledByDefault],
};

export interface HostView extends HostLearning {
  role: string | null;
  roleName: string | null;
  outlierScore: number | null;
}

export interface ProfileView {
  hostId: string;
  at: string;
  profilers: { profiler: string; tables: ProfileTableView[]; features: string[] }[];
}

export interface BaselineStatus {
  settings: BaselineSettings;
  profilers: { name: string; categories: readonly string[]; enabled: boolean }[];
  hosts: number;
  hostsLearning: number;
  findings: number;
  expected: number;
  suppressions: number;
  eventsProfiled: number;
  findingsRaised: number;
  findingsSuppressed: number;
  profilerErrors: number;
  clusteredAt: string | null;
  roles: number;
  lastFlushAt: string | null;
}

export interface FeedbackResult {
  finding: FindingRecord;
  suppression: SuppressionRecord;
  /** Open anomaly alerts of the same behaviour that were closed as false positives. */
  alertsClosed: string[];
}

export interface BaselineService {
  /** The detection service's event matcher: findings of a batch as detections (kind `anomaly`). */
  match(events: readonly DetectEvent[]): Detection[];
  /** Links stored alerts to their findings (detection.onAlerts). */
  onAlerts(created: readonly AlertRecord[]): void;
  status(): BaselineStatus;
  settings(): BaselineSettings;
  configure(change: Partial<BaselineSettings>, actor: string): BaselineSettings;
  hosts(): HostView[];
  profile(hostId: string, options?: { profiler?: string; limit?: number }): ProfileView;
  clustering(): (Clustering & { computedAt: string }) | null;
  /** Clusters hosts now, raises host-outlier alerts, and returns the result. */
  recluster(): Clustering & { computedAt: string };
  findings(filter?: FindingFilter): FindingRecord[];
  finding(id: string): (FindingRecord & { event: Record<string, unknown> }) | undefined;
  /** Feedback on a finding (by finding id or alert id): "expected" teaches the profile and suppresses the behaviour. */
  feedback(id: string, feedback: { verdict: 'expected'; scope?: 'host' | 'fleet'; note?: string; expiresInDays?: number }, actor: string): FeedbackResult;
  suppressions(): SuppressionRecord[];
  removeSuppression(id: string, actor: string): void;
  /** Writes changed profiles now. */
  flush(): void;
  close(): void;
}

const HOST_ROLE = 'host-role';
/** Host profiles are written this often when they changed; fleet-wide state (larger) less often. */
const FLUSH_MS = 10_000;
const FLEET_FLUSH_MS = 5 * 60_000;
const CLUSTER_MS = 30 * 60_000;
/** Event times further ahead of the server clock than this are taken as "now" (a wrong agent clock must not age profiles). */
const FUTURE_SLACK_MS = 5 * 60_000;
const OUTLIER_Z = 3.5;

export function levelOf(score: number): SigmaLevel {
  return score >= 0.95 ? 'high' : score >= 0.85 ? 'medium' : 'low';
}

function checkSettings(value: unknown, path: string): BaselineSettings {
  const s = value as Partial<BaselineSettings> | null;
  const bad = (field: string, message: string) => new VigilError('invalid_config', message, { location: { path: `${path}.${field}` } });
  if (!s || typeof s !== 'object') throw new VigilError('invalid_config', 'baseline settings must be an object', { location: { path } });
  const out = { ...defaultBaselineSettings, ...s };
  if (typeof out.enabled !== 'boolean') throw bad('enabled', 'enabled must be true or false');
  for (const field of ['threshold', 'learningDays', 'burnInDays', 'halfLifeDays'] as const) if (typeof out[field] !== 'number' || !Number.isFinite(out[field])) throw bad(field, `${field} must be a number`);
  if (!Array.isArray(out.disabled) || !out.disabled.every((d) => typeof d === 'string')) throw bad('disabled', 'disabled must be a list of profiler names');
  return out;
}

const engineSettingsOf = (s: BaselineSettings): Partial<EngineSettings> => ({
  threshold: s.threshold, learningDays: s.learningDays, burnInDays: s.burnInDays, disabled: s.disabled, tuning: { ...defaultEngineSettings.tuning, halfLifeDays: s.halfLifeDays },
});

/** The part of an explanation before " – ": what happened. */
const headline = (explanation: string) => explanation.split(' – ')[0]!.slice(0, 300);

export function createBaselineService(deps: {
  dataDir: string;
  detectionDb: DetectionDb;
  /** Alerts raised outside a batch (host outliers from clustering) go to the same listeners as the rules' alerts. */
  onAlertsRaised?: (created: readonly AlertRecord[]) => void;
  /** Feedback given: the finding's alert and the alerts it closed, as they are now (the alert events writer records it). */
  onFeedback?: (alerts: readonly AlertRecord[], feedback: { verdict: 'expected'; actor: string; note?: string }) => void;
  /** Clustering interval in ms (default 30 minutes; 0 disables the timer). */
  clusterEveryMs?: number;
}): BaselineService {
  const db = new BaselineDb(join(deps.dataDir, 'baseline.sqlite'));
  let settings = defaultBaselineSettings;
  try {
    const stored = db.state('settings');
    if (stored) settings = checkSettings(stored.value, 'baseline.sqlite settings');
  } catch (error) {
    log.error('stored baseline settings are invalid; using the defaults', { error: VigilError.wrap(error).message });
  }
  const engine: BaselineEngine = createBaselineEngine({ profilers: defaultProfilers(), settings: engineSettingsOf(settings) });
  restore();
  const counters = { eventsProfiled: 0, findingsRaised: 0, findingsSuppressed: 0 };
  let lastFlushAt: string | null = null;
  let lastFleetFlush = Date.now();
  let clustering: (Clustering & { computedAt: string }) | null = null;
  const storedClustering = db.state('clustering');
  if (storedClustering) {
    clustering = storedClustering.value as Clustering & { computedAt: string };
    applyRoles(clustering);
  }
  /** event id + rule id → finding id, for linking the alerts the detection worker stores after match(). */
  const pending = new Map<string, string>();
  const MAX_PENDING_LINKS = 10_000;

  function restore(): void {
    let restored = 0;
    let failed = 0;
    try {
      const hosts = db.state('hosts');
      if (hosts) engine.restoreHosts(hosts.value);
    } catch (error) {
      log.error('host learning state in baseline.sqlite is unreadable; hosts start learning again', { error: VigilError.wrap(error).message });
    }
    for (const row of db.profiles()) {
      try {
        engine.restore(row.profiler, row.scope, JSON.parse(row.state));
        restored++;
      } catch (error) {
        failed++;
        const e = VigilError.wrap(error, 'invalid_input');
        log.error('a stored profile is unreadable and is relearned', { profiler: row.profiler, scope: row.scope, error: e.message, path: e.location?.path });
      }
    }
    for (const s of db.suppressions()) engine.addSuppression({ id: s.id, hostId: s.hostId, profiler: s.profiler, key: s.key, ...(s.expiresAt ? { expiresMs: Date.parse(s.expiresAt) } : {}) });
    if (restored || failed) log.info('profiles restored', { restored, failed });
  }

  function applyRoles(result: Clustering): void {
    engine.setRoles({ assignment: new Map(result.hosts.map((h) => [h.hostId, h.role])), names: new Map(result.roles.map((r) => [r.id, r.name])) });
  }

  let fleetDirty = false;
  /** Writes changed host profiles; fleet-wide state (larger) at most every FLEET_FLUSH_MS unless `all`. */
  function flush(all = false): void {
    const dirty = engine.takeDirty();
    if (dirty.delete(FLEET_SCOPE)) fleetDirty = true;
    const fleetDue = fleetDirty && (all || Date.now() - lastFleetFlush >= FLEET_FLUSH_MS);
    if (!dirty.size && !fleetDue) return;
    const scopes = [...dirty, ...(fleetDue ? [FLEET_SCOPE] : [])];
    const rows = scopes.flatMap((scope) => engine.profilers.map((p) => ({ profiler: p.name, scope, state: p.snapshot(scope) })));
    db.saveProfiles(rows, engine.snapshotHosts());
    if (fleetDue) {
      fleetDirty = false;
      lastFleetFlush = Date.now();
    }
    lastFlushAt = new Date().toISOString();
  }

  const flushTimer = setInterval(() => {
    try {
      flush();
    } catch (error) {
      log.error('writing profiles failed', { error: VigilError.wrap(error).message });
    }
  }, FLUSH_MS);
  flushTimer.unref();

  const clusterEvery = deps.clusterEveryMs ?? CLUSTER_MS;
  const clusterTimer = clusterEvery > 0 ? setInterval(() => {
    try {
      if (engine.hosts().length >= 2) recluster();
    } catch (error) {
      log.error('clustering hosts failed', { error: VigilError.wrap(error).message });
    }
  }, clusterEvery) : undefined;
  clusterTimer?.unref();

  function detectionOf(finding: FindingRecord): Detection {
    return {
      rule: { id: `anomaly:${finding.profiler}.${finding.type}`, title: `Anomaly: ${headline(finding.explanation)}`, level: finding.level, tags: ['anomaly', `anomaly.${finding.profiler}`, `anomaly.${finding.type}`] },
      kind: 'anomaly',
      hostId: finding.hostId,
      eventIds: finding.eventId ? [finding.eventId] : [],
      time: finding.time,
      fields: [
        { field: 'explanation', value: finding.explanation },
        { field: 'anomaly.score', value: finding.score },
        { field: 'anomaly.profiler', value: finding.profiler },
        { field: 'anomaly.type', value: finding.type },
        { field: 'anomaly.key', value: finding.key },
        { field: 'anomaly.finding_id', value: finding.id },
        ...Object.entries(finding.evidence).map(([k, v]) => ({ field: `anomaly.${k}`, value: v })),
      ],
      group: { profiler: finding.profiler, key: finding.key },
    };
  }

  function store(findings: readonly EngineFinding[]): Detection[] {
    const raised = findings.filter((f) => !f.suppressed);
    counters.findingsSuppressed += findings.length - raised.length;
    if (!raised.length) return [];
    const records = db.addFindings(
      raised.map((f) => ({ hostId: f.hostId, profiler: f.profiler, type: f.type, key: f.key, score: f.score, level: levelOf(f.score) as FindingRecord['level'], explanation: f.explanation, evidence: f.evidence, eventId: f.eventId, time: f.time })),
      raised.map((f) => f.event),
    );
    counters.findingsRaised += records.length;
    const detections = records.map(detectionOf);
    for (const [i, d] of detections.entries()) pending.set(`${d.eventIds[0] ?? ''}\u0000${d.rule.id}\u0000${d.hostId}`, records[i]!.id);
    // Alerts are stored later by the detection worker: keep the newest links (a repeat folded into an open alert never links).
    for (const key of pending.keys()) {
      if (pending.size <= MAX_PENDING_LINKS) break;
      pending.delete(key);
    }
    return detections;
  }

  function recluster(): Clustering & { computedAt: string } {
    const result = clusterHosts(engine.hostFeatures());
    const computedAt = new Date().toISOString();
    clustering = { ...result, computedAt };
    applyRoles(result);
    db.setState('clustering', clustering, 'system');
    // Hosts that behave unlike their role (only once roles mean something: at least 4 hosts, host done learning).
    const learning = new Map(engine.hosts().map((h) => [h.hostId, h.learning]));
    if (result.hosts.length >= 4) {
      const roleName = new Map(result.roles.map((r) => [r.id, r.name]));
      const roleSize = new Map(result.roles.map((r) => [r.id, r.members.length]));
      const outliers: EngineFinding[] = [];
      for (const h of result.hosts) {
        if (h.outlierZ < OUTLIER_Z || learning.get(h.hostId) !== false) continue;
        const key = `role ${h.role}`;
        if (engine.suppressions().some((s) => s.profiler === HOST_ROLE && s.key === key && (s.hostId === h.hostId || s.hostId === FLEET_SCOPE))) continue;
        const peers = (roleSize.get(h.role) ?? 1) - 1;
        outliers.push({
          profiler: HOST_ROLE, type: 'host_outlier', key, score: h.outlierScore, hostId: h.hostId, eventId: '', time: computedAt, event: {}, suppressed: false,
          explanation: `host ${h.hostId} behaves unlike its role ${roleName.get(h.role) ?? h.role} – its behaviour differs from its ${peers} peer${peers === 1 ? '' : 's'} by ${h.meanDistance} (Jaccard distance; robust z ${h.outlierZ})`,
          evidence: { role: h.role, mean_distance: h.meanDistance, outlier_z: h.outlierZ, peers },
        });
      }
      const detections = store(outliers.filter((o) => o.score > 0));
      if (detections.length) {
        const stored = deps.detectionDb.storeDetections(detections);
        for (const alert of stored.created) linkAlert(alert);
        if (stored.created.length) deps.onAlertsRaised?.(stored.created);
      }
    }
    log.info('hosts clustered into roles', { hosts: result.hosts.length, roles: result.k, silhouette: result.silhouette });
    return clustering;
  }

  function linkAlert(alert: AlertRecord): void {
    if (alert.kind !== 'anomaly') return;
    const id = pending.get(`${alert.eventIds[0] ?? ''}\u0000${alert.ruleId}\u0000${alert.hostId}`);
    if (!id) return;
    pending.delete(`${alert.eventIds[0] ?? ''}\u0000${alert.ruleId}\u0000${alert.hostId}`);
    db.linkAlert(id, alert.id);
  }

  function view(): BaselineSettings {
    return { ...settings, disabled: [...settings.disabled] };
  }

  return {
    match(events) {
      if (!settings.enabled || !events.length) return [];
      try {
        const limit = Date.now() + FUTURE_SLACK_MS;
        const now = new Date().toISOString();
        const timed = events.map((e) => {
          const t = typeof e['@timestamp'] === 'string' ? Date.parse(e['@timestamp']) : Number.NaN;
          return Number.isFinite(t) && t > limit ? { ...e, '@timestamp': now } : e;
        });
        counters.eventsProfiled += timed.length;
        return store(engine.process(timed));
      } catch (error) {
        log.error('profiling a batch failed', { error: VigilError.wrap(error).message });
        return [];
      }
    },

    onAlerts(created) {
      for (const alert of created) linkAlert(alert);
    },

    status() {
      const counts = db.counts();
      const hosts = engine.hosts();
      const stats = engine.stats();
      return {
        settings: view(),
        profilers: engine.profilers.map((p) => ({ name: p.name, categories: p.categories, enabled: !settings.disabled.includes(p.name) })),
        hosts: hosts.length,
        hostsLearning: hosts.filter((h) => h.learning).length,
        ...counts,
        ...counters,
        profilerErrors: stats.profilerErrors,
        clusteredAt: clustering?.computedAt ?? null,
        roles: clustering?.k ?? 0,
        lastFlushAt,
      };
    },

    settings: view,

    configure(change, actor) {
      const next = checkSettings({ ...settings, ...change }, 'body');
      try {
        engine.configure(engineSettingsOf(next));
      } catch (error) {
        const e = VigilError.wrap(error, 'invalid_config');
        throw new VigilError('invalid_input', e.message, { location: { path: e.location?.path ? `body.${e.location.path}` : 'body' } });
      }
      settings = next;
      db.setState('settings', settings, actor);
      return view();
    },

    hosts() {
      const byHost = new Map((clustering?.hosts ?? []).map((h) => [h.hostId, h]));
      const names = new Map((clustering?.roles ?? []).map((r) => [r.id, r.name]));
      return engine.hosts().map((h) => {
        const c = byHost.get(h.hostId);
        return { ...h, role: c?.role ?? null, roleName: c ? (names.get(c.role) ?? null) : null, outlierScore: c?.outlierScore ?? null };
      });
    },

    profile(hostId, options = {}) {
      const host = engine.hosts().find((h) => h.hostId === hostId);
      if (!host) throw new VigilError('not_found', `no profile for host ${hostId}`);
      if (options.profiler && !engine.profilers.some((p) => p.name === options.profiler)) throw new VigilError('invalid_input', `no profiler ${options.profiler}`, { location: { path: 'profiler' } });
      const at = Date.parse(host.lastSeen);
      const tuning = engine.settings().tuning;
      return {
        hostId,
        at: host.lastSeen,
        profilers: engine.profilers
          .filter((p) => !options.profiler || p.name === options.profiler)
          .map((p) => ({ profiler: p.name, tables: describeProfile(p.snapshot(hostId), at, tuning, options.limit ?? 50), features: p.features(hostId, at, tuning).slice(0, options.limit ?? 50) })),
      };
    },

    clustering: () => clustering,
    recluster,

    findings: (filter) => db.listFindings(filter),

    finding(id) {
      const f = db.finding(id) ?? db.findingByAlert(id);
      if (!f) return undefined;
      return { ...f, event: db.findingEvent(f.id) ?? {} };
    },

    feedback(id, feedback, actor) {
      const found = db.finding(id) ?? db.findingByAlert(id);
      if (!found) throw new VigilError('not_found', `no anomaly finding or anomaly alert ${id}`);
      const scope = feedback.scope ?? 'host';
      const hostId = scope === 'fleet' ? FLEET_SCOPE : found.hostId;
      const expiresAt = feedback.expiresInDays ? new Date(Date.now() + feedback.expiresInDays * 86_400_000).toISOString() : null;
      const suppression = db.addSuppression({ hostId, profiler: found.profiler, key: found.key, findingId: found.id, note: feedback.note ?? null, createdBy: actor, expiresAt });
      const event = db.findingEvent(found.id) ?? {};
      engine.expect({ profiler: found.profiler, key: found.key, hostId: found.hostId, event }, { id: suppression.id, hostId, profiler: found.profiler, key: found.key, ...(expiresAt ? { expiresMs: Date.parse(expiresAt) } : {}) });
      const linked = db.setVerdict(hostId, found.profiler, found.key, 'expected', actor, feedback.note ?? null);
      // Open alerts of the same behaviour (including repeats folded into them) are closed as false positives.
      const ruleId = `anomaly:${found.profiler}.${found.type}`;
      const open = deps.detectionDb
        .listAlerts({ ruleId, ...(scope === 'host' ? { hostId: found.hostId } : {}), limit: 10_000 })
        .filter((a) => (a.group as { key?: unknown } | null)?.key === found.key && ['new', 'acknowledged', 'in_progress'].includes(a.status));
      const closed = new Set<string>();
      for (const alert of [...open.map((a) => a.id), ...linked]) {
        const current = deps.detectionDb.getAlert(alert);
        if (current && ['new', 'acknowledged', 'in_progress'].includes(current.status)) {
          deps.detectionDb.updateAlert(alert, { status: 'false_positive' });
          closed.add(alert);
        }
      }
      flush(true);
      if (deps.onFeedback) {
        const touched = [...new Set([...(found.alertId ? [found.alertId] : []), ...closed])].map((id) => deps.detectionDb.getAlert(id)).filter((a) => a !== undefined);
        try {
          if (touched.length) deps.onFeedback(touched, { verdict: 'expected', actor, ...(feedback.note ? { note: feedback.note } : {}) });
        } catch (error) {
          log.error('a feedback listener failed', { error: VigilError.wrap(error).message });
        }
      }
      log.info('anomaly marked expected', { finding: found.id, profiler: found.profiler, key: found.key, scope, actor, alerts: closed.size });
      return { finding: db.finding(found.id)!, suppression, alertsClosed: [...closed] };
    },

    suppressions: () => db.suppressions(),

    removeSuppression(id, _actor) {
      if (!db.removeSuppression(id)) throw new VigilError('not_found', `no suppression ${id}`);
      engine.removeSuppression(id);
    },

    flush: () => flush(true),

    close() {
      clearInterval(flushTimer);
      if (clusterTimer) clearInterval(clusterTimer);
      try {
        flush(true);
      } finally {
        db.close();
      }
    },
  };
}
