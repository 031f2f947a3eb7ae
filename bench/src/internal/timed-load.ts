// Drives a fixed-duration load: one worker per queue, one request in flight per worker, warm-up then a measured window.
// Counts only work acknowledged inside the window; never issues a request after the window closed.

import { performance } from 'node:perf_hooks';
import { formatInt } from './report.js';

export interface TimedLoadOptions<T> {
  label: string;
  /** One queue of prepared items per worker, sent in order. */
  queues: readonly (readonly T[])[];
  /** Sends one item; resolves with the number of events it stored. */
  send: (worker: number, item: T) => Promise<number>;
  warmupS: number;
  durationS: number;
  progressEveryS?: number;
  /** Called when the measured window opens and when it closes. */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export interface TimedLoadResult {
  /** Events acknowledged inside the measured window. */
  windowEvents: number;
  /** Events acknowledged over the whole run (warm-up and the requests in flight at the end included). */
  totalEvents: number;
  requests: number;
  /** Latencies (ms) of requests acknowledged inside the window, ascending. */
  latenciesMs: number[];
  /** True when a worker ran out of prepared items before the window closed: the rate is then a lower bound. */
  exhausted: boolean;
  elapsedS: number;
}

export async function timedLoad<T>(options: TimedLoadOptions<T>): Promise<TimedLoadResult> {
  const started = performance.now();
  const warmEnd = started + options.warmupS * 1000;
  const end = warmEnd + options.durationS * 1000;
  let windowEvents = 0;
  let totalEvents = 0;
  let requests = 0;
  let exhausted = false;
  const latencies: number[] = [];

  let lastTotal = 0;
  let lastAt = started;
  const progress = setInterval(() => {
    const now = performance.now();
    const phase = now < warmEnd ? 'warm-up' : now <= end ? 'measuring' : 'draining';
    const rate = ((totalEvents - lastTotal) * 1000) / (now - lastAt);
    process.stderr.write(`${options.label.padEnd(8)} ${((now - started) / 1000).toFixed(0).padStart(4)} s  ${phase.padEnd(9)}  events ${formatInt(totalEvents).padStart(11)}  rate ${formatInt(rate).padStart(8)}/s\n`);
    lastTotal = totalEvents;
    lastAt = now;
  }, (options.progressEveryS ?? 5) * 1000);
  let startFired = false;
  let endFired = false;
  const fireStart = () => {
    if (!startFired) (startFired = true), options.onWindowStart?.();
  };
  const fireEnd = () => {
    fireStart();
    if (!endFired) (endFired = true), options.onWindowEnd?.();
  };
  const startTimer = setTimeout(fireStart, Math.max(0, warmEnd - performance.now()));
  const endTimer = setTimeout(fireEnd, Math.max(0, end - performance.now()));

  const worker = async (index: number, queue: readonly T[]) => {
    for (const item of queue) {
      if (performance.now() >= end) return;
      const t0 = performance.now();
      const stored = await options.send(index, item);
      const t1 = performance.now();
      requests++;
      totalEvents += stored;
      if (t1 >= warmEnd && t1 <= end) {
        windowEvents += stored;
        latencies.push(t1 - t0);
      }
    }
    if (performance.now() < end) exhausted = true;
  };

  try {
    await Promise.all(options.queues.map((queue, i) => worker(i, queue)));
  } finally {
    clearInterval(progress);
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    fireEnd();
  }
  latencies.sort((a, b) => a - b);
  return { windowEvents, totalEvents, requests, latenciesMs: latencies, exhausted, elapsedS: (performance.now() - started) / 1000 };
}
