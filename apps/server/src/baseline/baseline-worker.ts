// The baseline worker thread: hosts the baseline service (behaviour profiles, findings, baseline.sqlite) off the request
// thread. Profiles every acknowledged batch in arrival order and answers the server's calls; never touches the event store.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger, VigilError, type ErrorLocation, type VigilErrorCode, type VigilErrorDetail } from '@vigil/common';
import type { Detection } from '@vigil/detect';
import { DetectionDb, type AlertRecord } from '../detection/detection-db.js';
import { acceptedEventsOf } from '../detection/batch-body.js';
import type { MatchJob } from '../detection/detection-service.js';
import { createBaselineService, type BaselineService } from './baseline-service.js';

export interface BaselineWorkerInit {
  dataDir: string;
  detectionDbFile: string;
  clusterEveryMs?: number;
  /** Where calls come in and answers go (the other end is read synchronously by the server). */
  calls: MessagePort;
  /** Int32Array over it: [0] is the sequence number of the last answer posted (Atomics.notify wakes the caller). */
  answered: SharedArrayBuffer;
  /** Int32Array over it: [0] set to 1 when the server stops; batches still queued are then answered unprofiled. */
  stop: SharedArrayBuffer;
}

/** Methods of BaselineService the server calls on this thread (every one but `onAlerts`, which is a message). */
export type BaselineMethod = Exclude<keyof BaselineService, 'onAlerts'>;

export interface BaselineCall {
  seq: number;
  method: BaselineMethod;
  args: unknown[];
}

/** What the service asked to be told on the server's thread (its alert listeners), in order. */
export type BaselineEffect =
  | { type: 'raised'; created: AlertRecord[] }
  | { type: 'feedback'; alerts: AlertRecord[]; feedback: { verdict: 'expected'; actor: string; note?: string } };

export interface SerializedError {
  code: VigilErrorCode;
  message: string;
  location?: ErrorLocation;
  details?: VigilErrorDetail[];
}

export type BaselineAnswer = { seq: number; effects: BaselineEffect[] } & ({ ok: true; value: unknown } | { ok: false; error: SerializedError });

export type ToBaselineWorker = { type: 'match'; job: MatchJob };

/** Stored alerts to link to their findings: sent on the calls port (no answer), so a later call sees the links. */
export interface AlertsMessage {
  type: 'alerts';
  created: AlertRecord[];
}

export type FromBaselineWorker = { type: 'matched'; id: number; detections: Detection[] } | { type: 'effect'; effect: BaselineEffect };

const log = createLogger('server.baseline.worker');
if (!parentPort) throw new VigilError('internal', 'baseline-worker.js runs only as a worker thread');
const port: MessagePort = parentPort;
const init = workerData as BaselineWorkerInit;
const answered = new Int32Array(init.answered);
const stopping = new Int32Array(init.stop);

/** Effects of the call being answered (they travel with its answer); undefined outside a call. */
let collecting: BaselineEffect[] | undefined;
function effect(value: BaselineEffect): void {
  if (collecting) collecting.push(value);
  else port!.postMessage({ type: 'effect', effect: value } satisfies FromBaselineWorker);
}

function answer(value: BaselineAnswer): void {
  init.calls.postMessage(value);
  Atomics.store(answered, 0, value.seq);
  Atomics.notify(answered, 0);
}

function serialize(error: unknown): SerializedError {
  const e = VigilError.wrap(error);
  return { code: e.code, message: e.message, ...(e.location ? { location: e.location } : {}), ...(e.details.length ? { details: e.details } : {}) };
}

let service: BaselineService | undefined;
let detectionDb: DetectionDb | undefined;
let startFailure: SerializedError | undefined;
let closed = false;
try {
  detectionDb = new DetectionDb(init.detectionDbFile);
  service = createBaselineService({
    dataDir: init.dataDir,
    detectionDb,
    onAlertsRaised: (created) => effect({ type: 'raised', created: [...created] }),
    onFeedback: (alerts, feedback) => effect({ type: 'feedback', alerts: [...alerts], feedback }),
    ...(init.clusterEveryMs !== undefined ? { clusterEveryMs: init.clusterEveryMs } : {}),
  });
} catch (error) {
  // Every call is answered with this (the server's first call is made at start: it fails there).
  startFailure = serialize(error);
  log.error('the baseline service did not start', { error: startFailure.message });
  detectionDb?.close();
}

/** Runs one call of the server's thread (which waits for the answer) or takes alerts it announced. */
function handleCall(call: BaselineCall | AlertsMessage): void {
  if ('type' in call) {
    if (service && !closed) service.onAlerts(call.created);
    return;
  }
  if (startFailure || !service) return answer({ seq: call.seq, effects: [], ok: false, error: startFailure ?? { code: 'internal', message: 'baseline service missing' } });
  if (closed) return answer({ seq: call.seq, effects: [], ok: false, error: { code: 'unavailable', message: 'the baseline service is closed' } });
  collecting = [];
  try {
    const method = service[call.method] as (...args: unknown[]) => unknown;
    const value = method(...call.args);
    if (call.method === 'close') {
      closed = true;
      detectionDb!.close();
    }
    answer({ seq: call.seq, effects: collecting, ok: true, value: value ?? null });
  } catch (error) {
    answer({ seq: call.seq, effects: collecting, ok: false, error: serialize(error) });
  } finally {
    collecting = undefined;
  }
  if (closed) {
    init.calls.close();
    port.close();
  }
}

init.calls.on('message', handleCall);

port.on('message', (message: ToBaselineWorker) => {
  // Calls go first: the server's thread waits for their answer, and must not wait behind a backlog of batches.
  for (let waiting = receiveMessageOnPort(init.calls); waiting && !closed; waiting = receiveMessageOnPort(init.calls)) handleCall(waiting.message as BaselineCall | AlertsMessage);
  const { job } = message;
  let detections: Detection[] = [];
  if (service && !closed && !Atomics.load(stopping, 0)) {
    try {
      const events = job.body ? acceptedEventsOf(job.body, job.hostId, job.accepted, job.parsesAsValidated) : (job.events ?? []);
      detections = service.match(events);
    } catch (error) {
      // The request thread decoded the same bytes before acknowledging them: a bug, never a bad batch.
      log.error('decoding an acknowledged batch for profiling failed', { host: job.hostId, error: VigilError.wrap(error).message });
    }
  }
  port.postMessage({ type: 'matched', id: job.id, detections } satisfies FromBaselineWorker);
});
