// The detection worker thread: evaluates acknowledged events against the enabled rules, off the request thread, and
// is the only writer of stream alerts and detection checkpoints. One consumer, messages in arrival order (so batches of
// a host are evaluated in sequence order and correlation state sees them in that order). Never touches the event store.
// Batches not yet acknowledged may be matched ahead (speculation), but nothing of them is stored, counted or fed to
// correlation until their acknowledgement commits them.

import { getPriority } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { VigilError, createLogger, currentThreadId, raiseThreadPriority, setThreadScheduling } from '@vigil/common';
import type { DetectEvent, Detection, FieldHit, SigmaMeta } from '@vigil/detect';
import { createIndexedEngine, type IndexStats } from '@vigil/detect/engine/indexed';
import type { RuleEngine } from '@vigil/detect/engine/rule-engine';
import type { BaseRuleMatch, CorrelationEngine } from '@vigil/detect/sigma/correlation-engine';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { DetectionDb, type AlertRecord, type StoredAlerts } from './detection-db.js';
import { compileRuleFiles } from './compile-rules.js';
import { acceptedEventsOf, eventOfSlice } from './batch-body.js';
import { alertContextOf } from './alert-context.js';
import type { ToWalCheckpointer, WalCheckpointerInit } from './wal-checkpointer.js';

export interface WorkerInit {
  dbFile: string;
  /** Int32Array over it: [0] set to 1 when the server stops; batches still queued are then skipped (not checkpointed). */
  stop: SharedArrayBuffer;
  /** Whether this thread asks for the round-robin real-time policy (see raiseOwnPriority). */
  realtime: boolean;
}

/** Events one host acknowledged, as the request body (decoded here) or as events (imports, recovery). */
export interface EvaluateMessage {
  type: 'evaluate';
  id: number;
  hostId: string;
  /** The host's highest event.sequence once these events are evaluated: its new checkpoint. */
  lastSequence: number;
  /** Wall clock (performance.timeOrigin + performance.now(), ms) when the store acknowledged the events. */
  acceptedAtMs: number;
  /** Whether the batch counts in the alert latency figures (not for recovery after a restart). */
  measure: boolean;
  /** The received batch body (a copy the workers share): the worker decodes it and evaluates its last `accepted` events. */
  body?: Uint8Array;
  accepted?: number;
  /** The accepted events' bytes parse to exactly the validated events: JSON.parse is enough (no second validation). */
  parsesAsValidated?: boolean;
  events?: DetectEvent[];
  /** Detections the server's own matchers (IOC, YARA, baselines) found in these events, stored with the rules'. */
  extra: Detection[];
  /**
   * How many `matched` messages (same id) follow with the detections of the server's own matchers: the request
   * thread's (IOC, YARA) and other threads' (baselines) run while this thread evaluates the rules; the batch's
   * remaining alerts and its checkpoint are stored once all are in. Checkpoints are written in the order batches came.
   */
  matchersFollow?: number;
  /**
   * A `speculate` message with this id came before (same body): its held matches are used for the accepted tail.
   * When they are missing (rules reloaded, worker restarted) the body is decoded and matched now, as without.
   */
  speculated?: boolean;
}

/**
 * A batch body handed over before the store acknowledged it. This thread decodes it and runs the stateless rule
 * matching when it has nothing acknowledged to do, and holds the matches; nothing of it is stored, counted or fed to
 * correlation until an `evaluate` message with the same id and `speculated` commits its accepted tail, or a `discard`
 * drops it. Every speculate message is followed by exactly one of the two; commits come in acknowledgement order.
 */
export interface SpeculateMessage {
  type: 'speculate';
  id: number;
  hostId: string;
  /** The whole batch (the duplicates are not known yet): every event is matched, the commit keeps the tail. */
  body: Uint8Array;
  /** Every event's bytes parse to exactly the validated event. */
  parsesAsValidated: boolean;
  /** With `parsesAsValidated`: where each event's bytes are (decoded one by one, so no step decodes a whole body). */
  slices?: EventSlices;
}

/** The append of a speculated batch failed or stored nothing: its held matches are dropped. */
export interface DiscardMessage {
  type: 'discard';
  id: number;
}

/** Detections of one of the server's own matchers for the batch `id` (one per `matchersFollow`, after the batch). */
export interface MatchedMessage {
  type: 'matched';
  id: number;
  detections: Detection[];
}

export type ToWorker = EvaluateMessage | SpeculateMessage | DiscardMessage | MatchedMessage | { type: 'reload' } | { type: 'close' };

export interface EvaluatedMessage {
  type: 'evaluated';
  /** The evaluate message's id, or 0 for detections of expired correlation windows. */
  id: number;
  events: number;
  detections: number;
  created: AlertRecord[];
  /** Context fields of the first event of created alerts whose event was in the batch, by event id. */
  contexts?: Record<string, Record<string, unknown>>;
  updated: number;
  /** Acknowledgement to alerts stored, for batches with detections that are measured. */
  latencyMs: number | null;
  /** Where that latency went (ms): waiting to be picked up, decoding, rule evaluation, waiting for matchers, storing alerts. */
  stages: LatencyStages | null;
  correlationState: number;
  /** Set when the batch was skipped (server stopping) or its evaluation failed. */
  failed?: string;
  /**
   * For a speculated batch: `ready` when its matching was done before the commit was picked up, `late` when (some of)
   * it was done after (then counted in the `decode` and `evaluate` stages).
   */
  speculation?: 'ready' | 'late';
}

/**
 * Parts of the alert latency, all after the acknowledgement (for a speculated batch, matching done before it is in
 * none of them).
 */
export interface LatencyStages {
  queue: number;
  /**
   * The part of `queue` during which this thread was still busy with earlier messages (the rest of `queue` is the
   * hand-over: posting the message and this thread getting a CPU).
   */
  backlog: number;
  decode: number;
  /** Rule matching left to do, and the stateful part: keeping the accepted tail's matches, correlation. */
  evaluate: number;
  /** Waiting for the request thread's matchers after the rules were evaluated. */
  matchers: number;
  store: number;
}

export type FromWorker = EvaluatedMessage | { type: 'loaded'; rulesActive: number; index: IndexStats } | { type: 'closed' };

const log = createLogger('server.detection.worker');
/** Checkpoints of batches without detections are written at most this often (a crash re-evaluates at most this much). */
const CHECKPOINT_FLUSH_MS = 250;
/**
 * Nice steps this thread runs below the process's nice value (higher priority). When the cores are busy the scheduler
 * otherwise shares them among the request thread, the store's threads, garbage collection and behaviour profiling,
 * and every batch's alerts wait for a CPU: A/B at 20,000 Windows events/s offered on 2 cores (docs/benchmarks.md,
 * "## detect", 2026-12-05) gave alert latency p50 35-37 -> 14 ms and p99 127-158 -> 60-62 ms with the acknowledged
 * rate unchanged. The thread's work is bounded by what ingest hands it (backpressure). Needs CAP_SYS_NICE (Linux,
 * where the nice value is per thread); without it the thread keeps the process's priority.
 */
const DETECTION_THREAD_PRIORITY_STEPS = 10;
/**
 * This thread's commits never checkpoint the WAL: a checkpoint fsyncs the WAL and the database file, which took up to
 * 40 ms behind the event store's writes on the same disk and set the p99 of the alert latency (commit p99 20 ms, 9 %
 * of the stores over 5 ms, at 20,000 Windows events/s offered; without checkpoints on this connection commit p99
 * 2.7 ms, max 4.6 ms; docs/benchmarks.md, "## detect", sixth pass). The checkpointer thread does them this often.
 */
const WAL_CHECKPOINT_MS = 500;

const port = parentPort;
if (!port) throw new VigilError('internal', 'detection-worker.js runs only as a worker thread');
const init = workerData as WorkerInit;
const stopping = new Int32Array(init.stop);
const db = new DetectionDb(init.dbFile);
db.sqlite.db.pragma('wal_autocheckpoint = 0');
const mapping = defaultSigmaMapping();
const nowMs = () => performance.timeOrigin + performance.now();

const ownThreadId = currentThreadId();
/** Whether this thread runs under the round-robin policy now. */
let realtime = false;

/**
 * Raises this thread's priority where thread ids are visible and it is allowed: the round-robin real-time policy when
 * `init.realtime` (a woken thread then preempts ingest's threads at once: in the A/B of docs/benchmarks.md "## detect",
 * 2026-12-05 23:00-00:10 UTC, the time its stores spent waiting for a core fell from 0.3-0.7 ms on average, 2.4-3.7 ms in the
 * slowest 2 %, to 0), else DETECTION_THREAD_PRIORITY_STEPS nice steps over the process. Rule loads run at the normal
 * policy (withNormalScheduling): compiling thousands of rules must not hold a core against everything else.
 */
function raiseOwnPriority(): void {
  if (ownThreadId === undefined) return;
  if (init.realtime) {
    const change = setThreadScheduling(ownThreadId, 'round-robin');
    if (change.outcome === 'raised') return void (realtime = true);
    if (change.outcome === 'refused') log.info('the detection thread runs at the normal policy (the round-robin policy needs CAP_SYS_NICE and chrt)', { error: change.error.message });
  }
  const wanted = Math.max(-20, getPriority(process.pid) - DETECTION_THREAD_PRIORITY_STEPS);
  const change = raiseThreadPriority(ownThreadId, wanted);
  if (change.outcome === 'refused') log.info('the detection thread keeps the process priority (raising it needs CAP_SYS_NICE)', { wanted, error: change.error.message });
}

/** Runs `work` at the normal policy when this thread is real-time, and restores the policy after. */
function withNormalScheduling<T>(work: () => T): T {
  if (!realtime || ownThreadId === undefined) return work();
  setThreadScheduling(ownThreadId, 'normal');
  try {
    return work();
  } finally {
    setThreadScheduling(ownThreadId, 'round-robin');
  }
}

let engine: RuleEngine & { stats(): IndexStats };
let correlation: CorrelationEngine | undefined;
/** Where the engine's matches of correlation-referenced rules go while one event is matched (see matchStep). */
let correlationSink: BaseRuleMatch[] = [];
/** Raised by every load: matches made with an earlier rule set are made again. */
let generation = 0;
let newestEventMs = 0;
/** When this thread last finished handling a message (ms, as nowMs): what a batch accepted before it waited behind. */
let busyUntilMs = 0;
/** Checkpoints evaluated but not yet written. */
const dirty = new Map<string, number>();
let flushTimer: NodeJS.Timeout | undefined;

function load(): void {
  const set = compileRuleFiles(db, mapping);
  const next = set.correlation;
  const referenced = next?.referencedRules;
  engine = createIndexedEngine({
    rules: set.activeRules,
    ...(next ? { suppressed: next.suppressedRules } : {}),
    ...(next && referenced
      ? {
          onMatch: (rule: SigmaMeta, event: DetectEvent, _hits: FieldHit[]) => {
            if (!referenced.has(rule.id) && !(rule.name && referenced.has(rule.name))) return;
            const time = Date.parse(String(event['@timestamp']));
            correlationSink.push({ rule, event, timeMs: Number.isFinite(time) ? time : Date.now(), hostId: String(event['host.id'] ?? '') });
          },
        }
      : {}),
  });
  correlation = next;
  generation++;
  post({ type: 'loaded', rulesActive: engine.ruleCount, index: engine.stats() });
}

function post(message: FromWorker): void {
  port!.postMessage(message);
}

function flushCheckpoints(): void {
  flushTimer = undefined;
  if (!dirty.size) return;
  try {
    db.storeEvaluated([], dirty);
    dirty.clear();
  } catch (error) {
    log.error('writing detection checkpoints failed', { error: VigilError.wrap(error).message });
  }
}

/** Stores detections with every pending checkpoint; returns what was stored and the latency since `acceptedAtMs`. */
function store(detections: Detection[], acceptedAtMs: number): { created: AlertRecord[]; updated: number; latencyMs: number } {
  if (flushTimer) (clearTimeout(flushTimer), (flushTimer = undefined));
  const stored = db.storeEvaluated(detections, dirty);
  dirty.clear();
  return { ...stored, latencyMs: nowMs() - acceptedAtMs };
}

/** Adds the context of each created alert's first event found among `events` to the answer. */
function addContexts(result: EvaluatedMessage, created: readonly AlertRecord[], events: readonly DetectEvent[]): void {
  if (!created.length) return;
  const wanted = new Set<string>();
  for (const alert of created) if (alert.eventIds[0] !== undefined) wanted.add(alert.eventIds[0]);
  for (const event of events) {
    const id = event['event.id'];
    if (typeof id === 'string' && wanted.has(id)) (result.contexts ??= {})[id] = alertContextOf(event);
  }
}

/** One matched event of a batch: what committing the batch stores and feeds to correlation. */
interface EventMatch {
  /** Position of the event in the batch as matched (the accepted events are its tail). */
  index: number;
  event: DetectEvent;
  /** The rules' detections of the event (not those of rules only correlations use). */
  detections: Detection[];
  /** Matches of rules that correlations refer to, observed only when the batch is committed. */
  correlated: BaseRuleMatch[];
}

/**
 * The stateless part of evaluating a batch (decoding, rule matching), done in steps ahead of the acknowledgement
 * (speculation) or all at once when the batch is evaluated. Holds only the matched events once done.
 */
interface Matching {
  id: number;
  hostId: string;
  /** The body to decode (kept until the commit: a reload matches it again), or the events themselves. */
  body?: Uint8Array;
  parsesAsValidated?: boolean;
  /** Decode only the last `accepted` events of the body (all when undefined). */
  accepted?: number;
  /** Where each event's bytes are in the body: events are then decoded one by one, in the steps that match them. */
  slices?: EventSlices;
  /** Decoded events (without slices); a speculation drops them once all are matched (the body can give them again). */
  events?: readonly DetectEvent[];
  /** Number of events; -1 until the body is decoded. */
  total: number;
  /** Next event to match. */
  next: number;
  /** Every event is matched (with the rule set of `generation`). */
  matched: boolean;
  matches: EventMatch[];
  /** Event times (ms since epoch, NaN when not parseable), then once matched the newest of events i and after (0: none). */
  times: Float64Array;
  /** The rule set the matches were made with. */
  generation: number;
  failed?: 'decode';
}

/** Byte ranges of a body's events (from the request thread's decoder), each parsing alone to the validated event. */
export interface EventSlices {
  starts: Int32Array;
  ends: Int32Array;
}

/** Events matched per step of a speculation: commits wait at most one step for a CPU (~0.7 ms on this bench's mix). */
const SPECULATION_STEP_EVENTS = 32;

function newMatching(id: number, hostId: string, source: { body: Uint8Array; parsesAsValidated?: boolean; accepted?: number; slices?: EventSlices } | { events: readonly DetectEvent[] }): Matching {
  const matching: Matching = { id, hostId, total: -1, next: 0, matched: false, matches: [], times: new Float64Array(0), generation };
  if ('body' in source) {
    matching.body = source.body;
    if (source.parsesAsValidated !== undefined) matching.parsesAsValidated = source.parsesAsValidated;
    if (source.accepted !== undefined) matching.accepted = source.accepted;
    if (source.slices) {
      matching.slices = source.slices;
      matching.total = source.slices.starts.length;
      matching.times = new Float64Array(matching.total + 1);
    }
  } else {
    adoptEvents(matching, source.events);
  }
  return matching;
}

function adoptEvents(matching: Matching, events: readonly DetectEvent[]): void {
  matching.events = events;
  matching.total = events.length;
  matching.times = new Float64Array(events.length + 1);
}

const matchingDone = (matching: Matching) => matching.failed !== undefined || (matching.matched && matching.generation === generation);

/**
 * One step of a matching: decoding the whole body (when it has no slices), or decoding as needed and matching up to
 * `budget` events. Returns the milliseconds spent decoding. Restarts the matching when the rules were reloaded since
 * it began.
 */
function matchStep(matching: Matching, budget: number): number {
  if (matching.generation !== generation) {
    matching.generation = generation;
    matching.next = 0;
    matching.matched = false;
    matching.matches = [];
  }
  const { slices, body } = matching;
  if (!matching.events && !slices) {
    const started = nowMs();
    try {
      adoptEvents(matching, acceptedEventsOf(body!, matching.hostId, matching.accepted, matching.parsesAsValidated));
    } catch (error) {
      // The request thread decoded the same bytes before handing them over: this is a bug, never a bad batch.
      log.error('decoding a batch handed over by the request thread failed', { host: matching.hostId, error: VigilError.wrap(error).message });
      matching.failed = 'decode';
    }
    return nowMs() - started;
  }
  let decodeMs = 0;
  const end = Math.min(matching.total, matching.next + budget);
  for (let i = matching.next; i < end; i++) {
    let event: DetectEvent;
    if (matching.events) event = matching.events[i]!;
    else {
      const started = nowMs();
      try {
        event = eventOfSlice(body!, slices!.starts[i]!, slices!.ends[i]!);
      } catch (error) {
        log.error('decoding an event handed over by the request thread failed', { host: matching.hostId, error: VigilError.wrap(error).message });
        matching.failed = 'decode';
        return decodeMs;
      }
      decodeMs += nowMs() - started;
    }
    matching.times[i] = Date.parse(String(event['@timestamp']));
    correlationSink = [];
    let detections: Detection[] = [];
    try {
      detections = engine.evaluate([event]);
    } catch (error) {
      // A rule must never stop the stream; the events are stored and can be retro-hunted.
      log.error('rule evaluation failed', { error: VigilError.wrap(error).message });
    }
    if (detections.length || correlationSink.length) matching.matches.push({ index: i, event, detections, correlated: correlationSink });
  }
  correlationSink = [];
  matching.next = end;
  if (end >= matching.total) {
    matching.matched = true;
    const times = matching.times;
    times[matching.total] = 0;
    for (let i = matching.total - 1; i >= 0; i--) times[i] = times[i]! > times[i + 1]! ? times[i]! : times[i + 1]!;
  }
  return decodeMs;
}

/**
 * The stateful part, in commit order: the matches of the last `accepted` events (all when undefined) become the
 * batch's detections, their correlation-referenced matches are observed, and the event-time watermark moves. Also
 * returns the accepted events still decoded, or else the matched ones (whose context goes with the alerts they
 * create; the alert-event writer reads any other event's context back from the store).
 */
function commitMatches(matching: Matching, accepted: number | undefined): { detections: Detection[]; events: readonly DetectEvent[] } {
  const first = accepted === undefined ? 0 : Math.max(0, matching.total - accepted);
  const detections: Detection[] = [];
  const events: DetectEvent[] = [];
  const fromCorrelations: Detection[] = [];
  for (const match of matching.matches) {
    if (match.index < first) continue;
    detections.push(...match.detections);
    events.push(match.event);
    for (const correlated of match.correlated) {
      try {
        fromCorrelations.push(...correlation!.observe(correlated));
      } catch (error) {
        // One correlation failing on one event must not stop the stream (a throw here would kill this worker, and
        // recovery would meet the same event again).
        log.error('a correlation rule failed on an event; skipped', { rule: correlated.rule.id, error: VigilError.wrap(error).message });
      }
    }
  }
  if (first < matching.total && matching.times[first]! > newestEventMs) newestEventMs = matching.times[first]!;
  detections.push(...fromCorrelations);
  return { detections, events: matching.events ? (first ? matching.events.slice(first) : matching.events) : events };
}

/** Speculations by id (arrival order), until committed or discarded. */
const speculations = new Map<number, Matching>();
/** Speculations not yet fully matched, oldest first (committed or discarded ones are skipped). */
const unmatched: Matching[] = [];
let turnScheduled = false;

/**
 * The work done between messages, once per turn of the event loop (after every message that arrived is handled):
 * first storing what the messages made ready (the alerts of all batches acknowledged together in one SQLite
 * transaction), then one step of the oldest unfinished speculation. So acknowledged batches never wait behind more
 * than one speculation step.
 */
function turn(): void {
  turnScheduled = false;
  if (closing) return;
  try {
    storeReady();
    while (unmatched.length && (speculations.get(unmatched[0]!.id) !== unmatched[0] || matchingDone(unmatched[0]!))) unmatched.shift();
    const next = unmatched[0];
    if (next && !Atomics.load(stopping, 0)) {
      matchStep(next, SPECULATION_STEP_EVENTS);
      if (next.matched) delete next.events;
    }
  } finally {
    busyUntilMs = nowMs();
  }
  if (unmatched.length) scheduleTurn();
}

function scheduleTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(turn);
}

/** A batch whose rules are evaluated, waiting for the detections of the server's own matchers (`matchersFollow`). */
interface Evaluated {
  message: EvaluateMessage;
  result: EvaluatedMessage;
  /** The batch's events, or after a speculation only its matched ones (their context goes with the alerts they create). */
  events: readonly DetectEvent[];
  detections: Detection[];
  /** `idleFrom`: when this thread finished the message before this one. */
  times: { started: number; idleFrom: number; decoded: number; evaluated: number };
  /** `matched` messages still to come. */
  matchersLeft: number;
  /** When the last of them came (ms, as nowMs). */
  matchersDoneAt?: number;
  /** The rules' detections were stored before the matchers' came (or there were none to store then). */
  storedEarly: boolean;
}

/**
 * Evaluates one batch: its held speculation or a matching made now, then the stateful part. Undefined when there is
 * nothing more to do (skipped or failed: already answered).
 */
function evaluate(message: EvaluateMessage): Evaluated | undefined {
  const started = nowMs();
  const result: EvaluatedMessage = { type: 'evaluated', id: message.id, events: 0, detections: 0, created: [], updated: 0, latencyMs: null, stages: null, correlationState: 0 };
  let matching = message.speculated ? speculations.get(message.id) : undefined;
  speculations.delete(message.id);
  if (Atomics.load(stopping, 0)) return void post({ ...result, failed: 'server stopping' });
  if (message.speculated) result.speculation = matching && matchingDone(matching) ? 'ready' : 'late';
  // A speculation matched the whole body; a matching made now decodes only the accepted tail.
  const accepted = matching ? message.accepted : undefined;
  matching ??= message.body
    ? newMatching(message.id, message.hostId, { body: message.body, ...(message.parsesAsValidated !== undefined ? { parsesAsValidated: message.parsesAsValidated } : {}), ...(message.accepted !== undefined ? { accepted: message.accepted } : {}) })
    : newMatching(message.id, message.hostId, { events: message.events ?? [] });
  let decodeMs = 0;
  while (!matchingDone(matching)) decodeMs += matchStep(matching, Infinity);
  if (matching.failed) return void post({ ...result, failed: matching.failed });
  const { detections, events } = commitMatches(matching, accepted);
  result.events = accepted === undefined ? matching.total : Math.min(accepted, matching.total);
  detections.push(...message.extra);
  result.correlationState = correlation?.stateSize() ?? 0;
  return { message, result, events, detections, times: { started, idleFrom: busyUntilMs, decoded: started + decodeMs, evaluated: nowMs() }, matchersLeft: message.matchersFollow ?? 0, storedEarly: false };
}

/** Evaluated batches in arrival order, the first still waiting for matchers' detections: finished from the front. */
const waiting: Evaluated[] = [];
/** When the oldest batch evaluated since the last `storeReady` was evaluated (ms, as nowMs). */
let unstoredSince: number | undefined;
/**
 * Batches evaluated within this long of each other share one commit (a commit costs ~0.3-2 ms; batches matched ahead
 * take ~0.02 ms each to commit); a batch waits at most this long plus one evaluation for the ones after it.
 */
const STORE_COALESCE_MS = 1;

/**
 * Stores, in one SQLite transaction, the rules' detections of waiting batches whose matchers' detections are still to
 * come (without their checkpoint: a crash before the batch is finished evaluates it again after the restart, and
 * grouping folds the repeat into the alert stored here, its count then one too high; so rule alerts never wait for the
 * other matchers), and everything left of the complete batches at the front with their hosts' checkpoints; then
 * answers the complete ones. A batch without detections only moves its checkpoint, written within CHECKPOINT_FLUSH_MS.
 */
function storeReady(): void {
  unstoredSince = undefined;
  let complete = 0;
  while (complete < waiting.length && waiting[complete]!.matchersLeft <= 0) complete++;
  const finishing = waiting.splice(0, complete);
  const early = waiting.filter((evaluated) => !evaluated.storedEarly);
  for (const evaluated of early) evaluated.storedEarly = true;
  for (const { message } of finishing) dirty.set(message.hostId, Math.max(message.lastSequence, dirty.get(message.hostId) ?? -1));
  const jobs = [...finishing, ...early].filter((evaluated) => evaluated.detections.length);
  if (jobs.length) {
    const stored = storeAll(jobs);
    const storedAt = nowMs();
    jobs.forEach((evaluated, i) => {
      const alerts = stored[i];
      if (alerts) answerStored(evaluated, alerts, storedAt);
      // Kept for the next turn (or the batch's finish) to try again.
      else if (early.includes(evaluated)) evaluated.storedEarly = false;
      else evaluated.result.failed = 'store';
    });
  } else if (finishing.length && dirty.size) {
    flushTimer ??= setTimeout(flushCheckpoints, CHECKPOINT_FLUSH_MS);
  }
  for (const evaluated of finishing) post(evaluated.result);
}

/**
 * Stores each job's detections and every pending checkpoint in one transaction; if that fails, each job in its own.
 * Returns per job what was stored, or undefined where SQLite refused it.
 */
function storeAll(jobs: readonly Evaluated[]): (StoredAlerts | undefined)[] {
  if (flushTimer) (clearTimeout(flushTimer), (flushTimer = undefined));
  try {
    const stored = db.inOneTransaction(() => jobs.map((job, i) => db.storeEvaluated(job.detections, i === 0 ? dirty : new Map())));
    dirty.clear();
    return stored;
  } catch (error) {
    if (jobs.length === 1) {
      log.error('storing alerts failed', { detections: jobs[0]!.detections.length, error: VigilError.wrap(error).message });
      return [undefined];
    }
    log.warn('storing the alerts of several batches at once failed; storing them one by one', { batches: jobs.length, error: VigilError.wrap(error).message });
    return jobs.map((job) => {
      try {
        const stored = db.storeEvaluated(job.detections, dirty);
        dirty.clear();
        return stored;
      } catch (failure) {
        log.error('storing alerts failed', { detections: job.detections.length, error: VigilError.wrap(failure).message });
        return undefined;
      }
    });
  }
}

/**
 * Adds stored detections to a batch's answer; the first store of a measured batch sets its latency and stages (they
 * add up to it: `store` is from the end of evaluation, or of waiting for matchers, to the commit).
 */
function answerStored(evaluated: Evaluated, stored: StoredAlerts, storedAt: number): void {
  const { message, result, times } = evaluated;
  result.detections += evaluated.detections.length;
  result.created.push(...stored.created);
  addContexts(result, stored.created, evaluated.events);
  result.updated += stored.updated;
  evaluated.detections = [];
  if (!message.measure || result.latencyMs !== null) return;
  result.latencyMs = storedAt - message.acceptedAtMs;
  const queue = times.started - message.acceptedAtMs;
  const matchers = evaluated.matchersLeft <= 0 ? Math.max(0, (evaluated.matchersDoneAt ?? times.evaluated) - times.evaluated) : 0;
  result.stages = {
    queue,
    backlog: Math.min(queue, Math.max(0, times.idleFrom - message.acceptedAtMs)),
    decode: times.decoded - times.started,
    evaluate: times.evaluated - times.decoded,
    matchers,
    store: storedAt - times.evaluated - matchers,
  };
}

// Event-time watermark with slack for batches that arrive a little late from other hosts.
setInterval(() => {
  if (!correlation || !newestEventMs || Atomics.load(stopping, 0)) return;
  const expired = correlation.expire(newestEventMs - 30_000);
  if (!expired.length) return;
  try {
    const stored = store(expired, nowMs());
    post({ type: 'evaluated', id: 0, events: 0, detections: expired.length, created: stored.created, updated: stored.updated, latencyMs: stored.latencyMs, stages: null, correlationState: correlation.stateSize() });
  } catch (error) {
    log.error('storing correlation alerts failed', { error: VigilError.wrap(error).message });
  }
}, 1000).unref();

port.on('message', (message: ToWorker) => {
  try {
    handle(message);
  } finally {
    busyUntilMs = nowMs();
  }
});

function handle(message: ToWorker): void {
  if (message.type === 'speculate') {
    if (Atomics.load(stopping, 0)) return;
    const matching = newMatching(message.id, message.hostId, { body: message.body, parsesAsValidated: message.parsesAsValidated, ...(message.slices ? { slices: message.slices } : {}) });
    speculations.set(message.id, matching);
    unmatched.push(matching);
    scheduleTurn();
  } else if (message.type === 'discard') {
    speculations.delete(message.id);
  } else if (message.type === 'evaluate') {
    const evaluated = evaluate(message);
    if (evaluated) {
      waiting.push(evaluated);
      unstoredSince ??= evaluated.times.evaluated;
      // Batches evaluated at length (not matched ahead) do not wait for the ones behind them to share a commit.
      if (nowMs() - unstoredSince >= STORE_COALESCE_MS) storeReady();
      else scheduleTurn();
    }
  } else if (message.type === 'matched') {
    const evaluated = waiting.find((w) => w.message.id === message.id);
    if (evaluated) {
      evaluated.detections.push(...message.detections);
      if (--evaluated.matchersLeft <= 0) evaluated.matchersDoneAt = nowMs();
      scheduleTurn();
    } else if (!Atomics.load(stopping, 0)) {
      // Only a batch this thread skipped or failed to decode (logged then) has no entry.
      log.error('matcher detections for a batch that is not waiting; dropped', { id: message.id, detections: message.detections.length });
    }
  } else if (message.type === 'reload') withNormalScheduling(load);
  else if (message.type === 'close') {
    closing = true;
    checkpointer.postMessage({ type: 'close' } satisfies ToWalCheckpointer);
    speculations.clear();
    unmatched.length = 0;
    // Batches evaluated and waiting to share a commit are stored now, not left to a turn after the database closed.
    if (waiting.length) storeReady();
    if (flushTimer) clearTimeout(flushTimer);
    flushCheckpoints();
    db.close();
    post({ type: 'closed' });
    port!.close();
  }
}

/** Starts the checkpointer thread (before this thread's priority is raised: a thread inherits its creator's). */
function startCheckpointer(): Worker {
  const started = new Worker(new URL('./wal-checkpointer.js', import.meta.url), { workerData: { dbFile: init.dbFile, intervalMs: WAL_CHECKPOINT_MS } satisfies WalCheckpointerInit });
  started.on('error', (error) => log.error('the WAL checkpointer failed', { error: VigilError.wrap(error).message }));
  started.on('exit', () => {
    if (closing) return;
    // Without it the WAL would grow without end: this connection checkpoints again (SQLite's default threshold).
    log.error('the WAL checkpointer stopped; alert commits checkpoint the WAL again');
    db.sqlite.db.pragma('wal_autocheckpoint = 1000');
  });
  return started;
}

let closing = false;
const checkpointer = startCheckpointer();
load();
raiseOwnPriority();
