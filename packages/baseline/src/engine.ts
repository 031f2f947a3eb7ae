// The baseline engine: routes events to profilers by category, keeps per-host learning periods, scores each event
// before learning from it, applies suppressions, and snapshots everything for persistence. Never throws on events
// and never reads the clock (time is event time), so a replay gives the same findings.

import { VigilError } from '@vigil/common';
import { defaultTuning, FLEET_SCOPE, type Finding, type FleetView, type ProfileContext, type ProfileEvent, type Profiler, type ProfileTuning } from './core.js';

const DAY_MS = 86_400_000;
/** Weight of an observation taught by feedback "expected" (as if seen this many times). */
export const EXPECTED_WEIGHT = 5;

export interface EngineSettings {
  /** Days after a host's first event during which it is only learned, never scored. */
  learningDays: number;
  /** Days after a host's first event before new items count towards novelty rates (the first days are all new). */
  burnInDays: number;
  /** Findings at or above this score are reported (alerts). */
  threshold: number;
  /** Profilers that still learn but do not report. */
  disabled: readonly string[];
  tuning: ProfileTuning;
}

export const defaultEngineSettings: EngineSettings = { learningDays: 7, burnInDays: 2, threshold: 0.8, disabled: [], tuning: defaultTuning };

export interface EngineFinding extends Finding {
  hostId: string;
  eventId: string;
  /** Event time, ISO 8601. */
  time: string;
  event: ProfileEvent;
  /** A suppression (feedback "expected") covers it: kept for counting, never alerted. */
  suppressed: boolean;
}

export interface HostLearning {
  hostId: string;
  firstSeen: string;
  lastSeen: string;
  events: number;
  learning: boolean;
  learningUntil: string;
}

export interface Suppression {
  id: string;
  /** A host id, or `*` for every host. */
  hostId: string;
  profiler: string;
  key: string;
  /** ms since the epoch; undefined: never expires. */
  expiresMs?: number;
}

export interface Roles {
  /** host id → role id. */
  assignment: ReadonlyMap<string, string>;
  names: ReadonlyMap<string, string>;
}

export interface EngineStats {
  events: number;
  scored: number;
  findings: number;
  suppressed: number;
  profilerErrors: number;
}

export interface BaselineEngine {
  readonly profilers: readonly Profiler[];
  settings(): EngineSettings;
  /** Changes settings; the learning state of hosts is kept. */
  configure(change: Partial<EngineSettings>): EngineSettings;
  /** Scores then learns each event in order; returns findings with score ≥ `minScore` (default: the threshold). */
  process(events: readonly ProfileEvent[], options?: { minScore?: number }): EngineFinding[];
  /** Feedback "expected": the profiler learns the event as normal and the finding's key is suppressed. */
  expect(finding: Pick<EngineFinding, 'profiler' | 'key' | 'hostId' | 'event'>, suppression: Suppression): void;
  addSuppression(suppression: Suppression): void;
  removeSuppression(id: string): boolean;
  suppressions(): Suppression[];
  hosts(): HostLearning[];
  /** Feature sets per host for clustering (each host's features at its last event time). */
  hostFeatures(): Map<string, Set<string>>;
  setRoles(roles: Roles | undefined): void;
  fleet: FleetView;
  /** Scopes (host ids, `*`) changed since the last call. */
  takeDirty(): Set<string>;
  snapshot(profiler: string, scope: string): unknown;
  restore(profiler: string, scope: string, state: unknown): void;
  /** Learning state of hosts as JSON (persisted with the profiles). */
  snapshotHosts(): unknown;
  restoreHosts(state: unknown): void;
  stats(): EngineStats;
}

interface HostState {
  first: number;
  last: number;
  events: number;
}

function checkSettings(s: EngineSettings): void {
  const bad = (path: string, message: string) => new VigilError('invalid_config', message, { location: { path } });
  if (!(s.learningDays >= 0 && s.learningDays <= 365)) throw bad('learningDays', 'learningDays must be between 0 and 365');
  if (!(s.burnInDays >= 0 && s.burnInDays <= s.learningDays)) throw bad('burnInDays', 'burnInDays must be between 0 and learningDays');
  if (!(s.threshold > 0 && s.threshold <= 1)) throw bad('threshold', 'threshold must be in (0, 1]');
  if (!(s.tuning.halfLifeDays >= 1 && s.tuning.halfLifeDays <= 3650)) throw bad('halfLifeDays', 'tuning.halfLifeDays must be between 1 and 3650');
}

export function createBaselineEngine(options: { profilers: readonly Profiler[]; settings?: Partial<EngineSettings> }): BaselineEngine {
  const profilers = [...options.profilers];
  const names = new Set<string>();
  for (const p of profilers) {
    if (!/^[a-z][a-z0-9-]*$/.test(p.name)) throw new VigilError('invalid_config', `profiler name ${JSON.stringify(p.name)} is not kebab-case`);
    if (names.has(p.name)) throw new VigilError('invalid_config', `profiler ${p.name} is registered twice`);
    names.add(p.name);
  }
  let settings: EngineSettings = { ...defaultEngineSettings, ...options.settings, tuning: { ...defaultTuning, ...options.settings?.tuning } };
  checkSettings(settings);
  let disabled = new Set(settings.disabled);
  const byCategory = new Map<string, Profiler[]>();
  for (const p of profilers) for (const c of p.categories) byCategory.set(c, [...(byCategory.get(c) ?? []), p]);
  const hosts = new Map<string, HostState>();
  const suppressionList = new Map<string, Suppression>();
  const suppressed = new Map<string, Suppression[]>();
  const dirty = new Set<string>();
  const stats: EngineStats = { events: 0, scored: 0, findings: 0, suppressed: 0, profilerErrors: 0 };
  let peers = new Map<string, Set<string>>();
  let roleNames = new Map<string, string>();

  const fleet: FleetView = {
    hostCount: () => hosts.size,
    peersOf: (hostId) => peers.get(hostId),
    roleName: (hostId) => roleNames.get(hostId),
  };

  const suppressionKey = (hostId: string, profiler: string, key: string) => `${hostId}\u0000${profiler}\u0000${key}`;
  function isSuppressed(hostId: string, profiler: string, key: string, timeMs: number): boolean {
    for (const scope of [hostId, FLEET_SCOPE]) {
      for (const s of suppressed.get(suppressionKey(scope, profiler, key)) ?? []) if (s.expiresMs === undefined || s.expiresMs > timeMs) return true;
    }
    return false;
  }

  function contextFor(hostId: string, host: HostState, timeMs: number): ProfileContext {
    return { hostId, timeMs, hostFirstMs: host.first, noveltyFromMs: host.first + settings.burnInDays * DAY_MS, fleet, tuning: settings.tuning };
  }

  function addSuppression(s: Suppression): void {
    suppressionList.set(s.id, s);
    const key = suppressionKey(s.hostId, s.profiler, s.key);
    suppressed.set(key, [...(suppressed.get(key) ?? []).filter((x) => x.id !== s.id), s]);
  }

  return {
    profilers,
    fleet,
    settings: () => settings,

    configure(change) {
      const next: EngineSettings = { ...settings, ...change, tuning: { ...settings.tuning, ...change.tuning } };
      checkSettings(next);
      for (const name of next.disabled) if (!names.has(name)) throw new VigilError('invalid_config', `no profiler ${name}`, { location: { path: 'disabled' } });
      settings = next;
      disabled = new Set(next.disabled);
      return settings;
    },

    process(events, processOptions = {}) {
      const minScore = processOptions.minScore ?? settings.threshold;
      const out: EngineFinding[] = [];
      for (const event of events) {
        const hostId = event['host.id'];
        const stamp = event['@timestamp'];
        const timeMs = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
        if (typeof hostId !== 'string' || hostId.length === 0 || !Number.isFinite(timeMs)) continue;
        const category = event['event.category'];
        const interested = typeof category === 'string' ? byCategory.get(category) : undefined;
        stats.events++;
        let host = hosts.get(hostId);
        if (!host) hosts.set(hostId, (host = { first: timeMs, last: timeMs, events: 0 }));
        if (timeMs < host.first) host.first = timeMs;
        host.events++;
        host.last = Math.max(host.last, timeMs);
        if (!interested) continue;
        dirty.add(hostId);
        dirty.add(FLEET_SCOPE);
        const ctx = contextFor(hostId, host, timeMs);
        const learning = timeMs < host.first + settings.learningDays * DAY_MS;
        for (const profiler of interested) {
          if (!learning && !disabled.has(profiler.name)) {
            try {
              stats.scored++;
              const finding = profiler.score(event, ctx);
              if (finding && finding.score >= minScore) {
                const isOff = isSuppressed(hostId, finding.profiler, finding.key, timeMs);
                if (isOff) stats.suppressed++;
                else if (finding.score >= settings.threshold) stats.findings++;
                out.push({
                  ...finding,
                  score: Math.round(finding.score * 1000) / 1000,
                  hostId,
                  eventId: typeof event['event.id'] === 'string' ? event['event.id'] : '',
                  time: new Date(timeMs).toISOString(),
                  event,
                  suppressed: isOff,
                });
              }
            } catch {
              stats.profilerErrors++;
            }
          }
          try {
            profiler.observe(event, ctx);
          } catch {
            stats.profilerErrors++;
          }
        }
      }
      return out;
    },

    expect(finding, suppression) {
      addSuppression(suppression);
      const profiler = profilers.find((p) => p.name === finding.profiler);
      const host = hosts.get(finding.hostId);
      const stamp = finding.event['@timestamp'];
      const timeMs = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
      if (!profiler || !host || !Number.isFinite(timeMs)) return;
      profiler.observe(finding.event, contextFor(finding.hostId, host, timeMs), { weight: EXPECTED_WEIGHT, countNovelty: false });
      dirty.add(finding.hostId);
      dirty.add(FLEET_SCOPE);
    },

    addSuppression,
    removeSuppression(id) {
      const s = suppressionList.get(id);
      if (!s) return false;
      suppressionList.delete(id);
      const key = suppressionKey(s.hostId, s.profiler, s.key);
      const rest = (suppressed.get(key) ?? []).filter((x) => x.id !== id);
      if (rest.length) suppressed.set(key, rest);
      else suppressed.delete(key);
      return true;
    },
    suppressions: () => [...suppressionList.values()],

    hosts() {
      return [...hosts].map(([hostId, h]) => {
        const until = h.first + settings.learningDays * DAY_MS;
        return { hostId, firstSeen: new Date(h.first).toISOString(), lastSeen: new Date(h.last).toISOString(), events: h.events, learning: h.last < until, learningUntil: new Date(until).toISOString() };
      });
    },

    hostFeatures() {
      const out = new Map<string, Set<string>>();
      for (const [hostId, h] of hosts) {
        const set = new Set<string>();
        for (const p of profilers) {
          try {
            for (const f of p.features(hostId, h.last, settings.tuning)) set.add(f);
          } catch {
            stats.profilerErrors++;
          }
        }
        out.set(hostId, set);
      }
      return out;
    },

    setRoles(roles) {
      const nextPeers = new Map<string, Set<string>>();
      const nextNames = new Map<string, string>();
      if (roles) {
        const members = new Map<string, Set<string>>();
        for (const [hostId, role] of roles.assignment) members.set(role, (members.get(role) ?? new Set()).add(hostId));
        for (const [hostId, role] of roles.assignment) {
          nextPeers.set(hostId, members.get(role)!);
          const name = roles.names.get(role);
          if (name) nextNames.set(hostId, name);
        }
      }
      peers = nextPeers;
      roleNames = nextNames;
    },

    takeDirty() {
      const out = new Set(dirty);
      dirty.clear();
      return out;
    },

    snapshot(profiler, scope) {
      const p = profilers.find((x) => x.name === profiler);
      if (!p) throw new VigilError('not_found', `no profiler ${profiler}`);
      return p.snapshot(scope);
    },

    restore(profiler, scope, state) {
      const p = profilers.find((x) => x.name === profiler);
      if (!p) throw new VigilError('invalid_input', `no profiler ${profiler}`, { location: { path: 'profiler' } });
      p.restore(scope, state);
    },

    snapshotHosts() {
      return { v: 1, hosts: [...hosts].map(([id, h]) => [id, h.first, h.last, h.events]) };
    },

    restoreHosts(state) {
      const s = state as { v?: unknown; hosts?: unknown } | null;
      if (!s || typeof s !== 'object' || s.v !== 1 || !Array.isArray(s.hosts)) throw new VigilError('invalid_input', 'host learning state: expected { v: 1, hosts: [...] }', { location: { path: 'hosts' } });
      const next = new Map<string, HostState>();
      s.hosts.forEach((row: unknown, i: number) => {
        const r = row as unknown[];
        if (!Array.isArray(r) || typeof r[0] !== 'string' || ![r[1], r[2], r[3]].every((v) => typeof v === 'number' && Number.isFinite(v))) {
          throw new VigilError('invalid_input', 'host learning state: expected [host, first, last, events]', { location: { path: `hosts[${i}]` } });
        }
        next.set(r[0], { first: r[1] as number, last: r[2] as number, events: r[3] as number });
      });
      for (const [id, h] of next) hosts.set(id, h);
    },

    stats: () => ({ ...stats }),
  };
}
