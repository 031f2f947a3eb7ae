// Server-side detection: compiles the enabled rules from the detection database (load reports, rule views, tests,
// retro-hunts) and hands every acknowledged batch to the detection worker, which evaluates it and stores its alerts.
// Never evaluates rules on the request thread; never stores an alert of an event the store did not accept (a body
// handed over before its acknowledgement is only matched ahead; the acknowledgement commits its accepted tail).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createLogger, repoRoot, VigilError } from '@vigil/common';
import type { CompiledRule, DetectEvent, Detection, FieldHit, LoadProblem } from '@vigil/detect';
import type { IndexStats } from '@vigil/detect/engine/indexed';
import { loadSigmaRules, readRuleSources, type RuleSource } from '@vigil/detect/sigma/index';
import { sigmaRuleToSql } from '@vigil/detect/sigma/to-sql';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { categoryByName } from '@vigil/schema';
import type { EventStore } from '@vigil/store';
import type { AlertRecord, DetectionDb, StoredAlerts } from './detection-db.js';
import { compileRuleFiles, type RuleEntry } from './compile-rules.js';
import type { EvaluateMessage, EventSlices, FromWorker, LatencyStages, ToWorker, WorkerInit } from './detection-worker.js';

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
  /** p50/p99 (ms) of the parts of that latency over the same window: waiting for the worker (`queue`; of which `backlog` behind earlier batches), decoding, evaluating, waiting for the server's matchers, storing. */
  alertLatencyStages: Record<keyof LatencyStages, { p50: number | null; p99: number | null }>;
  /** The same latency since start, as a histogram with fixed bounds (for Prometheus). */
  alertLatencyHistogram: LatencyHistogram;
  correlationState: number;
  index: IndexStats | null;
  /** Events handed to the detection worker and not yet evaluated (bounded: ingest waits above the limit). */
  queuedEvents: number;
  queuedBatches: number;
  /** Times ingest waited for the detection queue to drain below its limit. */
  backpressureWaits: number;
  /** Events stored before a crash or stop but evaluated only after the restart (from the detection checkpoints). */
  recoveredEvents: number;
  /** Times the detection worker died and was started again. */
  workerRestarts: number;
  /**
   * Batches matched ahead of their acknowledgement: `handed` over, committed with their matching `ready` or `late`
   * (finished after the acknowledgement), `discarded` (append failed or all duplicates), `skipped` (over the bound of
   * bodies held: evaluated after the acknowledgement only).
   */
  speculation: { handed: number; ready: number; late: number; discarded: number; skipped: number; heldBytes: number };
}

export interface RetroHuntMatch {
  ruleId: string;
  ruleTitle: string;
  eventId: string;
  hostId: string;
  time: string;
  category: string;
}

/** A batch the store has just acknowledged, as the agent route hands it over. */
export interface AcceptedBatch {
  hostId: string;
  /** The request body as received: the worker decodes it again (validation is deterministic). */
  body: Uint8Array;
  /**
   * True when every accepted event's bytes parse to exactly the validated event (the batch decoder's slices): the
   * worker then only parses the body, without validating it again.
   */
  parsesAsValidated: boolean;
  /** The accepted events (the tail of the decoded batch), for the server's own matchers on this thread. */
  events: readonly DetectEvent[];
  /** The host's watermark after the append (highest stored event.sequence): the batch's detection checkpoint. */
  ackedThrough: number;
  /** `performance.now()` when the append resolved. */
  acceptedAt: number;
  /** The batch's speculation (see `speculate`), which this commits. */
  speculation?: Speculation;
}

/** A batch body handed to the detection worker before the store acknowledged it (`speculate`). */
export interface Speculation {
  readonly id: number;
  /** The copy the worker threads share. */
  readonly body: Uint8Array;
}

/** An acknowledged batch as a matcher on another thread gets it: the body (shared memory) or, for imports and recovery, the events. */
export interface MatchJob {
  /** The detection worker's message id of the batch. */
  id: number;
  hostId: string;
  /** The batch body; its last `accepted` events are the ones to match (see acceptedEventsOf). */
  body?: Uint8Array;
  accepted?: number;
  parsesAsValidated?: boolean;
  events?: readonly DetectEvent[];
}

/**
 * A matcher that runs on its own thread (behaviour profiles): gets every batch the detection worker gets, in the same
 * order, and calls `done` exactly once per job with its detections (none when it failed). The batch's checkpoint
 * waits for them; ingest backpressure counts the batch until they are stored.
 */
export interface BatchMatcher {
  submit(job: MatchJob, done: (detections: Detection[]) => void): void;
}

/**
 * Lifecycle: created with the store open; `recover` once before agents are accepted; `close` once (waits for the
 * worker to write its checkpoints; batches still queued are skipped and evaluated by `recover` at the next start).
 * Batches of one host must be handed over in sequence order (the agent route does so in acknowledgement order).
 */
export interface DetectionService {
  /** Evaluates events the store has just acknowledged (imports); resolves when their alerts are stored. `acceptedAt` is `performance.now()` at the acknowledgement. */
  onAccepted(events: readonly DetectEvent[], acceptedAt: number): Promise<StoredAlerts>;
  /**
   * Hands a decoded and validated agent batch to the worker before the store appends it, to be decoded and matched
   * against the stateless rules while the append waits for durability (`slices`: the decoder's byte ranges of the
   * events, used when `parsesAsValidated`). Undefined when it is not taken (stopping, or
   * more than `maxSpeculativeBytes` of bodies held). A returned speculation must be passed on exactly once: to
   * `submitBatch` once the append is acknowledged with accepted events, else to `discard`.
   */
  speculate(batch: { hostId: string; body: Uint8Array; parsesAsValidated: boolean; slices?: EventSlices }): Speculation | undefined;
  /** Drops a speculation whose append failed or accepted nothing: none of its matches is ever stored. */
  discard(speculation: Speculation): void;
  /**
   * Hands an acknowledged agent batch to the worker (committing its speculation, if any) after running the server's
   * own matchers on it; returns at once. Batches are committed in the order they are handed over.
   */
  submitBatch(batch: AcceptedBatch): void;
  /** Undefined while the detection queue has room; otherwise a promise that resolves when it has (ingest backpressure). */
  admit(): Promise<void> | undefined;
  /** Evaluates what was acknowledged but not evaluated before the last stop: each host's events above its checkpoint. */
  recover(hostIds: readonly string[]): Promise<number>;
  /** Resolves when everything handed over so far is evaluated and its alerts stored. */
  idle(): Promise<void>;
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
  /** Adds a matcher on another thread, given every batch after the rules (behaviour profiles); its detections are stored with theirs. */
  addBatchMatcher(matcher: BatchMatcher): () => void;
  retroHunt(request: { ruleIds?: readonly string[]; pack?: string; text?: string; start?: string; end?: string; hostIds?: readonly string[]; limit?: number }): Promise<{ problems: LoadProblem[]; rules: number; matches: RetroHuntMatch[] }>;
  close(): Promise<void>;
}

/** One copy of a batch body the worker threads share (the request's memory may be a slice of a pool this thread reuses). */
function sharedCopy(body: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(body.byteLength));
  copy.set(body);
  return copy;
}

/** Events handed to the worker and not evaluated above which ingest waits (VIGIL_DETECTION_QUEUE_EVENTS). */
export const DEFAULT_DETECTION_QUEUE_EVENTS = 100_000;
/**
 * Bytes of batch bodies handed over ahead of their acknowledgement above which further batches are not speculated
 * (VIGIL_DETECTION_SPECULATIVE_BYTES; 0 turns speculation off). The worker holds per speculated batch the shared
 * body, until matched its decoded events, then only the matched events: this bounds that memory. 64 MiB is ~19,000
 * Windows events of ~3.5 KB, the ~2.5 s of acknowledgement wait seen at 7,500 events/s (docs/benchmarks.md).
 */
export const DEFAULT_SPECULATIVE_BYTES = 64 * 1024 * 1024;
const RECOVERY_PAGE = 5000;

/** A stored event row (store.search) in the shape ingest validated: JSON object fields parsed again. */
export function storedEventForDetection(row: Record<string, unknown>): DetectEvent {
  const category = categoryByName.get(String(row['event.category']));
  if (category) {
    for (const field of category.fields) {
      const value = row[field.name];
      if (field.type === 'object' && typeof value === 'string') {
        try {
          row[field.name] = JSON.parse(value);
        } catch {
          // left as stored
        }
      }
    }
  }
  return row as unknown as DetectEvent;
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

export function createDetectionService(deps: {
  db: DetectionDb;
  store: EventStore;
  installBuiltinPack?: boolean;
  maxQueuedEvents?: number;
  maxSpeculativeBytes?: number;
  /** The worker thread's scheduling (WorkerInit.realtime); default true. */
  realtime?: boolean;
}): DetectionService {
  const { db, store } = deps;
  const mapping = defaultSigmaMapping();
  const maxQueuedEvents = deps.maxQueuedEvents ?? (Number(process.env.VIGIL_DETECTION_QUEUE_EVENTS) || DEFAULT_DETECTION_QUEUE_EVENTS);
  const speculativeFromEnv = process.env.VIGIL_DETECTION_SPECULATIVE_BYTES;
  const maxSpeculativeBytes = deps.maxSpeculativeBytes ?? (speculativeFromEnv !== undefined && speculativeFromEnv !== '' && Number.isFinite(Number(speculativeFromEnv)) ? Number(speculativeFromEnv) : DEFAULT_SPECULATIVE_BYTES);
  let compiledById = new Map<string, RuleEntry>();
  let report: LoadReport;
  let activeRuleCount = 0;
  const latencies: number[] = [];
  let latencyCursor = 0;
  const stageWindow: Record<keyof LatencyStages, number[]> = { queue: [], backlog: [], decode: [], evaluate: [], matchers: [], store: [] };
  const latencyHistogram: LatencyHistogram = { boundsMs: ALERT_LATENCY_BOUNDS_MS, counts: ALERT_LATENCY_BOUNDS_MS.map(() => 0).concat(0), sumMs: 0, count: 0 };
  const counters = { eventsEvaluated: 0, detections: 0, alertsCreated: 0, alertsGrouped: 0 };
  const queue = { events: 0, backpressureWaits: 0, recoveredEvents: 0, workerRestarts: 0 };
  const speculation = { handed: 0, ready: 0, late: 0, discarded: 0, skipped: 0, heldBytes: 0 };
  /** Speculations handed over and not yet committed or discarded: their body's size. */
  const speculative = new Map<number, number>();
  /** What the worker last reported. */
  const fromWorker: { rulesActive: number | null; index: IndexStats | null; correlationState: number } = { rulesActive: null, index: null, correlationState: 0 };

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

  /** Compiles here for the report and the rule views; the worker compiles its own engine from the same files. */
  function build(): LoadReport {
    const set = compileRuleFiles(db, mapping);
    compiledById = set.byId;
    activeRuleCount = set.activeRules.length;
    report = {
      files: set.files,
      rules: set.rules.length,
      correlations: set.correlations.length,
      deprecated: set.deprecated,
      unsupported: set.unsupported,
      errors: set.problems.filter((p) => p.severity === 'error').length,
      warnings: set.problems.filter((p) => p.severity === 'warning').length,
      problems: set.problems,
    };
    log.info('rules loaded', { rules: report.rules, correlations: report.correlations, errors: report.errors, warnings: report.warnings, active: activeRuleCount });
    return report;
  }

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
  function runMatchers(events: readonly DetectEvent[]): Detection[] {
    const found: Detection[] = [];
    for (const matcher of eventMatchers) {
      try {
        found.push(...matcher(events));
      } catch (error) {
        log.error('event matcher failed', { error: VigilError.wrap(error).message });
      }
    }
    return found;
  }

  const batchMatchers = new Set<BatchMatcher>();
  /** Gives a batch to the matchers on other threads; returns how many answers the detection worker must wait for. */
  function submitToBatchMatchers(job: MatchJob): number {
    for (const matcher of batchMatchers) {
      matcher.submit(job, (detections) => {
        // A batch settled meanwhile (worker restarted) is evaluated again by recovery: its answer has no taker.
        if (inflight.has(job.id)) worker.postMessage({ type: 'matched', id: job.id, detections } satisfies ToWorker);
      });
    }
    return batchMatchers.size;
  }

  // ---- the worker ----

  const stop = new SharedArrayBuffer(4);
  let worker: Worker;
  let closing = false;
  let nextId = 1;
  /** Batches handed to the worker, by message id: their event count and who waits for the result. */
  const inflight = new Map<number, { events: number; resolve?: (stored: StoredAlerts) => void }>();
  const admitWaiters: (() => void)[] = [];
  const idleWaiters: (() => void)[] = [];
  let closed: (() => void) | undefined;
  /** Hosts handed over since start: what a restarted worker must recover. */
  const hostsSeen = new Set<string>();

  function settle(id: number, stored: StoredAlerts): void {
    const entry = inflight.get(id);
    if (!entry) return;
    inflight.delete(id);
    queue.events -= entry.events;
    entry.resolve?.(stored);
    if (admitWaiters.length && queue.events < maxQueuedEvents) for (const wake of admitWaiters.splice(0)) wake();
    if (!inflight.size && idleWaiters.length) for (const wake of idleWaiters.splice(0)) wake();
  }

  function onMessage(message: FromWorker): void {
    if (message.type === 'evaluated') {
      counters.eventsEvaluated += message.events;
      counters.detections += message.detections;
      counters.alertsCreated += message.created.length;
      counters.alertsGrouped += message.updated;
      fromWorker.correlationState = message.correlationState;
      if (message.speculation) speculation[message.speculation]++;
      if (message.latencyMs !== null) {
        if (latencies.length < LATENCY_WINDOW) latencies.push(message.latencyMs);
        else latencies[latencyCursor % LATENCY_WINDOW] = message.latencyMs;
        if (message.stages) for (const stage of Object.keys(stageWindow) as (keyof LatencyStages)[]) stageWindow[stage][latencyCursor % LATENCY_WINDOW] = message.stages[stage];
        latencyCursor++;
        observeLatency(latencyHistogram, message.latencyMs);
      }
      // Stored by the worker's own connection: the listeners of this thread's DetectionDb hear of them here.
      db.announceCreated(message.created, message.contexts ? new Map(Object.entries(message.contexts)) : undefined);
      publishAlerts(message.created);
      settle(message.id, { created: message.created, updated: message.updated });
    } else if (message.type === 'loaded') {
      fromWorker.rulesActive = message.rulesActive;
      fromWorker.index = message.index;
    } else if (message.type === 'closed') {
      closed?.();
    }
  }

  function spawn(): Worker {
    const init: WorkerInit = { dbFile: db.path, stop, realtime: deps.realtime ?? true };
    const started = new Worker(new URL('./detection-worker.js', import.meta.url), { workerData: init });
    started.on('message', onMessage);
    started.on('error', (error) => log.error('detection worker failed', { error: VigilError.wrap(error).message }));
    started.on('exit', (code) => {
      if (closing) return;
      // Whatever it held is above the checkpoints: a new worker evaluates it again from the store. Batches acknowledged
      // while that recovery reads the store may be evaluated before the recovered ones (a correlation can miss them).
      log.error('detection worker stopped; starting a new one', { code });
      queue.workerRestarts++;
      for (const id of [...inflight.keys()]) settle(id, { created: [], updated: 0 });
      worker = spawn();
      void recover([...hostsSeen]).catch((error: unknown) => log.error('detection recovery failed', { error: VigilError.wrap(error).message }));
    });
    return started;
  }

  function hand(message: EvaluateMessage, events: number, transfer: ArrayBuffer[] = [], resolve?: (stored: StoredAlerts) => void): void {
    hostsSeen.add(message.hostId);
    inflight.set(message.id, resolve ? { events, resolve } : { events });
    queue.events += events;
    worker.postMessage(message satisfies ToWorker, transfer);
  }

  async function recover(hostIds: readonly string[]): Promise<number> {
    const { initialized, hosts } = db.checkpoints();
    const all = new Set([...hostIds, ...hosts.keys()]);
    if (!initialized) {
      // First start with checkpoints: what is stored already was evaluated by an earlier version (or never will be).
      const marks = new Map<string, number>();
      for (const hostId of all) marks.set(hostId, await store.watermark(hostId));
      db.initializeCheckpoints(marks);
      return 0;
    }
    let recovered = 0;
    for (const hostId of all) {
      let from = hosts.get(hostId) ?? -1;
      const through = await store.watermark(hostId);
      while (from < through) {
        const rows = await store.search({
          sql: `SELECT * FROM events WHERE "host.id" = $1 AND "event.sequence" > $2 AND "event.sequence" <= $3 ORDER BY "event.sequence" LIMIT ${RECOVERY_PAGE}`,
          params: [hostId, from, through],
        });
        if (!rows.length) break;
        const events = rows.map(storedEventForDetection);
        const last = Number(events[events.length - 1]!['event.sequence']);
        const wait = admit();
        if (wait) await wait;
        const message: EvaluateMessage = { type: 'evaluate', id: nextId++, hostId, lastSequence: last, acceptedAtMs: performance.timeOrigin + performance.now(), measure: false, events, extra: runMatchers(events), matchersFollow: batchMatchers.size };
        hand(message, events.length);
        submitToBatchMatchers({ id: message.id, hostId, events });
        recovered += events.length;
        from = last;
      }
    }
    queue.recoveredEvents += recovered;
    if (recovered) log.warn('evaluating events acknowledged but not evaluated before the last stop', { events: recovered });
    return recovered;
  }

  /** Forgets a speculation's held bytes; false when it was committed or discarded before (then nothing is sent). */
  function releaseSpeculation(held: Speculation): boolean {
    const bytes = speculative.get(held.id);
    if (bytes === undefined) return false;
    speculative.delete(held.id);
    speculation.heldBytes -= bytes;
    return true;
  }

  function admit(): Promise<void> | undefined {
    if (queue.events < maxQueuedEvents) return undefined;
    queue.backpressureWaits++;
    return new Promise<void>((resolve) => admitWaiters.push(resolve));
  }

  report = build();
  worker = spawn();

  function viewOf(id: string, entry: RuleEntry, disabled: Set<string>): RuleView {
    const meta = entry.compiled?.rule ?? entry.correlation!;
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
      if (!events.length || closing) return Promise.resolve({ created: [], updated: 0 });
      const first = events[0]!;
      const hostId = String(first['host.id'] ?? '');
      const lastSequence = Number(events[events.length - 1]!['event.sequence']);
      return new Promise<StoredAlerts>((resolve) => {
        const message: EvaluateMessage = { type: 'evaluate', id: nextId++, hostId, lastSequence, acceptedAtMs: performance.timeOrigin + acceptedAt, measure: true, events: [...events], extra: runMatchers(events), matchersFollow: batchMatchers.size };
        hand(message, events.length, [], resolve);
        submitToBatchMatchers({ id: message.id, hostId, events });
      });
    },

    speculate(batch) {
      if (closing || batch.body.byteLength === 0) return undefined;
      if (speculation.heldBytes + batch.body.byteLength > maxSpeculativeBytes) {
        speculation.skipped++;
        return undefined;
      }
      const body = sharedCopy(batch.body);
      const id = nextId++;
      speculative.set(id, body.byteLength);
      speculation.heldBytes += body.byteLength;
      speculation.handed++;
      const slices = batch.parsesAsValidated && batch.slices ? { slices: { starts: batch.slices.starts, ends: batch.slices.ends } } : {};
      worker.postMessage({ type: 'speculate', id, hostId: batch.hostId, body, parsesAsValidated: batch.parsesAsValidated, ...slices } satisfies ToWorker);
      return { id, body };
    },

    discard(held) {
      if (!releaseSpeculation(held)) return;
      speculation.discarded++;
      if (!closing) worker.postMessage({ type: 'discard', id: held.id } satisfies ToWorker);
    },

    submitBatch(batch) {
      const held = batch.speculation && releaseSpeculation(batch.speculation) ? batch.speculation : undefined;
      if (closing || !batch.events.length) {
        if (held && !closing) worker.postMessage({ type: 'discard', id: held.id } satisfies ToWorker);
        return;
      }
      const body = held?.body ?? sharedCopy(batch.body);
      const serverMatchers = eventMatchers.size > 0;
      const message: EvaluateMessage = {
        type: 'evaluate',
        id: held?.id ?? nextId++,
        hostId: batch.hostId,
        lastSequence: batch.ackedThrough,
        acceptedAtMs: performance.timeOrigin + batch.acceptedAt,
        measure: true,
        body,
        accepted: batch.events.length,
        parsesAsValidated: batch.parsesAsValidated,
        extra: [],
        matchersFollow: (serverMatchers ? 1 : 0) + batchMatchers.size,
        ...(held ? { speculated: true } : {}),
      };
      hand(message, batch.events.length);
      submitToBatchMatchers({ id: message.id, hostId: batch.hostId, body, accepted: batch.events.length, parsesAsValidated: batch.parsesAsValidated });
      // The workers evaluate meanwhile; the detection worker stores the batch once these detections are in.
      if (serverMatchers) worker.postMessage({ type: 'matched', id: message.id, detections: runMatchers(batch.events) } satisfies ToWorker);
    },

    admit,
    recover,

    idle() {
      if (!inflight.size) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    reload() {
      const loaded = build();
      worker.postMessage({ type: 'reload' } satisfies ToWorker);
      return loaded;
    },
    lastLoad: () => report,

    addEventMatcher(matcher) {
      eventMatchers.add(matcher);
      return () => eventMatchers.delete(matcher);
    },

    addBatchMatcher(matcher) {
      batchMatchers.add(matcher);
      return () => batchMatchers.delete(matcher);
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
      for (const values of Object.values(stageWindow)) values.length = 0;
    },

    metrics() {
      return {
        rulesActive: fromWorker.rulesActive ?? activeRuleCount,
        correlationsActive: report.correlations,
        ...counters,
        alertLatencyP50Ms: percentile(latencies, 50),
        alertLatencyP99Ms: percentile(latencies, 99),
        alertLatencyStages: Object.fromEntries(Object.entries(stageWindow).map(([stage, values]) => [stage, { p50: percentile(values.filter((v) => v !== undefined), 50), p99: percentile(values.filter((v) => v !== undefined), 99) }])) as DetectionMetrics['alertLatencyStages'],
        alertLatencyHistogram: { ...latencyHistogram, counts: [...latencyHistogram.counts] },
        correlationState: fromWorker.correlationState,
        index: fromWorker.index,
        queuedEvents: queue.events,
        queuedBatches: inflight.size,
        backpressureWaits: queue.backpressureWaits,
        recoveredEvents: queue.recoveredEvents,
        workerRestarts: queue.workerRestarts,
        speculation: { ...speculation },
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

    async close() {
      if (closing) return;
      closing = true;
      // Queued batches are skipped (their checkpoints stay behind them: the next start evaluates them).
      Atomics.store(new Int32Array(stop), 0, 1);
      for (const wake of admitWaiters.splice(0)) wake();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const done = new Promise<void>((resolve) => (closed = resolve));
      worker.postMessage({ type: 'close' } satisfies ToWorker);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
      if ((await Promise.race([done, timeout])) === 'timeout') log.warn('the detection worker did not stop in 10 s; terminating it');
      await worker.terminate();
      await exited;
      for (const id of [...inflight.keys()]) settle(id, { created: [], updated: 0 });
    },
  };
}
