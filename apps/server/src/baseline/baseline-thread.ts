// The baseline service on its own worker thread (baseline-worker.ts): every acknowledged batch is profiled there, from
// the shared body bytes, so profiling never runs on the request thread. API calls wait synchronously for the worker's answer.

import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { createLogger, VigilError } from '@vigil/common';
import type { Detection } from '@vigil/detect';
import type { AlertRecord, DetectionDb } from '../detection/detection-db.js';
import type { BatchMatcher, MatchJob } from '../detection/detection-service.js';
import type { BaselineService } from './baseline-service.js';
import type { AlertsMessage, BaselineAnswer, BaselineCall, BaselineEffect, BaselineMethod, BaselineWorkerInit, FromBaselineWorker, ToBaselineWorker } from './baseline-worker.js';

const log = createLogger('server.baseline');

/** How long a call waits for the worker (it answers after the batch it is profiling; clustering many hosts takes longest). */
const CALL_TIMEOUT_MS = 120_000;

export interface BaselineThread extends BaselineService, BatchMatcher {}

/**
 * Starts the worker and waits until its service is open (throws what opening baseline.sqlite threw). If the worker dies,
 * the batches it held are answered without detections (their events are stored; they are not profiled) and a new
 * worker starts from what baseline.sqlite holds (profiles are written every 10 s and at close).
 */
export function startBaselineThread(deps: {
  dataDir: string;
  detectionDb: DetectionDb;
  onAlertsRaised?: (created: readonly AlertRecord[]) => void;
  onFeedback?: (alerts: readonly AlertRecord[], feedback: { verdict: 'expected'; actor: string; note?: string }) => void;
  clusterEveryMs?: number;
}): BaselineThread {
  let closing = false;
  let seq = 0;
  /** Jobs handed to the worker and not answered yet, in order. */
  const jobs = new Map<number, (detections: Detection[]) => void>();
  /** Set at close: the worker skips the batches still queued (the detection checkpoints stay behind them). */
  const stop = new SharedArrayBuffer(4);
  let current = spawn();

  function applyEffect(value: BaselineEffect): void {
    try {
      if (value.type === 'raised') {
        // Stored by the worker's own connection: the listeners of this thread's DetectionDb hear of them here.
        deps.detectionDb.announceCreated(value.created);
        deps.onAlertsRaised?.(value.created);
      } else {
        deps.onFeedback?.(value.alerts, value.feedback);
      }
    } catch (error) {
      log.error('a baseline alert listener failed', { error: VigilError.wrap(error).message });
    }
  }

  function spawn() {
    const channel = new MessageChannel();
    const answered = new SharedArrayBuffer(4);
    const init: BaselineWorkerInit = { dataDir: deps.dataDir, detectionDbFile: deps.detectionDb.path, calls: channel.port2, answered, stop, ...(deps.clusterEveryMs !== undefined ? { clusterEveryMs: deps.clusterEveryMs } : {}) };
    const worker = new Worker(new URL('./baseline-worker.js', import.meta.url), { workerData: init, transferList: [channel.port2] });
    const started = { worker, calls: channel.port1, answered: new Int32Array(answered) };
    worker.on('message', (message: FromBaselineWorker) => {
      if (message.type === 'matched') {
        const done = jobs.get(message.id);
        jobs.delete(message.id);
        done?.(message.detections);
      } else applyEffect(message.effect);
    });
    worker.on('error', (error) => log.error('baseline worker failed', { error: VigilError.wrap(error).message }));
    worker.on('exit', (code) => {
      if (closing || current !== started) return;
      log.error('baseline worker stopped; starting a new one (batches it held are not profiled)', { code, batches: jobs.size });
      const held = [...jobs.values()];
      jobs.clear();
      for (const done of held) done([]);
      try {
        current = spawn();
        call('status', []);
      } catch (error) {
        log.error('the baseline worker did not start again; batches are not profiled', { error: VigilError.wrap(error).message });
      }
    });
    return started;
  }

  /** Calls a service method on the worker and waits for its answer (effects are applied here first, in order). */
  function call(method: BaselineMethod, args: unknown[]): unknown {
    if (closing) throw new VigilError('unavailable', 'the baseline service is closed');
    const { calls, answered } = current;
    const mine = ++seq;
    calls.postMessage({ seq: mine, method, args } satisfies BaselineCall);
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const received = receiveMessageOnPort(calls);
      if (received) {
        const reply = received.message as BaselineAnswer;
        if (reply.seq !== mine) continue; // the late answer of a call that timed out
        for (const value of reply.effects) applyEffect(value);
        if (reply.ok) return reply.value;
        throw new VigilError(reply.error.code, reply.error.message, { ...(reply.error.location ? { location: reply.error.location } : {}), ...(reply.error.details ? { details: reply.error.details } : {}) });
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new VigilError('unavailable', `the baseline worker did not answer ${method} within ${CALL_TIMEOUT_MS / 1000} s`);
      const seen = Atomics.load(answered, 0);
      // Posted but not receivable yet: look again shortly; otherwise sleep until the worker answers.
      Atomics.wait(answered, 0, seen, seen >= mine ? 1 : Math.min(left, 1000));
    }
  }

  call('status', []);

  const post = (message: ToBaselineWorker) => current.worker.postMessage(message);

  return {
    submit(job: MatchJob, done: (detections: Detection[]) => void) {
      if (closing) return done([]);
      jobs.set(job.id, done);
      post({ type: 'match', job });
    },
    onAlerts(created) {
      const anomalies = created.filter((a) => a.kind === 'anomaly');
      if (anomalies.length && !closing) current.calls.postMessage({ type: 'alerts', created: anomalies } satisfies AlertsMessage);
    },
    match: (events) => call('match', [events]) as Detection[],
    status: () => call('status', []) as ReturnType<BaselineService['status']>,
    settings: () => call('settings', []) as ReturnType<BaselineService['settings']>,
    configure: (change, actor) => call('configure', [change, actor]) as ReturnType<BaselineService['configure']>,
    hosts: () => call('hosts', []) as ReturnType<BaselineService['hosts']>,
    profile: (hostId, options) => call('profile', options ? [hostId, options] : [hostId]) as ReturnType<BaselineService['profile']>,
    clustering: () => call('clustering', []) as ReturnType<BaselineService['clustering']>,
    recluster: () => call('recluster', []) as ReturnType<BaselineService['recluster']>,
    findings: (filter) => call('findings', filter ? [filter] : []) as ReturnType<BaselineService['findings']>,
    finding: (id) => (call('finding', [id]) ?? undefined) as ReturnType<BaselineService['finding']>,
    feedback: (id, feedback, actor) => call('feedback', [id, feedback, actor]) as ReturnType<BaselineService['feedback']>,
    suppressions: () => call('suppressions', []) as ReturnType<BaselineService['suppressions']>,
    removeSuppression: (id, actor) => void call('removeSuppression', [id, actor]),
    flush: () => void call('flush', []),
    close() {
      if (closing) return;
      Atomics.store(new Int32Array(stop), 0, 1);
      try {
        call('close', []);
      } finally {
        closing = true;
        const held = [...jobs.values()];
        jobs.clear();
        for (const done of held) done([]);
        void current.worker.terminate();
      }
    },
  };
}
