// Server-side detection: compiles the enabled rules from the detection database, evaluates every accepted batch
// in the ingest path, stores alerts (grouping repeats), and runs rules over stored history. Never blocks on I/O
// other than SQLite; never sees duplicates (only the events a store append accepted are evaluated).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createLogger, repoRoot, VigilError } from '@vigil/common';
import type { CompiledRule, DetectEvent, Detection, FieldHit, LoadProblem, SigmaCorrelation, SigmaMeta } from '@vigil/detect';
import { createIndexedEngine, type IndexStats } from '@vigil/detect/engine/indexed';
import type { RuleEngine } from '@vigil/detect/engine/rule-engine';
import { createCorrelationEngine, type CorrelationEngine } from '@vigil/detect/sigma/correlation-engine';
import { loadSigmaRules, readRuleSources, type RuleSource } from '@vigil/detect/sigma/index';
import { sigmaRuleToSql } from '@vigil/detect/sigma/to-sql';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import type { EventStore } from '@vigil/store';
import type { AlertRecord, DetectionDb, StoredAlerts } from './detection-db.js';

const log = createLogger('server.detection');

/** The rule pack shipped with Vigil, installed (or updated) at start under this name. */
export const BUILTIN_PACK = 'vigil-linux';
export const builtinPackDir = () => join(repoRoot(), 'content', 'rules', 'linux');

export interface RuleView {
  id: string;
  title: string;
  kind: 'detection' | 'correlation';
  level: string;
  status: string | null;
  tags: string[];
  pack: string;
  file: string;
  enabled: boolean;
  logsource: Record<string, string> | null;
  supported: boolean;
  description: string | null;
}

export interface LoadReport {
  files: number;
  rules: number;
  correlations: number;
  deprecated: number;
  unsupported: number;
  errors: number;
  warnings: number;
  problems: LoadProblem[];
}

export interface DetectionMetrics {
  rulesActive: number;
  correlationsActive: number;
  eventsEvaluated: number;
  detections: number;
  alertsCreated: number;
  alertsGrouped: number;
  /** Milliseconds from a batch's acknowledgement by the store to its alerts being stored (last 10,000 batches with alerts). */
  alertLatencyP50Ms: number | null;
  alertLatencyP99Ms: number | null;
  /** The same latency since start, as a histogram with fixed bounds (for Prometheus). */
  alertLatencyHistogram: LatencyHistogram;
  correlationState: number;
  index: IndexStats | null;
}

export interface RetroHuntMatch {
  ruleId: string;
  ruleTitle: string;
  eventId: string;
  hostId: string;
  time: string;
  category: string;
}

export interface DetectionService {
  /** Evaluates events the store has just acknowledged; `acceptedAt` is `performance.now()` at the acknowledgement. */
  onAccepted(events: readonly DetectEvent[], acceptedAt: number): StoredAlerts;
  reload(): LoadReport;
  lastLoad(): LoadReport;
  rules(): RuleView[];
  rule(id: string): { view: RuleView; text: string } | undefined;
  metrics(): DetectionMetrics;
  /** Starts a new window for the alert latency percentiles (the histogram and counters keep counting). */
  resetLatencyWindow(): void;
  /** Compiles rule text without storing it and reports the matches in posted sample events. */
  testRule(text: string, events: readonly DetectEvent[]): { problems: LoadProblem[]; rules: { id: string; title: string; matches: { index: number; eventId: unknown; fields: FieldHit[] }[] }[] };
  /** Called after every store of detections with the alerts it created (not the repeats folded into open alerts). */
  onAlerts(listener: (created: readonly AlertRecord[]) => void): () => void;
  /** Announces alerts stored outside the stream (scheduled hunts) to the same listeners: exporters, response policies. */
  publishAlerts(created: readonly AlertRecord[]): void;
  /** Adds a matcher run over every accepted batch after the rules (IOC matching, YARA hits); its detections are stored with theirs. */
  addEventMatcher(matcher: (events: readonly DetectEvent[]) => Detection[]): () => void;
  retroHunt(request: { ruleIds?: readonly string[]; pack?: string; text?: string; start?: string; end?: string; hostIds?: readonly string[]; limit?: number }): Promise<{ problems: LoadProblem[]; rules: number; matches: RetroHuntMatch[] }>;
  close(): void;
}

const LATENCY_WINDOW = 10_000;

/** Upper bounds (ms) of the alert latency histogram's buckets. */
export const ALERT_LATENCY_BOUNDS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

export interface LatencyHistogram {
  boundsMs: readonly number[];
  /** Observations per bucket, not cumulative: one per bound, then the overflow above the last bound. */
  counts: number[];
  sumMs: number;
  count: number;
}

/** Counts one observation into the first bucket whose bound is at least `valueMs`. */
export function observeLatency(histogram: LatencyHistogram, valueMs: number): void {
  let index = histogram.boundsMs.findIndex((bound) => valueMs <= bound);
  if (index < 0) index = histogram.boundsMs.length;
  histogram.counts[index] = (histogram.counts[index] ?? 0) + 1;
  histogram.sumMs += valueMs;
  histogram.count++;
}

function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 1000) / 1000;
}

function packVersion(sources: readonly RuleSource[]): string {
  const hash = createHash('sha256');
  for (const { file, text } of sources) hash.update(file).update('\0').update(text).update('\0');
  return hash.digest('hex').slice(0, 12);
}

export function createDetectionService(deps: { db: DetectionDb; store: EventStore; installBuiltinPack?: boolean }): DetectionService {
  const { db, store } = deps;
  const mapping = defaultSigmaMapping();
  let engine: RuleEngine & { stats(): IndexStats };
  let correlation: CorrelationEngine | undefined;
  let compiledById = new Map<string, { compiled?: CompiledRule; correlation?: SigmaCorrelation; pack: string; file: string }>();
  let report: LoadReport;
  const latencies: number[] = [];
  let latencyCursor = 0;
  const latencyHistogram: LatencyHistogram = { boundsMs: ALERT_LATENCY_BOUNDS_MS, counts: ALERT_LATENCY_BOUNDS_MS.map(() => 0).concat(0), sumMs: 0, count: 0 };
  const counters = { eventsEvaluated: 0, detections: 0, alertsCreated: 0, alertsGrouped: 0 };
  let newestEventMs = 0;
  let pendingCorrelationDetections: Detection[] = [];

  if (deps.installBuiltinPack !== false) {
    // The pack's example events (tests/) are data for its tests, not rules.
    const sources = readRuleSources(builtinPackDir())
      .map((s) => ({ file: s.file.slice(builtinPackDir().length + 1), text: s.text }))
      .filter((s) => !s.file.startsWith('tests/'));
    const version = packVersion(sources);
    const installed = db.listPacks().find((p) => p.name === BUILTIN_PACK);
    if (installed?.version !== version) {
      db.replacePack({ name: BUILTIN_PACK, version, description: "Vigil's own Linux rules (content/rules/linux)" }, sources, 'system');
      log.info('built-in rule pack installed', { pack: BUILTIN_PACK, version, files: sources.length });
    }
  }

  function build(): LoadReport {
    const files = db.ruleFiles();
    const disabled = db.disabledRules();
    const set = loadSigmaRules(
      files.map((f) => ({ file: `${f.pack}/${f.file}`, text: f.text })),
      { resolver: mapping.resolver, router: mapping.router },
    );
    const byId = new Map<string, { compiled?: CompiledRule; correlation?: SigmaCorrelation; pack: string; file: string }>();
    const packOf = (file: string) => ({ pack: file.split('/')[0]!, file: file.slice(file.indexOf('/') + 1) });
    for (const compiled of set.rules) byId.set(compiled.rule.id, { compiled, ...packOf(compiled.rule.file) });
    for (const c of set.correlations) byId.set(c.id, { correlation: c, ...packOf(c.file) });
    const activeRules = set.rules.filter((r) => !disabled.has(r.rule.id));
    const activeCorrelations = set.correlations.filter((c) => !disabled.has(c.id));
    const problems = [...set.problems];
    let next: CorrelationEngine | undefined;
    if (activeCorrelations.length) {
      const built = createCorrelationEngine({ correlations: activeCorrelations, rules: activeRules.map((r) => r.rule), resolver: mapping.resolver });
      next = built.engine;
      problems.push(...built.problems);
    }
    const referenced = next?.referencedRules;
    engine = createIndexedEngine({
      rules: activeRules,
      ...(next ? { suppressed: next.suppressedRules } : {}),
      ...(next && referenced
        ? {
            onMatch: (rule: SigmaMeta, event: DetectEvent, _hits: FieldHit[]) => {
              if (!referenced.has(rule.id) && !(rule.name && referenced.has(rule.name))) return;
              const time = Date.parse(String(event['@timestamp']));
              pendingCorrelationDetections.push(...next!.observe({ rule, event, timeMs: Number.isFinite(time) ? time : Date.now(), hostId: String(event['host.id'] ?? '') }));
            },
          }
        : {}),
    });
    correlation = next;
    compiledById = byId;
    report = {
      files: set.files,
      rules: set.rules.length,
      correlations: set.correlations.length,
      deprecated: set.deprecated,
      unsupported: set.unsupported,
      errors: problems.filter((p) => p.severity === 'error').length,
      warnings: problems.filter((p) => p.severity === 'warning').length,
      problems,
    };
    log.info('rules loaded', { rules: report.rules, correlations: report.correlations, errors: report.errors, warnings: report.warnings, active: activeRules.length });
    return report;
  }

  report = build();
  const expiryTimer = setInterval(() => {
    if (!correlation || !newestEventMs) return;
    // Event-time watermark with slack for batches that arrive a little late from other hosts.
    const expired = correlation.expire(newestEventMs - 30_000);
    if (expired.length) storeDetections(expired, performance.now());
  }, 1000);
  expiryTimer.unref();

  const alertListeners = new Set<(created: readonly AlertRecord[]) => void>();
  /** Tells every listener about alerts just created, whoever stored them; a failing listener never stops the others. */
  function publishAlerts(created: readonly AlertRecord[]): void {
    if (!created.length) return;
    for (const listener of alertListeners) {
      try {
        listener(created);
      } catch (error) {
        log.error('alert listener failed', { error: VigilError.wrap(error).message });
      }
    }
  }
  const eventMatchers = new Set<(events: readonly DetectEvent[]) => Detection[]>();

  function storeDetections(detections: Detection[], acceptedAt: number): StoredAlerts {
    const stored = db.storeDetections(detections);
    const latency = performance.now() - acceptedAt;
    if (latencies.length < LATENCY_WINDOW) latencies.push(latency);
    else latencies[latencyCursor++ % LATENCY_WINDOW] = latency;
    observeLatency(latencyHistogram, latency);
    counters.detections += detections.length;
    counters.alertsCreated += stored.created.length;
    counters.alertsGrouped += stored.updated;
    publishAlerts(stored.created);
    return stored;
  }

  function viewOf(id: string, entry: { compiled?: CompiledRule; correlation?: SigmaCorrelation; pack: string; file: string }, disabled: Set<string>): RuleView {
    const meta: SigmaMeta = entry.compiled?.rule ?? entry.correlation!;
    const logsource = entry.compiled?.rule.logsource;
    return {
      id,
      title: meta.title,
      kind: entry.compiled ? 'detection' : 'correlation',
      level: meta.level,
      status: meta.status ?? null,
      tags: meta.tags,
      pack: entry.pack,
      file: entry.file,
      enabled: !disabled.has(id),
      logsource: logsource ? (Object.fromEntries(Object.entries(logsource).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : null,
      supported: entry.compiled ? entry.compiled.route !== undefined : true,
      description: meta.description ?? null,
    };
  }

  return {
    onAccepted(events, acceptedAt) {
      if (!events.length) return { created: [], updated: 0 };
      let detections: Detection[];
      try {
        detections = engine.evaluate(events);
      } catch (error) {
        // A rule must never take ingest down; the batch is already durable and can be retro-hunted.
        log.error('rule evaluation failed', { error: VigilError.wrap(error).message });
        return { created: [], updated: 0 };
      }
      counters.eventsEvaluated += events.length;
      for (const event of events) {
        const time = Date.parse(String(event['@timestamp']));
        if (time > newestEventMs) newestEventMs = time;
      }
      if (pendingCorrelationDetections.length) {
        detections.push(...pendingCorrelationDetections);
        pendingCorrelationDetections = [];
      }
      for (const matcher of eventMatchers) {
        try {
          detections.push(...matcher(events));
        } catch (error) {
          log.error('event matcher failed', { error: VigilError.wrap(error).message });
        }
      }
      if (!detections.length) return { created: [], updated: 0 };
      try {
        return storeDetections(detections, acceptedAt);
      } catch (error) {
        // Runs after the acknowledgement: a failure here must never take the server down. The events are stored and
        // a retro-hunt finds them again.
        log.error('storing alerts failed', { detections: detections.length, error: VigilError.wrap(error).message });
        return { created: [], updated: 0 };
      }
    },

    reload: build,
    lastLoad: () => report,

    addEventMatcher(matcher) {
      eventMatchers.add(matcher);
      return () => eventMatchers.delete(matcher);
    },

    publishAlerts,

    onAlerts(listener) {
      alertListeners.add(listener);
      return () => alertListeners.delete(listener);
    },

    rules() {
      const disabled = db.disabledRules();
      return [...compiledById].map(([id, entry]) => viewOf(id, entry, disabled));
    },

    rule(id) {
      const entry = compiledById.get(id);
      if (!entry) return undefined;
      const text = db.ruleFile(entry.pack, entry.file)?.text ?? '';
      return { view: viewOf(id, entry, db.disabledRules()), text };
    },

    resetLatencyWindow() {
      latencies.length = 0;
      latencyCursor = 0;
    },

    metrics() {
      return {
        rulesActive: engine.ruleCount,
        correlationsActive: report.correlations,
        ...counters,
        alertLatencyP50Ms: percentile(latencies, 50),
        alertLatencyP99Ms: percentile(latencies, 99),
        alertLatencyHistogram: { ...latencyHistogram, counts: [...latencyHistogram.counts] },
        correlationState: correlation?.stateSize() ?? 0,
        index: engine.stats(),
      };
    },

    testRule(text, events) {
      const set = loadSigmaRules([{ file: 'posted-rule.yml', text }], { resolver: mapping.resolver, router: mapping.router, includeDeprecated: true });
      return {
        problems: set.problems,
        rules: set.rules.map((compiled) => ({
          id: compiled.rule.id,
          title: compiled.rule.title,
          matches: events.flatMap((event, index) => {
            const category = String(event['event.category']);
            if (compiled.route?.categories && !compiled.route.categories.includes(category)) return [];
            const hits = compiled.match(event);
            return hits ? [{ index, eventId: event['event.id'], fields: hits }] : [];
          }),
        })),
      };
    },

    async retroHunt(request) {
      let rules: CompiledRule[];
      const problems: LoadProblem[] = [];
      if (request.text !== undefined) {
        const set = loadSigmaRules([{ file: 'posted-rule.yml', text: request.text }], { resolver: mapping.resolver, router: mapping.router, includeDeprecated: true });
        problems.push(...set.problems);
        rules = set.rules;
      } else {
        rules = [...compiledById.values()]
          .filter((entry) => entry.compiled && (request.pack ? entry.pack === request.pack : true) && (request.ruleIds ? request.ruleIds.includes(entry.compiled.rule.id) : true))
          .map((entry) => entry.compiled!);
        if (request.ruleIds) {
          for (const id of request.ruleIds) if (!compiledById.get(id)?.compiled) throw new VigilError('not_found', `no detection rule ${id}`, { location: { path: 'rule_ids' } });
        }
      }
      const limit = Math.min(request.limit ?? 10_000, 100_000);
      const matches: RetroHuntMatch[] = [];
      for (const compiled of rules) {
        if (matches.length >= limit) break;
        const { query, problems: sqlProblems } = sigmaRuleToSql(compiled.rule, {
          resolver: mapping.resolver,
          router: mapping.router,
          ...(request.start ? { start: request.start } : {}),
          ...(request.end ? { end: request.end } : {}),
          ...(request.hostIds ? { hostIds: request.hostIds } : {}),
          limit: limit - matches.length,
        });
        problems.push(...sqlProblems);
        if (!query) continue;
        for (const row of await store.search(query)) {
          matches.push({
            ruleId: compiled.rule.id,
            ruleTitle: compiled.rule.title,
            eventId: String(row['event.id']),
            hostId: String(row['host.id']),
            time: String(row['@timestamp']),
            category: String(row['event.category']),
          });
        }
      }
      return { problems, rules: rules.length, matches };
    },

    close() {
      clearInterval(expiryTimer);
    },
  };
}
