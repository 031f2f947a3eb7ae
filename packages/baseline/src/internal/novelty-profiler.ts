// A Profiler built from a spec: which (context, item) pairs an event shows, in which named tables, and how to say
// what is new about them. Most profilers are one such spec; extraction that throws is treated as "nothing here".

import type { Finding, ObserveOptions, ProfileContext, ProfileEvent, Profiler } from '../core.js';
import { FLEET_SCOPE } from '../core.js';
import { evidenceOf, NoveltyTable, restoreTables, snapshotTables, type Assessment } from './novelty.js';

export interface NoveltyObservation {
  /** Table the pair is learned in (a profiler may keep several, e.g. ports and destinations). */
  table: string;
  /** Finding type when the item is new. */
  type: string;
  context: string;
  item: string;
  /** Key of fleet prevalence (usually context + item, normalised the same on every host); undefined: not counted. */
  fleetKey: string | undefined;
  /** The finding key (alert grouping and suppression). */
  key: string;
  explain(assessment: Assessment): string;
  /** Multiplies the score (below 1 for aspects that matter less than others of the same event). */
  weight?: number;
  /** Extra evidence shown with the finding. */
  evidence?: Record<string, string | number | boolean | null>;
  /** Learn the pair but never score it (the aspect is context for another one). */
  learnOnly?: boolean;
  /** Score only when the context is known (a context never seen is another profiler's finding). */
  requireKnownContext?: boolean;
}

export interface NoveltySpec {
  name: string;
  categories: readonly string[];
  tables: readonly string[];
  extract(event: ProfileEvent): NoveltyObservation[];
  /** Feature strings of a host from its learned entries (default: table:context>item for weight ≥ 1). */
  features?(entries: (table: string) => ReturnType<NoveltyTable['entries']>): string[];
}

export interface NoveltyProfiler extends Profiler {
  /** The tables, for profilers that wrap this one with more state. */
  readonly tables: Readonly<Record<string, NoveltyTable>>;
}

/** Items count as stable behaviour for clustering from this decayed weight (once within about two half-lives). */
export const FEATURE_MIN_WEIGHT = 0.25;

export function safeExtract(extract: (event: ProfileEvent) => NoveltyObservation[], event: ProfileEvent): NoveltyObservation[] {
  try {
    return extract(event);
  } catch {
    return [];
  }
}

/** The most surprising new aspect among the observations, as a finding. */
/**
 * The most surprising new aspect among the observations, as a finding. Its explanation and evidence are computed when
 * first read: most findings score below the threshold and are never shown.
 */
export function scoreObservations(profiler: string, tables: Readonly<Record<string, NoveltyTable>>, observations: readonly NoveltyObservation[], ctx: ProfileContext): Finding | undefined {
  let best: { o: NoveltyObservation; assessment: Assessment; score: number } | undefined;
  for (const o of observations) {
    if (o.learnOnly) continue;
    const table = tables[o.table];
    if (!table) continue;
    const assessment = table.assess(o.context, o.item, o.fleetKey ?? '', ctx);
    if (!assessment || (o.requireKnownContext && !assessment.contextKnown)) continue;
    const score = assessment.score * (o.weight ?? 1);
    if (best && best.score >= score) continue;
    best = { o, assessment, score };
  }
  if (!best) return undefined;
  const { o, assessment, score } = best;
  let explanation: string | undefined;
  let evidence: Finding['evidence'] | undefined;
  return {
    profiler,
    type: o.type,
    key: o.key,
    score,
    get explanation() {
      return (explanation ??= o.explain(assessment));
    },
    get evidence() {
      return (evidence ??= { ...evidenceOf(assessment), ...(o.weight !== undefined ? { weight: o.weight } : {}), ...o.evidence });
    },
  };
}

export function createNoveltyProfiler(spec: NoveltySpec): NoveltyProfiler {
  const tables: Record<string, NoveltyTable> = Object.fromEntries(spec.tables.map((name) => [name, new NoveltyTable()]));
  const categories = new Set(spec.categories);
  // The engine scores an event and then observes it: the second call reuses the first one's extraction.
  let lastEvent: ProfileEvent | undefined;
  let lastObservations: NoveltyObservation[] = [];
  const observationsOf = (event: ProfileEvent) => {
    if (event === lastEvent) return lastObservations;
    lastObservations = typeof event['event.category'] === 'string' && categories.has(event['event.category']) ? safeExtract(spec.extract, event) : [];
    lastEvent = event;
    return lastObservations;
  };
  return {
    name: spec.name,
    categories: spec.categories,
    tables,
    score(event, ctx) {
      return scoreObservations(spec.name, tables, observationsOf(event), ctx);
    },
    observe(event, ctx, options?: ObserveOptions) {
      for (const o of observationsOf(event)) tables[o.table]?.observe(o.context, o.item, o.fleetKey, ctx, options);
    },
    features(hostId, timeMs, tuning) {
      const entries = (table: string) => tables[table]?.entries(hostId, timeMs, tuning, FEATURE_MIN_WEIGHT) ?? [];
      if (spec.features) return spec.features(entries);
      return spec.tables.flatMap((table) => entries(table).map((e) => `${spec.name}:${table}:${e.context}>${e.item}`));
    },
    snapshot: (scope) => snapshotTables(tables, scope, FLEET_SCOPE),
    restore: (scope, state) => restoreTables(tables, scope, FLEET_SCOPE, state),
  };
}
