// Behaviour profiles: the Profiler seam. A profiler learns what each host (and the fleet) normally does from events
// and scores new events against that. It never does I/O, never throws on a malformed event, and never reads the clock.

/** A flat Vigil event (dotted keys, as stored and as the detection engine sees it). */
export type ProfileEvent = Readonly<Record<string, unknown>>;

/** The scope of fleet-wide state in snapshots (host scopes are host ids). */
export const FLEET_SCOPE = '*';

/** One deviation from a profile, with a score and a sentence a person can act on. */
export interface Finding {
  /** Name of the profiler that found it. */
  profiler: string;
  /** Kind of deviation, e.g. `new_parent_child`, `new_listening_port`, `unusual_login_hour`. */
  type: string;
  /**
   * What was new, stable across repeats of the same behaviour on a host (for example `nginx → /tmp/<rand>`).
   * Alerts group by it and feedback "expected" suppresses by it.
   */
  key: string;
  /** 0..1; the engine reports findings at or above its threshold. */
  score: number;
  /** Plain sentence: what happened, what the profile knew, how common it is in the fleet. */
  explanation: string;
  /** The facts behind the score (counts, rates, shares), for the API and for tuning. */
  evidence: Record<string, string | number | boolean | null>;
}

/** What a profiler may know about the fleet while scoring (roles come from clustering; absent until it ran). */
export interface FleetView {
  /** Hosts with any profile. */
  hostCount(): number;
  /** Hosts in the same role as `hostId` (including it), or undefined when roles are not known. */
  peersOf(hostId: string): ReadonlySet<string> | undefined;
  /** Display name of the host's role, e.g. `nginx, php-fpm8.2`. */
  roleName(hostId: string): string | undefined;
}

export interface ProfileContext {
  hostId: string;
  /** Event time in ms since the epoch (the engine clamps it to be non-decreasing per host). */
  timeMs: number;
  /** When this host was first observed (event time, ms). */
  hostFirstMs: number;
  /** Novelty is counted (for the rates that scores rest on) only from this time on: first seen + burn-in. */
  noveltyFromMs: number;
  fleet: FleetView;
  tuning: ProfileTuning;
}

/** Numbers every profiler shares; the engine owns them (docs/anomaly.md, "Tuning"). */
export interface ProfileTuning {
  /** Half-life of what a profile remembers, in days: a behaviour not seen for this long counts half. */
  halfLifeDays: number;
  /** Decayed weight below which an item is forgotten (new again). */
  forgetBelow: number;
  /** Prior novelty (pseudo-count of new items) and prior exposure (days) of the novelty rate. */
  priorNovel: number;
  priorDays: number;
  /** Fleet prevalence counts a host for a key when it saw the key within this many days. */
  fleetWindowDays: number;
}

export const defaultTuning: ProfileTuning = { halfLifeDays: 30, forgetBelow: 0.05, priorNovel: 0.5, priorDays: 2, fleetWindowDays: 90 };

/** How an observation counts: feedback "expected" teaches with a heavy weight and without counting novelty. */
export interface ObserveOptions {
  weight?: number;
  countNovelty?: boolean;
}

/**
 * Lifecycle: create, optionally `restore` every stored scope, then any sequence of `score` and `observe` calls (the
 * engine scores an event before it observes it). Calls never run concurrently (single-threaded, one engine per
 * profiler instance). `snapshot` returns plain JSON that `restore` accepts; `restore` throws a VigilError
 * (`invalid_input`, with the offending path) for state it cannot read and leaves the profiler unchanged then.
 */
export interface Profiler {
  /** kebab-case, unique in an engine (a registry refuses duplicates). */
  readonly name: string;
  /** Event categories it reads; other events never reach it. */
  readonly categories: readonly string[];
  /** At most one finding per event: the most surprising aspect of it. */
  score(event: ProfileEvent, context: ProfileContext): Finding | undefined;
  observe(event: ProfileEvent, context: ProfileContext, options?: ObserveOptions): void;
  /** Stable behaviour of a host as a set of feature strings (for clustering hosts into roles). */
  features(hostId: string, timeMs: number, tuning: ProfileTuning): string[];
  /** State of one scope (a host id or FLEET_SCOPE) as JSON, or undefined when it has none. */
  snapshot(scope: string): unknown;
  restore(scope: string, state: unknown): void;
}
