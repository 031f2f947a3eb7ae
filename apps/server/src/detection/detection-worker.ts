// The detection worker thread: evaluates acknowledged events against the enabled rules, off the request thread, and
// is the only writer of stream alerts and detection checkpoints. One consumer, messages in arrival order (so batches of
// a host are evaluated in sequence order and correlation state sees them in that order). Never touches the event store.

import { getPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { VigilError, createLogger, currentThreadId, raiseThreadPriority } from '@vigil/common';
import type { DetectEvent, Detection, FieldHit, SigmaMeta } from '@vigil/detect';
import { createIndexedEngine, type IndexStats } from '@vigil/detect/engine/indexed';
import type { RuleEngine } from '@vigil/detect/engine/rule-engine';
import type { CorrelationEngine } from '@vigil/detect/sigma/correlation-engine';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { DetectionDb, type AlertRecord } from './detection-db.js';
import { compileRuleFiles } from './compile-rules.js';
import { acceptedEventsOf } from './batch-body.js';
import { alertContextOf } from './alert-context.js';

export interface WorkerInit {
  dbFile: string;
  /** Int32Array over it: [0] set to 1 when the server stops; batches still queued are then skipped (not checkpointed). */
  stop: SharedArrayBuffer;
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
}

/** Detections of one of the server's own matchers for the batch `id` (one per `matchersFollow`, after the batch). */
export interface MatchedMessage {
  type: 'matched';
  id: number;
  detections: Detection[];
}

export type ToWorker = EvaluateMessage | MatchedMessage | { type: 'reload' } | { type: 'close' };

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
}

export interface LatencyStages {
  queue: number;
  /**
   * The part of `queue` during which this thread was still busy with earlier messages (the rest of `queue` is the
   * hand-over: posting the message and this thread getting a CPU).
   */
  backlog: number;
  decode: number;
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

const port = parentPort;
if (!port) throw new VigilError('internal', 'detection-worker.js runs only as a worker thread');
const init = workerData as WorkerInit;
const stopping = new Int32Array(init.stop);
const db = new DetectionDb(init.dbFile);
const mapping = defaultSigmaMapping();
const nowMs = () => performance.timeOrigin + performance.now();

/** Raises this thread's priority DETECTION_THREAD_PRIORITY_STEPS over the process's, where thread ids are visible and it is allowed. */
function raiseOwnPriority(): void {
  const tid = currentThreadId();
  if (tid === undefined) return;
  const wanted = Math.max(-20, getPriority(process.pid) - DETECTION_THREAD_PRIORITY_STEPS);
  const change = raiseThreadPriority(tid, wanted);
  if (change.outcome === 'refused') log.info('the detection thread keeps the process priority (raising it needs CAP_SYS_NICE)', { wanted, error: change.error.message });
}

let engine: RuleEngine & { stats(): IndexStats };
let correlation: CorrelationEngine | undefined;
let pendingCorrelation: Detection[] = [];
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
            pendingCorrelation.push(...next.observe({ rule, event, timeMs: Number.isFinite(time) ? time : Date.now(), hostId: String(event['host.id'] ?? '') }));
          },
        }
      : {}),
  });
  correlation = next;
  pendingCorrelation = [];
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

/** A batch whose rules are evaluated, waiting for the detections of the server's own matchers (`matchersFollow`). */
interface Evaluated {
  message: EvaluateMessage;
  result: EvaluatedMessage;
  /** The batch's events (their context goes with the alerts they create). */
  events: readonly DetectEvent[];
  detections: Detection[];
  /** `idleFrom`: when this thread finished the message before this one. */
  times: { started: number; idleFrom: number; decoded: number; evaluated: number };
  /** `matched` messages still to come. */
  matchersLeft: number;
}

/** Decodes and evaluates one batch; undefined when there is nothing more to do (skipped or failed: already answered). */
function evaluate(message: EvaluateMessage): Evaluated | undefined {
  const started = nowMs();
  const result: EvaluatedMessage = { type: 'evaluated', id: message.id, events: 0, detections: 0, created: [], updated: 0, latencyMs: null, stages: null, correlationState: 0 };
  if (Atomics.load(stopping, 0)) return void post({ ...result, failed: 'server stopping' });
  let events: readonly DetectEvent[];
  if (message.body) {
    try {
      events = acceptedEventsOf(message.body, message.hostId, message.accepted, message.parsesAsValidated);
    } catch (error) {
      // The request thread decoded the same bytes before acknowledging them: this is a bug, never a bad batch.
      log.error('decoding an acknowledged batch failed', { host: message.hostId, error: VigilError.wrap(error).message });
      return void post({ ...result, failed: 'decode' });
    }
  } else {
    events = message.events ?? [];
  }
  result.events = events.length;
  const decoded = nowMs();
  let detections: Detection[] = [];
  try {
    detections = events.length ? engine.evaluate(events) : [];
  } catch (error) {
    // A rule must never stop the stream; the events are stored and can be retro-hunted.
    log.error('rule evaluation failed', { error: VigilError.wrap(error).message });
  }
  for (const event of events) {
    const time = Date.parse(String(event['@timestamp']));
    if (time > newestEventMs) newestEventMs = time;
  }
  if (pendingCorrelation.length) {
    detections.push(...pendingCorrelation);
    pendingCorrelation = [];
  }
  detections.push(...message.extra);
  result.correlationState = correlation?.stateSize() ?? 0;
  return { message, result, events, detections, times: { started, idleFrom: busyUntilMs, decoded, evaluated: nowMs() }, matchersLeft: message.matchersFollow ?? 0 };
}

/**
 * Stores detections of a batch and adds them to its answer; the first store of a measured batch sets its latency.
 * Returns false when SQLite refused them (they are kept for the next try).
 */
function storeFor(evaluated: Evaluated, waited: number): boolean {
  const { message, result, detections, times } = evaluated;
  const storing = nowMs();
  try {
    const stored = store(detections, message.acceptedAtMs);
    result.detections += detections.length;
    result.created.push(...stored.created);
    addContexts(result, stored.created, evaluated.events);
    result.updated += stored.updated;
    if (message.measure && result.latencyMs === null) {
      result.latencyMs = stored.latencyMs;
      const queue = times.started - message.acceptedAtMs;
      result.stages = { queue, backlog: Math.min(queue, Math.max(0, times.idleFrom - message.acceptedAtMs)), decode: times.decoded - times.started, evaluate: times.evaluated - times.decoded, matchers: waited, store: nowMs() - storing };
    }
    evaluated.detections = [];
    return true;
  } catch (error) {
    log.error('storing alerts failed', { detections: detections.length, error: VigilError.wrap(error).message });
    return false;
  }
}

/**
 * Rules' alerts of a batch whose matchers' detections are still to come are stored at once, without the checkpoint:
 * a crash before `finish` evaluates the batch again after the restart, and grouping folds the repeat into the alert
 * stored here (its count is then one too high). So rule alerts never wait for the request thread's matchers.
 */
function storeRulesEarly(evaluated: Evaluated): void {
  if (evaluated.detections.length) storeFor(evaluated, 0);
}

/** Stores what is left of a batch's detections (matchers', or all) with its host's checkpoint, and answers. */
function finish(evaluated: Evaluated): void {
  const { message, result } = evaluated;
  dirty.set(message.hostId, Math.max(message.lastSequence, dirty.get(message.hostId) ?? -1));
  if (evaluated.detections.length) {
    if (!storeFor(evaluated, nowMs() - evaluated.times.evaluated)) result.failed = 'store';
  } else if (dirty.size) {
    flushTimer ??= setTimeout(flushCheckpoints, CHECKPOINT_FLUSH_MS);
  }
  post(result);
}

/** Evaluated batches in arrival order, the first still waiting for matchers' detections: finished from the front. */
const waiting: Evaluated[] = [];

function finishReady(): void {
  while (waiting.length && waiting[0]!.matchersLeft <= 0) finish(waiting.shift()!);
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
  if (message.type === 'evaluate') {
    const evaluated = evaluate(message);
    if (evaluated && (evaluated.matchersLeft > 0 || waiting.length)) {
      storeRulesEarly(evaluated);
      waiting.push(evaluated);
      finishReady();
    } else if (evaluated) finish(evaluated);
  } else if (message.type === 'matched') {
    const evaluated = waiting.find((w) => w.message.id === message.id);
    if (evaluated) {
      evaluated.detections.push(...message.detections);
      evaluated.matchersLeft--;
      finishReady();
    } else if (!Atomics.load(stopping, 0)) {
      // Only a batch this thread skipped or failed to decode (logged then) has no entry.
      log.error('matcher detections for a batch that is not waiting; dropped', { id: message.id, detections: message.detections.length });
    }
  } else if (message.type === 'reload') load();
  else if (message.type === 'close') {
    if (flushTimer) clearTimeout(flushTimer);
    flushCheckpoints();
    db.close();
    post({ type: 'closed' });
    port!.close();
  }
}

raiseOwnPriority();
load();
